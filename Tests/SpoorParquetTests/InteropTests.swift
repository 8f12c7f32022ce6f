import Foundation
import Testing

@testable import SpoorParquet

/// Every file is read back by DuckDB, pyarrow and polars: each tolerates different mistakes.
/// They live in the package's `.venv` (`make venv`, part of `make test`); without it these
/// tests cannot check anything, so they are disabled rather than passing silently.
@Suite(
    "Interop: DuckDB, pyarrow and polars read the files back",
    .enabled(if: Interop.available, "no .venv/bin/python with duckdb, pyarrow, polars: run `make venv`"))
struct InteropTests {
    static let allKinds = [
        ParquetColumn(name: "ts", type: .timestampMicros),
        ParquetColumn(name: "msg", type: .string),
        ParquetColumn(name: "host", type: .string),
        ParquetColumn(name: "n64", type: .int64),
        ParquetColumn(name: "n32", type: .int32),
        ParquetColumn(name: "ok", type: .bool),
        ParquetColumn(name: "tags", type: .stringList),
        ParquetColumn(name: "attrs", type: .stringMap),
    ]

    /// Nulls, empty strings, non-ASCII, a 100 KB string, lists and maps null/empty/1/several,
    /// timestamps negative and far in the future, integer extremes.
    static func mixedFixture(rows: Int, seed: UInt64) -> Fixture {
        var rng = SplitMix(seed: seed)
        var values = [[JV]](repeating: [], count: allKinds.count)
        let words = ["Zürich", "東京", "emoji 😀🎉", "naïve café", "", "plain", "x\u{0}y", "Ελληνικά", "🇨🇭"]
        let hosts = ["web-1", "web-2", "db", "mail.example.org", "ホスト"]
        let long = String(repeating: "0123456789abcdef—ü", count: 100_000 / 20)
        let timestamps: [Int64] = [0, -1, -62_135_596_800_000_000, 253_402_300_799_999_999, 1_700_000_000_123_456]
        for i in 0..<rows {
            let r = rng.next()
            // ts
            values[0].append(
                i < timestamps.count ? .int(timestamps[i])
                    : i % 17 == 0 ? .null : .int(1_600_000_000_000_000 + Int64(i) * 1_000_003 + Int64(r % 1000)))
            // msg: high cardinality, with the special values early
            let msg: JV =
                i == 10 ? .string(long)
                : i >= 20 && i < 20 + words.count ? .string(words[i - 20])
                : i % 97 == 0 ? .null
                : i % 101 == 0 ? .string("")
                : .string("message \(i) \(String(r, radix: 16)) \(words[i % words.count])")
            values[1].append(msg)
            // host: low cardinality
            values[2].append(i % 13 == 0 ? .null : .string(hosts[Int(r >> 8) % hosts.count]))
            // n64
            let n64: [Int64] = [.min, .max, 0, -1]
            values[3].append(
                i < n64.count ? .int(n64[i]) : i % 11 == 0 ? .null : .int(Int64(bitPattern: rng.next()) >> (r % 60)))
            // n32
            let n32: [Int64] = [Int64(Int32.min), Int64(Int32.max), 0]
            values[4].append(
                i < n32.count ? .int(n32[i]) : i % 7 == 0 ? .null : .int(Int64(Int32(truncatingIfNeeded: rng.next()))))
            // ok
            values[5].append(i % 5 == 0 ? .null : .bool(r & 1 == 1))
            // tags: null, empty, 1, 3 elements
            switch i % 4 {
            case 0: values[6].append(.null)
            case 1: values[6].append(.array([]))
            case 2: values[6].append(.array([.string(words[Int(r % 9)])]))
            default: values[6].append(.array([.string("t\(i % 50)"), .string(""), .string(hosts[i % hosts.count])]))
            }
            // attrs: null, empty, 1...4 entries
            switch i % 5 {
            case 0: values[7].append(.null)
            case 1: values[7].append(.array([]))
            default:
                let n = Int(r % 4) + 1
                values[7].append(
                    .array(
                        (0..<n).map { k in
                            .array([.string("k\(k)"), .string(k == 1 ? words[i % words.count] : "v\(i % 300)-\(k)")])
                        }))
            }
        }
        return Fixture(columns: allKinds, values: values)
    }

