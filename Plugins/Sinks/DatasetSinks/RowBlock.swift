import SpoorKit
import SpoorParquet

/// The events of one partition of one batch, transposed for the Parquet writer: rows in
/// `@timestamp` order (stable), values grouped by column, each value an offset into the
/// payload's arena. What a worker hands the sink thread when the batch's memory is about
/// to be reused; the sink thread then appends whole columns.
struct RowBlock: Sendable {
    /// The partition (`Partitioning.signature`).
    let signature: [UInt8]
    /// Every value, grouped by column (the field's raw value), each column's rows ascending.
    /// A scalar field set twice in one event keeps its first value.
    fileprivate(set) var cells: [ParquetCell] = []
    /// Where each column's cells start in `cells` (plus one past the end).
    fileprivate(set) var columnStarts: [Int32] = []
    /// The rows' timestamps, ascending.
    fileprivate(set) var timestamps: [Int64] = []

    var rows: Int { timestamps.count }
}

/// Splits a batch into blocks in two passes over its events — count, then place — with
/// no per-value intermediate arrays: this runs once per value of every event.
struct RowBlockBuilder {
    /// `repeated[c]`: column `c` holds several values per row (a list, a map).
    let repeated: [Bool]
    let partitioning: Partitioning
    /// `repeated` as bits (columns 0...63, then 64...127): read for every value, where an
    /// array's bounds check and reference cost more than the test.
    private let repeatedBits: (UInt64, UInt64)

    init(repeated: [Bool], partitioning: Partitioning) {
        precondition(repeated.count <= 128, "a schema of more than 128 columns needs wider sets here")
        self.repeated = repeated
        self.partitioning = partitioning
        var bits: (UInt64, UInt64) = (0, 0)
        for (c, r) in repeated.enumerated() where r {
            if c < 64 { bits.0 |= 1 << UInt64(c) } else { bits.1 |= 1 << UInt64(c - 64) }
        }
        repeatedBits = bits
    }

