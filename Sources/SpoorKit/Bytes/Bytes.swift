#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Record bytes as parsers see them. Helpers here are the hot path's vocabulary: prefix and
/// substring tests against literals, numbers and tokens, all without a `String`.
public typealias Bytes = UnsafeRawBufferPointer

extension UnsafeRawBufferPointer {
    /// The four hexadecimal digits at `i` (either case) as a number: a `\uXXXX` escape's.
    public func hex4(at i: Int) -> UInt32? {
        guard i >= 0, i + 4 <= count else { return nil }
        var v: UInt32 = 0
        for k in i..<(i + 4) {
            let c = self[k]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            default: return nil
            }
            v = v << 4 | d
        }
        return v
    }

    /// The bytes of `start..<end`, clamped to the buffer.
    @inlinable @inline(__always)
    public func slice(_ start: Int, _ end: Int) -> Bytes {
        let s = Swift.max(0, Swift.min(start, count)), e = Swift.max(s, Swift.min(end, count))
        return Bytes(rebasing: self[s..<e])
    }

    @inlinable @inline(__always)
    public func dropFirst(_ n: Int) -> Bytes { slice(n, count) }

    @inlinable @inline(__always)
    public func hasPrefix(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard count >= n, let base = baseAddress else { return n == 0 }
        return memcmp(base, literal.utf8Start, n) == 0
    }

    @inlinable @inline(__always)
    public func hasSuffix(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard count >= n, let base = baseAddress else { return n == 0 }
        return memcmp(base + count - n, literal.utf8Start, n) == 0
    }

    @inlinable @inline(__always)
    public func equals(_ literal: StaticString) -> Bool {
        count == literal.utf8CodeUnitCount && hasPrefix(literal)
    }

    /// Offset of the first `byte` at or after `from`.
    @inlinable @inline(__always)
    public func firstIndex(of byte: UInt8, from: Int = 0) -> Int? {
        guard from < count, let base = baseAddress else { return nil }
        guard let p = memchr(base + from, Int32(byte), count - from) else { return nil }
        return UnsafeRawPointer(p) - base
    }

    /// Offset of the last `byte`.
    public func lastIndex(of byte: UInt8) -> Int? {
        guard count > 0, let base = baseAddress else { return nil }
        var i = count - 1
        while i >= 0 {
            if base.load(fromByteOffset: i, as: UInt8.self) == byte { return i }
            i -= 1
        }
        return nil
    }

    /// Offset of the first occurrence of `literal` at or after `from`.
    @inline(__always)
    public func firstIndex(of literal: StaticString, from: Int = 0) -> Int? {
        let n = literal.utf8CodeUnitCount
        guard from <= count - n, let base = baseAddress else { return nil }
        return search(base, from, UnsafeRawPointer(literal.utf8Start), n)
    }

    /// Offset of the first occurrence of `needle` (any bytes).
    public func firstIndex(of needle: Bytes, from: Int = 0) -> Int? {
        guard needle.count > 0, from <= count - needle.count, let base = baseAddress else { return nil }
        return search(base, from, needle.baseAddress!, needle.count)
    }

    /// memchr for the needle's first byte; its last byte then rules out most candidates
    /// before a call to memcmp does (memmem is not portable C).
    @inline(__always)
    private func search(_ base: UnsafeRawPointer, _ from: Int, _ needle: UnsafeRawPointer, _ n: Int) -> Int? {
        guard n > 0 else { return from }
        let first = Int32(needle.load(as: UInt8.self))
        let last = needle.load(fromByteOffset: n - 1, as: UInt8.self)
        var p = base + from
        let end = base + count - n
        while p <= end {
            guard let hit = memchr(p, first, end - p + 1) else { return nil }
            let h = UnsafeRawPointer(hit)
            if h.load(fromByteOffset: n - 1, as: UInt8.self) == last && memcmp(h, needle, n) == 0 { return h - base }
            p = h + 1
        }
        return nil
    }

    @inline(__always)
    public func contains(_ literal: StaticString) -> Bool { firstIndex(of: literal) != nil }

    /// The bytes after the first `literal`, or nil.
    @inline(__always)
    public func after(_ literal: StaticString) -> Bytes? {
        firstIndex(of: literal).map { dropFirst($0 + literal.utf8CodeUnitCount) }
    }

    /// The bytes up to the first `byte` (all of them when absent).
    @inline(__always)
    public func prefix(untilByte byte: UInt8) -> Bytes {
        slice(0, firstIndex(of: byte) ?? count)
    }

    /// The first space-separated token.
    @inline(__always)
    public func token() -> Bytes { prefix(untilByte: 0x20) }

    /// A non-negative decimal, all bytes digits, at most 18 of them.
    public func decimal() -> Int64? {
        guard count > 0, count <= 18 else { return nil }
        var v: Int64 = 0
        for b in self {
            guard b &- 0x30 < 10 else { return nil }
            v = v &* 10 &+ Int64(b &- 0x30)
        }
        return v
    }

    /// Without leading and trailing spaces and tabs.
    public func trimmed() -> Bytes {
        var s = 0, e = count
        while s < e, self[s] == 0x20 || self[s] == 0x09 { s += 1 }
        while e > s, self[e - 1] == 0x20 || self[e - 1] == 0x09 || self[e - 1] == 0x0D { e -= 1 }
        return slice(s, e)
    }

    /// The bytes as a `String`, invalid UTF-8 repaired. For cold paths and tests only.
    public var string: String { String(decoding: self, as: UTF8.self) }

    /// Whether the bytes are a textual IPv4 or IPv6 address.
    public var isIPAddress: Bool { isIPv4 || isIPv6 }

    public var isIPv4: Bool { ipv4 != nil }

    /// A dotted IPv4 address (four parts of one to three digits, each at most 255) as a
    /// number, read and checked in one pass: addresses are read per event (indicator
    /// lookups, group keys by network).
    @inline(__always)
    public var ipv4: UInt32? {
        let n = count
        guard n >= 7, n <= 15, let p = baseAddress else { return nil }
        var v: UInt32 = 0, part: UInt32 = 0, digits = 0, dots = 0
        for i in 0..<n {
            let d = p.load(fromByteOffset: i, as: UInt8.self) &- 0x30
            if d < 10 {
                part = part * 10 + UInt32(d)
                digits += 1
                guard digits <= 3, part <= 255 else { return nil }
            } else {
                guard d == 0x2E &- 0x30, digits > 0 else { return nil }
                v = v << 8 | part
                part = 0
                digits = 0
                dots += 1
            }
        }
        guard dots == 3, digits > 0 else { return nil }
        return v << 8 | part
    }

    public var isIPv6: Bool {
        guard count >= 2, count <= 45 else { return false }
        var colons = 0
        for b in self {
            switch b {
            case 0x3A: colons += 1
            case 0x30...0x39, 0x61...0x66, 0x41...0x46, 0x2E: break
            case 0x25: return colons >= 2   // zone id follows
            default: return false
            }
        }
        return colons >= 2
    }
}

/// Runs `body` over a `String`'s UTF-8 bytes (for tests and one-off parses).
public func withBytes<R>(of text: String, _ body: (Bytes) throws -> R) rethrows -> R {
    var copy = text
    return try copy.withUTF8 { try body(Bytes($0)) }
}

/// `c` with ASCII `A`–`Z` lower-cased; every other byte as it is (UTF-8 stays valid).
@inline(__always)
public func asciiLowercased(_ c: UInt8) -> UInt8 { c &- 0x41 < 26 ? c | 0x20 : c }

extension UnsafeRawBufferPointer {
    /// Runs `body` over a copy of these bytes with ASCII lower-cased, kept on the stack.
    @inline(__always)
    public func withASCIILowercased<R>(_ body: (Bytes) throws -> R) rethrows -> R {
        try withUnsafeTemporaryAllocation(byteCount: Swift.max(1, count), alignment: 1) { lower in
            for i in 0..<count { lower[i] = asciiLowercased(self[i]) }
            return try body(Bytes(rebasing: lower[0..<count]))
        }
    }
}
