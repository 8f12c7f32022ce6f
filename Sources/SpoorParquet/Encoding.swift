#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bits needed to store `maxValue` (0 for 0).
@inline(__always)
func bitsNeeded(_ maxValue: Int) -> Int {
    maxValue <= 0 ? 0 : Int.bitWidth - maxValue.leadingZeroBitCount
}

@inline(__always)
func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
    var v = value
    while v >= 0x80 {
        out.append(UInt8(truncatingIfNeeded: v) | 0x80)
        v >>= 7
    }
    out.append(UInt8(v))
}

@inline(__always)
func appendLE<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
}

/// The RLE / bit-packed hybrid encoding (Encodings.md), without a length prefix:
/// a run of ≥ 8 equal values becomes an RLE run (`varint(count << 1)`, then the value in
/// ceil(bitWidth / 8) little-endian bytes); everything else goes into bit-packed runs
/// (`varint(groups << 1 | 1)`, then groups of 8 values packed LSB first, the last group padded
/// with zeros — the reader knows how many values there are). Bit-packed runs are kept to
/// ≤ 63 groups so their header is one byte.
func appendHybrid<T: FixedWidthInteger & UnsignedInteger>(
    _ values: UnsafeBufferPointer<T>, bitWidth: Int, to out: inout [UInt8]
) {
    precondition(bitWidth >= 1 && bitWidth <= 32)
    let n = values.count
    let valueBytes = (bitWidth + 7) / 8
    var i = 0
    while i < n {
        let v = values[i]
        var j = i + 1
        while j < n && values[j] == v { j += 1 }
        if j - i >= 8 {
            appendVarint(UInt64(j - i) << 1, to: &out)
            var x = UInt64(v)
            for _ in 0..<valueBytes {
                out.append(UInt8(truncatingIfNeeded: x))
                x >>= 8
            }
            i = j
            continue
        }
        // Literal values up to the next run of ≥ 8 (checked at group boundaries).
        let start = i
        var groups = 0
        while true {
            groups += 1
            i += 8
            if i >= n || groups == 63 { break }
            let u = values[i]
            var k = i + 1
            while k < n && k - i < 8 && values[k] == u { k += 1 }
            if k - i >= 8 { break }
        }
        appendVarint(UInt64(groups) << 1 | 1, to: &out)
        var packer = BitPacker()
        for idx in start..<(start + groups * 8) {
            packer.put(idx < n ? UInt64(values[idx]) : 0, width: bitWidth, into: &out)
        }
    }
}

/// Packs values of one bit width LSB first into bytes: the bit-packed runs of the hybrid
/// encoding and the miniblocks of DELTA_BINARY_PACKED. Both pack groups of 8 values, a whole
/// number of bytes, so nothing is left over at the end.
struct BitPacker {
    private var acc: UInt64 = 0  // bits not yet written; fewer than 8 between puts
    private var bits = 0

    /// `value` (its low `width` bits, 1–64).
    @inline(__always)
    mutating func put(_ value: UInt64, width: Int, into out: inout [UInt8]) {
        if width <= 56 {
            putShort(value, width, &out)
        } else {
            putShort(value & 0xFFFF_FFFF, 32, &out)
            putShort(value >> 32, width - 32, &out)
        }
    }

    @inline(__always)
    private mutating func putShort(_ value: UInt64, _ width: Int, _ out: inout [UInt8]) {
        acc |= value << UInt64(bits)
        bits += width
        while bits >= 8 {
            out.append(UInt8(truncatingIfNeeded: acc))
            acc >>= 8
            bits -= 8
        }
    }
}

/// Levels for a v1 data page: the hybrid encoding prefixed by its 4-byte little-endian length.
func appendLevels(_ levels: UnsafeBufferPointer<UInt8>, bitWidth: Int, to out: inout [UInt8]) {
    let lengthAt = out.count
    out.append(contentsOf: [0, 0, 0, 0] as [UInt8])
    appendHybrid(levels, bitWidth: bitWidth, to: &out)
    let length = UInt32(out.count - lengthAt - 4)
    out[lengthAt] = UInt8(truncatingIfNeeded: length)
    out[lengthAt + 1] = UInt8(truncatingIfNeeded: length >> 8)
    out[lengthAt + 2] = UInt8(truncatingIfNeeded: length >> 16)
    out[lengthAt + 3] = UInt8(truncatingIfNeeded: length >> 24)
}

/// PLAIN booleans: one bit per value, LSB first, no header.
func appendPackedBooleans(_ flags: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
    var byte: UInt8 = 0
    var bit: UInt8 = 0
    for f in flags {
        byte |= (f & 1) << bit
        bit += 1
        if bit == 8 {
            out.append(byte)
            byte = 0
            bit = 0
        }
    }
    if bit > 0 { out.append(byte) }
}

/// Whether `n` bytes at `a` and `b` are equal: inline word compares, because most values
/// compared on the hot path (dictionary entries, a column's previous value) are a few bytes
/// long and a call to memcmp costs more than the compare.
@inline(__always)
func bytesEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    if n >= 8 {
        var i = 0
        while i + 8 <= n {
            if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        return i == n
            || a.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
    }
    if n >= 4 {
        return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
            && a.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self) == b.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
    }
    for i in 0..<n where a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
    return true
}

