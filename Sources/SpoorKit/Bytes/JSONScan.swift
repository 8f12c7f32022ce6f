/// Byte-level JSON scanning: where a value ends, what a document's fields are. Enough to
/// frame and read log records without building a tree or a `String` per value.
public enum JSONScan {
    @inline(__always)
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    /// Index just past the JSON value starting at `i` (after whitespace), nil when the
    /// value is cut off or malformed.
    public static func valueEnd(_ b: Bytes, from start: Int) -> Int? {
        var i = start
        while i < b.count, isSpace(b[i]) { i += 1 }
        guard i < b.count else { return nil }
        switch b[i] {
        case 0x7B, 0x5B:   // { [ : balanced, strings skipped
            var depth = 0
            while i < b.count {
                let c = b[i]
                if c == 0x22 {
                    guard let e = stringEnd(b, from: i) else { return nil }
                    i = e
                    continue
                }
                if c == 0x7B || c == 0x5B { depth += 1 } else if c == 0x7D || c == 0x5D {
                    depth -= 1
                    if depth == 0 { return i + 1 }
                }
                i += 1
            }
            return nil
        case 0x22:
            return stringEnd(b, from: i)
        default:   // number, true, false, null
            while i < b.count, !isSpace(b[i]), b[i] != 0x2C, b[i] != 0x7D, b[i] != 0x5D { i += 1 }
            return i < b.count ? i : nil
        }
    }

    /// Index just past the string whose opening quote is at `i`.
    @inline(__always)
    public static func stringEnd(_ b: Bytes, from i: Int) -> Int? {
        var j = i + 1
        while true {
            guard let q = b.firstIndex(of: 0x22, from: j) else { return nil }
            // Count the backslashes before the quote: an odd number escapes it.
            var k = q - 1, slashes = 0
            while k > i, b[k] == 0x5C { slashes += 1; k -= 1 }
            if slashes % 2 == 0 { return q + 1 }
            j = q + 1
        }
    }
}

/// The scalar values of one JSON object, by dotted path (`properties.status.errorCode`,
/// `ExtendedProperties[0].Value`), indexed in one pass. Reused per worker: `load` a record,
/// then look values up; values are slices of the record (strings still escaped).
public final class JSONIndex {
    public enum Kind: UInt8 { case string, number, bool, null, object, array }

    public struct Value {
        public let kind: Kind
        /// The raw bytes: a string without its quotes (escapes not yet decoded).
        public let raw: Bytes
        let escaped: Bool

        /// The value's text with JSON escapes decoded (copied only when it has escapes).
        public func text(_ scratch: inout [UInt8]) -> Bytes {
            guard escaped else { return raw }
            scratch.removeAll(keepingCapacity: true)
            JSONIndex.unescape(raw, into: &scratch)
            return scratch.withUnsafeBytes { Bytes($0) }
        }

        /// The value as an integer (a number, or a string of digits).
        public var integer: Int64? {
            var r = raw
            var negative = false
            if r.hasPrefix("-") { negative = true; r = r.dropFirst(1) }
            return r.decimal().map { negative ? -$0 : $0 }
        }
    }

    private var hashes: [UInt64] = []
    /// Open-addressing table of value indices by path hash (-1 empty), sized to the record.
    private var table = [Int32](repeating: -1, count: 256)
    /// Keys compared without ASCII case (exports that lower-case keys, e.g. some SIEMs).
    private var foldCase = false
    private var values: [Value] = []
    private var record = Bytes(start: nil, count: 0)

    public init() {}

