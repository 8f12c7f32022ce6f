/// XXH32 with seed 0: the LZ4 frame's header and block checksums.
///
/// liblz4 exports no hash, and Debian's build of its own is vectorized for SSE2, which has
/// no 32-bit multiply: hashing the JSON with it, liblz4's one-call frame compressor spent
/// 9.18% of a whole ingest's samples. This one is scalar, with the 32-bit multiply.
enum XXH32 {
    private static let prime1: UInt32 = 0x9E37_79B1
    private static let prime2: UInt32 = 0x85EB_CA77
    private static let prime3: UInt32 = 0xC2B2_AE3D
    private static let prime4: UInt32 = 0x27D4_EB2F
    private static let prime5: UInt32 = 0x1656_67B1

    @inline(__always)
    private static func round(_ acc: UInt32, _ lane: UInt32) -> UInt32 {
        (acc &+ lane &* prime2).rotatedLeft(13) &* prime1
    }

    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        let n = bytes.count
        guard let p = bytes.baseAddress, n > 0 else { return avalanche(prime5) }
        @inline(__always) func word(_ i: Int) -> UInt32 { UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt32.self)) }
        var i = 0
        var h: UInt32
        if n >= 16 {
            // Four lanes, each a 4-byte word of every 16-byte stripe.
            var a = prime1 &+ prime2, b = prime2, c: UInt32 = 0, d: UInt32 = 0 &- prime1
            let whole = n & ~15
            while i < whole {
                a = round(a, word(i))
                b = round(b, word(i + 4))
                c = round(c, word(i + 8))
                d = round(d, word(i + 12))
                i += 16
            }
            h = a.rotatedLeft(1) &+ b.rotatedLeft(7) &+ c.rotatedLeft(12) &+ d.rotatedLeft(18)
        } else {
            h = prime5
        }
        h &+= UInt32(truncatingIfNeeded: n)
        while i + 4 <= n {
            h = (h &+ word(i) &* prime3).rotatedLeft(17) &* prime4
            i += 4
        }
        while i < n {
            h = (h &+ UInt32(p.load(fromByteOffset: i, as: UInt8.self)) &* prime5).rotatedLeft(11) &* prime1
            i += 1
        }
        return avalanche(h)
    }

    @inline(__always)
    private static func avalanche(_ x: UInt32) -> UInt32 {
        var h = x
        h ^= h >> 15
        h &*= prime2
        h ^= h >> 13
        h &*= prime3
        h ^= h >> 16
        return h
    }
}

extension UInt32 {
    @inline(__always)
    fileprivate func rotatedLeft(_ n: UInt32) -> UInt32 { (self << n) | (self >> (32 - n)) }
}
