import SpoorKit
import SpoorParquet

/// The events of one partition of one batch, with every value copied into one owned arena:
/// what a worker hands the sink thread when the batch's record memory is about to be reused.
///
/// The worker also does the transposition the Parquet writer needs (`seal`): rows are put in
/// `@timestamp` order (stable), and the values grouped by column, so the sink thread appends
/// whole columns.
struct RowBlock: Sendable {
    /// The partition (`Partitioning.signature`).
    let signature: [UInt8]
    var arena: [UInt8] = []
    /// After `seal`: every value, grouped by column (the field's raw value), each column's
    /// rows ascending. A scalar field set twice in one event keeps its first value.
    private(set) var cells: [ParquetCell] = []
    /// After `seal`: where each column's cells start in `cells` (plus one past the end).
    private(set) var columnStarts: [Int32] = []
    /// The rows' timestamps, in the order they were added (in time order after `seal`).
    private(set) var timestamps: [Int64] = []

    // While adding: values in row order, and where each row's values start.
    private var fields: [UInt8] = []
    private var pending: [ParquetCell] = []
    private var rowStarts: [Int32] = [0]

    init(signature: [UInt8]) {
        self.signature = signature
    }

    var rows: Int { timestamps.count }

    mutating func add(_ event: EventHeader, _ reader: BatchReader) {
        for slot in reader.slots(of: event) {
            fields.append(slot.field.rawValue)
            if slot.kind == .number {
                pending.append(ParquetCell(row: 0, value: slot.value))
            } else {
                let bytes = reader.bytes(slot)
                pending.append(ParquetCell(row: 0, keyLength: slot.keyLength, length: UInt32(bytes.count), value: Int64(arena.count)))
                arena.append(contentsOf: bytes)
            }
        }
        rowStarts.append(Int32(pending.count))
        timestamps.append(event.timestamp)
    }

    /// Orders rows by time and groups the values by column.
    /// `repeated[c]`: column `c` holds several values per row (a list, a map).
    mutating func seal(repeated: [Bool]) {
        let n = rows, columns = repeated.count
        var order = Array(0..<n)
        if !timestamps.isSorted() {
            order.sort { timestamps[$0] < timestamps[$1] || (timestamps[$0] == timestamps[$1] && $0 < $1) }
            timestamps = order.map { timestamps[$0] }
        }
        var seen = [Int32](repeating: -1, count: columns)
        var counts = [Int32](repeating: 0, count: columns + 1)
        var keep = [Bool](repeating: true, count: pending.count)
        // Unsafe buffers: these loops run once per value, and array bounds and uniqueness
        // checks there cost as much as the work.
        fields.withUnsafeBufferPointer { fields in
            rowStarts.withUnsafeBufferPointer { rowStarts in
                seen.withUnsafeMutableBufferPointer { seen in
                    counts.withUnsafeMutableBufferPointer { counts in
                        keep.withUnsafeMutableBufferPointer { keep in
                            for row in 0..<n {
                                for v in Int(rowStarts[row])..<Int(rowStarts[row + 1]) {
                                    let f = Int(fields[v])
                                    if seen[f] == Int32(row) && !repeated[f] { keep[v] = false; continue }
                                    seen[f] = Int32(row)
                                    counts[f + 1] += 1
                                }
                            }
                            for f in 0..<columns { counts[f + 1] += counts[f] }
                        }
                    }
                }
            }
        }
        columnStarts = counts
        var cursor = counts
        cells = [ParquetCell](unsafeUninitializedCapacity: Int(counts[columns])) { cells, initialized in
            fields.withUnsafeBufferPointer { fields in
                rowStarts.withUnsafeBufferPointer { rowStarts in
                    pending.withUnsafeBufferPointer { pending in
                        keep.withUnsafeBufferPointer { keep in
                            cursor.withUnsafeMutableBufferPointer { cursor in
                                for (newRow, row) in order.enumerated() {
                                    for v in Int(rowStarts[row])..<Int(rowStarts[row + 1]) where keep[v] {
                                        let f = Int(fields[v])
                                        var cell = pending[v]
                                        cell.row = Int32(newRow)
                                        (cells.baseAddress! + Int(cursor[f])).initialize(to: cell)
                                        cursor[f] += 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
            initialized = Int(counts[columns])
        }
        pending = []
        fields = []
        rowStarts = []
    }
}

extension Array where Element == Int64 {
    func isSorted() -> Bool {
        var i = 1
        while i < count {
            if self[i] < self[i - 1] { return false }
            i += 1
        }
        return true
    }
}
