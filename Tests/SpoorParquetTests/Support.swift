import Foundation
import Testing

@testable import SpoorParquet

/// The package root, found from this file's path (Tests/SpoorParquetTests/Support.swift).
let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The venv `make venv` (part of `make test`) creates, with duckdb, pyarrow and polars.
let venvPython: URL = packageRoot.appendingPathComponent(".venv/bin/python")

enum Interop {
    static let available: Bool = FileManager.default.isExecutableFile(atPath: venvPython.path)
}

/// A scratch directory, removed by `cleanUp()`.
struct TempDir {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("spoor-parquet-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func cleanUp() { try? FileManager.default.removeItem(at: url) }
}

/// A value as the Python readers print it: what the test wrote, normalized. Timestamps are
/// integers (µs), lists arrays of strings, maps arrays of [key, value]. In JSON each value is
/// tagged with its type (`{"s": …}`, `{"i": …}`, `{"b": …}`, `{"a": […]}` or null), so that
/// decoding never has to try a type and fail (which costs seconds over a few 100,000 values).
enum JV: Decodable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case array([JV])

    private enum Tag: String, CodingKey {
        case s, i, b, a
    }

    init(from decoder: Decoder) throws {
        if try decoder.singleValueContainer().decodeNil() {
            self = .null
            return
        }
        let c = try decoder.container(keyedBy: Tag.self)
        if c.contains(.s) {
            self = .string(try c.decode(String.self, forKey: .s))
        } else if c.contains(.i) {
            self = .int(try c.decode(Int64.self, forKey: .i))
        } else if c.contains(.b) {
            self = .bool(try c.decode(Bool.self, forKey: .b))
        } else {
            self = .array(try c.decode([JV].self, forKey: .a))
        }
    }

    /// Strings compare by their UTF-8 bytes (Swift's `==` on String ignores normalization).
    static func == (a: JV, b: JV) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.int(let x), .int(let y)): x == y
        case (.string(let x), .string(let y)): x.utf8.elementsEqual(y.utf8)
        case (.array(let x), .array(let y)): x == y
        default: false
        }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .int(let i): "\(i)"
        case .string(let s): s.count > 60 ? "\"\(s.prefix(60))…\"(\(s.utf8.count) bytes)" : "\"\(s)\""
        case .array(let a): "[" + a.map(\.description).joined(separator: ", ") + "]"
        }
    }
}

/// Rows to write, column by column, with the values the readers must give back.
struct Fixture {
    var columns: [ParquetColumn]
    var values: [[JV]]  // [column][row]

    var rowCount: Int { values.first?.count ?? 0 }

    /// Writes every row and closes the file; returns the writer.
    @discardableResult
    func write(to path: String, options: ParquetOptions) throws -> ParquetWriter {
        let w = try ParquetWriter(path: path, columns: columns, options: options)
        for row in 0..<rowCount {
            for (c, column) in columns.enumerated() {
                Fixture.append(values[c][row], to: w, column: c, type: column.type)
            }
            try w.endRow()
        }
        let (rows, bytes) = try w.close()
        #expect(rows == rowCount)
        #expect(bytes == (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int))
        return w
    }

    /// Writes the rows column-wise (`beginRows`/`appendColumn`/`endRows`) in batches of
    /// `batch` rows, and closes the file.
    @discardableResult
    func writeColumnwise(to path: String, options: ParquetOptions, batch: Int) throws -> ParquetWriter {
        let w = try ParquetWriter(path: path, columns: columns, options: options)
        var start = 0
        while start < rowCount {
            let n = min(batch, rowCount - start)
            try w.beginRows(n)
            for (c, column) in columns.enumerated() {
                var arena: [UInt8] = []
                var cells: [ParquetCell] = []
                func bytes(_ row: Int, _ s: String, key: String? = nil) {
                    let offset = Int64(arena.count)
                    if let key { arena.append(contentsOf: key.utf8) }
                    arena.append(contentsOf: s.utf8)
                    cells.append(ParquetCell(row: Int32(row), keyLength: UInt32(key?.utf8.count ?? 0),
                                             length: UInt32(arena.count) - UInt32(offset), value: offset))
                }
                for row in 0..<n {
                    switch (column.type, values[c][start + row]) {
                    case (_, .null): break
                    case (_, .bool(let b)): cells.append(ParquetCell(row: Int32(row), value: b ? 1 : 0))
                    case (_, .int(let i)): cells.append(ParquetCell(row: Int32(row), value: i))
                    case (_, .string(let s)): bytes(row, s)
                    case (.stringList, .array(let items)):
                        if items.isEmpty { cells.append(.empty(row: Int32(row))) }
                        for case .string(let s) in items { bytes(row, s) }
                    case (.stringMap, .array(let entries)):
                        if entries.isEmpty { cells.append(.empty(row: Int32(row))) }
                        for case .array(let kv) in entries {
                            if case .string(let k) = kv[0], case .string(let v) = kv[1] { bytes(row, v, key: k) }
                        }
                    default: Issue.record("fixture: a value does not fit a \(column.type) column")
                    }
                }
                if cells.isEmpty && c % 2 == 0 { continue }  // a column not given is null
                arena.withUnsafeBytes { a in cells.withUnsafeBufferPointer { w.appendColumn(c, cells: $0, arena: a) } }
            }
            try w.endRows()
            start += n
        }
        let (rows, _) = try w.close()
        #expect(rows == rowCount)
        return w
    }

