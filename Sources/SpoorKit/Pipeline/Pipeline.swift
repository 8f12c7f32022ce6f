#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Everything a job runs, resolved and validated before the first byte is read.
public struct JobPlan: Sendable {
    public var source: any Source
    /// Framers by id; each stream uses the one its format names (`lines` when absent).
    public var framers: [String: any Framer]
    /// Every parser with its id: format parsers (chosen per input) and program parsers.
    public var parsers: [(id: String, parser: any Parser)]
    public var enrichers: [any Enricher] = []
    public var workers: Int
    public var zone: TimeZone
    /// Pins the year of year-less timestamps; nil infers it from each input's mtime.
    public var pinnedYear: Int?
    public var chunkBytes = 1 << 20
    public var maxRecordBytes = 1 << 20
    /// The record format of every input; nil picks one per stream by sniffing its first
    /// bytes (the format parser most sure of it wins; syslog when none is).
    public var format: String?
    /// Formats forced by glob on the input's path or member path (job file `formats:`).
    public var formatsByGlob: [(glob: String, format: String)] = []
    /// Whether events carry `event.original` (the record as read).
    public var keepOriginal = true
    /// Whether some parser needs each stream's records in order on one instance.
    var needsStreamOrder: Bool {
        parsers.contains { $0.parser is StreamOrdered || ($0.parser as? LoadedParser)?.ordered == true }
    }
    /// What earlier jobs read: streams found in it are read from where they stopped.
    public var state = IngestState()
    /// Whether Postfix lines are put together by queue id into one `email` event per message.
    public var correlateMail = false
    /// Whether the job keeps the campaign tally (`spoor report`): with attribution rules.
    public var keepCampaign = false
    /// Behaviour rules: workers take signals from each chunk, the sink thread correlates them
    /// into findings (written to `findings` when set).
    public var behaviour: (any BehaviourRules)?

    /// The parser of each record format (the first registered for a name wins).
    public var formatParsers: [String: any Parser] {
        var formats: [String: any Parser] = [:]
        for (_, parser) in parsers {
            for case .format(let name) in parser.routes where formats[name] == nil { formats[name] = parser }
        }
        return formats
    }

    /// The format of one stream: forced by the job, else by glob, else sniffed.
    func chooseFormat(path: String, member: String?, head: Bytes) -> String {
        if let format { return format }
        for (glob, format) in formatsByGlob {
            if fnmatch(glob, path, 0) == 0 || member.map({ fnmatch(glob, $0, 0) == 0 }) == true { return format }
        }
        var best = (name: "syslog", score: 0)
        for (name, parser) in formatParsers.sorted(by: { $0.key < $1.key }) {
            let score = parser.sniff(head)
            if score > best.score || (score == best.score && name == "syslog") { best = (name, score) }
        }
        return best.name
    }

    /// The framer for records of `format`.
    func framer(for format: String) -> (id: String, framer: any Framer) {
        let id = formatParsers[format]?.framer ?? "lines"
        if let f = framers[id] { return (id, f) }
        return ("lines", framers["lines"] ?? framers.values.first!)
    }

    public init(source: any Source, framers: [String: any Framer], parsers: [(id: String, parser: any Parser)],
                workers: Int, zone: TimeZone, pinnedYear: Int? = nil) {
        precondition(!framers.isEmpty, "a job needs at least one framer")
        self.source = source
        self.framers = framers
        self.parsers = parsers
        self.workers = max(1, workers)
        self.zone = zone
        self.pinnedYear = pinnedYear
    }

    /// A job whose records are all framed by `framer`.
    public init(source: any Source, framer: any Framer, parsers: [(id: String, parser: any Parser)],
                workers: Int, zone: TimeZone, pinnedYear: Int? = nil) {
        self.init(source: source, framers: [type(of: framer).manifest.id: framer], parsers: parsers, workers: workers,
                  zone: zone, pinnedYear: pinnedYear)
    }
}

/// What progress reporting sees, twice a second.
public struct ProgressSnapshot: Sendable {
    public var inputsDone = 0
    public var inputsTotal = 0
    public var bytesRead: Int64 = 0
    public var bytesTotal: Int64 = 0
    public var records = 0
    public var events = 0
    public var seconds = 0.0
}

