import SpoorKit

/// Results remembered for the last short values seen (at most sixteen bytes, compared whole,
/// so a remembered result is exact), in direct-mapped entries, per group: the tests of one
/// field of the detection rules, or what the tries say of a source address. One per worker.
final class ValueMemo {
    /// A value's sixteen bytes (zero-padded), its length (-1: empty entry) and its results:
    /// one entry is one read, two to a cache line.
    private struct Entry {
        var a: UInt64 = 0
        var b: UInt64 = 0
        var length = -1
        var results: UInt64 = 0
    }

    /// Per group, where its entries start and `64 - log2(its ways)`: the hash's top bits
    /// pick the entry.
    private let start: UnsafeMutablePointer<Int>
    private let shift: UnsafeMutablePointer<UInt64>
    private let entries: UnsafeMutablePointer<Entry>

    /// `ways` entries per group (a power of two).
    convenience init(groups: Int, ways: Int = 32) {
        self.init(ways: Array(repeating: ways, count: max(1, groups)))
    }

    /// `ways[g]` entries for group `g` (powers of two): a field of many values (addresses,
    /// accounts) needs more than a vocabulary word.
    init(ways: [Int]) {
        precondition(!ways.isEmpty && ways.allSatisfy { $0 > 1 && $0 & ($0 - 1) == 0 }, "ways must be powers of two")
        start = .allocate(capacity: ways.count)
        shift = .allocate(capacity: ways.count)
        var n = 0
        for (g, w) in ways.enumerated() {
            start[g] = n
            shift[g] = UInt64(64 - w.trailingZeroBitCount)
            n += w
        }
        entries = .allocate(capacity: n)
        entries.initialize(repeating: Entry(), count: n)
    }

    deinit {
        entries.deallocate()
        start.deallocate()
        shift.deallocate()
    }

    /// The value's sixteen bytes, zero-padded (nil: longer), read in at most three loads
    /// (`Hash.word`).
    @inline(__always)
    private static func key(_ v: Bytes) -> (UInt64, UInt64)? {
        let n = v.count
        guard n <= 16 else { return nil }
        guard let p = v.baseAddress, n > 0 else { return (0, 0) }
        if n <= 8 { return (Hash.word(p, from: 0, to: n), 0) }
        return (p.loadUnaligned(as: UInt64.self), Hash.word(p, from: 8, to: n))
    }

    /// Where a value's results are remembered in a group: its entry and its key.
    struct Probe {
        let entry: UnsafeMutableRawPointer
        let a: UInt64, b: UInt64, count: Int
    }

    /// The entry for `v` in `group` (nil: the value is too long to remember). The entry may
    /// hold another value: `remembered` says.
    @inline(__always)
    func probe(group: Int, _ v: Bytes) -> Probe? {
        guard let (a, b) = Self.key(v) else { return nil }
        // Fibonacci hashing: one multiply, the top bits.
        let slot = start[group] + Int(truncatingIfNeeded: ((a ^ b &* 31 ^ UInt64(v.count)) &* 0x9E37_79B9_7F4A_7C15) >> shift[group])
        return Probe(entry: UnsafeMutableRawPointer(entries + slot), a: a, b: b, count: v.count)
    }

    /// The results its entry holds for the probed value, if it holds that value.
    @inline(__always)
    func remembered(_ p: Probe) -> UInt64? {
        let e = p.entry.assumingMemoryBound(to: Entry.self)
        return e.pointee.length == p.count && e.pointee.a == p.a && e.pointee.b == p.b ? e.pointee.results : nil
    }

    @inline(__always)
    func store(_ p: Probe, _ results: UInt64) {
        p.entry.assumingMemoryBound(to: Entry.self).pointee = Entry(a: p.a, b: p.b, length: p.count, results: results)
    }
}