    static func append(_ v: JV, to w: ParquetWriter, column c: Int, type: ParquetType) {
        switch (type, v) {
        case (_, .null): w.appendNull(c)
        case (.bool, .bool(let b)): w.append(c, bool: b)
        case (_, .int(let i)): w.append(c, int64: i)
        case (_, .string(let s)): w.append(c, string: s)
        case (.stringList, .array(let items)):
            w.append(c, strings: items.map { if case .string(let s) = $0 { s } else { "" } })
        case (.stringMap, .array(let entries)):
            w.append(
                c,
                pairs: entries.map {
                    guard case .array(let kv) = $0, kv.count == 2, case .string(let k) = kv[0],
                        case .string(let v) = kv[1]
                    else { return ("", "") }
                    return (k, v)
                })
        default: Issue.record("fixture: \(v) does not fit a \(type) column")
        }
    }
}

/// SplitMix64: a deterministic generator, so a failure can be reproduced.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What `reader.py` prints (see `readerScript`).
struct ReaderReport: Decodable {
    var values: [String: [String: [JV]]]?  // reader → column → values
    var errors: [String: String]  // reader → error, when it failed
    var duckdbTypes: [String: String]?
    var duckdbMeta: [DuckChunk]?
    var duckdbSchema: [DuckSchema]?
    var pyarrow: PyarrowMeta?
    var counts: [String: Int]?  // reader → row count
    var nullRows: [String: [String: Int]]?  // reader → column → rows where it IS NULL (a filtered scan)
    var probes: [String: [Int]]?  // reader → rows where column = value, per probe (filters prune by statistics)

    struct DuckChunk: Decodable {
        var rowGroup: Int
        var path: String
        var compression: String
        var encodings: String
        var numValues: Int
    }

    struct DuckSchema: Decodable {
        var name: String
        var type: String?
        var convertedType: String?
        var logicalType: String?
    }

    struct PyarrowMeta: Decodable {
        var numRowGroups: Int
        var numRows: Int
        var createdBy: String
        var keyValue: [String: String]
        var stats: [Stat]
    }

    struct Stat: Decodable {
        var rowGroup: Int
        var path: String
        var nullCount: Int?
        var hasMinMax: Bool
        var min: JV?
        var max: JV?
    }
}

/// Runs the readers over `file`. `values`: also read every value (not only metadata).
/// `probes`: (column, value) pairs whose matching rows each reader counts with a filter.
func readBack(
    _ file: String, columns: [ParquetColumn], values: Bool, probes: [(String, String)] = [], in dir: TempDir
) throws -> ReaderReport {
    let script = dir.path("reader.py")
    if !FileManager.default.fileExists(atPath: script) {
        try readerScript.write(toFile: script, atomically: true, encoding: .utf8)
    }
    let kinds = columns.map { c -> [String] in
        let kind: String =
            switch c.type {
            case .timestampMicros: "timestamp"
            case .string: "string"
            case .int64: "int64"
            case .int32: "int32"
            case .bool: "bool"
            case .stringList: "list"
            case .stringMap: "map"
            }
        return [c.name, kind]
    }
    let spec = String(decoding: try JSONSerialization.data(withJSONObject: kinds), as: UTF8.self)
    let probeFile = dir.path("probes-\(UUID().uuidString).json")
    try JSONSerialization.data(withJSONObject: probes.map { [$0.0, $0.1] })
        .write(to: URL(fileURLWithPath: probeFile))
    let output = dir.path("report-\(UUID().uuidString).json")
    let errorLog = dir.path("stderr-\(UUID().uuidString).txt")
    _ = FileManager.default.createFile(atPath: errorLog, contents: nil)
    let stderrHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errorLog))
    defer { try? stderrHandle.close() }

    let p = Process()
    p.executableURL = venvPython
    p.arguments = [script, file, spec, output, values ? "values" : "meta", probeFile]
    p.standardOutput = stderrHandle
    p.standardError = stderrHandle
    try p.run()
    p.waitUntilExit()
    let log = (try? String(contentsOfFile: errorLog, encoding: .utf8)) ?? ""
    guard p.terminationStatus == 0 else {
        throw ParquetError("reader.py exited with \(p.terminationStatus):\n\(log)")
    }
    let data = try Data(contentsOf: URL(fileURLWithPath: output))
    return try JSONDecoder().decode(ReaderReport.self, from: data)
}

