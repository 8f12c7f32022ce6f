// SpoorParquet: a streaming Parquet writer (format v1 data pages) that knows nothing of logs.
//
// Rows are appended column by column: for each column of a row exactly one `append…` or
// `appendNull`, then `endRow()`. Values are buffered per column chunk for one row group at a
// time; a full row group is written out, so memory stays bounded by one row group. `close()`
// writes the last row group and the footer. The file is written in place at `path` (the caller
// renames it where it belongs).
//
//     let w = try ParquetWriter(path: tmp, columns: [
//         ParquetColumn(name: "ts", type: .timestampMicros),
//         ParquetColumn(name: "msg", type: .string),
//         ParquetColumn(name: "tags", type: .stringList),
//     ])
//     w.append(0, int64: micros)
//     line.withUnsafeBytes { w.append(1, bytes: $0) }   // or w.append(1, string: "…")
//     w.appendNull(2)                                   // null list; `list: []` is an empty one
//     try w.endRow()                                    // throws on misuse; the row is dropped
//     let (rows, bytes) = try w.close()

/// The logical kind of a top-level column. Every top-level column is optional (nullable).
public enum ParquetType: Sendable, Hashable {
    /// INT64 microseconds since the Unix epoch, UTC-adjusted (TIMESTAMP(MICROS, true)).
    case timestampMicros
    /// BYTE_ARRAY, UTF-8 (STRING), dictionary-encoded while the dictionary stays small.
    case string
    case int64
    case int32
    case bool
    /// LIST of STRING: `optional group (LIST) { repeated group list { optional binary element (STRING) } }`.
    case stringList
    /// MAP<STRING, STRING>: `optional group (MAP) { repeated group key_value { required binary key (STRING);
    /// optional binary value (STRING) } }`.
    case stringMap
}

public struct ParquetColumn: Sendable, Hashable {
    public var name: String
    public var type: ParquetType
    /// Whether string values start dictionary-encoded. Off for columns whose values are all
    /// different (ids, raw records): the dictionary could only overflow, after costing a
    /// lookup per value.
    public var dictionary: Bool
    /// Whether string values get min/max statistics (null counts always). Off for columns
    /// no one filters by range (raw records): two comparisons a value for nothing.
    public var minMax: Bool

    public init(name: String, type: ParquetType, dictionary: Bool = true, minMax: Bool = true) {
        self.name = name
        self.type = type
        self.dictionary = dictionary
        self.minMax = minMax
    }
}

public enum ParquetCodec: Sendable, Hashable {
    /// LZ4_RAW (codec 7): one bare LZ4 block per page.
    case lz4Raw
    /// ZSTD (codec 6) at a level (1–22; 3 is zstd's default): smaller files, slower writes.
    case zstd(level: Int32)
    case uncompressed

    var id: CodecID {
        switch self {
        case .lz4Raw: .lz4Raw
        case .zstd: .zstd
        case .uncompressed: .uncompressed
        }
    }

    /// `lz4_raw`, `zstd`, `zstd:LEVEL` or `uncompressed`; nil for anything else.
    public init?(parsing text: String) {
        switch text {
        case "lz4_raw", "lz4": self = .lz4Raw
        case "uncompressed", "none": self = .uncompressed
        case "zstd": self = .zstd(level: 3)
        default:
            guard text.hasPrefix("zstd:"), let level = Int32(text.dropFirst(5)), (1...22).contains(level) else { return nil }
            self = .zstd(level: level)
        }
    }
}

/// What to do with a string value that is not well-formed UTF-8. (Readers refuse such files:
/// DuckDB, pyarrow and polars all fail on the whole column.)
public enum InvalidUTF8Policy: Sendable, Hashable {
    /// Replace each ill-formed subsequence with U+FFFD (counted in `ParquetWriter.repairedValues`).
    case replace
    /// Reject the row: `endRow()` throws.
    case reject
}