/// Unsigned byte-wise comparison (memcmp, then length): the sort order of UTF8 and BYTE_ARRAY.
@inline(__always)
func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let n = min(a.count, b.count)
    if n > 0 {
        let c = memcmp(a.baseAddress!, b.baseAddress!, n)
        if c != 0 { return Int(c) }
    }
    return a.count - b.count
}

/// A 64-bit hash of a byte string (multiply-rotate over 8-byte words, murmur3 finalizer).
@inline(__always)
func hashBytes(_ p: UnsafeRawBufferPointer) -> UInt64 {
    let n = p.count
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ (UInt64(n) &* 0xC2B2_AE3D_27D4_EB4F)
    if let base = p.baseAddress {
        var i = 0
        while i + 8 <= n {
            let k = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h ^= k &* 0x87C3_7B91_1142_53D5
            h = ((h << 31) | (h >> 33)) &* 0x4CF5_AD43_2745_937F
            i += 8
        }
        if i < n {
            var k: UInt64 = 0
            if n >= 8 {
                // The last 8 bytes, overlapping the words already mixed: one load, not a loop.
                k = base.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            } else {
                var shift: UInt64 = 0
                while i < n {
                    k |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << shift
                    shift += 8
                    i += 1
                }
            }
            h ^= k &* 0x87C3_7B91_1142_53D5
            h = ((h << 31) | (h >> 33)) &* 0x4CF5_AD43_2745_937F
        }
    }
    h ^= h >> 33
    h &*= 0xFF51_AFD7_ED55_8CCD
    h ^= h >> 33
    h &*= 0xC4CE_B9FE_1A85_EC53
    h ^= h >> 33
    return h
}

/// The dictionary of one BYTE_ARRAY column chunk: entries kept already PLAIN-encoded (4-byte
/// length + bytes), which is exactly the body of the dictionary page; an open-addressing hash
/// table finds them. A class over raw memory: it is probed once per string value written,
/// and Swift arrays there cost a retain, a release and a bounds check per probe.
final class ByteDictionary {
    private struct Entry {
        var start: Int  // where the entry's bytes begin in `plain`
        var length: Int
        var hash: UInt64
    }
    private var bytes = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 8)
    private var byteCapacity = 4096
    private(set) var byteCount = 0
    private var entries = UnsafeMutablePointer<Entry>.allocate(capacity: 256)
    private var entryCapacity = 256
    private(set) var count = 0
    private var slots = UnsafeMutablePointer<Int32>.allocate(capacity: 1024)  // entry index + 1; 0 = empty
    private var mask = 1023

    init() {
        slots.initialize(repeating: 0, count: mask + 1)
    }

    deinit {
        bytes.deallocate()
        entries.deallocate()
        slots.deallocate()
    }

    /// The dictionary page's body.
    var plain: [UInt8] { Array(UnsafeRawBufferPointer(start: bytes, count: byteCount)) }

    /// The index of `value`, if present.
    @inline(__always)
    func find(_ value: UnsafeRawBufferPointer) -> UInt32? {
        let h = hashBytes(value)
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[s])
            if e == 0 { return nil }
            if matches(e - 1, h, value) { return UInt32(e - 1) }
            s = (s + 1) & mask
        }
    }

    /// The index of `value`, inserting it if new.
    func index(of value: UnsafeRawBufferPointer) -> (index: UInt32, inserted: Bool) {
        let h = hashBytes(value)
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[s])
            if e == 0 { break }
            if matches(e - 1, h, value) { return (UInt32(e - 1), false) }
            s = (s + 1) & mask
        }
        reserve(bytes: 4 + value.count)
        if count == entryCapacity {
            let grown = UnsafeMutablePointer<Entry>.allocate(capacity: entryCapacity * 2)
            grown.moveInitialize(from: entries, count: count)
            entries.deallocate()
            entries = grown
            entryCapacity *= 2
        }
        bytes.storeBytes(of: UInt32(truncatingIfNeeded: value.count).littleEndian, toByteOffset: byteCount, as: UInt32.self)
        if let base = value.baseAddress, value.count > 0 {
            (bytes + byteCount + 4).copyMemory(from: base, byteCount: value.count)
        }
        let i = count
        (entries + i).initialize(to: Entry(start: byteCount + 4, length: value.count, hash: h))
        byteCount += 4 + value.count
        count += 1
        slots[s] = Int32(i + 1)
        if count * 2 > mask + 1 { grow() }
        return (UInt32(i), true)
    }

    @inline(__always)
    private func matches(_ i: Int, _ h: UInt64, _ value: UnsafeRawBufferPointer) -> Bool {
        let e = entries[i]
        guard e.hash == h && e.length == value.count else { return false }
        return e.length == 0 || bytesEqual(bytes + e.start, value.baseAddress!, e.length)
    }

    private func reserve(bytes needed: Int) {
        guard byteCount + needed > byteCapacity else { return }
        var capacity = byteCapacity * 2
        while capacity < byteCount + needed { capacity *= 2 }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        grown.copyMemory(from: bytes, byteCount: byteCount)
        bytes.deallocate()
        bytes = grown
        byteCapacity = capacity
    }

    private func grow() {
        let size = (mask + 1) * 2
        slots.deallocate()
        slots = UnsafeMutablePointer<Int32>.allocate(capacity: size)
        slots.initialize(repeating: 0, count: size)
        mask = size - 1
        for i in 0..<count {
            var s = Int(truncatingIfNeeded: entries[i].hash) & mask
            while slots[s] != 0 { s = (s + 1) & mask }
            slots[s] = Int32(i + 1)
        }
    }

    func removeAll() {
        byteCount = 0
        count = 0
        if mask + 1 > 1 << 16 {
            slots.deallocate()
            slots = UnsafeMutablePointer<Int32>.allocate(capacity: 1024)
            mask = 1023
        }
        slots.initialize(repeating: 0, count: mask + 1)
    }
}