/// Asserts that each reader gave back exactly the fixture's values.
func expectRoundTrip(_ report: ReaderReport, _ fixture: Fixture, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(report.errors.isEmpty, "reader errors: \(report.errors)", sourceLocation: sourceLocation)
    let readers = ["duckdb", "pyarrow", "polars"]
    for reader in readers {
        guard let got = report.values?[reader] else {
            Issue.record("no values from \(reader)", sourceLocation: sourceLocation)
            continue
        }
        for (c, column) in fixture.columns.enumerated() {
            guard let values = got[column.name] else {
                Issue.record("\(reader): no column \(column.name)", sourceLocation: sourceLocation)
                continue
            }
            let expected = fixture.values[c]
            // A filtered scan may use the statistics (null_count of a list's element column
            // counts empty lists too): the rows IS NULL must still be exactly the null ones.
            if let nullRows = report.nullRows?[reader]?[column.name] {
                let nulls = expected.filter { $0 == .null }.count
                #expect(nullRows == nulls, "\(reader) \(column.name) IS NULL", sourceLocation: sourceLocation)
            }
            #expect(
                values.count == expected.count, "\(reader) \(column.name): \(values.count) rows",
                sourceLocation: sourceLocation)
            let differing = (0..<min(values.count, expected.count)).filter { values[$0] != expected[$0] }
            if let row = differing.first {
                let wrong = differing.count
                Issue.record(
                    "\(reader) \(column.name): \(wrong) values differ; first at row \(row): got \(values[row]), wrote \(expected[row])",
                    sourceLocation: sourceLocation)
            }
        }
    }
}

