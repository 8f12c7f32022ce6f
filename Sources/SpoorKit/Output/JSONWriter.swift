/// Writes events and dead letters as one-line JSON objects with the schema's flat ECS names.
///
/// Strings are written as they are when they are valid UTF-8; a byte that is not valid
/// UTF-8 becomes U+FFFD (the dead letter of such a record keeps its exact bytes in base64).
public enum JSONWriter {
    /// Appends `{…}\n` for `event`.
    public static func appendEvent(_ event: EventHeader, _ reader: BatchReader, to out: inout [UInt8]) {
        out.append(0x7B)
        var first = true
        var hasLists = false, hasLabels = false
        for slot in reader.slots(of: event) {
            let type = Schema.types[Int(slot.field.rawValue)]
            switch type {
            case .stringList: hasLists = true; continue
            case .stringMap: hasLabels = true; continue
            default: break
            }
            if !first { out.append(0x2C) }
            first = false
            appendKey(slot.field, &out)
            switch type {
            case .timestamp:
                out.append(0x22); CivilTime.appendISO8601(micros: slot.value, to: &out); out.append(0x22)
            case .int64: appendInt(slot.value, &out)
            case .bool: appendLiteral(slot.value != 0 ? "true" : "false", &out)
            default: appendString(reader.bytes(slot), &out)
            }
        }
        if hasLists {
            for field in Schema.listFields {
                var opened = false
                for slot in reader.slots(of: event) where slot.field == field {
                    if !opened {
                        if !first { out.append(0x2C) }
                        first = false
                        appendKey(field, &out)
                        out.append(0x5B)
                        opened = true
                    } else {
                        out.append(0x2C)
                    }
                    appendString(reader.bytes(slot), &out)
                }
                if opened { out.append(0x5D) }
            }
        }
        if hasLabels {
            if !first { out.append(0x2C) }
            appendKey(.labels, &out)
            out.append(0x7B)
            var firstLabel = true
            for slot in reader.slots(of: event) where slot.field == .labels {
                if !firstLabel { out.append(0x2C) }
                firstLabel = false
                let (k, v) = reader.label(slot)
                appendString(k, &out); out.append(0x3A); appendString(v, &out)
            }
            out.append(0x7D)
        }
        out.append(0x7D)
        out.append(0x0A)
    }