/// One decoded stream of the job, as the manifest records it.
public struct MemberRecord: Sendable, Codable {
    public var path: String
    public var member: String?
    public var encoding: String
    public var format: String
    public var fingerprint: String
    public var error: String?
    /// Decoded bytes and lines read up to (from the stream's start), and where this job began.
    public var offset: Int64 = 0
    public var lines: Int64 = 0
    public var resumedAt: Int64 = 0
    public var headLength: Int = 0
    public var headHash: String = ""

    /// The stream as the ingest state records it.
    public var streamState: StreamState {
        StreamState(headLength: headLength, headHash: headHash, member: member, fingerprint: fingerprint,
                    offset: offset, lines: lines, path: path)
    }
}

public struct JobResult: Sendable {
    public var summary: JobSummary
    /// Probes, attacks and compromises of this job's events, per actor.
    public var campaign = CampaignTally()
    public var inputs: [InputDescriptor]
    public var members: [MemberRecord]
    public var files: [OutputFile]
    /// Findings the behaviour rules made (also written to the findings output, when given).
    public var findings = 0
    /// The most windows the correlator held open at once.
    public var peakOpenWindows = 0
    /// Behaviour rules that could not work on this job's input (`Correlator.keylessRules`).
    public var keylessRules: [KeylessRule] = []
}

/// A sink failure that stopped the job (disk full, unwritable output).
public struct JobError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// Runs a job: reader threads decode inputs into chunks, worker threads parse and encode
/// chunks, one sink thread writes. Bounded queues between them hold at most two chunks per
/// worker, so memory does not depend on the input's size and a slow sink slows the readers.
public enum Pipeline {
    /// How many inputs the behaviour rules' feed merges by time (a constant: were it the
    /// number of workers, findings would depend on it).
    static let mergedInputs = 4