    @Test("every column kind round-trips exactly in all three readers, across pages and row groups")
    func roundTrip() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let fixture = Self.mixedFixture(rows: 20_000, seed: 7)
        let path = dir.path("all.parquet")
        let options = ParquetOptions(
            pageBytes: 16 << 10, rowGroupRows: 6_000, maxDictionaryBytes: 64 << 10,
            keyValueMetadata: ["spoor.test": "round trip", "place": "Zürich"])
        try fixture.write(to: path, options: options)

        let report = try readBack(path, columns: fixture.columns, values: true, in: dir)
        expectRoundTrip(report, fixture)
        #expect(report.pyarrow?.numRowGroups == 4)
        #expect(report.pyarrow?.keyValue == ["spoor.test": "round trip", "place": "Zürich"])
        #expect(report.counts == ["duckdb": 20_000, "pyarrow": 20_000, "polars": 20_000])
        let chunks = report.duckdbMeta ?? []
        #expect(chunks.count == 4 * 9)  // 8 columns, the map has two leaves
        #expect(chunks.allSatisfy { $0.compression == "LZ4_RAW" })
    }

    @Test("column-wise batches write the same values as rows, and declare @timestamp order only when true")
    func columnwiseRoundTrip() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let fixture = Self.mixedFixture(rows: 9_000, seed: 11)
        let options = ParquetOptions(pageBytes: 16 << 10, rowGroupRows: 4_000, maxDictionaryBytes: 64 << 10, sortingColumn: 0)
        let path = dir.path("columns.parquet")
        let w = try fixture.writeColumnwise(to: path, options: options, batch: 700)
        expectRoundTrip(try readBack(path, columns: fixture.columns, values: true, in: dir), fixture)
        // The fixture's timestamps start with extremes and have nulls: no row group is sorted.
        #expect(w.writtenRowGroups.allSatisfy { $0.sortedBy == nil })

        // Ascending timestamps with no null: every row group says so.
        var sorted = Fixture(columns: [ParquetColumn(name: "ts", type: .timestampMicros), ParquetColumn(name: "n", type: .int64)],
                             values: [(0..<5_000).map { .int(1_700_000_000_000_000 + Int64($0 / 3) * 1_000) },
                                      (0..<5_000).map { $0 % 9 == 0 ? .null : .int(Int64($0) * 7 - 20_000) }])
        let sortedPath = dir.path("sorted.parquet")
        let s = try sorted.writeColumnwise(to: sortedPath, options: options, batch: 1_000)
        #expect(s.writtenRowGroups.count == 2 && s.writtenRowGroups.allSatisfy { $0.sortedBy == 0 })
        expectRoundTrip(try readBack(sortedPath, columns: sorted.columns, values: true, in: dir), sorted)
        sorted.values[0].swapAt(10, 4_500)
        let unsorted = try sorted.writeColumnwise(to: sortedPath, options: options, batch: 1_000)
        #expect(unsorted.writtenRowGroups.map { $0.sortedBy } == [nil, nil])
    }

    @Test("LZ4_RAW on every chunk; statistics, logical types and reader types are right")
    func codecStatsAndTypes() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let columns =
            Self.allKinds + [
                ParquetColumn(name: "nothing", type: .string),
                ParquetColumn(name: "emptyLists", type: .stringList),
                ParquetColumn(name: "emptyMaps", type: .stringMap),
            ]
        let fixture = Fixture(
            columns: columns,
            values: [
                [.int(1000), .int(-5), .null, .int(99)],
                [.string("b"), .string("a"), .null, .string("ä")],  // "ä" (c3 a4) sorts after "b" byte-wise
                [.string("h"), .string("h"), .string("h"), .string("h")],
                [.int(5), .null, .int(-7), .int(12)],
                [.int(3), .int(-4), .null, .null],
                [.bool(true), .bool(true), .null, .bool(true)],
                [.null, .array([]), .array([.string("x")]), .array([.string("y"), .string("z"), .string("w")])],
                [.null, .array([]), .array([.array([.string("k"), .string("v")])]), .null],
                [.null, .null, .null, .null],
                [.array([]), .array([]), .array([]), .array([])],
                [.array([]), .array([]), .array([]), .array([])],
            ])
        let path = dir.path("stats.parquet")
        try fixture.write(to: path, options: ParquetOptions())
        let report = try readBack(path, columns: columns, values: true, in: dir)
        expectRoundTrip(report, fixture)

        let chunks = report.duckdbMeta ?? []
        #expect(chunks.count == 13)
        for c in chunks { #expect(c.compression == "LZ4_RAW", "\(c.path)") }

        let stats = Dictionary(uniqueKeysWithValues: (report.pyarrow?.stats ?? []).map { ($0.path, $0) })
        func expectStat(_ path: String, nulls: Int, min: JV?, max: JV?, sourceLocation: SourceLocation = #_sourceLocation) {
            guard let s = stats[path] else {
                Issue.record("no statistics for \(path)", sourceLocation: sourceLocation)
                return
            }
            #expect(s.nullCount == nulls, "\(path) null_count", sourceLocation: sourceLocation)
            #expect(s.hasMinMax == (min != nil), "\(path) has_min_max", sourceLocation: sourceLocation)
            #expect(s.min == min && s.max == max, "\(path): min \(String(describing: s.min)) max \(String(describing: s.max))", sourceLocation: sourceLocation)
        }
        expectStat("n64", nulls: 1, min: .int(-7), max: .int(12))
        expectStat("ts", nulls: 1, min: .int(-5), max: .int(1000))
        expectStat("msg", nulls: 1, min: .string("a"), max: .string("ä"))
        expectStat("n32", nulls: 2, min: .int(-4), max: .int(3))
        expectStat("ok", nulls: 1, min: .bool(true), max: .bool(true))
        expectStat("nothing", nulls: 4, min: nil, max: nil)

        #expect(
            report.duckdbTypes == [
                "ts": "TIMESTAMP WITH TIME ZONE", "msg": "VARCHAR", "host": "VARCHAR", "n64": "BIGINT",
                "n32": "INTEGER", "ok": "BOOLEAN", "tags": "VARCHAR[]", "attrs": "MAP(VARCHAR, VARCHAR)",
                "nothing": "VARCHAR", "emptyLists": "VARCHAR[]", "emptyMaps": "MAP(VARCHAR, VARCHAR)",
            ])
        let schema = Dictionary((report.duckdbSchema ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(schema["ts"]?.convertedType == "TIMESTAMP_MICROS")
        let tsLogical = schema["ts"]?.logicalType ?? ""
        #expect(tsLogical.contains("isAdjustedToUTC=1") && tsLogical.contains("MICROS=MicroSeconds"), "\(tsLogical)")
        #expect(schema["msg"]?.convertedType == "UTF8")
        #expect(schema["msg"]?.logicalType?.contains("StringType") == true)
        #expect(schema["tags"]?.convertedType == "LIST")
        #expect(schema["attrs"]?.convertedType == "MAP")
        #expect(report.pyarrow?.createdBy == "spoor-parquet version 1.0.0")
    }

    @Test("a dictionary past maxDictionaryBytes falls back to DELTA_BYTE_ARRAY; low cardinality stays dictionary-encoded")
    func dictionaryFallback() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        var rng = SplitMix(seed: 99)
        let columns = [ParquetColumn(name: "hi", type: .string), ParquetColumn(name: "lo", type: .string)]
        var hi: [JV] = []
        var lo: [JV] = []
        for i in 0..<12_000 {
            let r = rng.next()
            let body = String(repeating: String(r, radix: 36) + "-ß-", count: 10 + Int(r % 20))
            hi.append(i % 50 == 0 ? .null : .string("\(i):\(body)"))
            lo.append(.string(["INFO", "WARN", "ERROR", "DEBUG"][Int(r % 4)]))
        }
        let fixture = Fixture(columns: columns, values: [hi, lo])
        let path = dir.path("dict.parquet")
        let w = try fixture.write(
            to: path, options: ParquetOptions(pageBytes: 32 << 10, rowGroupRows: 5_000, maxDictionaryBytes: 100 << 10))

        // What the footer says about the pages (readers do not show encoding_stats): "hi" has
        // dictionary-encoded pages, then DELTA_BYTE_ARRAY ones; "lo" only dictionary-encoded pages.
        #expect(w.writtenRowGroups.count == 3)
        for group in w.writtenRowGroups {
            for chunk in group.columns {
                func pages(_ encoding: Encoding) -> Int {
                    chunk.encodingStats.first { $0.pageType == .dataPage && $0.encoding == encoding }?.count ?? 0
                }
                #expect(chunk.dictionaryPageOffset != nil)
                #expect(pages(.rleDictionary) > 0, "\(chunk.path)")
                if chunk.path == ["hi"] {
                    #expect(pages(.deltaByteArray) > 0, "hi fell back to DELTA_BYTE_ARRAY")
                } else {
                    #expect(pages(.deltaByteArray) == 0 && pages(.plain) == 0, "lo stayed dictionary-encoded")
                }
            }
        }

        let report = try readBack(path, columns: columns, values: true, in: dir)
        expectRoundTrip(report, fixture)

        let chunks = report.duckdbMeta ?? []
        #expect(chunks.count == 6)
        for c in chunks {
            let dictionary = c.encodings.contains("RLE_DICTIONARY") || c.encodings.contains("PLAIN_DICTIONARY")
            #expect(dictionary, "\(c.path) row group \(c.rowGroup): \(c.encodings)")
        }
    }

    @Test("ill-formed UTF-8 is replaced by U+FFFD (or its row rejected): the file stays readable")
    func invalidUTF8() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let columns = [
            ParquetColumn(name: "s", type: .string), ParquetColumn(name: "l", type: .stringList),
            ParquetColumn(name: "m", type: .stringMap),
        ]
        let raw: [[UInt8]] = [
            Array("fine ü".utf8),
            [0x61, 0xFF, 0x62, 0xC3],  // a, invalid byte, b, truncated sequence
            [0xED, 0xA0, 0x80, 0x21],  // an encoded surrogate
            [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
            [0xC0, 0xAF, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0xE2, 0x82],  // overlong; cut-off euro sign
        ]
        func repaired(_ b: [UInt8]) -> JV { .string(String(decoding: b, as: UTF8.self)) }
        var expected: [[JV]] = [[], [], []]
        let rows = 200
        let w = try ParquetWriter(path: dir.path("utf8.parquet"), columns: columns)
        for i in 0..<rows {
            let a = raw[i % raw.count]
            let b = raw[(i / 2) % raw.count]
            a.withUnsafeBytes { pa in
                b.withUnsafeBytes { pb in
                    w.append(0, bytes: pa)
                    w.append(1, list: [pb, pa])
                    w.append(2, map: [(pa, pb)])
                }
            }
            try w.endRow()
            expected[0].append(repaired(a))
            expected[1].append(.array([repaired(b), repaired(a)]))
            expected[2].append(.array([.array([repaired(a), repaired(b)])]))
        }
        try w.close()
        // 4 of the 5 raw values are ill-formed; each row holds a 3 times and b 2 times
        let invalid = (0..<rows).reduce(0) { n, i in n + (i % raw.count == 0 ? 0 : 3) + ((i / 2) % raw.count == 0 ? 0 : 2) }
        #expect(w.repairedValues == invalid)
        let fixture = Fixture(columns: columns, values: expected)
        expectRoundTrip(try readBack(dir.path("utf8.parquet"), columns: columns, values: true, in: dir), fixture)

        // .reject: the row is refused, the others written
        let strict = try ParquetWriter(
            path: dir.path("strict.parquet"), columns: [columns[0]], options: ParquetOptions(invalidUTF8: .reject))
        for a in raw {
            a.withUnsafeBytes { strict.append(0, bytes: $0) }
            do {
                try strict.endRow()
                #expect(a == raw[0])
            } catch {
                #expect(error.message.contains("UTF-8"))
            }
        }
        #expect(try strict.close().rows == 1)
    }

    @Test("long strings: shortened min/max in the footer are still bounds, and filters still find the rows")
    func longStatistics() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let columns = [ParquetColumn(name: "long", type: .string)]
        let smallest = "a" + String(repeating: "é", count: 3000)
        let largest = String(repeating: "z", count: 100_000) + "!"
        let values: [JV] = [.string("m"), .string(smallest), .string(largest), .null, .string("zz")]
        let fixture = Fixture(columns: columns, values: [values])
        let path = dir.path("long.parquet")
        try fixture.write(to: path, options: ParquetOptions())
        let probes = [smallest, largest, "m", "zz"].map { ("long", $0) }
        let report = try readBack(path, columns: columns, values: true, probes: probes, in: dir)
        expectRoundTrip(report, fixture)
        for reader in ["duckdb", "pyarrow", "polars"] {
            #expect(report.probes?[reader] == [1, 1, 1, 1], "\(reader) WHERE long = …")
        }
        let stat = report.pyarrow?.stats.first
        #expect(stat?.nullCount == 1)
        guard case .string(let min)? = stat?.min, case .string(let max)? = stat?.max else {
            Issue.record("no string min/max: \(String(describing: stat))")
            return
        }
        #expect(min.utf8.count <= 128 && max.utf8.count <= 132, "\(min.utf8.count), \(max.utf8.count) bytes")
        #expect(!Array(smallest.utf8).lexicographicallyPrecedes(Array(min.utf8)), "min ≤ smallest")
        #expect(Array(largest.utf8).lexicographicallyPrecedes(Array(max.utf8)), "max > largest")
    }

    @Test("UNCOMPRESSED and ZSTD files are readable too", arguments: [
        (ParquetCodec.uncompressed, "UNCOMPRESSED"), (.zstd(level: 3), "ZSTD"), (.zstd(level: 19), "ZSTD"),
    ])
    func otherCodecs(codec: ParquetCodec, name: String) throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let fixture = Self.mixedFixture(rows: 3_000, seed: 3)
        let path = dir.path("other.parquet")
        try fixture.write(to: path, options: ParquetOptions(codec: codec, pageBytes: 8 << 10, rowGroupRows: 1_000))
        let report = try readBack(path, columns: fixture.columns, values: true, in: dir)
        expectRoundTrip(report, fixture)
        let chunks = report.duckdbMeta ?? []
        #expect(chunks.count == 3 * 9)
        #expect(chunks.allSatisfy { $0.compression == name })
    }

    @Test("streaming: 500,000 rows in ~1 MB row groups, memory bounded by one row group")
    func streaming() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let columns = [
            ParquetColumn(name: "ts", type: .timestampMicros),
            ParquetColumn(name: "host", type: .string),
            ParquetColumn(name: "n", type: .int64),
            ParquetColumn(name: "msg", type: .string),
        ]
        let path = dir.path("big.parquet")
        let rowGroupBytes = 1 << 20
        let w = try ParquetWriter(
            path: path, columns: columns, options: ParquetOptions(rowGroupBytes: rowGroupBytes))
        let hosts: [[UInt8]] = ["alpha", "beta", "gamma"].map { Array($0.utf8) }
        var message = [UInt8](repeating: 0, count: 24)
        var maxBuffered = 0
        let rows = 500_000
        for i in 0..<rows {
            w.append(0, int64: 1_700_000_000_000_000 + Int64(i) * 1000)
            hosts[i % 3].withUnsafeBytes { w.append(1, bytes: $0) }
            w.append(2, int64: Int64(i))
            var x = UInt64(i) &* 0x9E37_79B9_7F4A_7C15
            for k in 0..<16 {
                message[k] = UInt8(97 + x % 26)
                x /= 26
            }
            message.withUnsafeBytes { w.append(3, bytes: UnsafeRawBufferPointer(rebasing: $0[0..<(8 + i % 16)])) }
            try w.endRow()
            if i % 1000 == 0 { maxBuffered = max(maxBuffered, w.bufferedBytes) }
        }
        #expect(w.rowGroupCount > 1)
        let (written, _) = try w.close()
        #expect(written == rows)
        #expect(maxBuffered < 3 * rowGroupBytes, "buffered up to \(maxBuffered) bytes")

        let report = try readBack(path, columns: columns, values: false, in: dir)
        #expect(report.errors.isEmpty, "\(report.errors)")
        #expect((report.pyarrow?.numRowGroups ?? 0) > 1)
        #expect(report.pyarrow?.numRows == rows)
        #expect(report.counts == ["duckdb": rows, "pyarrow": rows, "polars": rows])
    }
}