public struct ParquetOptions: Sendable {
    public var codec: ParquetCodec
    /// A data page is closed (at a row boundary) once its encoded size reaches this.
    public var pageBytes: Int
    /// …or once it holds this many rows.
    public var pageRows: Int
    /// A row group is written once its estimated uncompressed size reaches this…
    public var rowGroupBytes: Int
    /// …or once it holds this many rows.
    public var rowGroupRows: Int
    /// A string column chunk whose dictionary grows past this goes on in PLAIN encoding.
    public var maxDictionaryBytes: Int
    /// String min/max statistics longer than this are shortened to about this many bytes
    /// (still valid bounds, flagged inexact), so one huge value does not bloat the footer.
    public var maxStatisticsBytes: Int
    public var invalidUTF8: InvalidUTF8Policy
    /// INT64 and timestamp pages are DELTA_BINARY_PACKED (a few bits a value for times,
    /// offsets and counters) instead of PLAIN.
    public var deltaIntegers: Bool
    /// String pages that are not dictionary-encoded are DELTA_BYTE_ARRAY (shared prefixes
    /// dropped) instead of PLAIN.
    public var deltaStrings: Bool
    /// An int64/timestamp column whose row groups are declared sorted (`sorting_columns`)
    /// when their values arrived in ascending order with no null. The writer checks; it does
    /// not sort.
    public var sortingColumn: Int?
    /// Written to the footer's key_value_metadata (sorted by key).
    public var keyValueMetadata: [String: String]
    /// The footer's created_by (`<application> version <version>`).
    public var createdBy: String

    public init(
        codec: ParquetCodec = .lz4Raw,
        pageBytes: Int = 1 << 20,
        pageRows: Int = 20_000,
        rowGroupBytes: Int = 128 << 20,
        rowGroupRows: Int = 1 << 20,
        maxDictionaryBytes: Int = 1 << 20,
        maxStatisticsBytes: Int = 128,
        invalidUTF8: InvalidUTF8Policy = .replace,
        deltaIntegers: Bool = true,
        deltaStrings: Bool = true,
        sortingColumn: Int? = nil,
        keyValueMetadata: [String: String] = [:],
        createdBy: String = "spoor-parquet version 1.0.0"
    ) {
        self.codec = codec
        self.pageBytes = pageBytes
        self.pageRows = pageRows
        self.rowGroupBytes = rowGroupBytes
        self.rowGroupRows = rowGroupRows
        self.maxDictionaryBytes = maxDictionaryBytes
        self.maxStatisticsBytes = maxStatisticsBytes
        self.invalidUTF8 = invalidUTF8
        self.deltaIntegers = deltaIntegers
        self.deltaStrings = deltaStrings
        self.sortingColumn = sortingColumn
        self.keyValueMetadata = keyValueMetadata
        self.createdBy = createdBy
    }
}

/// A misuse or an I/O failure, with a message.
public struct ParquetError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    /// The system error behind an I/O failure (ENOSPC, EFBIG, …), or 0.
    public let code: Int32

    public init(_ message: String, code: Int32 = 0) {
        self.message = message
        self.code = code
    }

    public var description: String { message }
}

/// Writes one Parquet file. Not thread-safe: one owner at a time. A writer released without
/// `close()` leaves an incomplete file (no footer).
public final class ParquetWriter {
    public let path: String
    public let columns: [ParquetColumn]
    public let options: ParquetOptions

    let kinds: [ParquetType]
    let firstLeaf: [Int]
    let leaves: [LeafWriter]
    private let schema: [SchemaElement]
    private let out: FileOutput

    private enum State {
        case open
        case closed
        case failed(ParquetError)
    }
    private var state = State.open

    /// Per column: the row it was last appended to (`rows` = the row in progress).
    private var appendedInRow: [Int]
    var appendedCount = 0
    var rowError: ParquetError?

    var rows = 0
    // The open column-wise batch (see ColumnAppend.swift): its row count (0: none), and per
    // column the batch that last filled it.
    var batchRows = 0
    var batchSequence = 0
    var batchFilled: [Int]
    var rowsInGroup = 0
    var repaired = 0
    var repairedInRow = 0
    private var rowGroups: [RowGroupMeta] = []
    var scratch: [UInt8] = []
    var compressed: [UInt8] = []

