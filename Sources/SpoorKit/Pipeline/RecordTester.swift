import Foundation

/// Runs records through the same framer → parser → provenance path as a job, without
/// threads or files: what `spoor parse` and tests use, so they see exactly what ingest does.
public final class RecordTester {
    public struct Outcome {
        /// One JSON object per event or dead letter, in order of the records.
        public var events: [String]
        public var deadLetters: [String]
        public var filtered: Int
        /// The router's and parsers' steps, when explaining.
        public var trace: [String]
        /// What the plan's behaviour rules took from these records (for rule tests).
        public var signals: (any Sendable)?
    }

    private let worker: ChunkWorker<CollectingSink>
    /// The plan the records run under.
    public let plan: JobPlan

    public init(plan: JobPlan, explain: Bool = false) {
        self.plan = plan
        let router = ProgramRouter(parsers: plan.parsers)
        let context = ParseContext(zone: plan.zone, router: router, explain: explain)
        context.takesSignals = plan.behaviour != nil
        worker = ChunkWorker(framers: plan.framers, formats: plan.formatParsers, enrichers: plan.enrichers, sink: CollectingSink(),
                             keepOriginal: plan.keepOriginal, context: context)
    }

    /// Parses `text` (one or more records) as if read from a file named `path` whose
    /// modification time is `reference` (s since the epoch).
    public func run(_ text: [UInt8], path: String = "-", reference: Int64 = Int64(Date().timeIntervalSince1970)) -> Outcome {
        let years: YearResolver
        if let pinned = plan.pinnedYear {
            years = YearResolver(pinnedYear: pinned)
        } else {
            let (y, m, d) = ZoneClock(zone: plan.zone).localDate(utcSeconds: reference)
            years = YearResolver(referenceYear: y, month: m, day: d)
        }
        let format = text.withUnsafeBytes { plan.chooseFormat(path: path, member: nil, head: Bytes(rebasing: $0.prefix(4096))) }
        let input = InputFile(path: path, memberPath: nil, encoding: "plain", years: years,
                              fingerprint: text.withUnsafeBytes { (Hash.fnv1a($0), Hash.fnv1a($0, seed: 7)) },
                              format: format, framer: plan.framer(for: format).id)
        // As the chunker does: an envelope before the first record is stepped over.
        let skip = text.withUnsafeBytes { plan.framer(for: format).framer.streamStart(Bytes(rebasing: $0.prefix(4096))) }
        let body = text.dropFirst(min(skip, text.count))
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, body.count), alignment: 16)
        body.withUnsafeBytes { storage.copyMemory(from: $0) }
        worker.context.trace = worker.context.trace.map { _ in [] }
        let chunk = Chunk(input: input, storage: storage, count: body.count, startOffset: Int64(skip), startLine: 1,
                          deadLetters: [], consumed: 0)
        let (payload, counts) = worker.process(chunk)
        return Outcome(events: payload.events, deadLetters: payload.deadLetters, filtered: counts.filtered,
                       trace: worker.context.trace ?? [],
                       signals: plan.behaviour.map { $0.signals(of: worker.builder.batch, context: worker.context) })
    }
}

/// Keeps encoded JSON in memory (for `RecordTester`).
final class CollectingSink: Sink {
    struct Payload: Sendable {
        var events: [String]
        var deadLetters: [String]
    }

    static let manifest = PluginManifest(id: "collect", kind: .sink, version: "1.0.0", summary: "in memory")
    private let job = JobContext(jobID: "test", outputDirectory: nil, startedAt: 0)

    init() {}
    init(config: PluginConfig, job: JobContext) throws {}

    func encode(_ batch: EventBatch, input: InputFile) -> Payload {
        var events: [String] = []
        batch.withReader { reader in
            for event in reader.events {
                var out = ByteBuffer()
                JSONWriter.appendEvent(event, reader, to: &out)
                events.append(String(decoding: out.bytes.dropLast(), as: UTF8.self))
            }
        }
        let dead = batch.deadLetters.map { letter -> String in
            var out = ByteBuffer()
            JSONWriter.appendDeadLetter(letter, input: input, job: job, to: &out)
            return String(decoding: out.bytes.dropLast(), as: UTF8.self)
        }
        return Payload(events: events, deadLetters: dead)
    }

    func write(_ payload: Payload) throws {}
    func finish() throws -> [OutputFile] { [] }
}
