import SpoorKit
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Writes the dataset as NDJSON, each file one LZ4 frame, Hive-partitioned (by default
/// `events/event.dataset=<d>/date=<YYYY-MM-DD>/part-<job>-<n>.ndjson.lz4`, see `Partitioning`) and
/// `dead_letter/date=<job date>/part-<job>-<n>.ndjson.lz4`.
public final class NDJSONDatasetSink: Sink {
    public static let manifest = PluginManifest(
        id: "ndjson", kind: .sink, version: "1.0.0",
        summary: "Hive-partitioned NDJSON dataset, LZ4-compressed (lz4 -d reads it)",
        options: [
            OptionSpec("max_file_bytes", .int, default: .int(256 << 20), "Start a new part file past this many compressed bytes."),
            OptionSpec("max_open_files", .int, default: .int(128), "Partitions written at once; the least recently used is closed beyond."),
        ])

    public struct Payload: Sendable {
        /// Per partition: its directory below `events/`, its rows and their LZ4 blocks.
        var partitions: [(directory: String, rows: Int, blocks: [UInt8])]
        var deadLetters: (rows: Int, blocks: [UInt8])?
    }

    private let job: JobContext
    private let root: String
    private let maxFileBytes: Int
    private let maxOpenFiles: Int
    private let writer: Mutex<WriterState>
    private let scratchPool = ScratchPool()

    private struct WriterState: ~Copyable {
        var open: [String: PartitionFile] = [:]
        var lastUse: [String: Int] = [:]
        var tick = 0
        var sequence = 0
        var done: [OutputFile] = []
    }

    public init(config: PluginConfig, job: JobContext) throws {
        guard let root = job.outputDirectory else {
            throw ConfigError(origin: "--out", message: "the ndjson sink needs an output directory")
        }
        self.job = job
        self.root = root
        maxFileBytes = config.int("max_file_bytes") ?? 256 << 20
        maxOpenFiles = max(1, config.int("max_open_files") ?? 128)
        writer = Mutex(WriterState())
        try makeDirectories(root)
    }

    public func encode(_ batch: EventBatch, input: InputFile) -> Payload {
        let scratch = scratchPool.take()
        defer { scratchPool.give(scratch) }
        var groups: [Group] = []
        // The groups again, unretained (`groups` keeps them): taking one from `groups` per
        // event retained and released it.
        var borrowed: [Unmanaged<Group>] = []
        var partitions = PartitionIndex(job.partitioning)
        batch.withReader { reader in
            for event in reader.events {
                let g = partitions.index(of: event, reader)
                if g == groups.count {
                    groups.append(scratch.group(signature: partitions.signatures[g]))
                    borrowed.append(Unmanaged.passUnretained(groups[g]))
                }
                borrowed[g]._withUnsafeGuaranteedRef { group in
                    group.rows += 1
                    JSONWriter.appendEvent(event, reader, to: &group.json)
                    if group.json.count >= LZ4BlockEncoder.blockSize { group.compressBlocks(stream: scratch.stream) }
                }
            }
        }
        var payload = Payload(partitions: groups.map {
            (job.partitioning.directory(of: $0.signature), $0.rows, $0.finishBlocks(stream: scratch.stream))
        })
        payload.deadLetters = scratch.deadLetterBlocks(batch, input: input, job: job)
        return payload
    }

    public func write(_ payload: Payload) throws {
        try writer.withLock { state in
            for p in payload.partitions {
                try append(p.blocks, rows: p.rows, directory: root + "/events/" + p.directory, kind: "events", state: &state)
            }
            if let dead = payload.deadLetters {
                var date: [UInt8] = []
                CivilTime.appendDate(days: CivilTime.day(ofMicros: job.startedAt), to: &date)
                try append(dead.blocks, rows: dead.rows, directory: root + "/dead_letter/date=" + String(decoding: date, as: UTF8.self),
                           kind: "dead_letter", state: &state)
            }
        }
    }

    public func finish() throws -> [OutputFile] {
        try writer.withLock { state in
            for key in state.open.keys.sorted() { state.done.append(try state.open[key]!.close()) }
            state.open.removeAll()
            try syncFileSystem(of: root)
            // Paths relative to the dataset root: the job's commit moves them into place.
            return state.done.map { OutputFile(path: String($0.path.dropFirst(root.count + 1)), rows: $0.rows, bytes: $0.bytes, kind: $0.kind) }
        }
    }

    private func append(_ blocks: [UInt8], rows: Int, directory: String, kind: String, state: inout WriterState) throws {
        state.tick += 1
        if let file = state.open[directory], file.bytes + blocks.count > maxFileBytes, file.rows > 0 {
            state.done.append(try file.close())
            state.open[directory] = nil
        }
        if state.open[directory] == nil {
            if state.open.count >= maxOpenFiles, let oldest = state.lastUse.min(by: { $0.value < $1.value })?.key {
                state.done.append(try state.open[oldest]!.close())
                state.open[oldest] = nil
                state.lastUse[oldest] = nil
            }
            state.sequence += 1
            state.open[directory] = try PartitionFile(directory: directory, name: "part-\(job.jobID)-\(state.sequence).ndjson.lz4",
                                                      kind: kind)
        }
        state.lastUse[directory] = state.tick
        try state.open[directory]!.append(blocks: blocks, rows: rows)
    }
}

/// The events of one partition within one batch: their JSON, compressed a block at a time.
final class Group {
    /// The partition (`Partitioning.signature`).
    var signature: [UInt8] = []
    var rows = 0
    /// JSON not compressed yet: less than a block, and the event that filled it.
    var json = ByteBuffer(capacity: LZ4BlockEncoder.blockSize * 2)
    private var encoder = LZ4BlockEncoder()

    func reset(signature: [UInt8]) {
        self.signature = signature
        rows = 0
        json.removeAll()
        encoder.reset()
    }

    /// Compresses the whole blocks of JSON written so far and keeps the rest.
    func compressBlocks(stream: LZ4Stream) {
        let whole = json.count - json.count % LZ4BlockEncoder.blockSize
        encoder.append(Bytes(start: json.start, count: whole), stream: stream)
        json.removeFirst(whole)
    }

    func finishBlocks(stream: LZ4Stream) -> [UInt8] {
        encoder.append(json.bytes, stream: stream)
        json.removeAll()
        return encoder.finish()
    }
}

/// One worker's reusable encoding memory: partition buffers and the compressor's state.
final class EncoderScratch {
    private var groups: [Group] = []
    private var used = 0
    let stream = LZ4Stream()

    /// A cleared partition buffer for a partition.
    func group(signature: [UInt8]) -> Group {
        if used == groups.count { groups.append(Group()) }
        let g = groups[used]
        used += 1
        g.reset(signature: signature)
        return g
    }

    /// The batch's dead letters as NDJSON in LZ4 blocks: how both dataset sinks write them.
    func deadLetterBlocks(_ batch: EventBatch, input: InputFile, job: JobContext) -> (rows: Int, blocks: [UInt8])? {
        guard !batch.deadLetters.isEmpty else { return nil }
        let dead = group(signature: [])
        for letter in batch.deadLetters { JSONWriter.appendDeadLetter(letter, input: input, job: job, to: &dead.json) }
        return (batch.deadLetters.count, dead.finishBlocks(stream: stream))
    }

    func reset() {
        // Keep a few partition buffers; a batch spanning many days need not pin them all.
        if groups.count > 16 { groups.removeLast(groups.count - 16) }
        used = 0
    }
}

/// Scratch memory handed to workers one at a time (there are as many as workers that
/// encode at once).
final class ScratchPool: @unchecked Sendable {
    private var idle: [EncoderScratch] = []
    private let lock = NSLock()

    func take() -> EncoderScratch {
        lock.lock(); defer { lock.unlock() }
        return idle.popLast() ?? EncoderScratch()
    }

    func give(_ s: EncoderScratch) {
        s.reset()
        lock.lock(); defer { lock.unlock() }
        idle.append(s)
    }
}
