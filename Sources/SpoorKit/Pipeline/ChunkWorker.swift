#if canImport(Glibc)
import Glibc
#endif

/// Turns chunks into sink payloads: frame, parse, add provenance, enrich, encode.
/// One per worker thread; owns its builder and parse context.
final class ChunkWorker<S: Sink> {
    let framers: [String: any Framer]
    let formats: [String: any Parser]
    /// The enrichers as the event loop calls them: boxed in a class, and the boxes unretained
    /// (`enricherBoxes` keeps them), since calling one through `any Enricher` copied it, a
    /// retain and a release per event and enricher.
    private let enricherBoxes: [EnricherCall]
    private let enricherCalls: [Unmanaged<EnricherCall>]
    let sink: S
    let keepOriginal: Bool
    /// The last chunk's events stay here until the next `process` (the correlator reads them).
    let builder = EventBuilder()
    let context: ParseContext
    /// The event id being built: the current stream's prefix (see `streamIDPrefix`), then the offset.
    private var idBuffer = [UInt8](repeating: 0, count: idPrefixLength + 20)
    private var idStream: (UInt64, UInt64)?
    private var tally = DatasetTally()
    /// What the campaign report counts, for the events this worker produced (when asked).
    private var campaignCounter = CampaignCounter()
    /// The campaign counts as a tally; made on each read, so read once, when the worker is done.
    var campaign: CampaignTally { campaignCounter.tally }
    var keepCampaign = false
    /// Whether chunks of one stream are parsed in order, one at a time (a `StreamOrdered` parser).
    var orderedStreams = false
    /// Every format parser, by name, for records the stream's own format does not take.
    private lazy var fallbackFormats: [(String, any Parser)] = formats.sorted { $0.key < $1.key }

    init(framers: [String: any Framer], formats: [String: any Parser], enrichers: [any Enricher], sink: S,
         keepOriginal: Bool, context: ParseContext) {
        self.framers = framers
        self.formats = formats
        enricherBoxes = enrichers.map { EnricherCall.boxing($0) }
        enricherCalls = enricherBoxes.map { Unmanaged.passUnretained($0) }
        self.sink = sink
        self.keepOriginal = keepOriginal
        self.context = context
    }