    /// Creates (or truncates) `path` and writes the leading magic.
    public init(path: String, columns: [ParquetColumn], options: ParquetOptions = ParquetOptions())
        throws(ParquetError)
    {
        guard !columns.isEmpty else { throw ParquetError("a Parquet file needs at least one column") }
        var seen = Set<String>()
        for c in columns {
            guard !c.name.isEmpty else { throw ParquetError("a column name is empty") }
            guard seen.insert(c.name).inserted else { throw ParquetError("column \"\(c.name)\" appears twice") }
        }
        guard options.pageBytes > 0, options.pageRows > 0, options.rowGroupBytes > 0, options.rowGroupRows > 0,
            options.maxDictionaryBytes >= 0, options.maxStatisticsBytes >= 1
        else { throw ParquetError("page and row group sizes must be positive") }

        var schema = [SchemaElement(name: "schema", numChildren: columns.count)]
        var leaves: [LeafWriter] = []
        var firstLeaf: [Int] = []
        var dictionary = true
        var minMax = true
        func leaf(_ physical: PhysicalType, _ path: [String], definition: UInt8 = 1, repetition: UInt8 = 0) {
            leaves.append(
                LeafWriter(
                    physical: physical, path: path, maxDefinition: definition, maxRepetition: repetition,
                    statisticsLimit: options.maxStatisticsBytes, dictionary: dictionary, minMax: minMax))
        }
        for c in columns {
            dictionary = c.dictionary
            minMax = c.minMax
            firstLeaf.append(leaves.count)
            let name = c.name
            switch c.type {
            case .timestampMicros:
                schema.append(
                    SchemaElement(
                        name: name, type: .int64, repetition: .optional, convertedType: .timestampMicros,
                        logicalType: .timestampMicrosUTC))
                leaf(.int64, [name])
            case .string:
                schema.append(stringElement(name, .optional))
                leaf(.byteArray, [name])
            case .int64:
                schema.append(SchemaElement(name: name, type: .int64, repetition: .optional))
                leaf(.int64, [name])
            case .int32:
                schema.append(SchemaElement(name: name, type: .int32, repetition: .optional))
                leaf(.int32, [name])
            case .bool:
                schema.append(SchemaElement(name: name, type: .boolean, repetition: .optional))
                leaf(.boolean, [name])
            case .stringList:
                schema.append(
                    SchemaElement(
                        name: name, repetition: .optional, numChildren: 1, convertedType: .list, logicalType: .list))
                schema.append(SchemaElement(name: "list", repetition: .repeated, numChildren: 1))
                schema.append(stringElement("element", .optional))
                // def: 0 null list, 1 empty list, 2 null element, 3 element; rep 1 = next element.
                leaf(.byteArray, [name, "list", "element"], definition: 3, repetition: 1)
            case .stringMap:
                schema.append(
                    SchemaElement(
                        name: name, repetition: .optional, numChildren: 1, convertedType: .map, logicalType: .map))
                schema.append(SchemaElement(name: "key_value", repetition: .repeated, numChildren: 2))
                schema.append(stringElement("key", .required))
                schema.append(stringElement("value", .optional))
                // def: 0 null map, 1 empty map, 2 key (3 value); rep 1 = next entry.
                leaf(.byteArray, [name, "key_value", "key"], definition: 2, repetition: 1)
                leaf(.byteArray, [name, "key_value", "value"], definition: 3, repetition: 1)
            }
        }
        self.path = path
        self.columns = columns
        self.options = options
        self.kinds = columns.map(\.type)
        self.firstLeaf = firstLeaf
        for leaf in leaves {
            leaf.deltaIntegers = options.deltaIntegers
            leaf.deltaStrings = options.deltaStrings
        }
        self.leaves = leaves
        self.schema = schema
        self.appendedInRow = [Int](repeating: -1, count: columns.count)
        self.batchFilled = [Int](repeating: 0, count: columns.count)
        self.out = try FileOutput(path: path)
        do {
            try out.write(magic)
        } catch {
            out.abandon()
            throw error
        }
    }

    /// Rows completed so far.
    public var rowCount: Int { rows }

    /// String values written with ill-formed UTF-8 replaced (policy `.replace`).
    public var repairedValues: Int { repaired }