    /// Indexes `record`; false when it is not one well-formed JSON object.
    public func load(_ record: Bytes, ignoringKeyCase: Bool = false) -> Bool {
        foldCase = ignoringKeyCase
        hashes.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        self.record = record
        var i = 0
        while i < record.count, JSONScan.isSpace(record[i]) { i += 1 }
        guard i < record.count, record[i] == 0x7B else { return false }
        guard let end = object(record, i, prefix: JSONIndex.seed, depth: 0) else { return false }
        var j = end
        while j < record.count, JSONScan.isSpace(record[j]) { j += 1 }
        guard j == record.count else { return false }
        var size = 256
        while size < hashes.count * 2 { size *= 2 }
        if table.count != size { table = [Int32](repeating: -1, count: size) } else {
            table.withUnsafeMutableBufferPointer { $0.update(repeating: -1) }
        }
        let mask = size - 1
        for (i, h) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: h) & mask
            while table[slot] >= 0 { slot = (slot + 1) & mask }
            table[slot] = Int32(i)
        }
        return true
    }

    @inline(__always)
    private func find(_ h: UInt64) -> Value? {
        let mask = table.count - 1
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let i = table[slot]
            if i < 0 { return nil }
            if hashes[Int(i)] == h { return values[Int(i)] }
            slot = (slot + 1) & mask
        }
    }

    /// The value at `path` (keys joined by `.`, array elements as `[n]`).
    public subscript(_ path: StaticString) -> Value? {
        let h = key(JSONIndex.seed, Bytes(start: path.utf8Start, count: path.utf8CodeUnitCount))
        return find(h)
    }

    @inline(__always)
    private func key(_ h: UInt64, _ bytes: Bytes) -> UInt64 {
        guard foldCase else { return JSONIndex.extend(h, bytes) }
        var h = h
        for b in bytes { h = JSONIndex.extend(h, byte: b >= 0x41 && b <= 0x5A ? b | 0x20 : b) }
        return h
    }

    /// The value at a path given at run time.
    public func value(path: Bytes) -> Value? {
        let h = key(JSONIndex.seed, path)
        return find(h)
    }

    /// `array[index].key` (for arrays of name/value pairs), without building the path.
    public func element(_ array: StaticString, _ index: Int, _ key: StaticString) -> Value? {
        var h = self.key(JSONIndex.seed, Bytes(start: array.utf8Start, count: array.utf8CodeUnitCount))
        h = JSONIndex.extend(h, byte: 0x5B)
        h = JSONIndex.extendDecimal(h, index)
        h = JSONIndex.extend(h, byte: 0x5D)
        h = JSONIndex.extend(h, byte: 0x2E)
        h = self.key(h, Bytes(start: key.utf8Start, count: key.utf8CodeUnitCount))
        return find(h)
    }

    /// The first of several paths that is present (formats that name a field two ways).
    public func first(_ paths: StaticString...) -> Value? {
        for p in paths { if let v = self[p] { return v } }
        return nil
    }

    /// Every indexed path with its value (for explain and for unmapped fields).
    public var count: Int { values.count }

    // MARK: - Indexing

    static let seed: UInt64 = 0xcbf2_9ce4_8422_2325

    @inline(__always)
    static func extend(_ h: UInt64, _ bytes: Bytes) -> UInt64 {
        var h = h
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    @inline(__always)
    static func extend(_ h: UInt64, byte: UInt8) -> UInt64 { (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }

    static func hash(_ path: Bytes) -> UInt64 { extend(seed, path) }

    /// Extends a hash with the decimal digits of `n` (an array index), most significant first.
    @inline(__always)
    static func extendDecimal(_ h: UInt64, _ n: Int) -> UInt64 {
        var divisor = 1
        while divisor * 10 <= n { divisor *= 10 }
        var h = h, rest = n
        while divisor > 0 {
            h = extend(h, byte: UInt8(0x30 + rest / divisor))
            rest %= divisor
            divisor /= 10
        }
        return h
    }

    private func object(_ b: Bytes, _ start: Int, prefix: UInt64, depth: Int) -> Int? {
        guard depth < 32 else { return nil }
        var i = start + 1
        let isRoot = prefix == JSONIndex.seed
        while true {
            while i < b.count, JSONScan.isSpace(b[i]) || b[i] == 0x2C { i += 1 }
            guard i < b.count else { return nil }
            if b[i] == 0x7D { return i + 1 }
            guard b[i] == 0x22, let keyEnd = JSONScan.stringEnd(b, from: i) else { return nil }
            let key = b.slice(i + 1, keyEnd - 1)
            i = keyEnd
            while i < b.count, JSONScan.isSpace(b[i]) { i += 1 }
            guard i < b.count, b[i] == 0x3A else { return nil }
            i += 1
            let path = self.key(isRoot ? prefix : JSONIndex.extend(prefix, byte: 0x2E), key)
            guard let end = value(b, i, path: path, depth: depth) else { return nil }
            i = end
        }
    }

    private func array(_ b: Bytes, _ start: Int, prefix: UInt64, depth: Int) -> Int? {
        guard depth < 32 else { return nil }
        var i = start + 1, n = 0
        while true {
            while i < b.count, JSONScan.isSpace(b[i]) || b[i] == 0x2C { i += 1 }
            guard i < b.count else { return nil }
            if b[i] == 0x5D { return i + 1 }
            var path = JSONIndex.extend(prefix, byte: 0x5B)
            path = JSONIndex.extendDecimal(path, n)
            path = JSONIndex.extend(path, byte: 0x5D)
            guard let end = value(b, i, path: path, depth: depth) else { return nil }
            i = end
            n += 1
        }
    }

    private func value(_ b: Bytes, _ start: Int, path: UInt64, depth: Int) -> Int? {
        var i = start
        while i < b.count, JSONScan.isSpace(b[i]) { i += 1 }
        guard i < b.count else { return nil }
        switch b[i] {
        case 0x7B:
            guard let end = object(b, i, prefix: path, depth: depth + 1) else { return nil }
            hashes.append(path); values.append(Value(kind: .object, raw: b.slice(i, end), escaped: false))
            return end
        case 0x5B:
            guard let end = array(b, i, prefix: path, depth: depth + 1) else { return nil }
            hashes.append(path); values.append(Value(kind: .array, raw: b.slice(i, end), escaped: false))
            return end
        case 0x22:
            guard let end = JSONScan.stringEnd(b, from: i) else { return nil }
            let raw = b.slice(i + 1, end - 1)
            hashes.append(path); values.append(Value(kind: .string, raw: raw, escaped: raw.firstIndex(of: 0x5C) != nil))
            return end
        default:
            guard let end = JSONScan.valueEnd(b, from: i) else { return nil }
            let raw = b.slice(i, end)
            let kind: Kind
            if raw.equals("true") || raw.equals("false") { kind = .bool } else if raw.equals("null") { kind = .null } else {
                // A number, or the record is not JSON (`"user": broken`).
                for c in raw where !((c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x2B || c == 0x2E || c == 0x65 || c == 0x45) {
                    return nil
                }
                kind = .number
            }
            hashes.append(path); values.append(Value(kind: kind, raw: raw, escaped: false))
            return end
        }
    }

    /// Decodes JSON string escapes (`\n`, `\"`, `\uXXXX` with surrogate pairs) to UTF-8.
    static func unescape(_ s: Bytes, into out: inout [UInt8]) {
        var i = 0
        while i < s.count {
            let c = s[i]
            guard c == 0x5C, i + 1 < s.count else { out.append(c); i += 1; continue }
            let e = s[i + 1]
            i += 2
            switch e {
            case 0x6E: out.append(0x0A)
            case 0x74: out.append(0x09)
            case 0x72: out.append(0x0D)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x75:
                guard var scalar = s.hex4(at: i) else { out.append(0x75); continue }
                i += 4
                if scalar >= 0xD800, scalar < 0xDC00, i + 6 <= s.count, s[i] == 0x5C, s[i + 1] == 0x75, let low = s.hex4(at: i + 2),
                   low >= 0xDC00, low < 0xE000 {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: out.append(e)   // \" \\ \/
            }
        }
    }
}
