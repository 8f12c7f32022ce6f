import Foundation
import SpoorKit
import SpoorParquet
import Synchronization

/// Writes the `findings/` dataset beside `events/`, in the job's format, into the job's
/// staging directory (the job's commit moves the files into place with the events):
/// `findings/date=<YYYY-MM-DD of the window's end>/part-<job>-<n>.parquet` (or
/// `.ndjson.lz4`). Columns are `FindingColumn`'s, in its order.
public final class FindingsDatasetWriter: FindingsOutput {
    public enum Format: Sendable { case parquet, ndjson }

    private let job: JobContext
    private let root: String
    private let format: Format
    private let state = Mutex(State())

    private struct State: ~Copyable {
        var parquet: [String: ParquetWriter] = [:]
        var ndjson: [String: PartitionFile] = [:]
        var sequence = 0
        var done: [OutputFile] = []
    }

    static let columns: [ParquetColumn] = FindingColumn.allCases.map { c in
        ParquetColumn(name: c.name, type: ParquetType(c.spec.type), dictionary: c != .findingID)
    }

    /// `codec`: the Parquet page compression, as the events' (`--compression`; nil: lz4_raw).
    public init(format: Format, job: JobContext, codec: String? = nil) throws {
        guard let root = job.outputDirectory else {
            throw ConfigError(origin: "--out", message: "findings need an output directory")
        }
        self.job = job
        self.root = root
        self.format = format
        self.codec = try ParquetCodec.named(codec, origin: "--compression")
    }

    private let codec: ParquetCodec

    public func write(_ findings: [Finding]) throws {
        var byDay: [Int64: [Finding]] = [:]
        for f in findings { byDay[CivilTime.day(ofMicros: f.windowEnd), default: []].append(f) }
        try state.withLock { s in
            for (day, list) in byDay.sorted(by: { $0.key < $1.key }) {
                var date: [UInt8] = []
                CivilTime.appendDate(days: day, to: &date)
                let dir = root + "/findings/date=" + String(decoding: date, as: UTF8.self)
                switch format {
                case .ndjson: try appendNDJSON(list, dir, &s)
                case .parquet: try appendParquet(list, dir, &s)
                }
            }
        }
    }

    public func finish() throws -> [OutputFile] {
        try state.withLock { s in
            for key in s.ndjson.keys.sorted() { s.done.append(try s.ndjson[key]!.close()) }
            s.ndjson.removeAll()
            for key in s.parquet.keys.sorted() {
                let writer = s.parquet[key]!
                let temporary = writer.path
                let (rows, bytes): (Int, Int)
                do { (rows, bytes) = try writer.close() } catch { throw JobError(description: "cannot write \(temporary): \(error)") }
                let final = key + "/" + (temporary as NSString).lastPathComponent.dropFirst().replacingOccurrences(of: ".inprogress", with: "")
                guard rename(temporary, final) == 0 else { throw SinkFailure(path: final, operation: "rename", errno: errno) }
                s.done.append(OutputFile(path: final, rows: rows, bytes: bytes, kind: "findings"))
            }
            s.parquet.removeAll()
            try syncFileSystem(of: root)
            return s.done.map { OutputFile(path: String($0.path.dropFirst(root.count + 1)), rows: $0.rows, bytes: $0.bytes, kind: "findings") }
        }
    }

    private func appendNDJSON(_ list: [Finding], _ dir: String, _ s: inout State) throws {
        var json = ByteBuffer(capacity: 4096)
        for f in list { f.appendJSON(to: &json) }
        let blocks = LZ4Frame.blocks(json.bytes)
        if s.ndjson[dir] == nil {
            s.sequence += 1
            s.ndjson[dir] = try PartitionFile(directory: dir, name: "part-\(job.jobID)-\(s.sequence).ndjson.lz4", kind: "findings")
        }
        try s.ndjson[dir]!.append(blocks: blocks, rows: list.count)
    }

    private func appendParquet(_ list: [Finding], _ dir: String, _ s: inout State) throws {
        if s.parquet[dir] == nil {
            s.sequence += 1
            try makeDirectories(dir)
            let path = dir + "/.part-\(job.jobID)-\(s.sequence).parquet.inprogress"
            let options = ParquetOptions(codec: codec, rowGroupBytes: 32 << 20,
                                         keyValueMetadata: ["spoor.schema_version": String(Schema.version), "spoor.job": job.jobID],
                                         createdBy: "spoor version 1.0.0")
            do { s.parquet[dir] = try ParquetWriter(path: path, columns: Self.columns, options: options) } catch {
                throw JobError(description: "cannot create \(path): \(error)")
            }
        }
        let w = s.parquet[dir]!
        for f in list {
            for c in FindingColumn.allCases {
                let i = c.rawValue
                func string(_ v: String?) { if let v { w.append(i, string: v) } else { w.appendNull(i) } }
                switch c {
                case .timestamp: w.append(i, int64: f.windowEnd)
                case .findingID: string(f.id)
                case .ruleID: string(f.ruleID)
                case .title: string(f.title)
                case .actorID: string(f.actorID)
                case .actorName: string(f.actorName)
                case .technique: string(f.technique)
                case .level: string(f.level)
                case .kind: string(f.kind)
                case .groupKey: string(f.groupKey)
                case .windowStart: w.append(i, int64: f.windowStart)
                case .windowEnd: w.append(i, int64: f.windowEnd)
                case .eventCount: w.append(i, int64: Int64(f.eventCount))
                case .valueCount: w.append(i, int64: Int64(f.valueCount))
                case .accounts: w.append(i, strings: f.accounts)
                case .sources: w.append(i, strings: f.sources)
                case .evidence: w.append(i, strings: f.evidence)
                case .evidenceTotal: w.append(i, int64: Int64(f.evidenceTotal))
                }
            }
            do throws(ParquetError) { try w.endRow() } catch { throw JobError(description: "cannot write a finding to \(dir): \(error)") }
        }
    }
}