    // MARK: appending one row

    /// `column` is null in this row (for a list or map column: a null list/map, not an empty one).
    public func appendNull(_ column: Int) {
        guard claim(column) else { return }
        let l = firstLeaf[column]
        leaves[l].appendAbsent()
        if kinds[column] == .stringMap { leaves[l + 1].appendAbsent() }
    }

    /// For int64, timestampMicros (µs since the epoch), int32 (range-checked) and bool (0 or 1) columns.
    public func append(_ column: Int, int64 value: Int64) {
        guard claim(column) else { return }
        let leaf = leaves[firstLeaf[column]]
        switch kinds[column] {
        case .int64, .timestampMicros:
            leaf.appendInt64(value)
        case .int32:
            guard let v = Int32(exactly: value) else {
                return reject(column, "value \(value) does not fit the int32 column")
            }
            leaf.appendInt32(v)
        case .bool:
            guard value == 0 || value == 1 else {
                return reject(column, "value \(value) for the bool column (0 or 1 expected)")
            }
            leaf.appendBool(value == 1)
        case let kind:
            reject(column, "an integer appended to the \(kind) column")
        }
    }

    public func append(_ column: Int, bool value: Bool) {
        guard claim(column) else { return }
        guard kinds[column] == .bool else { return reject(column, "a bool appended to the \(kinds[column]) column") }
        leaves[firstLeaf[column]].appendBool(value)
    }

    /// For string columns: UTF-8 bytes, copied before returning (ill-formed UTF-8: see
    /// `ParquetOptions.invalidUTF8`).
    public func append(_ column: Int, bytes: UnsafeRawBufferPointer) {
        guard claim(column) else { return }
        guard kinds[column] == .string else { return reject(column, "bytes appended to the \(kinds[column]) column") }
        appendUTF8(leaves[firstLeaf[column]], bytes, column: column)
    }

    /// For string columns.
    public func append(_ column: Int, string: String) {
        var s = string
        s.withUTF8 { append(column, bytes: UnsafeRawBufferPointer($0)) }
    }

    /// For stringList columns: the elements (an empty array is an empty list, not null).
    public func append(_ column: Int, list: [UnsafeRawBufferPointer]) {
        guard claim(column) else { return }
        guard kinds[column] == .stringList else {
            return reject(column, "a list appended to the \(kinds[column]) column")
        }
        let leaf = leaves[firstLeaf[column]]
        if list.isEmpty {
            leaf.appendAbsent(definition: 1)
            return
        }
        var repetition: UInt8 = 0
        for element in list {
            appendUTF8(leaf, element, repetition: repetition, column: column)
            repetition = 1
        }
    }

    /// For stringList columns.
    public func append(_ column: Int, strings: [String]) {
        withBuffers(strings) { append(column, list: $0) }
    }

    /// For stringMap columns: the entries in order (an empty array is an empty map, not null).
    public func append(_ column: Int, map: [(UnsafeRawBufferPointer, UnsafeRawBufferPointer)]) {
        guard claim(column) else { return }
        guard kinds[column] == .stringMap else { return reject(column, "a map appended to the \(kinds[column]) column") }
        let keys = leaves[firstLeaf[column]]
        let values = leaves[firstLeaf[column] + 1]
        if map.isEmpty {
            keys.appendAbsent(definition: 1)
            values.appendAbsent(definition: 1)
            return
        }
        var repetition: UInt8 = 0
        for (k, v) in map {
            appendUTF8(keys, k, repetition: repetition, column: column)
            appendUTF8(values, v, repetition: repetition, column: column)
            repetition = 1
        }
    }

    /// For stringMap columns.
    public func append(_ column: Int, pairs: [(String, String)]) {
        withBuffers(pairs.flatMap { [$0.0, $0.1] }) { flat in
            var entries: [(UnsafeRawBufferPointer, UnsafeRawBufferPointer)] = []
            entries.reserveCapacity(pairs.count)
            var i = 0
            while i < flat.count {
                entries.append((flat[i], flat[i + 1]))
                i += 2
            }
            append(column, map: entries)
        }
    }

