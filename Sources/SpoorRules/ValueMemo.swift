import SpoorKit

/// Results remembered for the last short values seen (at most sixteen bytes, compared whole,
/// so a remembered result is exact), in direct-mapped entries, per group: the tests of one
/// field of the detection rules, or what the tries say of a source address. One per worker.
final class ValueMemo {
    private let ways: Int
    private let length: UnsafeMutablePointer<Int>
    private let head: UnsafeMutablePointer<(UInt64, UInt64)>
    private let bits: UnsafeMutablePointer<UInt64>
    private let count: Int

    /// `ways` entries per group (a power of two).
    init(groups: Int, ways: Int = 32) {
        self.ways = ways
        count = max(1, groups) * ways
        length = .allocate(capacity: count)
        length.initialize(repeating: -1, count: count)
        head = .allocate(capacity: count)
        head.initialize(repeating: (0, 0), count: count)
        bits = .allocate(capacity: count)
        bits.initialize(repeating: 0, count: count)
    }

    deinit {
        length.deallocate()
        head.deallocate()
        bits.deallocate()
    }

    /// The value's sixteen bytes, zero-padded (nil: longer).
    @inline(__always)
    private static func key(_ v: Bytes) -> (UInt64, UInt64)? {
        let n = v.count
        guard n <= 16 else { return nil }
        guard let p = v.baseAddress, n > 0 else { return (0, 0) }
        var a: UInt64 = 0, b: UInt64 = 0
        if n >= 8 {
            a = p.loadUnaligned(as: UInt64.self)
            if n == 16 { b = p.loadUnaligned(fromByteOffset: 8, as: UInt64.self) } else {
                // The last eight bytes, shifted so that bytes before offset 8 drop out.
                b = n == 8 ? 0 : p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) >> UInt64(8 * (16 - n))
            }
        } else {
            for i in 0..<n { a |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << UInt64(8 * i) }
        }
        return (a, b)
    }

    /// The entry for `v` in `group` (-1: the value is too long to remember). The entry may
    /// hold another value: `known` says.
    @inline(__always)
    func find(group: Int, _ v: Bytes) -> Int {
        guard let (a, b) = Self.key(v) else { return -1 }
        let slot = group * ways + Int(truncatingIfNeeded: Hash.mix(a ^ b &* 31 ^ UInt64(v.count))) & (ways - 1)
        lastKey = (a, b, v.count)
        return slot
    }

    private var lastKey: (UInt64, UInt64, Int) = (0, 0, -1)

    /// Whether the entry found last holds the value it was found for.
    @inline(__always)
    func known(_ slot: Int) -> Bool { length[slot] == lastKey.2 && head[slot] == (lastKey.0, lastKey.1) }

    @inline(__always)
    func results(_ slot: Int) -> UInt64 { bits[slot] }

    @inline(__always)
    func store(_ slot: Int, _ v: Bytes, _ results: UInt64) {
        length[slot] = lastKey.2
        head[slot] = (lastKey.0, lastKey.1)
        bits[slot] = results
    }
}