    public static func run<S: Sink>(_ plan: JobPlan, sink: S, findings findingsOutput: (any FindingsOutput)? = nil,
                                    progress: (@Sendable (ProgressSnapshot) -> Void)? = nil) throws -> JobResult {
        let started = ContinuousClock.now
        // Oldest first (by modification time), so that the logs of one period are read side
        // by side and their events meet in the behaviour rules' windows: read largest first,
        // a later log could move a key's clock past an earlier one's windows (see
        // `WindowCorrelator`). Logs of one time, largest first, to balance the readers.
        let byTime = try plan.source.inputs().sorted { ($0.modified, $1.size) < ($1.modified, $0.size) }
        // With behaviour rules, by when their events begin (`InputStart`); those with no
        // event in their first records go after the others. A job with an input that cannot
        // be read twice (stdin) keeps the order above.
        let inputs: [InputDescriptor]
        if plan.behaviour != nil && byTime.count > 1 && byTime.allSatisfy(InputStart.canPeek) {
            let starts = InputStart.earliest(of: byTime, plan: plan, threads: plan.workers)
            inputs = byTime.indices.sorted { (starts[$0] ?? .max, $0) < (starts[$1] ?? .max, $1) }.map { byTime[$0] }
        } else {
            inputs = byTime
        }
        let router = ProgramRouter(parsers: plan.parsers)
        let formats = plan.formatParsers
        let state = SharedState(inputsTotal: inputs.count, bytesTotal: inputs.reduce(0) { $0 + $1.size })
        let chunks = BoundedQueue<Chunk>(capacity: 2 * plan.workers)
        let payloads = BoundedQueue<SinkItem<S.Payload>>(capacity: 2 * plan.workers)
        // Behaviour rules see the chunks of inputs read side by side merged by time, in the
        // same order whichever worker finished first (`InputFeed`); every input of the merge
        // needs its reader.
        // Its limit is above the chunks that can be in flight (two queues of 2 × workers and
        // one per worker), so that one file's reader never waits for a slow chunk.
        let feed = plan.behaviour == nil ? nil
            : InputFeed<any Sendable>(inputs: inputs.count, width: Self.mergedInputs, limit: 5 * plan.workers + 16) {
                ($0 as? TimedSignals)?.earliest
            }
        let readers = max(1, min(inputs.count, feed == nil ? plan.workers : max(plan.workers, Self.mergedInputs)))
        let readersDone = DispatchGroup(), workersDone = DispatchGroup(), sinkDone = DispatchGroup()
        let chunker = StreamChunker(chunkBytes: plan.chunkBytes, maxRecordBytes: plan.maxRecordBytes,
                                    buffersKept: 4 * plan.workers + 2)

        for _ in 0..<readers {
            readersDone.enter()
            Thread.detachNewThread {
                defer { readersDone.leave() }
                while let index = state.nextInput(), !state.aborted {
                    var made = 0
                    read(inputs[index], plan: plan, chunker: chunker, state: state) { chunk in
                        feed?.awaitTurn(input: index)
                        chunk.place = (index, made)
                        made += 1
                        return chunks.push(chunk)
                    }
                    if feed != nil { payloads.push(.inputEnd(input: index, chunks: made)) }
                    state.inputDone()
                }
            }
        }
        let workerTallies = Mutex<CampaignTally>(CampaignTally())
        for _ in 0..<plan.workers {
            workersDone.enter()
            let context = ParseContext(zone: plan.zone, router: router)
            context.takesSignals = plan.behaviour != nil
            nonisolated(unsafe) let worker = ChunkWorker(framers: plan.framers, formats: formats, enrichers: plan.enrichers,
                                                         sink: sink, keepOriginal: plan.keepOriginal,
                                                         context: context)
            worker.keepCampaign = plan.keepCampaign
            worker.orderedStreams = plan.needsStreamOrder
            Thread.detachNewThread {
                defer { workersDone.leave() }
                defer { let t = worker.campaign; workerTallies.withLock { $0.merge(t) } }
                while let chunk = chunks.pop() {
                    let (payload, counts) = worker.process(chunk)
                    var item = Processed(payload: payload, counts: counts, consumed: chunk.consumed, place: chunk.place)
                    if plan.correlateMail { item.facts = MessageCorrelator.facts(worker.builder.batch, path: chunk.input.path) }
                    if let behaviour = plan.behaviour { item.signals = behaviour.signals(of: worker.builder.batch, context: worker.context) }
                    payloads.push(.chunk(item))
                }
            }
        }
        sinkDone.enter()
        let correlateMail = plan.correlateMail
        let behaviourStats = Mutex<(findings: Int, peak: Int, keyless: [KeylessRule])>((0, 0, []))
        // What the campaign report keeps of the findings (per rule and group key).
        let findingGroups = Mutex<CampaignTally>(CampaignTally())
        Thread.detachNewThread {
            defer { sinkDone.leave() }
            let correlator = MessageCorrelator()
            let derived = EventBuilder()
            let derivedInput = InputFile(path: "postfix queue-id correlation", memberPath: nil, encoding: "derived",
                                         years: YearResolver(pinnedYear: 1970), fingerprint: (0, 0), format: "derived")
            // Messages the correlator completed become events, encoded and written here.
            func emit(_ messages: [MessageCorrelator.Message]) throws {
                guard !messages.isEmpty else { return }
                MessageCorrelator.events(messages, builder: derived)
                try sink.write(sink.encode(derived.batch, input: derivedInput))
                state.derived(derived.batch.events.count)
            }
            // Behaviour rules: one correlator sees every chunk's signals in the order of
            // `feed`, so that a job makes the same findings with any number of workers.
            let behaviour = plan.behaviour?.makeCorrelator()
            var findingCount = 0
            var groups = CampaignTally()
            func record(_ found: [Finding]) throws {
                guard !found.isEmpty else { return }
                findingCount += found.count
                if plan.keepCampaign { groups.add(found) }
                try findingsOutput?.write(found)
            }
            while let next = payloads.pop() {
                if state.aborted { continue }
                do {
                    switch next {
                    case .inputEnd(let input, let count):
                        if let behaviour, let feed { for signals in feed.end(input: input, chunks: count) { try record(behaviour.add(signals)) } }
                    case .chunk(let item):
                        try sink.write(item.payload)
                        state.add(item.counts, consumed: item.consumed)
                        if correlateMail { try emit(correlator.add(item.facts)) }
                        if let behaviour, let feed {
                            for signals in feed.add(item.signals, input: item.place.input, ordinal: item.place.ordinal) {
                                try record(behaviour.add(signals))
                            }
                        }
                    }
                } catch {
                    state.abort("\(error)")
                    feed?.stop()
                    chunks.close()
                }
            }
            // Readers waiting for their turn are released whatever happened.
            feed?.stop()
            if correlateMail && !state.aborted {
                do { try emit(correlator.flush()) } catch { state.abort("\(error)") }
            }
            if let behaviour, !state.aborted {
                do {
                    for signals in feed?.rest() ?? [] { try record(behaviour.add(signals)) }
                    try record(behaviour.finish())
                } catch { state.abort("\(error)") }
            }
            behaviourStats.withLock { $0 = (findingCount, behaviour?.peakOpenWindows ?? 0, behaviour?.keylessRules ?? []) }
            findingGroups.withLock { $0 = groups }
        }

        func tick() { progress?(state.snapshot(seconds: (ContinuousClock.now - started).seconds)) }
        while readersDone.wait(timeout: .now() + 0.5) == .timedOut { tick() }
        chunks.close()
        while workersDone.wait(timeout: .now() + 0.5) == .timedOut { tick() }
        payloads.close()
        while sinkDone.wait(timeout: .now() + 0.5) == .timedOut { tick() }
        tick()

        if let failure = state.failure { throw JobError(description: failure) }
        let files = try sink.finish() + (findingsOutput?.finish() ?? [])
        var summary = state.summary
        summary.inputs = inputs.count
        summary.bytesRead = inputs.reduce(0) { $0 + $1.size }
        summary.eventsWritten = files.filter { $0.kind == "events" }.reduce(0) { $0 + $1.rows }
        summary.seconds = (ContinuousClock.now - started).seconds
        var result = JobResult(summary: summary, inputs: inputs, members: state.members, files: files)
        result.campaign = workerTallies.withLock { $0 }
        result.campaign.merge(findingGroups.withLock { $0 })
        (result.findings, result.peakOpenWindows, result.keylessRules) = behaviourStats.withLock { $0 }
        return result
    }

