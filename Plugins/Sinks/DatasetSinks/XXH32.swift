/// XXH32 with seed 0, fed in pieces: the LZ4 frame's header and content checksums.
///
/// The frame encoder hashes each block right after compressing it, while the block is
/// still in the cache. liblz4 exports no hash, and its one-call frame compressor hashes
/// the whole input in a pass of its own. Debian's build of that hash is vectorized for
/// SSE2, which has no 32-bit multiply: on the bench it took 9% of a whole ingest.
struct XXH32 {
    private static let prime1: UInt32 = 0x9E37_79B1
    private static let prime2: UInt32 = 0x85EB_CA77
    private static let prime3: UInt32 = 0xC2B2_AE3D
    private static let prime4: UInt32 = 0x27D4_EB2F
    private static let prime5: UInt32 = 0x1656_67B1

    private var v1 = prime1 &+ prime2
    private var v2 = prime2
    private var v3: UInt32 = 0
    private var v4: UInt32 = 0 &- prime1
    private var length = 0
    /// Bytes short of a 16-byte stripe, kept for the next piece or the digest.
    private var pending = (UInt64(0), UInt64(0))
    private var pendingCount = 0

    init() {}

    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var h = XXH32()
        h.update(bytes)
        return h.digest()
    }

    @inline(__always)
    private static func round(_ acc: UInt32, _ lane: UInt32) -> UInt32 {
        (acc &+ lane &* prime2).rotatedLeft(13) &* prime1
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var p = bytes.baseAddress, bytes.count > 0 else { return }
        var n = bytes.count
        length += n
        if pendingCount > 0 {
            let take = min(16 - pendingCount, n)
            withUnsafeMutableBytes(of: &pending) { ($0.baseAddress! + pendingCount).copyMemory(from: p, byteCount: take) }
            pendingCount += take
            p += take
            n -= take
            guard pendingCount == 16 else { return }
            withUnsafeBytes(of: pending) { stripes(UnsafeRawPointer($0.baseAddress!), 16) }
            pendingCount = 0
        }
        let whole = n & ~15
        stripes(p, whole)
        if whole < n {
            withUnsafeMutableBytes(of: &pending) { $0.baseAddress!.copyMemory(from: p + whole, byteCount: n - whole) }
            pendingCount = n - whole
        }
    }

    /// Hashes `count` bytes (a multiple of 16) a stripe of four lanes at a time.
    @inline(__always)
    private mutating func stripes(_ p: UnsafeRawPointer, _ count: Int) {
        var a = v1, b = v2, c = v3, d = v4
        var i = 0
        while i < count {
            a = Self.round(a, UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt32.self)))
            b = Self.round(b, UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self)))
            c = Self.round(c, UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i + 8, as: UInt32.self)))
            d = Self.round(d, UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i + 12, as: UInt32.self)))
            i += 16
        }
        v1 = a; v2 = b; v3 = c; v4 = d
    }

    func digest() -> UInt32 {
        var h: UInt32 = length >= 16
            ? v1.rotatedLeft(1) &+ v2.rotatedLeft(7) &+ v3.rotatedLeft(12) &+ v4.rotatedLeft(18)
            : Self.prime5
        h &+= UInt32(truncatingIfNeeded: length)
        withUnsafeBytes(of: pending) { tail in
            var i = 0
            while i + 4 <= pendingCount {
                h = (h &+ UInt32(littleEndian: tail.loadUnaligned(fromByteOffset: i, as: UInt32.self)) &* Self.prime3).rotatedLeft(17) &* Self.prime4
                i += 4
            }
            while i < pendingCount {
                h = (h &+ UInt32(tail[i]) &* Self.prime5).rotatedLeft(11) &* Self.prime1
                i += 1
            }
        }
        h ^= h >> 15
        h &*= Self.prime2
        h ^= h >> 13
        h &*= Self.prime3
        h ^= h >> 16
        return h
    }
}

extension UInt32 {
    @inline(__always)
    fileprivate func rotatedLeft(_ n: UInt32) -> UInt32 { (self << n) | (self >> (32 - n)) }
}
