import Foundation
import SpoorKit
import SpoorParquet
import Synchronization

/// Writes the dataset as Parquet (LZ4_RAW by default), Hive-partitioned (by default
/// `events/event.dataset=<d>/date=<YYYY-MM-DD>/part-<job>-<n>.parquet`, see `Partitioning`); dead letters as
/// LZ4-framed NDJSON beside them, as the NDJSON sink writes them.
///
/// Columns are the schema's, in its order, one per field (a list for `email.to.address`,
/// a map for `labels`). Memory: one row group per open file, at most `max_open_files` files.
public final class ParquetDatasetSink: Sink {
    public static let manifest = PluginManifest(
        id: "parquet", kind: .sink, version: "1.0.0",
        summary: "Hive-partitioned Parquet dataset (LZ4_RAW, dictionary, statistics); dead letters as LZ4 NDJSON",
        options: [
            OptionSpec("codec", .string, default: .string("lz4_raw"), "lz4_raw, zstd, zstd:LEVEL (1-22) or uncompressed."),
            OptionSpec("row_group_bytes", .int, default: .int(32 << 20), "Close a row group past this many bytes (uncompressed)."),
            OptionSpec("max_file_rows", .int, default: .int(4_000_000), "Start a new part file past this many rows."),
            OptionSpec("max_open_files", .int, default: .int(16), "Partitions written at once; the least recently used is closed beyond."),
        ])

    public struct Payload: Sendable {
        /// The batch's chunk, then the values from outside it: what the blocks' cells point into.
        var arena: [UInt8]
        var blocks: [RowBlock]
        var deadLetters: (rows: Int, blocks: [UInt8])?
    }

    /// The file's columns: the schema's fields in order.
    static let columns: [ParquetColumn] = Field.allCases.map { field in
        let type = ParquetType(field.spec.type)
        // Ids and raw records are unique: a dictionary for them only costs lookups. No one
        // prunes by a range of raw records: their min/max would cost two compares a row.
        let unique = field == .eventID || field == .eventOriginal
        return ParquetColumn(name: field.name, type: type, dictionary: !unique, minMax: field != .eventOriginal)
    }

    /// The schema's fields and their types, in column order (hoisted out of the row loop).
    static let fields: [Field] = Field.allCases
    static let types: [ColumnType] = Schema.types
    /// Columns that hold several values per event (a list, a map).
    static let repeated: [Bool] = types.map { $0 == .stringList || $0 == .stringMap }

    private let job: JobContext
    private let root: String
    private let options: ParquetOptions
    private let maxFileRows: Int
    private let maxOpenFiles: Int
    private let state = Mutex(WriterState())
    private let deadLetterScratch = ScratchPool()
    private let blockBuilder: RowBlockBuilder

    private struct WriterState: ~Copyable {
        var open: [String: (writer: ParquetWriter, tick: Int)] = [:]
        var deadLetters: [String: PartitionFile] = [:]
        var tick = 0
        var sequence = 0
        var done: [OutputFile] = []
    }

    public init(config: PluginConfig, job: JobContext) throws {
        guard let root = job.outputDirectory else {
            throw ConfigError(origin: "--out", message: "the parquet sink needs an output directory")
        }
        self.job = job
        self.root = root
        options = ParquetOptions(codec: try ParquetCodec.named(config.string("codec"), origin: config.origin), rowGroupBytes: config.int("row_group_bytes") ?? 32 << 20,
                                 sortingColumn: Int(Field.timestamp.rawValue),
                                 keyValueMetadata: ["spoor.schema_version": String(Schema.version), "spoor.job": job.jobID],
                                 createdBy: "spoor version 1.0.0")
        blockBuilder = RowBlockBuilder(repeated: Self.repeated, partitioning: job.partitioning)
        maxFileRows = config.int("max_file_rows") ?? 4_000_000
        maxOpenFiles = max(1, config.int("max_open_files") ?? 16)
        try makeDirectories(root)
    }

    public func encode(_ batch: EventBatch, input: InputFile) -> Payload {
        let (arena, blocks) = blockBuilder.blocks(of: batch)
        var payload = Payload(arena: arena, blocks: blocks)
        if !batch.deadLetters.isEmpty {
            let scratch = deadLetterScratch.take()
            defer { deadLetterScratch.give(scratch) }
            payload.deadLetters = scratch.deadLetterBlocks(batch, input: input, job: job)
        }
        return payload
    }