    /// Reads one input on a reader thread: every member through the chunker into the queue.
    private static func read(_ descriptor: InputDescriptor, plan: JobPlan, chunker: StreamChunker,
                             state: SharedState, emit: (Chunk) -> Bool) {
        var opened = false
        do {
            try plan.source.open(descriptor) { stream in
                opened = true
                let (input, error, end) = chunker.run(stream, makeInput: { head in
                    makeInput(descriptor, stream, head: head, plan: plan)
                }, framer: { plan.framer(for: $0.format).framer }, emit: emit)
                if let input {
                    state.member(MemberRecord(path: descriptor.path, member: input.memberPath, encoding: input.encoding,
                                              format: input.format, fingerprint: Hash.hex(input.fingerprint),
                                              error: error?.message, offset: end.offset, lines: end.lines - 1,
                                              resumedAt: input.resumeOffset, headLength: input.headLength,
                                              headHash: Hash.hex(input.headHash)))
                }
            }
        } catch {
            // The input (or a member) could not be opened at all: one dead letter says so.
            let input = InputFile(path: descriptor.path, memberPath: nil, encoding: "unreadable",
                                  years: YearResolver(pinnedYear: 1970), fingerprint: (0, 0), format: "none")
            let letter = DeadLetter(reason: "cannot read \(descriptor.path): \(error)", offset: 0, line: 0, raw: [])
            _ = emit(Chunk(input: input, storage: .allocate(byteCount: 1, alignment: 16), count: 0, startOffset: 0,
                              startLine: 0, deadLetters: [letter], consumed: opened ? 0 : descriptor.size))
            state.member(MemberRecord(path: descriptor.path, member: nil, encoding: "unreadable", format: "none",
                                      fingerprint: "", error: "\(error)"))
        }
    }