    /// Completes the row. Throws (and drops the row, the writer stays usable) if a column was
    /// missing, appended twice or given a value of the wrong kind; throws on a write failure
    /// (the writer is then unusable).
    public func endRow() throws(ParquetError) {
        try checkOpen()
        if let error = rowError {
            discardRow()
            throw error
        }
        guard appendedCount == columns.count else {
            let missing = columns.indices.filter { appendedInRow[$0] != rows }.map { columns[$0].name }
            discardRow()
            throw ParquetError("row \(rows): no value for column(s) \(missing.joined(separator: ", "))")
        }
        appendedCount = 0
        rows += 1
        rowsInGroup += 1
        repaired += repairedInRow
        repairedInRow = 0

        try closeFullPages(rows: 1)
    }

    /// After `rows` completed rows: closes every full page, then the row group if full.
    func closeFullPages(rows: Int) throws(ParquetError) {
        var rowGroupEstimate = 0
        for leaf in leaves {
            switch leaf.endRow(
                pageBytes: options.pageBytes, pageRows: options.pageRows, maxDictionaryBytes: options.maxDictionaryBytes,
                rows: rows)
            {
            case .none: break
            case .flush:
                try guarded { () throws(ParquetError) in
                    try leaf.flushPage(codec: options.codec, scratch: &scratch, compressed: &compressed)
                }
            case .flushAndFallBack:
                try guarded { () throws(ParquetError) in
                    try leaf.flushPage(codec: options.codec, scratch: &scratch, compressed: &compressed, fallBack: true)
                }
            }
            rowGroupEstimate += leaf.rowGroupSizeEstimate
        }
        if rowsInGroup >= options.rowGroupRows || rowGroupEstimate >= options.rowGroupBytes {
            try guarded { () throws(ParquetError) in try writeRowGroup() }
        }
    }

    /// Writes the last row group and the footer and closes the file, which is then complete.
    /// An unfinished row (appends without `endRow`) is dropped: the file is still completed,
    /// then an error says so.
    @discardableResult
    public func close() throws(ParquetError) -> (rows: Int, bytes: Int) {
        switch state {
        case .open: break
        case .closed: throw ParquetError("\(path) is already closed")
        case .failed(let error): throw error
        }
        let unfinished = appendedCount > 0 || rowError != nil
        if unfinished { discardRow() }
        try guarded { () throws(ParquetError) in
            try writeRowGroup()
            var keyValues = options.keyValueMetadata.map { (key: $0.key, value: $0.value) }
            keyValues.sort { $0.key < $1.key }
            let footer = FileMetaData(
                schema: schema, numRows: Int64(rows), rowGroups: rowGroups, keyValueMetadata: keyValues,
                createdBy: options.createdBy, leafCount: leaves.count
            ).encoded()
            try out.write(footer)
            var length: [UInt8] = []
            appendLE(UInt32(footer.count), to: &length)
            try out.write(length)
            try out.write(magic)
            try out.close()
        }
        state = .closed
        let result = (rows: rows, bytes: out.position)
        if unfinished {
            throw ParquetError(
                "close: an unfinished row was dropped; \(path) is complete with \(result.rows) rows")
        }
        return result
    }

    /// Bytes buffered in memory for the current row group (for tests and monitoring).
    var bufferedBytes: Int { leaves.reduce(0) { $0 + $1.bufferedBytes } }

    /// Row groups written so far.
    var rowGroupCount: Int { rowGroups.count }

    /// Metadata of the row groups written so far (for tests).
    var writtenRowGroups: [RowGroupMeta] { rowGroups }

    // MARK: internals

    @inline(__always)
    private func claim(_ column: Int) -> Bool {
        guard column >= 0 && column < columns.count else {
            if rowError == nil { rowError = ParquetError("row \(rows): no column \(column) (there are \(columns.count))") }
            return false
        }
        guard appendedInRow[column] != rows else {
            if rowError == nil {
                rowError = ParquetError("row \(rows): column \(columns[column].name) appended twice")
            }
            return false
        }
        appendedInRow[column] = rows
        appendedCount += 1
        return true
    }