    public func write(_ payload: Payload) throws {
        try state.withLock { s in
            for block in payload.blocks { try write(block, arena: payload.arena, &s) }
            if let dead = payload.deadLetters {
                var date: [UInt8] = []
                CivilTime.appendDate(days: CivilTime.day(ofMicros: job.startedAt), to: &date)
                let dir = root + "/dead_letter/date=" + String(decoding: date, as: UTF8.self)
                if s.deadLetters[dir] == nil {
                    s.sequence += 1
                    s.deadLetters[dir] = try PartitionFile(directory: dir, name: "part-\(job.jobID)-\(s.sequence).ndjson.lz4", kind: "dead_letter")
                }
                try s.deadLetters[dir]!.append(blocks: dead.blocks, rows: dead.rows)
            }
        }
    }

    public func finish() throws -> [OutputFile] {
        try state.withLock { s in
            for key in s.open.keys.sorted() { try close(key, &s) }
            for key in s.deadLetters.keys.sorted() { s.done.append(try s.deadLetters[key]!.close()) }
            s.deadLetters.removeAll()
            try syncFileSystem(of: root)
            return s.done.map { OutputFile(path: String($0.path.dropFirst(root.count + 1)), rows: $0.rows, bytes: $0.bytes, kind: $0.kind) }
        }
    }

    private func write(_ block: RowBlock, arena: [UInt8], _ s: inout WriterState) throws {
        let dir = root + "/events/" + job.partitioning.directory(of: block.signature)
        s.tick += 1
        if let open = s.open[dir], open.writer.rowCount >= maxFileRows { try close(dir, &s) }
        if s.open[dir] == nil {
            if s.open.count >= maxOpenFiles, let oldest = s.open.min(by: { $0.value.tick < $1.value.tick })?.key { try close(oldest, &s) }
            s.sequence += 1
            try makeDirectories(dir)
            let path = dir + "/.part-\(job.jobID)-\(s.sequence).parquet.inprogress"
            do {
                s.open[dir] = (try ParquetWriter(path: path, columns: Self.columns, options: options), s.tick)
            } catch {
                throw failure(error, path: path, operation: "create")
            }
        }
        let writer = s.open[dir]!.writer
        s.open[dir]!.tick = s.tick
        do throws(ParquetError) {
            try writer.beginRows(block.rows)
            arena.withUnsafeBytes { arena in
                block.cells.withUnsafeBufferPointer { cells in
                    let starts = block.columnStarts
                    for column in 0..<Self.fields.count where starts[column] < starts[column + 1] {
                        writer.appendColumn(column, cells: UnsafeBufferPointer(rebasing: cells[Int(starts[column])..<Int(starts[column + 1])]),
                                            arena: arena)
                    }
                }
            }
            try writer.endRows()
        } catch {
            throw failure(error, path: writer.path, operation: "write")
        }
    }

    private func close(_ dir: String, _ s: inout WriterState) throws {
        guard let open = s.open.removeValue(forKey: dir) else { return }
        let temporary = open.writer.path
        let (rows, bytes): (Int, Int)
        do { (rows, bytes) = try open.writer.close() } catch { throw failure(error, path: temporary, operation: "write") }
        let name = (temporary as NSString).lastPathComponent.dropFirst().replacingOccurrences(of: ".inprogress", with: "")
        let final = dir + "/" + name
        guard rename(temporary, final) == 0 else { throw SinkFailure(path: final, operation: "rename", errno: errno) }
        s.done.append(OutputFile(path: final, rows: rows, bytes: bytes, kind: "events"))
    }
}

/// An I/O failure as the NDJSON sink reports it (the system's reason and what to do);
/// anything else (never expected: the schema and the columns are one list) as it is.
private func failure(_ error: ParquetError, path: String, operation: String) -> Error {
    error.code != 0 ? SinkFailure(path: path, operation: operation, errno: error.code)
        : JobError(description: "cannot \(operation) \(path): \(error)")
}

extension ParquetType {
    /// The Parquet column for a schema type (events and findings alike).
    init(_ type: ColumnType) {
        self = switch type {
        case .timestamp: .timestampMicros
        case .string: .string
        case .int64: .int64
        case .bool: .bool
        case .stringList: .stringList
        case .stringMap: .stringMap
        }
    }
}

extension ParquetCodec {
    /// The codec `name` names (nil: lz4_raw, the default), for the events and the findings
    /// alike; a name it does not know is a configuration error at `origin`.
    static func named(_ name: String?, origin: String) throws(ConfigError) -> ParquetCodec {
        guard let codec = ParquetCodec(parsing: name ?? "lz4_raw") else {
            throw ConfigError(origin: origin, message: "unknown Parquet codec '\(name ?? "")'", hint: "lz4_raw, zstd, zstd:LEVEL (1-22) or uncompressed")
        }
        return codec
    }
}