    func process(_ chunk: Chunk) -> (S.Payload, WorkerCounts) {
        if orderedStreams { chunk.input.order.wait(for: chunk.sequence) }
        builder.reset()
        builder.setRecords(UnsafeRawBufferPointer(chunk.bytes))
        var counts = WorkerCounts()
        // Records the reader could not frame are records in too.
        counts.recordsIn = chunk.deadLetters.count
        counts.bytes = Int64(chunk.count) + chunk.deadLetters.reduce(0) { $0 + Int64($1.rawLength) }
        for letter in chunk.deadLetters { builder.addDeadLetter(letter) }
        let input = chunk.input
        if idStream == nil || idStream! != input.fingerprint {
            idStream = input.fingerprint
            writeStreamIDPrefix(input.fingerprint, into: &idBuffer)
        }
        context.streamID = streamIDNumber(input.fingerprint)
        let parser = formats[input.format]
        var line = chunk.startLine
        let framer = framers[input.framer] ?? framers["lines"] ?? framers.values.first!
        context.streamHeader = Bytes(start: nil, count: 0)
        chunk.context?.withUnsafeBytes { context.streamHeader = Bytes($0) }   // the chunk holds it
        framer.forEachRecord(in: chunk.bytes) { record, offset in
            counts.recordsIn += 1
            defer { line += 1 }
            let absolute = chunk.startOffset + Int64(offset)
            guard record.count > 0 else { builder.addFiltered(); return }
            guard let parser else {
                builder.addDeadLetter(DeadLetter(reason: "no parser for format '\(input.format)'", offset: absolute,
                                                 line: line, raw: Array(record)))
                return
            }
            builder.begin(record: record)
            let parsed = parse(record, input: input, first: parser)
            let result: ParseResult
            switch parsed {
            case .success(let r):
                result = r
            case .failure(let error):
                builder.discard()
                builder.addDeadLetter(DeadLetter(reason: error.reason, offset: absolute, line: line, raw: Array(record)))
                return
            }
            switch result {
            case .filtered:
                builder.discard()
                builder.addFiltered()
            case .notMine:
                builder.discard()
                builder.addDeadLetter(DeadLetter(reason: "not a \(input.format) record", offset: absolute, line: line,
                                                 raw: Array(record)))
            case .event:
                // Provenance first: enrichers and rules may read the raw record and where it
                // came from (a Sigma keyword rule on `event.original`, one on `log.file.path`).
                addProvenance(record: record, offset: absolute, line: line, input: input)
                for enricher in enricherCalls { enricher._withUnsafeGuaranteedRef { $0.enrich(builder, context) } }
                if builder.commit() {
                    tally.count(builder.lastDataset)
                    // Classified now, while the event's values are still in the cache: a pass
                    // over the chunk's batch afterwards waits on memory for every event. The
                    // counted ones are recorded in groups, the last at the end of the chunk.
                    if keepCampaign, CampaignCounter.mayCount(builder) { campaignCounter.addLast(of: builder) }
                } else {
                    builder.addDeadLetter(DeadLetter(reason: "parser '\(input.format)' produced no @timestamp or event.dataset",
                                                     offset: absolute, line: line, raw: Array(record)))
                }
            }
        }
        tally.flush(into: &counts.byDataset)
        if keepCampaign { campaignCounter.flush(builder.batch) }
        counts.eventsOut = builder.batch.events.count
        counts.deadLetters = builder.batch.deadLetters.count
        counts.filtered = builder.batch.filtered
        // Parsed: the stream's next chunk may start while this one is encoded.
        if orderedStreams { chunk.input.order.done(chunk.sequence) }
        return (sink.encode(builder.batch, input: input), counts)
    }

    /// The stream's format parser first; a record it does not take (a log that mixes
    /// formats, a line of another writer) is offered to the other formats before it is
    /// dead — with the first parser's reason, which is the one that explains most.
    @inline(__always)
    private func parse(_ record: Bytes, input: InputFile, first: any Parser) -> Result<ParseResult, ParseFailure> {
        let message = ParserInput(message: record, record: record, program: Bytes(start: nil, count: 0), input: input, context: context)
        var firstFailure: ParseFailure?
        do throws(ParseFailure) {
            let r = try first.parse(message, into: builder)
            if case .notMine = r {} else { return .success(r) }
        } catch {
            firstFailure = error
        }
        for (name, other) in fallbackFormats where name != input.format && other.framer == input.framer {
            builder.clearEvent()
            do throws(ParseFailure) {
                let r = try other.parse(message, into: builder)
                if case .notMine = r { continue }
                context.note("format '\(input.format)' did not take the record; format '\(name)' did")
                return .success(r)
            } catch {
                continue
            }
        }
        builder.clearEvent()
        return firstFailure.map { .failure($0) } ?? .success(.notMine)
    }

    @inline(__always)
    private func addProvenance(record: Bytes, offset: Int64, line: Int64, input: InputFile) {
        // `<stream>-<offset>`: unique by construction (a stream's records have distinct
        // offsets), stable across runs, and — unlike a hash per record — its repeated prefix
        // and rising offsets compress to a few bits a row in both output formats.
        let count = idPrefixLength + decimalDigits(UInt64(bitPattern: offset), into: &idBuffer, at: idPrefixLength)
        idBuffer.withUnsafeBytes { out in builder.set(.eventID, Bytes(rebasing: out[0..<count])) }
        builder.set(.logFilePath, stable: input.pathBytes)
        if let member = input.memberBytes { builder.set(.logFileMember, stable: member) }
        builder.set(.logOffset, int: offset)
        builder.set(.logFileLine, int: line)
        if keepOriginal { builder.set(.eventOriginal, record) }
    }

}

