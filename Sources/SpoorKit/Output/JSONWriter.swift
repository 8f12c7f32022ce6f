/// Writes events and dead letters as one-line JSON objects with the schema's flat ECS names.
///
/// Strings are written as they are when they are valid UTF-8; a byte that is not valid
/// UTF-8 becomes U+FFFD (the dead letter of such a record keeps its exact bytes in base64).
public enum JSONWriter {
    /// Appends `{…}\n` for `event`.
    ///
    /// Room for the longest JSON the event's slots can make is reserved first, then every
    /// piece is stored through a pointer held in a register. Through the `ByteBuffer`, whose
    /// count the stores might alias, every piece reloaded and stored the count: this
    /// function's own code took 2,210 instructions per line of the bench, 12.8% of a run
    /// without rules.
    public static func appendEvent(_ event: EventHeader, _ reader: BatchReader, to out: inout ByteBuffer) {
        let keys = KeyTable.shared
        let types = KeyTable.types
        let slots = reader.slots(of: event)
        out.reserve(bound(slots))
        let start = out.end
        var w = start
        w.storeBytes(of: 0x7B, as: UInt8.self); w += 1
        var first = true
        var hasLists = false, hasLabels = false
        for slot in slots {
            let type = types[Int(slot.field.rawValue)]
            switch type {
            case .stringList: hasLists = true; continue
            case .stringMap: hasLabels = true; continue
            default: break
            }
            if !first { w.storeBytes(of: 0x2C, as: UInt8.self); w += 1 }
            first = false
            w = writeKey(keys[Int(slot.field.rawValue)], w)
            switch type {
            case .timestamp:
                w.storeBytes(of: 0x22, as: UInt8.self)
                w = writeISO8601(micros: slot.value, w + 1)
                w.storeBytes(of: 0x22, as: UInt8.self); w += 1
            case .int64: w = writeInt(slot.value, w)
            case .bool: w = writeKey(slot.value != 0 ? KeyTable.true : KeyTable.false, w)
            default: w = writeString(reader.bytes(slot), w)
            }
        }
        if hasLists {
            for field in Schema.listFields {
                var opened = false
                for slot in slots where slot.field == field {
                    if !opened {
                        if !first { w.storeBytes(of: 0x2C, as: UInt8.self); w += 1 }
                        first = false
                        w = writeKey(keys[Int(field.rawValue)], w)
                        w.storeBytes(of: 0x5B, as: UInt8.self); w += 1
                        opened = true
                    } else {
                        w.storeBytes(of: 0x2C, as: UInt8.self); w += 1
                    }
                    w = writeString(reader.bytes(slot), w)
                }
                if opened { w.storeBytes(of: 0x5D, as: UInt8.self); w += 1 }
            }
        }
        if hasLabels {
            if !first { w.storeBytes(of: 0x2C, as: UInt8.self); w += 1 }
            w = writeKey(keys[Int(Field.labels.rawValue)], w)
            w.storeBytes(of: 0x7B, as: UInt8.self); w += 1
            var firstLabel = true
            for slot in slots where slot.field == .labels {
                if !firstLabel { w.storeBytes(of: 0x2C, as: UInt8.self); w += 1 }
                firstLabel = false
                let (k, v) = reader.label(slot)
                w = writeString(k, w)
                w.storeBytes(of: 0x3A, as: UInt8.self)
                w = writeString(v, w + 1)
            }
            w.storeBytes(of: 0x7D, as: UInt8.self); w += 1
        }
        w.storeBytes(of: 0x7D, as: UInt8.self)
        w.storeBytes(of: 0x0A, toByteOffset: 1, as: UInt8.self)
        out.advance(w + 2 - start)
    }

    /// At least the most bytes `appendEvent` writes for these slots: per slot a key (stored
    /// as a whole `KeyTable.room`), a comma, and its value escaped (at most six bytes per
    /// byte, and quotes) or a number or time (a number slot's length is 0: 40 bytes cover
    /// it); for lists and labels their keys and brackets.
    @inline(__always)
    static func bound(_ slots: UnsafeBufferPointer<Slot>) -> Int {
        var bytes = 0
        for slot in slots { bytes += Int(slot.length) }
        return 2 * KeyTable.room + 8 + 6 * bytes + slots.count * (KeyTable.room + 41)
    }