    /// Appends `{…}\n` for a dead letter of `input`.
    public static func appendDeadLetter(_ letter: DeadLetter, input: InputFile, job: JobContext, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"@timestamp":""#.utf8)
        CivilTime.appendISO8601(micros: job.startedAt, to: &out)
        out.append(contentsOf: #"","error.message":"#.utf8)
        withBytes(of: letter.reason) { appendString($0, &out) }
        out.append(contentsOf: #","log.file.path":"#.utf8)
        appendString(input.pathBytes, &out)
        if let member = input.memberBytes {
            out.append(contentsOf: #","log.file.member":"#.utf8)
            appendString(member, &out)
        }
        out.append(contentsOf: #","log.offset":"#.utf8)
        appendInt(letter.offset, &out)
        out.append(contentsOf: #","log.file.line":"#.utf8)
        appendInt(letter.line, &out)
        out.append(contentsOf: #","event.original":"#.utf8)
        letter.raw.withUnsafeBytes { appendString($0, &out) }
        if letter.rawLength != letter.raw.count {
            out.append(contentsOf: #","record.length":"#.utf8)
            appendInt(Int64(letter.rawLength), &out)
        }
        if !letter.raw.withUnsafeBytes(isValidUTF8) {
            out.append(contentsOf: #","event.original_base64":""#.utf8)
            Base64.append(letter.raw, to: &out)
            out.append(0x22)
        }
        out.append(contentsOf: "}\n".utf8)
    }

    /// `"name":` of every column, made once from the schema.
    static let keys: [[UInt8]] = Field.allCases.map { Array("\"\($0.name)\":".utf8) }

    @inline(__always)
    static func appendKey(_ field: Field, _ out: inout [UInt8]) {
        out.append(contentsOf: keys[Int(field.rawValue)])
    }

    @inline(__always)
    static func appendLiteral(_ s: StaticString, _ out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    public static func appendInt(_ value: Int64, _ out: inout [UInt8]) {
        if value < 0 {
            out.append(0x2D)
            if value == .min { out.append(contentsOf: "9223372036854775808".utf8); return }
        }
        var v = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[19 - n] = UInt8(truncatingIfNeeded: 0x30 + v % 10)
                v /= 10
                n += 1
            } while v > 0
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: d[(20 - n)...]))
        }
    }

    /// Appends `"…"` with JSON escapes; invalid UTF-8 bytes become U+FFFD.
    public static func appendString(_ s: Bytes, _ out: inout [UInt8]) {
        out.append(0x22)
        var runStart = 0
        var i = 0
        let n = s.count
        while i < n {
            let b = s[i]
            if b >= 0x20, b != 0x22, b != 0x5C, b < 0x80 { i += 1; continue }
            if b >= 0x80 {
                let len = utf8SequenceLength(s, i)
                if len > 0 { i += len; continue }
            }
            if i > runStart { out.append(contentsOf: s.slice(runStart, i)) }
            switch b {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(0x6E)
            case 0x0D: out.append(0x5C); out.append(0x72)
            case 0x09: out.append(0x5C); out.append(0x74)
            case ..<0x20:
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex(b >> 4), hex(b & 15)])
            default:
                out.append(contentsOf: [0xEF, 0xBF, 0xBD])
            }
            i += 1
            runStart = i
        }
        if n > runStart { out.append(contentsOf: s.slice(runStart, n)) }
        out.append(0x22)
    }

    @inline(__always)
    static func hex(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x61 + v - 10 }

    /// Length of the valid UTF-8 sequence starting at `i`, 0 if invalid.
    @inline(__always)
    static func utf8SequenceLength(_ s: Bytes, _ i: Int) -> Int {
        let b = s[i]
        let len: Int
        var minValue: UInt32
        var value: UInt32
        switch b {
        case 0xC2...0xDF: len = 2; value = UInt32(b & 0x1F); minValue = 0x80
        case 0xE0...0xEF: len = 3; value = UInt32(b & 0x0F); minValue = 0x800
        case 0xF0...0xF4: len = 4; value = UInt32(b & 0x07); minValue = 0x10000
        default: return 0
        }
        guard i + len <= s.count else { return 0 }
        for k in 1..<len {
            let c = s[i + k]
            guard c & 0xC0 == 0x80 else { return 0 }
            value = value << 6 | UInt32(c & 0x3F)
        }
        guard value >= minValue, value <= 0x10FFFF, !(0xD800...0xDFFF).contains(value) else { return 0 }
        minValue = 0
        return len
    }

    public static func isValidUTF8(_ s: Bytes) -> Bool {
        var i = 0
        while i < s.count {
            if s[i] < 0x80 { i += 1; continue }
            let len = utf8SequenceLength(s, i)
            if len == 0 { return false }
            i += len
        }
        return true
    }
}

/// Standard base64 with padding (dead letters keep non-UTF-8 records exactly this way).
public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func append(_ data: [UInt8], to out: inout [UInt8]) {
        var i = 0
        while i + 3 <= data.count {
            let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2])
            out.append(alphabet[Int(v >> 18)]); out.append(alphabet[Int(v >> 12 & 63)])
            out.append(alphabet[Int(v >> 6 & 63)]); out.append(alphabet[Int(v & 63)])
            i += 3
        }
        let rest = data.count - i
        if rest > 0 {
            let v = UInt32(data[i]) << 16 | (rest > 1 ? UInt32(data[i + 1]) << 8 : 0)
            out.append(alphabet[Int(v >> 18)]); out.append(alphabet[Int(v >> 12 & 63)])
            out.append(rest > 1 ? alphabet[Int(v >> 6 & 63)] : 0x3D)
            out.append(0x3D)
        }
    }
}