/// An enricher behind a class: called through `Unmanaged`, a call retains nothing. Only
/// its subclass `Boxed` is made (`boxing`), which calls the enricher it holds.
class EnricherCall {
    func enrich(_ event: EventBuilder, _ context: ParseContext) {}

    static func boxing(_ enricher: some Enricher) -> EnricherCall { Boxed(enricher) }

    private final class Boxed<E: Enricher>: EnricherCall {
        let enricher: E
        init(_ enricher: E) { self.enricher = enricher }
        override func enrich(_ event: EventBuilder, _ context: ParseContext) { enricher.enrich(event, context: context) }
    }
}

/// An event id starts with 16 hex digits naming its stream, then '-'.
let idPrefixLength = 17

/// The stream part of its events' ids: the 128-bit fingerprint folded to 64 bits. Streams
/// are few, so 64 bits keep them apart (a collision needs ~4 billion streams to be likely).
func writeStreamIDPrefix(_ fingerprint: (UInt64, UInt64), into buffer: inout [UInt8]) {
    precondition(buffer.count >= idPrefixLength)
    buffer.withUnsafeMutableBufferPointer { writeStreamIDPrefix(number: streamIDNumber(fingerprint), to: $0.baseAddress!) }
}

/// The same from the stream's number, at `p`, which has room for `idPrefixLength` bytes
/// (`EvidenceID` writes an id back from it).
@inline(__always)
func writeStreamIDPrefix(number folded: UInt64, to p: UnsafeMutablePointer<UInt8>) {
    for i in 0..<16 { p[i] = hexDigit(UInt8(truncatingIfNeeded: folded >> (60 - 4 * UInt64(i))) & 15) }
    p[16] = UInt8(ascii: "-")
}

/// The number the stream part of an event id writes in hex.
func streamIDNumber(_ fingerprint: (UInt64, UInt64)) -> UInt64 { fingerprint.0 ^ Hash.mix(fingerprint.1) }

/// Writes `value` in decimal at `at`; returns the number of digits.
@inline(__always)
func decimalDigits(_ value: UInt64, into buffer: inout [UInt8], at: Int) -> Int {
    precondition(buffer.count >= at + 20)
    return buffer.withUnsafeMutableBufferPointer { decimalDigits(value, to: $0.baseAddress! + at) }
}

/// The same at `p`, which has room for 20 digits (`UInt64.max`).
@inline(__always)
func decimalDigits(_ value: UInt64, to p: UnsafeMutablePointer<UInt8>) -> Int {
    JSONWriter.writeDecimal(value, UnsafeMutableRawPointer(p))
}

@inline(__always)
func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x61 + v - 10 }

/// Events per dataset without a `String` or a hash per event: a dataset is almost always
/// a constant, so the same pointer means the same name; there are few names per chunk.
struct DatasetTally {
    private var names: [[UInt8]] = []
    private var pointers: [UnsafeRawPointer?] = []
    private var counts: [Int] = []
    private var last = -1

    @inline(__always)
    mutating func count(_ dataset: Bytes) {
        if last >= 0, pointers[last] == dataset.baseAddress, names[last].count == dataset.count {
            counts[last] += 1
            return
        }
        for i in names.indices where names[i].count == dataset.count && names[i].elementsEqual(dataset) {
            pointers[i] = dataset.baseAddress
            counts[i] += 1
            last = i
            return
        }
        names.append(Array(dataset))
        pointers.append(dataset.baseAddress)
        counts.append(1)
        last = names.count - 1
    }

    mutating func flush(into totals: inout [String: Int]) {
        for i in names.indices { totals[String(decoding: names[i], as: UTF8.self), default: 0] += counts[i] }
        names.removeAll(keepingCapacity: true)
        pointers.removeAll(keepingCapacity: true)
        counts.removeAll(keepingCapacity: true)
        last = -1
    }
}