    /// Stores a `KeyTable` entry: one fixed-size copy (the entries are padded to `room`
    /// bytes, and the bound leaves room for it), then the pointer moves by its length.
    @inline(__always)
    static func writeKey(_ key: Bytes, _ w: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        let p = key.baseAddress.unsafelyUnwrapped
        w.storeBytes(of: p.loadUnaligned(as: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
        w.storeBytes(of: p.loadUnaligned(fromByteOffset: 16, as: SIMD16<UInt8>.self), toByteOffset: 16, as: SIMD16<UInt8>.self)
        if key.count > 32 { (w + 32).copyMemory(from: p + 32, byteCount: key.count - 32) }
        return w + key.count
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
        out.reserve(27)
        out.advance(writeISO8601(micros: micros, out.end) - out.end)
    }

    /// The same, stored at `w` (27 bytes); returns the end.
    @inline(__always)
    static func writeISO8601(micros: Int64, _ w: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        let day = CivilTime.day(ofMicros: micros)
        let inDay = micros - day * 86_400_000_000
        let (y, m, d) = CivilTime.date(days: day)
        let s = Int(inDay / 1_000_000), us = Int(inDay % 1_000_000)
        // Four digits, as the format has: a year outside 0...9999 (a bogus stamp) keeps its
        // last four, so that every index into the digit pairs stays in 0...99.
        let year = (y % 10_000 + 10_000) % 10_000
        twoDigits(year / 100, w); twoDigits(year % 100, w + 2); w.storeBytes(of: 0x2D, toByteOffset: 4, as: UInt8.self)
        twoDigits(m, w + 5); w.storeBytes(of: 0x2D, toByteOffset: 7, as: UInt8.self)
        twoDigits(d, w + 8); w.storeBytes(of: 0x54, toByteOffset: 10, as: UInt8.self)
        twoDigits(s / 3600, w + 11); w.storeBytes(of: 0x3A, toByteOffset: 13, as: UInt8.self)
        twoDigits(s / 60 % 60, w + 14); w.storeBytes(of: 0x3A, toByteOffset: 16, as: UInt8.self)
        twoDigits(s % 60, w + 17); w.storeBytes(of: 0x2E, toByteOffset: 19, as: UInt8.self)
        twoDigits(us / 10_000, w + 20); twoDigits(us / 100 % 100, w + 22); twoDigits(us % 100, w + 24)
        w.storeBytes(of: 0x5A, toByteOffset: 26, as: UInt8.self)
        return w + 27
    }

    /// `00`...`99`: numbers are written two digits per division. A literal, so reading it
    /// needs no lazy initialization.
    static let digitPairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// `value` (0...99) as two digits at `w`.
    @inline(__always)
    static func twoDigits(_ value: Int, _ w: UnsafeMutableRawPointer) {
        w.storeBytes(of: UnsafeRawPointer(digitPairs.utf8Start).loadUnaligned(fromByteOffset: 2 * value, as: UInt16.self), as: UInt16.self)
    }

    public static func appendInt(_ value: Int64, _ out: inout ByteBuffer) {
        out.reserve(20)
        out.advance(writeInt(value, out.end) - out.end)
    }

    /// `value` in decimal at `w` (at most 20 bytes); returns the end.
    @inline(__always)
    static func writeInt(_ value: Int64, _ w: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        var w = w
        if value < 0 { w.storeBytes(of: 0x2D, as: UInt8.self); w += 1 }
        return w + writeDecimal(value.magnitude, w)
    }

    /// `value` in decimal at `w` (at most 20 bytes), two digits per division; returns the
    /// number of digits.
    @inline(__always)
    static func writeDecimal(_ value: UInt64, _ w: UnsafeMutableRawPointer) -> Int {
        var v = value
        var n = 1
        var limit: UInt64 = 10
        while n < 20, v >= limit { n += 1; limit &*= 10 }
        var i = n
        while i >= 2 {
            let q = v / 100
            twoDigits(Int(v &- q &* 100), w + i - 2)
            v = q
            i -= 2
        }
        if i == 1 { w.storeBytes(of: UInt8(truncatingIfNeeded: 0x30 &+ v), as: UInt8.self) }
        return n
    }

    /// Appends `"…"` with JSON escapes; invalid UTF-8 bytes become U+FFFD.
    public static func appendString(_ s: Bytes, _ out: inout ByteBuffer) {
        out.reserve(s.count * 6 + 2)
        out.advance(writeString(s, out.end) - out.end)
    }

    /// The same, stored at `w`, which has room for the worst case (six bytes per byte and
    /// the quotes), so escapes are plain stores; returns the end. Runs of plain ASCII are
    /// found eight bytes at a time and copied whole.
    @inline(__always)
    static func writeString(_ s: Bytes, _ w: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        let n = s.count
        w.storeBytes(of: 0x22, as: UInt8.self)
        guard let p = s.baseAddress else {
            w.storeBytes(of: 0x22, toByteOffset: 1, as: UInt8.self)
            return w + 2
        }
        // Most values need no escape: copied whole after one scan.
        if isPlain(p, n) {
            copyShort(p, n, w + 1)
            w.storeBytes(of: 0x22, toByteOffset: n + 1, as: UInt8.self)
            return w + n + 2
        }
        return writeEscaped(s, w + 1)
    }

    /// `n` bytes from `p` to `w`: a value of up to 32 bytes in two overlapping loads and
    /// stores that read only its own bytes, instead of a call to `memcpy`.
    @inline(__always)
    static func copyShort(_ p: UnsafeRawPointer, _ n: Int, _ w: UnsafeMutableRawPointer) {
        if n >= 16 {
            guard n <= 32 else { w.copyMemory(from: p, byteCount: n); return }
            w.storeBytes(of: p.loadUnaligned(as: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
            w.storeBytes(of: p.loadUnaligned(fromByteOffset: n - 16, as: SIMD16<UInt8>.self), toByteOffset: n - 16, as: SIMD16<UInt8>.self)
        } else if n >= 8 {
            w.storeBytes(of: p.loadUnaligned(as: UInt64.self), as: UInt64.self)
            w.storeBytes(of: p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self), toByteOffset: n - 8, as: UInt64.self)
        } else if n >= 4 {
            w.storeBytes(of: p.loadUnaligned(as: UInt32.self), as: UInt32.self)
            w.storeBytes(of: p.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self), toByteOffset: n - 4, as: UInt32.self)
        } else {
            for i in 0..<n { w.storeBytes(of: p.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self) }
        }
    }

    /// The contents of a string that needs escapes, then its closing quote, from `w` on.
    @inline(never)
    static func writeEscaped(_ s: Bytes, _ w: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        let p = s.baseAddress.unsafelyUnwrapped
        let n = s.count
        var w = w
        var i = 0
        var runStart = 0
        @inline(__always) func put(_ b: UInt8) { w.storeBytes(of: b, as: UInt8.self); w += 1 }
        @inline(__always) func flush(_ end: Int) {
            if end > runStart {
                w.copyMemory(from: p + runStart, byteCount: end - runStart)
                w += end - runStart
            }
        }
        while i < n {
            while i + 8 <= n {
                let word = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                if needsAttention(word) { break }
                i += 8
            }
            if i >= n { break }
            let b = p.load(fromByteOffset: i, as: UInt8.self)
            if b >= 0x20, b != 0x22, b != 0x5C, b < 0x80 { i += 1; continue }
            if b >= 0x80 {
                let len = utf8SequenceLength(s, i)
                if len > 0 { i += len; continue }
            }
            flush(i)
            switch b {
            case 0x22: put(0x5C); put(0x22)
            case 0x5C: put(0x5C); put(0x5C)
            case 0x0A: put(0x5C); put(0x6E)
            case 0x0D: put(0x5C); put(0x72)
            case 0x09: put(0x5C); put(0x74)
            case ..<0x20:
                put(0x5C); put(0x75); put(0x30); put(0x30)
                put(hex(b >> 4)); put(hex(b & 15))
            default:
                put(0xEF); put(0xBF); put(0xBD)
            }
            i += 1
            runStart = i
        }
        flush(n)
        put(0x22)
        return w
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

/// `"name":` of every column, each in memory of its own made once from the schema and
/// padded to at least `room` bytes, so that the encoder stores a key with one fixed-size
/// copy, with no array or `String` traffic.
enum KeyTable {
    /// Bytes a key's store may write (the encoder's bound counts it per key).
    static let room = 32

    nonisolated(unsafe) static let shared: [Bytes] = Field.allCases.map { padded("\"\($0.name)\":") }
    /// The JSON literals, stored like keys.
    nonisolated(unsafe) static let `true` = padded("true")
    nonisolated(unsafe) static let `false` = padded("false")

    private static func padded(_ text: String) -> Bytes {
        let bytes = Array(text.utf8)
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, room), alignment: 1)
        memory.initializeMemory(as: UInt8.self, repeating: 0)
        memory.copyBytes(from: bytes)
        return Bytes(rebasing: memory[0..<bytes.count])   // kept for the life of the process
    }

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
