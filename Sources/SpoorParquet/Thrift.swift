// Thrift compact protocol: just the encoding side, and just what a Parquet footer and page
// headers need (structs, unions, lists, i16/i32/i64, binary, bool).
//
// Wire rules (Thrift compact protocol spec):
// - field header: one byte `delta << 4 | type` when the field id is 1...15 above the previous
//   one in the same struct, else the type byte followed by the zigzag varint field id;
// - bool fields carry their value in the header type (1 = true, 2 = false);
// - i16/i32/i64: zigzag, then ULEB128 varint; binary/string: varint length, then bytes;
// - list: one byte `size << 4 | elemType` when size < 15, else `0xF0 | elemType` + varint size;
// - struct: fields, then a 0 (stop) byte; a nested struct starts again from field id 0.
// A union is a struct with exactly one field set.

enum CompactType: UInt8 {
    case boolTrue = 1, boolFalse = 2, byte = 3, i16 = 4, i32 = 5, i64 = 6, double = 7
    case binary = 8, list = 9, set = 10, map = 11, structure = 12
}

struct CompactWriter {
    private(set) var bytes: [UInt8] = []
    private var lastField: Int16 = 0
    private var stack: [Int16] = []

    init(reserving capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func zigzag(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    private mutating func fieldHeader(_ id: Int16, _ type: CompactType) {
        let delta = Int(id) - Int(lastField)
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            zigzag(Int64(id))
        }
        lastField = id
    }

    // MARK: fields

    mutating func bool(_ id: Int16, _ value: Bool) {
        fieldHeader(id, value ? .boolTrue : .boolFalse)
    }

    mutating func i16(_ id: Int16, _ value: Int16) {
        fieldHeader(id, .i16)
        zigzag(Int64(value))
    }

    mutating func i32(_ id: Int16, _ value: Int32) {
        fieldHeader(id, .i32)
        zigzag(Int64(value))
    }

    mutating func i64(_ id: Int16, _ value: Int64) {
        fieldHeader(id, .i64)
        zigzag(value)
    }

    mutating func binary(_ id: Int16, _ value: [UInt8]) {
        fieldHeader(id, .binary)
        elementBinary(value)
    }

    mutating func string(_ id: Int16, _ value: String) {
        binary(id, Array(value.utf8))
    }

    /// Starts a struct-valued field (also a union, or a union's empty-struct member).
    mutating func beginStruct(_ id: Int16) {
        fieldHeader(id, .structure)
        stack.append(lastField)
        lastField = 0
    }

    /// Ends a struct opened with `beginStruct` or `beginStructElement`.
    mutating func endStruct() {
        bytes.append(0)
        lastField = stack.removeLast()
    }

    /// An empty struct as a field: what the marker members of a union (`StringType`, `MICROS`…) are.
    mutating func emptyStruct(_ id: Int16) {
        beginStruct(id)
        endStruct()
    }

    mutating func beginList(_ id: Int16, _ element: CompactType, count: Int) {
        fieldHeader(id, .list)
        if count < 15 {
            bytes.append(UInt8(count) << 4 | element.rawValue)
        } else {
            bytes.append(0xF0 | element.rawValue)
            varint(UInt64(count))
        }
    }

    // MARK: list elements

    mutating func elementI32(_ value: Int32) {
        zigzag(Int64(value))
    }

    mutating func elementBinary(_ value: [UInt8]) {
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func elementString(_ value: String) {
        elementBinary(Array(value.utf8))
    }

    mutating func beginStructElement() {
        stack.append(lastField)
        lastField = 0
    }

    /// The stop byte of the outermost struct.
    mutating func finish() {
        precondition(stack.isEmpty, "unbalanced Thrift structs")
        bytes.append(0)
    }
}
