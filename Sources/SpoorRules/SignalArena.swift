import SpoorKit

/// Where a fact's bytes are in its chunk's `ChunkSignals.arena` (`count < 0`: absent).
struct ByteRange: Sendable {
    var start: Int32
    var count: Int32
    static let absent = ByteRange(start: 0, count: -1)
    var isAbsent: Bool { count < 0 }
}

/// The bytes a chunk's facts refer to, in one growing buffer: most are a few bytes (an
/// address, an account), copied inline rather than through `Array`'s append machinery.
/// Written by one worker, then handed to the correlator with the chunk's signals: never
/// used by two threads at once.
final class SignalArena: @unchecked Sendable {
    private var base: UnsafeMutableRawPointer
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 1 << 14) {
        self.capacity = capacity
        base = .allocate(byteCount: capacity, alignment: 8)
    }

    deinit { base.deallocate() }

    @inline(__always)
    func bytes(_ r: ByteRange) -> Bytes { Bytes(start: base + Int(r.start), count: max(0, Int(r.count))) }

    @inline(__always)
    func append(_ b: Bytes) -> ByteRange {
        let n = b.count, start = count
        reserve(n)
        if n > 0 { Self.copy(b.baseAddress!, to: base + start, n) }
        count += n
        return ByteRange(start: Int32(start), count: Int32(n))
    }

    /// Room for `n` more bytes at `end` (write them, then `commit`).
    @inline(__always)
    func reserve(_ n: Int) {
        guard count + n > capacity else { return }
        var c = capacity * 2
        while c < count + n { c *= 2 }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: c, alignment: 8)
        grown.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = grown
        capacity = c
    }

    var end: UnsafeMutableRawPointer { base + count }
    func commit(_ n: Int) { count += n }

    /// Eight bytes at a time (sources may overlap nothing: they are the batch's).
    @inline(__always)
    static func copy(_ from: UnsafeRawPointer, to: UnsafeMutableRawPointer, _ n: Int) {
        guard n <= 64 else { to.copyMemory(from: from, byteCount: n); return }
        var i = 0
        while i + 8 <= n { to.storeBytes(of: from.loadUnaligned(fromByteOffset: i, as: UInt64.self), toByteOffset: i, as: UInt64.self); i += 8 }
        while i < n { to.storeBytes(of: from.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self); i += 1 }
    }
}
