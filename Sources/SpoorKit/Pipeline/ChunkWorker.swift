#if canImport(Glibc)
import Glibc
#endif

/// Turns chunks into sink payloads: frame, parse, enrich, add provenance, encode.
/// One per worker thread; owns its builder and parse context.
final class ChunkWorker<S: Sink> {
    let framer: any Framer
    let formats: [String: any Parser]
    let enrichers: [any Enricher]
    let sink: S
    let keepOriginal: Bool
    let builder = EventBuilder()
    let context: ParseContext
    private var idBuffer = [UInt8](repeating: 0, count: 32)
    private var tally = DatasetTally()

    init(framer: any Framer, formats: [String: any Parser], enrichers: [any Enricher], sink: S,
         keepOriginal: Bool, context: ParseContext) {
        self.framer = framer
        self.formats = formats
        self.enrichers = enrichers
        self.sink = sink
        self.keepOriginal = keepOriginal
        self.context = context
    }

    func process(_ chunk: Chunk) -> (S.Payload, WorkerCounts) {
        builder.reset()
        var counts = WorkerCounts()
        // Records the reader could not frame are records in too.
        counts.recordsIn = chunk.deadLetters.count
        counts.bytes = Int64(chunk.count) + chunk.deadLetters.reduce(0) { $0 + Int64($1.rawLength) }
        for letter in chunk.deadLetters { builder.addDeadLetter(letter) }
        let input = chunk.input
        let parser = formats[input.format]
        var line = chunk.startLine
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
            let result: ParseResult
            do throws(ParseFailure) {
                result = try parser.parse(ParserInput(message: record, record: record, program: Bytes(start: nil, count: 0),
                                                      input: input, context: context), into: builder)
            } catch {
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
                for enricher in enrichers { enricher.enrich(builder, context: context) }
                addProvenance(record: record, offset: absolute, line: line, input: input)
                if builder.commit() {
                    tally.count(builder.lastDataset)
                } else {
                    builder.addDeadLetter(DeadLetter(reason: "parser '\(input.format)' produced no @timestamp or event.dataset",
                                                     offset: absolute, line: line, raw: Array(record)))
                }
            }
        }
        tally.flush(into: &counts.byDataset)
        counts.eventsOut = builder.batch.events.count
        counts.deadLetters = builder.batch.deadLetters.count
        counts.filtered = builder.batch.filtered
        return (sink.encode(builder.batch, input: input), counts)
    }

    @inline(__always)
    private func addProvenance(record: Bytes, offset: Int64, line: Int64, input: InputFile) {
        let o = UInt64(bitPattern: offset)
        let a = Hash.mix(input.fingerprint.0 ^ Hash.mix(o))
        let b = Hash.mix(input.fingerprint.1 ^ Hash.mix(o ^ 0x5bd1_e995))
        idBuffer.withUnsafeMutableBytes { out in
            for i in 0..<16 {
                out[i] = hexDigit(UInt8(truncatingIfNeeded: a >> (60 - 4 * UInt64(i))) & 15)
                out[16 + i] = hexDigit(UInt8(truncatingIfNeeded: b >> (60 - 4 * UInt64(i))) & 15)
            }
            builder.set(.eventID, Bytes(out))
        }
        builder.set(.logFilePath, stable: input.pathBytes)
        if let member = input.memberBytes { builder.set(.logFileMember, stable: member) }
        builder.set(.logOffset, int: offset)
        builder.set(.logFileLine, int: line)
        if keepOriginal { builder.set(.eventOriginal, record) }
    }

}

@inline(__always)
func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x61 + v - 10 }

/// Events per dataset, counted in runs: a dataset is almost always a constant, so the same
/// pointer means the same name and no `String` is made per event.
struct DatasetTally {
    private var pointer: UnsafeRawPointer?
    private var name: [UInt8] = []
    private var run = 0

    mutating func count(_ dataset: Bytes) {
        if let p = dataset.baseAddress, p == pointer, dataset.count == name.count { run += 1; return }
        if dataset.count == name.count, dataset.elementsEqual(name) {
            pointer = dataset.baseAddress
            run += 1
            return
        }
        var pending: [String: Int] = [:]
        flush(into: &pending)
        carried.merge(pending, uniquingKeysWith: +)
        pointer = dataset.baseAddress
        name = Array(dataset)
        run = 1
    }

    private var carried: [String: Int] = [:]

    mutating func flush(into counts: inout [String: Int]) {
        if run > 0 { counts[String(decoding: name, as: UTF8.self), default: 0] += run }
        counts.merge(carried, uniquingKeysWith: +)
        carried = [:]
        run = 0
        pointer = nil
        name = []
    }
}
