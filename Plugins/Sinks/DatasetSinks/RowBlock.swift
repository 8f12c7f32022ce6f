import SpoorKit

/// The events of one partition of one batch, with every value copied into one owned arena:
/// what a worker hands the sink thread when the batch's record memory is about to be reused.
struct RowBlock: Sendable {
    struct Value: Sendable {
        var field: UInt8
        var kind: Slot.Kind
        var keyLength: UInt32
        var length: UInt32
        /// The number, or the offset of the bytes in `arena`.
        var value: Int64
    }

    let dataset: String
    let day: Int64
    var arena: [UInt8] = []
    var values: [Value] = []
    /// Where each row's values start in `values` (plus one past the end).
    var rowStarts: [Int32] = [0]

    init(dataset: String, day: Int64) {
        self.dataset = dataset
        self.day = day
    }

    var rows: Int { rowStarts.count - 1 }

    mutating func add(_ event: EventHeader, _ reader: BatchReader) {
        for slot in reader.slots(of: event) {
            if slot.kind == .number {
                values.append(Value(field: slot.field.rawValue, kind: .number, keyLength: 0, length: 0, value: slot.value))
            } else {
                let bytes = reader.bytes(slot)
                values.append(Value(field: slot.field.rawValue, kind: slot.kind, keyLength: slot.keyLength,
                                    length: UInt32(bytes.count), value: Int64(arena.count)))
                arena.append(contentsOf: bytes)
            }
        }
        rowStarts.append(Int32(values.count))
    }
}
