import Foundation
import Testing

@testable import SpoorParquet

@Suite("Bad use is an error, not a crash")
struct MisuseTests {
    static let columns = [
        ParquetColumn(name: "ts", type: .timestampMicros),
        ParquetColumn(name: "msg", type: .string),
        ParquetColumn(name: "n32", type: .int32),
        ParquetColumn(name: "tags", type: .stringList),
        ParquetColumn(name: "ok", type: .bool),
    ]

    func goodRow(_ w: ParquetWriter, _ i: Int) throws {
        w.append(0, int64: Int64(i))
        w.append(1, string: "row \(i)")
        w.append(2, int64: Int64(i))
        w.append(3, strings: ["a"])
        w.append(4, bool: i % 2 == 0)
        try w.endRow()
    }

    func expectError(_ w: ParquetWriter, containing text: String, sourceLocation: SourceLocation = #_sourceLocation)
    {
        do {
            try w.endRow()
            Issue.record("endRow did not throw (expected \"\(text)\")", sourceLocation: sourceLocation)
        } catch {
            #expect(error.message.contains(text), "\(error.message)", sourceLocation: sourceLocation)
        }
    }

    @Test("wrong kind, missing, duplicate, out-of-range and unknown columns throw; the writer goes on")
    func rowErrors() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let w = try ParquetWriter(path: dir.path("bad.parquet"), columns: Self.columns)
        try goodRow(w, 0)

        // bytes into the timestamp column
        w.append(0, string: "not a time")
        w.append(1, string: "x")
        w.append(2, int64: 1)
        w.append(3, strings: [])
        w.appendNull(4)
        expectError(w, containing: "ts")

        // a column missing
        w.append(0, int64: 1)
        w.append(1, string: "x")
        w.append(3, strings: ["b", "c"])
        w.appendNull(4)
        expectError(w, containing: "n32")

        // a column twice
        w.append(0, int64: 1)
        w.append(0, int64: 2)
        w.append(1, string: "x")
        w.append(2, int64: 1)
        w.append(3, strings: ["d"])
        w.appendNull(4)
        expectError(w, containing: "twice")

        // int32 out of range, bool not 0/1, list into a string column, unknown column
        for bad in 0..<4 {
            w.append(0, int64: 1)
            if bad == 2 { w.append(1, strings: ["x"]) } else { w.append(1, string: "x") }
            w.append(2, int64: bad == 0 ? Int64(Int32.max) + 1 : 5)
            w.append(3, strings: ["e"])
            w.append(4, int64: bad == 1 ? 2 : 1)
            if bad == 3 { w.appendNull(9) }
            expectError(w, containing: ["int32", "bool", "list appended to the string column", "no column 9"][bad])
        }

        try goodRow(w, 1)
        let (rows, bytes) = try w.close()
        #expect(rows == 2)
        let data = try Data(contentsOf: URL(fileURLWithPath: dir.path("bad.parquet")))
        #expect(data.count == bytes)
        #expect(Array(data.prefix(4)) == Array("PAR1".utf8))
        #expect(Array(data.suffix(4)) == Array("PAR1".utf8))

        // after close
        w.appendNull(0)
        #expect(throws: ParquetError.self) { try w.endRow() }
        #expect(throws: ParquetError.self) { try w.close() }
    }

    @Test("an unfinished row at close is dropped, the file completed, and an error says so")
    func unfinishedRow() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let path = dir.path("partial.parquet")
        let w = try ParquetWriter(path: path, columns: Self.columns)
        try goodRow(w, 0)
        w.append(0, int64: 5)
        do {
            try w.close()
            Issue.record("close did not throw")
        } catch {
            #expect(error.message.contains("unfinished"))
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(Array(data.suffix(4)) == Array("PAR1".utf8))
    }

    @Test("bad schemas and paths throw")
    func badSetup() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        #expect(throws: ParquetError.self) { try ParquetWriter(path: dir.path("a.parquet"), columns: []) }
        #expect(throws: ParquetError.self) {
            try ParquetWriter(
                path: dir.path("b.parquet"),
                columns: [ParquetColumn(name: "x", type: .int64), ParquetColumn(name: "x", type: .string)])
        }
        #expect(throws: ParquetError.self) {
            try ParquetWriter(path: dir.path("c.parquet"), columns: [ParquetColumn(name: "", type: .int64)])
        }
        #expect(throws: ParquetError.self) {
            try ParquetWriter(
                path: dir.path("d.parquet"), columns: [ParquetColumn(name: "x", type: .int64)],
                options: ParquetOptions(pageBytes: 0))
        }
        #expect(throws: ParquetError.self) {
            try ParquetWriter(path: dir.path("no/such/dir/e.parquet"), columns: [ParquetColumn(name: "x", type: .int64)])
        }
    }
}
