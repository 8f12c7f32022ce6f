/// Writes events and dead letters as one-line JSON objects with the schema's flat ECS names.
///
/// Strings are written as they are when they are valid UTF-8; a byte that is not valid
/// UTF-8 becomes U+FFFD (the dead letter of such a record keeps its exact bytes in base64).
public enum JSONWriter {
    /// Appends `{…}\n` for `event`.
    public static func appendEvent(_ event: EventHeader, _ reader: BatchReader, to out: inout ByteBuffer) {
        let keys = KeyTable.shared
        let types = KeyTable.types
        out.append(0x7B)
        var first = true
        var hasLists = false, hasLabels = false
        let slots = reader.slots(of: event)
        for slot in slots {
            let type = types[Int(slot.field.rawValue)]
            switch type {
            case .stringList: hasLists = true; continue
            case .stringMap: hasLabels = true; continue
            default: break
            }
            if !first { out.append(0x2C) }
            first = false
            out.append(keys[Int(slot.field.rawValue)])
            switch type {
            case .timestamp:
                out.append(0x22); appendISO8601(micros: slot.value, &out); out.append(0x22)
            case .int64: appendInt(slot.value, &out)
            case .bool: out.append(slot.value != 0 ? "true" : "false")
            default: appendString(reader.bytes(slot), &out)
            }
        }
        if hasLists {
            for field in Schema.listFields {
                var opened = false
                for slot in slots where slot.field == field {
                    if !opened {
                        if !first { out.append(0x2C) }
                        first = false
                        out.append(keys[Int(field.rawValue)])
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
            out.append(keys[Int(Field.labels.rawValue)])
            out.append(0x7B)
            var firstLabel = true
            for slot in slots where slot.field == .labels {
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
    public static func appendDeadLetter(_ letter: DeadLetter, input: InputFile, job: JobContext, to out: inout ByteBuffer) {
        out.append(#"{"@timestamp":""#)
        appendISO8601(micros: job.startedAt, &out)
        out.append(#"","error.message":"#)
        withBytes(of: letter.reason) { appendString($0, &out) }
        out.append(#","log.file.path":"#)
        appendString(input.pathBytes, &out)
        if let member = input.memberBytes {
            out.append(#","log.file.member":"#)
            appendString(member, &out)
        }
        out.append(#","log.offset":"#)
        appendInt(letter.offset, &out)
        out.append(#","log.file.line":"#)
        appendInt(letter.line, &out)
        out.append(#","event.original":"#)
        letter.raw.withUnsafeBytes { appendString($0, &out) }
        if letter.rawLength != letter.raw.count {
            out.append(#","record.length":"#)
            appendInt(Int64(letter.rawLength), &out)
        }
        if !letter.raw.withUnsafeBytes(isValidUTF8) {
            out.append(#","event.original_base64":""#)
            var b64: [UInt8] = []
            Base64.append(letter.raw, to: &b64)
            b64.withUnsafeBytes { out.append($0) }
            out.append(0x22)
        }
        out.append("}\n")
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, written in place (no allocation per event).
    @inline(__always)
    static func appendISO8601(micros: Int64, _ out: inout ByteBuffer) {
        let day = CivilTime.day(ofMicros: micros)
        let inDay = micros - day * 86_400_000_000
        let (y, m, d) = CivilTime.date(days: day)
        let s = Int(inDay / 1_000_000), us = Int(inDay % 1_000_000)
        out.reserve(27)
        digits(y, 4, &out); out.appendUnchecked(0x2D)
        digits(m, 2, &out); out.appendUnchecked(0x2D)
        digits(d, 2, &out); out.appendUnchecked(0x54)
        digits(s / 3600, 2, &out); out.appendUnchecked(0x3A)
        digits(s / 60 % 60, 2, &out); out.appendUnchecked(0x3A)
        digits(s % 60, 2, &out); out.appendUnchecked(0x2E)
        digits(us, 6, &out); out.appendUnchecked(0x5A)
    }

    /// `value` as exactly `width` decimal digits (room already reserved).
    @inline(__always)
    static func digits(_ value: Int, _ width: Int, _ out: inout ByteBuffer) {
        var v = value
        var i = width - 1
        while i >= 0 {
            out.base.storeBytes(of: UInt8(truncatingIfNeeded: 0x30 + v % 10), toByteOffset: out.count + i, as: UInt8.self)
            v /= 10
            i -= 1
        }
        out.advance(width)
    }

    public static func appendInt(_ value: Int64, _ out: inout ByteBuffer) {
        out.reserve(20)
        if value < 0 {
            out.appendUnchecked(0x2D)
            if value == .min { out.append("9223372036854775808"); return }
        }
        var v = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[23 - n] = UInt8(truncatingIfNeeded: 0x30 + v % 10)
                v /= 10
                n += 1
            } while v > 0
            out.append(UnsafeRawBufferPointer(rebasing: d[(24 - n)...]))
        }
    }

    /// Appends `"…"` with JSON escapes; invalid UTF-8 bytes become U+FFFD. Room for the
    /// worst case is reserved once, so escapes are plain stores; runs of plain ASCII are
    /// found eight bytes at a time and copied whole.
    public static func appendString(_ s: Bytes, _ out: inout ByteBuffer) {
        let n = s.count
        out.reserve(n * 6 + 2)
        out.appendUnchecked(0x22)
        guard let p = s.baseAddress else { out.appendUnchecked(0x22); return }
        // Most values need no escape: copied whole after one scan.
        if isPlain(p, n) {
            (out.base + out.count).copyMemory(from: p, byteCount: n)
            out.advance(n)
            out.appendUnchecked(0x22)
            return
        }
        var i = 0
        var runStart = 0
        @inline(__always) func flush(_ end: Int, _ out: inout ByteBuffer) {
            if end > runStart {
                (out.base + out.count).copyMemory(from: p + runStart, byteCount: end - runStart)
                out.advance(end - runStart)
            }
        }
        while i < n {
            while i + 8 <= n {
                let w = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                if needsAttention(w) { break }
                i += 8
            }
            if i >= n { break }
            let b = p.load(fromByteOffset: i, as: UInt8.self)
            if b >= 0x20, b != 0x22, b != 0x5C, b < 0x80 { i += 1; continue }
            if b >= 0x80 {
                let len = utf8SequenceLength(s, i)
                if len > 0 { i += len; continue }
            }
            flush(i, &out)
            switch b {
            case 0x22: out.appendUnchecked(0x5C); out.appendUnchecked(0x22)
            case 0x5C: out.appendUnchecked(0x5C); out.appendUnchecked(0x5C)
            case 0x0A: out.appendUnchecked(0x5C); out.appendUnchecked(0x6E)
            case 0x0D: out.appendUnchecked(0x5C); out.appendUnchecked(0x72)
            case 0x09: out.appendUnchecked(0x5C); out.appendUnchecked(0x74)
            case ..<0x20:
                out.appendUnchecked(0x5C); out.appendUnchecked(0x75); out.appendUnchecked(0x30); out.appendUnchecked(0x30)
                out.appendUnchecked(hex(b >> 4)); out.appendUnchecked(hex(b & 15))
            default:
                out.appendUnchecked(0xEF); out.appendUnchecked(0xBF); out.appendUnchecked(0xBD)
            }
            i += 1
            runStart = i
        }
        flush(n, &out)
        out.appendUnchecked(0x22)
    }

    /// Whether every byte of the `n` bytes at `p` is printable ASCII other than '"' and '\\',
    /// sixteen bytes at a time (a few vector instructions), eight for a shorter value: a
    /// short value or the tail of a long one is read with overlapping loads (a byte read
    /// twice decides nothing new), not byte by byte.
    @inline(__always)
    static func isPlain(_ p: UnsafeRawPointer, _ n: Int) -> Bool {
        if n >= 16 {
            var i = 0
            while i + 16 <= n {
                if needsAttention(p.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)) { return false }
                i += 16
            }
            return i == n || !needsAttention(p.loadUnaligned(fromByteOffset: n - 16, as: SIMD16<UInt8>.self))
        }
        if n >= 8 {
            let lo = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
            let hi = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self))
            return !needsAttention(lo) && !needsAttention(hi)
        }
        if n >= 4 {
            let lo = UInt64(UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
            let hi = UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)))
            return !needsAttention(lo | hi << 32)
        }
        // One to three bytes, in a word of plain ones ('A').
        var w: UInt64 = 0x4141_4141_4141_4141
        for j in 0..<n { w = w & ~(0xFF << UInt64(8 * j)) | UInt64(p.load(fromByteOffset: j, as: UInt8.self)) << UInt64(8 * j) }
        return !needsAttention(w)
    }

    /// The same test on sixteen bytes, in equality compares only (the ones that compile to
    /// one vector instruction): a byte < 0x20 has its top three bits clear, one >= 0x80 its
    /// top bit set.
    @inline(__always)
    static func needsAttention(_ v: SIMD16<UInt8>) -> Bool {
        let zero = SIMD16<UInt8>(repeating: 0), top3 = SIMD16<UInt8>(repeating: 0xE0), top = SIMD16<UInt8>(repeating: 0x80)
        let quote = SIMD16<UInt8>(repeating: 0x22), backslash = SIMD16<UInt8>(repeating: 0x5C)
        let hits = ((v & top3) .== zero) .| ((v & top) .== top) .| (v .== quote) .| (v .== backslash)
        // Lanes of all ones or zeros, read as two words (`any` here became a call per test).
        let words = unsafeBitCast(hits, to: SIMD2<UInt64>.self)
        return words[0] | words[1] != 0
    }

    /// Whether any byte of `w` is < 0x20, '"', '\\' or >= 0x80 (SWAR: the high bit of a
    /// byte of the result is set for each such byte).
    @inline(__always)
    static func needsAttention(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let control = (w &- ones &* 0x20) & ~w & highs
        let q = w ^ (ones &* 0x22), quote = (q &- ones) & ~q & highs
        let bs = w ^ (ones &* 0x5C), backslash = (bs &- ones) & ~bs & highs
        return (control | quote | backslash | (w & highs)) != 0
    }

    @inline(__always)
    static func hex(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x61 + v - 10 }

    /// Length of the valid UTF-8 sequence starting at `i`, 0 if invalid.
    @inline(__always)
    static func utf8SequenceLength(_ s: Bytes, _ i: Int) -> Int {
        let b = s[i]
        let len: Int
        let minValue: UInt32
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

/// `"name":` of every column in one block of memory made once from the schema, so the
/// encoder's key writes are single copies with no array or `String` traffic.
enum KeyTable {
    nonisolated(unsafe) static let shared: [Bytes] = {
        Field.allCases.map { field in
            let text = Array("\"\(field.name)\":".utf8)
            let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: text.count, alignment: 1)
            memory.copyBytes(from: text)
            return Bytes(memory)   // kept for the life of the process
        }
    }()

    static let types: [ColumnType] = Schema.types
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