    /// The batch's blocks, and the arena their cells point into: a copy of the batch's chunk
    /// (most values are pieces of records, and are not copied again), then the other values.
    func blocks(of batch: EventBatch) -> (arena: [UInt8], blocks: [RowBlock]) {
        let columns = repeated.count
        let records = batch.records
        var arena: [UInt8] = []
        arena.reserveCapacity(records.count + records.count / 4 + 4096)
        arena.append(contentsOf: records)
        var blocks: [RowBlock] = []
        batch.withReader { reader in
            let events = reader.events
            // Pass 1: each event's block, and per block the values of each column.
            var eventBlock = [Int32](repeating: 0, count: events.count)
            var counts: [Int32] = []  // blocks × (columns + 1)
            var rowsOf: [Int] = []
            var partitions = PartitionIndex(partitioning)
            for (i, event) in events.enumerated() {
                let last = partitions.index(of: event, reader)
                if last == blocks.count {
                    blocks.append(RowBlock(signature: partitions.signatures[last]))
                    counts.append(contentsOf: repeatElement(0, count: columns + 1))
                    rowsOf.append(0)
                }
                eventBlock[i] = Int32(last)
                rowsOf[last] += 1
                let base = last * (columns + 1) + 1
                forEachKept(reader.slots(of: event)) { _, f in counts[base + f] += 1 }
            }
            // The events of each block, in time order.
            var order = [Int32](repeating: 0, count: events.count)
            var blockStart = [Int](repeating: 0, count: blocks.count + 1)
            for b in blocks.indices { blockStart[b + 1] = blockStart[b] + rowsOf[b] }
            var fill = blockStart
            for i in events.indices {
                let b = Int(eventBlock[i])
                order[fill[b]] = Int32(i)
                fill[b] += 1
            }
            // External values outside the chunk are mostly a parser's constants: copy each once.
            var constants = ConstantCache()
            for b in blocks.indices {
                var rows = order[blockStart[b]..<blockStart[b + 1]]
                var sorted = true
                var previous = Int64.min
                for i in rows {
                    let t = events[Int(i)].timestamp
                    if t < previous {
                        sorted = false
                        break
                    }
                    previous = t
                }
                if !sorted { rows.sort { events[Int($0)].timestamp < events[Int($1)].timestamp || (events[Int($0)].timestamp == events[Int($1)].timestamp && $0 < $1) } }
                // Pass 2: place every value at its column's cursor.
                var starts = [Int32](repeating: 0, count: columns + 1)
                for f in 0..<columns { starts[f + 1] = starts[f] + counts[b * (columns + 1) + 1 + f] }
                var cursor = starts
                let total = Int(starts[columns])
                var timestamps: [Int64] = []
                timestamps.reserveCapacity(rows.count)
                let cells = [ParquetCell](unsafeUninitializedCapacity: total) { cells, initialized in
                    cursor.withUnsafeMutableBufferPointer { cursor in
                        for (newRow, i) in rows.enumerated() {
                            let event = events[Int(i)]
                            timestamps.append(event.timestamp)
                            forEachKept(reader.slots(of: event)) { slot, f in
                                var cell = ParquetCell(row: Int32(newRow), value: slot.value)
                                if slot.kind != .number {
                                    let bytes = reader.bytes(slot)
                                    cell.keyLength = slot.keyLength
                                    cell.length = UInt32(bytes.count)
                                    if slot.kind == .external, let start = records.baseAddress, let p = bytes.baseAddress,
                                       p >= start, p + bytes.count <= start + records.count {
                                        cell.value = Int64(p - start)
                                    } else if slot.kind == .external {
                                        cell.value = Int64(constants.offset(of: bytes, in: &arena))
                                    } else {
                                        cell.value = Int64(arena.count)
                                        arena.append(contentsOf: bytes)
                                    }
                                }
                                (cells.baseAddress! + Int(cursor[f])).initialize(to: cell)
                                cursor[f] += 1
                            }
                        }
                    }
                    initialized = total
                }
                blocks[b].cells = cells
                blocks[b].columnStarts = starts
                blocks[b].timestamps = timestamps
            }
        }
        return (arena, blocks)
    }

    /// Calls `body` with each slot the block keeps, and its column: every value of a list or
    /// map column, the first value of a scalar one.
    @inline(__always)
    private func forEachKept(_ slots: UnsafeBufferPointer<Slot>, _ body: (Slot, Int) -> Void) {
        var seen: (UInt64, UInt64) = (0, 0)
        for slot in slots {
            let f = Int(slot.field.rawValue)
            let bit: UInt64 = 1 << UInt64(f & 63)
            if f < 64 {
                if repeatedBits.0 & bit == 0 {
                    if seen.0 & bit != 0 { continue }
                    seen.0 |= bit
                }
            } else if repeatedBits.1 & bit == 0 {
                if seen.1 & bit != 0 { continue }
                seen.1 |= bit
            }
            body(slot, f)
        }
    }
}

/// The arena offsets of constants copied (by address): a parser sets the same static
/// strings ("authentication", "failure") on most of its events. Direct-mapped by address,
/// so a lookup is one compare; a constant pushed out is copied again, which costs bytes,
/// never a wrong value.
private struct ConstantCache {
    private var entries: [(address: UnsafeRawPointer?, count: Int, offset: Int)] = Array(repeating: (nil, 0, 0), count: 64)

    mutating func offset(of bytes: UnsafeRawBufferPointer, in arena: inout [UInt8]) -> Int {
        let i = Int(truncatingIfNeeded: (UInt(bitPattern: bytes.baseAddress) &* 0x9E37_79B9_7F4A_7C15) >> 58)
        let e = entries[i]
        if e.address == bytes.baseAddress, e.count == bytes.count, e.address != nil { return e.offset }
        let offset = arena.count
        arena.append(contentsOf: bytes)
        entries[i] = (bytes.baseAddress, bytes.count, offset)
        return offset
    }
}
