#if canImport(Glibc)
import Glibc
#endif

/// A growable byte buffer for encoders on the hot path: appends are plain stores into
/// malloc'd memory, with no uniqueness or bounds checks per byte (what makes `[UInt8]`
/// appends slow when an encoder writes a hundred million small pieces).
public struct ByteBuffer: ~Copyable {
    public private(set) var base: UnsafeMutableRawPointer
    public private(set) var count = 0
    public private(set) var capacity: Int

    public init(capacity: Int = 64 * 1024) {
        self.capacity = max(capacity, 64)
        base = malloc(self.capacity)!
    }

    deinit { free(base) }

    /// Makes room for `n` more bytes.
    @inline(__always)
    public mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    @inline(never)
    private mutating func grow(_ needed: Int) {
        var c = capacity
        while c < needed { c *= 2 }
        base = realloc(base, c)!
        capacity = c
    }

    @inline(__always)
    public mutating func append(_ byte: UInt8) {
        reserve(1)
        base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    @inline(__always)
    public mutating func append(_ bytes: Bytes) {
        guard let src = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (base + count).copyMemory(from: src, byteCount: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    public mutating func append(_ text: StaticString) {
        append(Bytes(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    public mutating func append(_ text: String) {
        var t = text
        t.withUTF8 { append(Bytes($0)) }
    }

    /// Counts `n` bytes the caller stored at `base + count` (room already reserved).
    @inline(__always)
    public mutating func advance(_ n: Int) { count += n }

    public mutating func removeAll() { count = 0 }

    /// Drops the first `n` bytes, moving the rest to the front.
    public mutating func removeFirst(_ n: Int) {
        precondition(n >= 0 && n <= count)
        if n < count { base.copyMemory(from: base + n, byteCount: count - n) }
        count -= n
    }

    public var bytes: Bytes { Bytes(start: base, count: count) }

    public var array: [UInt8] { Array(bytes) }
}
