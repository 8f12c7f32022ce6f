#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One value of a column-wise append: the row it belongs to (within the batch) and the value —
/// an integer, or `length` bytes at `value` in the batch's arena (for a map entry, the key is
/// the first `keyLength` of them, the value the rest).
public struct ParquetCell: Sendable {
    public var row: Int32
    public var keyLength: UInt32
    public var length: UInt32
    public var value: Int64

    public init(row: Int32, keyLength: UInt32 = 0, length: UInt32 = 0, value: Int64) {
        self.row = row
        self.keyLength = keyLength
        self.length = length
        self.value = value
    }

    /// An empty (not null) list or map in `row`: its only cell.
    public static func empty(row: Int32) -> ParquetCell {
        ParquetCell(row: row, keyLength: emptyMarker, value: 0)
    }

    static let emptyMarker = UInt32.max
}

// Column-wise appends: a batch of rows given one column at a time. A log event fills a few of
// dozens of columns, so the row API's per-cell call (and a null for every absent column) is
// most of the cost of writing; here an absent column costs one bulk fill per batch, and page
// and row-group checks run once per batch instead of once per row.
//
//     try w.beginRows(n)
//     w.appendColumn(0, cells: cells0, arena: arena)    // cells in row order; rows may repeat
//     …                                                  // only for list and map columns
//     try w.endRows()                                    // columns not given are null
//
// Pages close at batch boundaries (a batch is also a row boundary), so keep batches to a
// few thousand rows. Strings that are not UTF-8 are always repaired (`.replace`).
extension ParquetWriter {
    public func beginRows(_ count: Int) throws(ParquetError) {
        try checkOpen()
        guard appendedCount == 0, rowError == nil, batchRows == 0 else {
            throw ParquetError("beginRows: a row or batch is still open")
        }
        guard count > 0 else { throw ParquetError("beginRows: a batch needs at least one row") }
        batchRows = count
        batchSequence &+= 1
    }

    /// The values of `column` for the open batch, in row order (each row at most once, except
    /// list elements and map entries, which repeat their row). Rows without a cell are null.
    public func appendColumn(_ column: Int, cells: UnsafeBufferPointer<ParquetCell>, arena: UnsafeRawBufferPointer) {
        guard batchRows > 0, column >= 0, column < columns.count, batchFilled[column] != batchSequence else {
            if rowError == nil { rowError = ParquetError("appendColumn(\(column)): no open batch, no such column, or given twice") }
            return
        }
        batchFilled[column] = batchSequence
        let leaf = leaves[firstLeaf[column]]
        let kind = kinds[column]
        var next = 0  // the first row not yet filled
        var previous = -1
        // The previous string and its dictionary index: neighbouring rows often repeat a value
        // (one host, one program), and a compare is cheaper than a hash probe.
        var last = UnsafeRawBufferPointer(start: nil, count: 0)
        var lastIndex: UInt32?
        @inline(__always) func bytes(_ c: ParquetCell, from: Int = 0, to: Int) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: arena[(Int(c.value) + from)..<(Int(c.value) + to)])
        }
        for c in cells {
            let row = Int(c.row)
            guard row < batchRows, row >= previous, row > previous || kind == .stringList || kind == .stringMap else {
                if rowError == nil { rowError = ParquetError("appendColumn(\(columns[column].name)): rows out of order or out of the batch") }
                return
            }
            if row > next {
                leaf.appendNulls(row - next)
                if kind == .stringMap { leaves[firstLeaf[column] + 1].appendNulls(row - next) }
            }
            let repetition: UInt8 = row == previous ? 1 : 0
            if c.keyLength == ParquetCell.emptyMarker && (kind == .stringList || kind == .stringMap) {
                leaf.appendAbsent(definition: 1)
                if kind == .stringMap { leaves[firstLeaf[column] + 1].appendAbsent(definition: 1) }
                previous = row
                next = row + 1
                continue
            }
            switch kind {
            case .int64, .timestampMicros: leaf.appendInt64(c.value)
            case .int32: leaf.appendInt32(Int32(truncatingIfNeeded: c.value))
            case .bool: leaf.appendBool(c.value != 0)
            case .string, .stringList:
                let p = bytes(c, to: Int(c.length))
                if let index = lastIndex, p.count == last.count, p.count == 0 || bytesEqual(p.baseAddress!, last.baseAddress!, p.count) {
                    leaf.appendIndex(index, repetition: repetition)
                } else {
                    lastIndex = appendUTF8(leaf, p, repetition: repetition, column: column, policy: .replace)
                    last = p
                }
            case .stringMap:
                appendUTF8(leaf, bytes(c, to: Int(c.keyLength)), repetition: repetition, column: column, policy: .replace)
                appendUTF8(leaves[firstLeaf[column] + 1], bytes(c, from: Int(c.keyLength), to: Int(c.length)),
                           repetition: repetition, column: column, policy: .replace)
            }
            previous = row
            next = row + 1
        }
        if next < batchRows {
            leaf.appendNulls(batchRows - next)
            if kind == .stringMap { leaves[firstLeaf[column] + 1].appendNulls(batchRows - next) }
        }
    }

    /// Completes the batch: columns not given are null; pages and the row group are closed
    /// when full.
    public func endRows() throws(ParquetError) {
        try checkOpen()
        let count = batchRows
        guard count > 0 else { throw ParquetError("endRows: no open batch") }
        batchRows = 0
        if let error = rowError {
            rowError = nil
            for leaf in leaves { leaf.discardRow() }
            throw error
        }
        for column in columns.indices where batchFilled[column] != batchSequence {
            leaves[firstLeaf[column]].appendNulls(count)
            if kinds[column] == .stringMap { leaves[firstLeaf[column] + 1].appendNulls(count) }
        }
        rows += count
        rowsInGroup += count
        repaired += repairedInRow
        repairedInRow = 0
        try closeFullPages(rows: count)
    }
}