/// The reader script: reads a file with DuckDB, pyarrow and polars and prints JSON.
let readerScript = #"""
    import json, sys, traceback
    path, spec, out, mode = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
    with open(sys.argv[5], encoding="utf-8") as f:
        probes = json.load(f)
    report = {"errors": {}, "probes": {}}

    def tag(v):
        if v is None:
            return None
        if isinstance(v, bool):
            return {"b": v}
        if isinstance(v, int):
            return {"i": v}
        if isinstance(v, str):
            return {"s": v}
        if isinstance(v, (list, tuple)):
            return {"a": [tag(x) for x in v]}
        raise TypeError(f"unexpected {type(v)}: {v!r}")

    def norm(kind, v):
        if v is None:
            return None
        if kind == "map":
            return tag([[e[0], e[1]] if isinstance(e, (tuple, list)) else [e["key"], e["value"]] for e in v])
        return tag(v)

    def quote(name):
        return '"' + name.replace('"', '""') + '"'

    def guard(reader, fn):
        try:
            fn()
        except Exception:
            report["errors"][reader] = traceback.format_exc()

    import duckdb
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")

    def duck():
        cols = []
        for name, kind in spec:
            q = quote(name)
            cols.append(f"epoch_us({q})" if kind == "timestamp" else f"map_entries({q})" if kind == "map" else q)
        rows = con.execute(
            f"SELECT {', '.join(cols)} FROM read_parquet(?, file_row_number = true) ORDER BY file_row_number",
            [path]).fetchall()
        report["values"]["duckdb"] = {
            name: [norm(kind, r[i]) for r in rows] for i, (name, kind) in enumerate(spec)}
        report.setdefault("nullRows", {})["duckdb"] = {
            name: con.execute(f"SELECT count(*) FROM read_parquet(?) WHERE {quote(name)} IS NULL", [path]).fetchone()[0]
            for name, _ in spec}

    def duck_probes():
        report["probes"]["duckdb"] = [
            con.execute(f"SELECT count(*) FROM read_parquet(?) WHERE {quote(c)} = ?", [path, v]).fetchone()[0]
            for c, v in probes]

    def duck_meta():
        report["duckdbTypes"] = {r[0]: r[1] for r in con.execute(
            "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))", [path]).fetchall()}
        report["duckdbMeta"] = [
            {"rowGroup": r[0], "path": r[1], "compression": r[2], "encodings": r[3], "numValues": r[4]}
            for r in con.execute(
                "SELECT row_group_id, path_in_schema, compression, encodings, num_values "
                "FROM parquet_metadata(?) ORDER BY row_group_id, column_id", [path]).fetchall()]
        report["duckdbSchema"] = [
            {"name": r[0], "type": r[1], "convertedType": r[2], "logicalType": r[3]}
            for r in con.execute(
                "SELECT name, type, converted_type, logical_type FROM parquet_schema(?)", [path]).fetchall()]
        report.setdefault("counts", {})["duckdb"] = con.execute(
            "SELECT count(*) FROM read_parquet(?)", [path]).fetchone()[0]

    import pyarrow as pa, pyarrow.parquet as pq

    def arrow():
        t = pq.read_table(path)
        got = {}
        for name, kind in spec:
            col = t.column(name)
            if kind == "timestamp":
                col = col.cast(pa.int64())
            got[name] = [norm(kind, v) for v in col.to_pylist()]
        report["values"]["pyarrow"] = got

    def arrow_probes():
        report["probes"]["pyarrow"] = [pq.read_table(path, columns=[c], filters=[(c, "==", v)]).num_rows for c, v in probes]

    def raw(v):
        if isinstance(v, bytes):
            return v.decode("utf-8")
        return v

    def arrow_meta():
        md = pq.ParquetFile(path).metadata
        stats = []
        for g in range(md.num_row_groups):
            rg = md.row_group(g)
            for c in range(rg.num_columns):
                cc = rg.column(c)
                s = cc.statistics
                entry = {"rowGroup": g, "path": cc.path_in_schema, "hasMinMax": False}
                if s is not None:
                    entry["nullCount"] = s.null_count if s.has_null_count else None
                    entry["hasMinMax"] = s.has_min_max
                    if s.has_min_max:
                        entry["min"] = tag(raw(s.min_raw))
                        entry["max"] = tag(raw(s.max_raw))
                stats.append(entry)
        report["pyarrow"] = {
            "numRowGroups": md.num_row_groups, "numRows": md.num_rows, "createdBy": md.created_by,
            "keyValue": {k.decode(): v.decode() for k, v in (md.metadata or {}).items()},
            "stats": stats}
        report.setdefault("counts", {})["pyarrow"] = md.num_rows

    import polars as pl

    def polars():
        df = pl.read_parquet(path)
        got = {}
        for name, kind in spec:
            s = df.get_column(name)
            if kind == "timestamp":
                s = s.dt.epoch("us")
            elif kind == "map" and not isinstance(s.dtype, pl.List):
                # polars ≥ 2 has a Map type whose to_list() gives dicts: keep the entries as written
                s = s.cast(pl.List(pl.Struct({"key": pl.String, "value": pl.String})))
            got[name] = [norm(kind, v) for v in s.to_list()]
        report["values"]["polars"] = got
        report.setdefault("nullRows", {})["polars"] = {
            name: pl.scan_parquet(path).filter(pl.col(name).is_null()).select(pl.len()).collect().item()
            for name, _ in spec}

    def polars_probes():
        report["probes"]["polars"] = [
            pl.scan_parquet(path).filter(pl.col(c) == v).select(pl.len()).collect().item() for c, v in probes]

    def polars_count():
        report.setdefault("counts", {})["polars"] = pl.scan_parquet(path).select(pl.len()).collect().item()

    guard("duckdb-meta", duck_meta)
    guard("pyarrow-meta", arrow_meta)
    guard("polars-count", polars_count)
    if probes:
        guard("duckdb-probes", duck_probes)
        guard("pyarrow-probes", arrow_probes)
        guard("polars-probes", polars_probes)
    if mode == "values":
        report["values"] = {}
        guard("duckdb", duck)
        guard("pyarrow", arrow)
        guard("polars", polars)
    with open(out, "w") as f:
        json.dump(report, f, ensure_ascii=True)
    """#