// MARK: UTF-8

/// The well-formed UTF-8 sequence at `i` (Unicode Table 3-7): `(true, length)`, or
/// `(false, length)` where `length` covers the maximal subpart of an ill-formed sequence (what
/// one U+FFFD replaces, as Unicode recommends and Swift's and Python's decoders do).
@inline(__always)
func utf8Sequence(_ base: UnsafeRawPointer, _ i: Int, _ n: Int) -> (valid: Bool, length: Int) {
    let b0 = base.load(fromByteOffset: i, as: UInt8.self)
    var need = 0
    var lo: UInt8 = 0x80
    var hi: UInt8 = 0xBF
    switch b0 {
    case 0x00...0x7F: return (true, 1)
    case 0xC2...0xDF: need = 1
    case 0xE0: need = 2; lo = 0xA0
    case 0xE1...0xEC, 0xEE...0xEF: need = 2
    case 0xED: need = 2; hi = 0x9F  // no surrogates
    case 0xF0: need = 3; lo = 0x90
    case 0xF1...0xF3: need = 3
    case 0xF4: need = 3; hi = 0x8F  // ≤ U+10FFFF
    default: return (false, 1)
    }
    var k = 1
    while k <= need {
        guard i + k < n else { return (false, k) }
        let b = base.load(fromByteOffset: i + k, as: UInt8.self)
        if k == 1 {
            guard b >= lo && b <= hi else { return (false, 1) }
        } else {
            guard b & 0xC0 == 0x80 else { return (false, k) }
        }
        k += 1
    }
    return (true, need + 1)
}

/// True when `p` is well-formed UTF-8 (8 ASCII bytes at a time where possible).
@inline(__always)
func isValidUTF8(_ p: UnsafeRawBufferPointer) -> Bool {
    guard let base = p.baseAddress else { return true }
    let n = p.count
    var i = 0
    while i < n {
        if i + 8 <= n && base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
            i += 8
            continue
        }
        let (valid, length) = utf8Sequence(base, i, n)
        if !valid { return false }
        i += length
    }
    return true
}

/// `p` with every ill-formed subsequence replaced by U+FFFD.
func repairedUTF8(_ p: UnsafeRawBufferPointer) -> [UInt8] {
    var out: [UInt8] = []
    guard let base = p.baseAddress else { return out }
    out.reserveCapacity(p.count + 8)
    let n = p.count
    var i = 0
    while i < n {
        let (valid, length) = utf8Sequence(base, i, n)
        if valid {
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[i..<(i + length)]))
        } else {
            out.append(contentsOf: [0xEF, 0xBF, 0xBD] as [UInt8])
        }
        i += length
    }
    return out
}

/// A prefix of well-formed UTF-8 `bytes`, at most `limit` bytes, cut at a character boundary:
/// a lower bound of `bytes` (and of anything `bytes` bounds from below).
func truncatedLowerBound(_ bytes: [UInt8], limit: Int) -> [UInt8] {
    guard bytes.count > limit else { return bytes }
    var cut = limit
    while cut > 0 && bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
    return Array(bytes[..<cut])
}

/// A short upper bound of well-formed UTF-8 `bytes`: a prefix of at most `limit` bytes whose
/// last character is replaced by the next one (skipping surrogates; a U+10FFFF is dropped and
/// the character before it incremented). Nil when there is none (a prefix of only U+10FFFF).
func truncatedUpperBound(_ bytes: [UInt8], limit: Int) -> [UInt8]? {
    guard bytes.count > limit else { return bytes }
    var cut = limit
    while cut > 0 && bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
    var scalars = Array(String(decoding: bytes[..<cut], as: UTF8.self).unicodeScalars)
    while let last = scalars.popLast() {
        var next = last.value + 1
        if next == 0xD800 { next = 0xE000 }
        if let scalar = Unicode.Scalar(next) {
            scalars.append(scalar)
            var out: [UInt8] = []
            for s in scalars { UTF8.encode(s) { out.append($0) } }
            return out
        }
    }
    return nil
}