    /// Names a decoded stream: fingerprint from its first bytes, year reference, format.
    static func makeInput(_ descriptor: InputDescriptor, _ stream: any DecodedStream, head: Bytes, plan: JobPlan) -> InputFile {
        let member = stream.memberPath ?? ""
        let seed = withBytes(of: member) { Hash.fnv1a($0) }
        // A stream an earlier job read keeps its fingerprint (stable event ids) and resumes.
        let earlier = plan.state.match(head: head, member: stream.memberPath)
        let fingerprint = earlier.flatMap { Hash.pair($0.fingerprint) }
            ?? (Hash.mix(Hash.fnv1a(head, seed: seed)), Hash.mix(Hash.fnv1a(head, seed: ~seed) ^ UInt64(head.count)))
        let years: YearResolver
        if let pinned = plan.pinnedYear {
            years = YearResolver(pinnedYear: pinned)
        } else {
            let (y, m, d) = ZoneClock(zone: plan.zone).localDate(utcSeconds: stream.referenceTime)
            years = YearResolver(referenceYear: y, month: m, day: d)
        }
        let format = plan.chooseFormat(path: descriptor.path, member: stream.memberPath, head: head)
        return InputFile(path: descriptor.path, memberPath: stream.memberPath, encoding: stream.encoding, years: years,
                         fingerprint: fingerprint, format: format, framer: plan.framer(for: format).id,
                         resumeOffset: earlier?.offset ?? 0, resumeLines: earlier?.lines ?? 0,
                         headLength: head.count, headHash: Hash.fnv1a(head))
    }
}

struct Processed<Payload: Sendable>: Sendable {
    let payload: Payload
    let counts: WorkerCounts
    let consumed: Int64
    /// The chunk's input and its place there (see `Chunk.place`).
    let place: (input: Int, ordinal: Int)
    var facts: [MessageFact] = []
    var signals: (any Sendable)?
}

/// What the sink thread takes: a processed chunk, or the end of an input (after how many
/// chunks), which only the behaviour rules' order needs.
enum SinkItem<Payload: Sendable>: Sendable {
    case chunk(Processed<Payload>)
    case inputEnd(input: Int, chunks: Int)
}

/// Counters and bookkeeping shared by the threads of one job.
final class SharedState: Sendable {
    private struct State {
        var next = 0
        var inputsDone = 0
        var summary = JobSummary()
        var members: [MemberRecord] = []
        var bytesRead: Int64 = 0
        var failure: String?
    }

    private let state = Mutex(State())
    let inputsTotal: Int
    let bytesTotal: Int64

    init(inputsTotal: Int, bytesTotal: Int64) {
        self.inputsTotal = inputsTotal
        self.bytesTotal = bytesTotal
    }

    func nextInput() -> Int? {
        state.withLock { s in
            guard s.next < inputsTotal else { return nil }
            defer { s.next += 1 }
            return s.next
        }
    }

    func inputDone() { state.withLock { $0.inputsDone += 1 } }

    func member(_ record: MemberRecord) {
        state.withLock { s in
            s.members.append(record)
            s.summary.members += 1
            s.summary.membersByFormat[record.format, default: 0] += 1
            s.summary.membersByEncoding[record.encoding, default: 0] += 1
            if record.error != nil { s.summary.sourceErrors += 1 }
        }
    }

    func add(_ counts: WorkerCounts, consumed: Int64) {
        state.withLock { s in
            s.summary.add(counts)
            s.bytesRead += consumed
        }
    }

    func derived(_ n: Int) { state.withLock { $0.summary.derivedEvents += n } }

    func abort(_ message: String) { state.withLock { if $0.failure == nil { $0.failure = message } } }
    var aborted: Bool { state.withLock { $0.failure != nil } }
    var failure: String? { state.withLock { $0.failure } }
    var summary: JobSummary { state.withLock { $0.summary } }
    var members: [MemberRecord] { state.withLock { $0.members } }

    func snapshot(seconds: Double) -> ProgressSnapshot {
        state.withLock { s in
            ProgressSnapshot(inputsDone: s.inputsDone, inputsTotal: inputsTotal, bytesRead: s.bytesRead,
                             bytesTotal: bytesTotal, records: s.summary.recordsIn, events: s.summary.eventsOut,
                             seconds: seconds)
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