    /// Appends a string value, after making sure it is well-formed UTF-8 (`policy`: the
    /// options' unless given); returns its dictionary index if it was appended as given.
    @inline(__always) @discardableResult
    func appendUTF8(_ leaf: LeafWriter, _ p: UnsafeRawBufferPointer, repetition: UInt8 = 0, column: Int,
                    policy: InvalidUTF8Policy? = nil) -> UInt32? {
        // A value already in the dictionary was checked when it entered.
        if leaf.dictionaryActive, let index = leaf.appendIfKnown(p, repetition: repetition) { return index }
        if isValidUTF8(p) { return leaf.appendBytes(p, repetition: repetition) }
        switch policy ?? options.invalidUTF8 {
        case .reject:
            reject(column, "a value is not valid UTF-8")
        case .replace:
            repairedInRow += 1
            repairedUTF8(p).withUnsafeBytes { _ = leaf.appendBytes($0, repetition: repetition) }
        }
        return nil
    }

    private func reject(_ column: Int, _ message: String) {
        if rowError == nil { rowError = ParquetError("row \(rows), column \(columns[column].name): \(message)") }
    }

    private func discardRow() {
        for leaf in leaves { leaf.discardRow() }
        for i in appendedInRow.indices where appendedInRow[i] == rows { appendedInRow[i] = -1 }
        appendedCount = 0
        rowError = nil
        repairedInRow = 0
    }

    func checkOpen() throws(ParquetError) {
        switch state {
        case .open: return
        case .closed: throw ParquetError("\(path) is closed")
        case .failed(let error): throw error
        }
    }

    /// Runs `body`; a failure makes the writer unusable (the file is abandoned).
    func guarded(_ body: () throws(ParquetError) -> Void) throws(ParquetError) {
        do {
            try body()
        } catch {
            state = .failed(error)
            out.abandon()
            throw error
        }
    }

    func writeRowGroup() throws(ParquetError) {
        guard rowsInGroup > 0 else { return }
        let start = Int64(out.position)
        var chunks: [ColumnChunkMeta] = []
        chunks.reserveCapacity(leaves.count)
        var sortedBy: Int?
        if let column = options.sortingColumn, column < columns.count, kinds[column] == .int64 || kinds[column] == .timestampMicros {
            let leaf = leaves[firstLeaf[column]]
            if leaf.ascending && leaf.nullCount == 0 { sortedBy = firstLeaf[column] }
        }
        for leaf in leaves {
            chunks.append(try leaf.writeChunk(to: out, codec: options.codec, scratch: &scratch, compressed: &compressed))
        }
        rowGroups.append(
            RowGroupMeta(
                columns: chunks,
                totalByteSize: chunks.reduce(0) { $0 + $1.totalUncompressedSize },
                numRows: Int64(rowsInGroup),
                fileOffset: start,
                totalCompressedSize: chunks.reduce(0) { $0 + $1.totalCompressedSize },
                ordinal: rowGroups.count, sortedBy: sortedBy))
        rowsInGroup = 0
        if scratch.capacity > 16 << 20 { scratch = [] }
        if compressed.capacity > 16 << 20 { compressed = [] }
    }
}

private let magic: [UInt8] = Array("PAR1".utf8)

private func stringElement(_ name: String, _ repetition: Repetition) -> SchemaElement {
    SchemaElement(name: name, type: .byteArray, repetition: repetition, convertedType: .utf8, logicalType: .string)
}

/// Calls `body` with buffers over the UTF-8 of `strings` (valid only during the call).
private func withBuffers<R>(_ strings: [String], _ body: ([UnsafeRawBufferPointer]) -> R) -> R {
    var joined: [UInt8] = []
    var ends: [Int] = []
    ends.reserveCapacity(strings.count)
    for s in strings {
        joined.append(contentsOf: s.utf8)
        ends.append(joined.count)
    }
    return joined.withUnsafeBytes { all in
        var buffers: [UnsafeRawBufferPointer] = []
        buffers.reserveCapacity(strings.count)
        var start = 0
        for end in ends {
            buffers.append(UnsafeRawBufferPointer(rebasing: all[start..<end]))
            start = end
        }
        return body(buffers)
    }
}
