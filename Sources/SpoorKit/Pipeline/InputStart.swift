import Foundation
import Synchronization

/// When an input's events begin: its first records, parsed as the job parses them.
///
/// A file's modification time marks its end, and not even that once it was copied or
/// exported: a week's log sorts after the daily logs of that week, a sign-in export after
/// everything. The behaviour rules' merge (`InputFeed`) needs the logs of one period side by
/// side, so a job with behaviour rules orders its inputs by when their events begin. The
/// peek reads the first `peekBytes` decoded bytes of the first member (where a resumed
/// stream resumes), frames and parses them without enrichers, and keeps the earliest time.
/// Inputs that cannot be read twice (stdin) are never peeked at: the job keeps their order.
enum InputStart {
    static let peekBytes = 16 * 1024

    /// Whether `input` can be read twice: a regular file (not stdin, a pipe, or whatever a
    /// source plugin streams). A job peeks only when every input can.
    static func canPeek(_ input: InputDescriptor) -> Bool {
        var info = stat()
        return input.path != "-" && stat(input.path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// The earliest event time in the first records of each input (nil: none could be
    /// read), peeked side by side on `threads` threads.
    static func earliest(of inputs: [InputDescriptor], plan: JobPlan, threads: Int) -> [Int64?] {
        let found = UnsafeMutableBufferPointer<Int64?>.allocate(capacity: inputs.count)
        found.initialize(repeating: nil)
        defer { found.deallocate() }
        nonisolated(unsafe) let results = found
        let next = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, inputs.count))) { _ in
            let worker = ChunkWorker(framers: plan.framers, formats: plan.formatParsers, enrichers: [], sink: DiscardingSink(),
                                     keepOriginal: false, context: ParseContext(zone: plan.zone, router: ProgramRouter(parsers: plan.parsers)))
            while true {
                let i = next.withLock { n in defer { n += 1 }; return n }
                guard i < inputs.count else { return }
                results[i] = earliest(of: inputs[i], plan: plan, worker: worker)
            }
        }
        return Array(found)
    }

    private static func earliest(of descriptor: InputDescriptor, plan: JobPlan, worker: ChunkWorker<DiscardingSink>) -> Int64? {
        var first: Chunk?
        let chunker = StreamChunker(chunkBytes: peekBytes, maxRecordBytes: plan.maxRecordBytes, buffersKept: 1)
        // Stopped after the first member: an archive is not decompressed through to its end.
        struct Peeked: Error {}
        try? plan.source.open(descriptor) { stream in
            _ = chunker.run(stream, makeInput: { head in Pipeline.makeInput(descriptor, stream, head: head, plan: plan) },
                            framer: { plan.framer(for: $0.format).framer }, emit: { chunk in first = chunk; return false })
            throw Peeked()
        }
        guard let first else { return nil }
        _ = worker.process(first)
        return worker.builder.batch.events.lazy.map(\.timestamp).min()
    }
}

/// A sink that keeps nothing (the peek only reads the batch).
final class DiscardingSink: Sink {
    static let manifest = PluginManifest(id: "discard", kind: .sink, version: "1.0.0", summary: "keeps nothing")
    init() {}
    init(config: PluginConfig, job: JobContext) throws {}
    func encode(_ batch: EventBatch, input: InputFile) {}
    func write(_ payload: Void) throws {}
    func finish() throws -> [OutputFile] { [] }
}
