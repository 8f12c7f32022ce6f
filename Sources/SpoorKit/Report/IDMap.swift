/// Integer keys other than `Key.min` (value ids, day numbers; pairs of them packed in an
/// `Int64`) → `Int32` values: what the campaign counter keeps per actor and per source where
/// the tally has a `Set` or a `Dictionary`.
/// A lookup is a multiply, a shift and a compare or two, inlined; `Dictionary` spends a
/// SipHash and a call per lookup, which on the counter's path was most of its time.
///
/// Open addressing with linear probing, at most two thirds full; nothing is ever removed.
/// Empty until the first insert (no allocation for a map never used).
struct IDMap<Key: FixedWidthInteger & Sendable>: Sendable {
    private struct Entry: Sendable {
        var key: Key
        var value: Int32
    }

    private static var empty: Key { Key.min }
    private var entries: [Entry] = []
    private var shift = UInt64(Key.bitWidth)
    /// The number of keys.
    private(set) var count = 0

    init() {}

    /// The value of `key`, if it has one.
    @inline(__always)
    func value(_ key: Key) -> Int32? {
        guard count > 0 else { return nil }
        let mask = entries.count - 1
        var i = slot(key)
        while true {
            let e = entries[i]
            if e.key == key { return e.value }
            if e.key == Self.empty { return nil }
            i = (i + 1) & mask
        }
    }

    /// The value of `key`; when it has none, `value` becomes its value (and `isNew` is true).
    @inline(__always)
    mutating func insert(_ key: Key, _ value: Int32) -> (value: Int32, isNew: Bool) {
        if (count + 1) * 3 > entries.count * 2 { grow() }
        let mask = entries.count - 1
        var i = slot(key)
        while true {
            let e = entries[i]
            if e.key == key { return (e.value, false) }
            if e.key == Self.empty { break }
            i = (i + 1) & mask
        }
        entries[i] = Entry(key: key, value: value)
        count += 1
        return (value, true)
    }

    /// Reads the first entry a lookup of `key` reads, and the entries' count (in the array's
    /// header, which an insert reads first: unread, it was the counter's slowest load), and
    /// gives a sum of them: a caller with many lookups to make reads all their lines first,
    /// so that the cache misses overlap.
    @inline(__always)
    func touch(_ key: Key) -> Key {
        guard count > 0 else { return 0 }
        return entries.withUnsafeBufferPointer { $0[slot(key)].key &+ Key(truncatingIfNeeded: $0.count) }
    }

    /// Every key and its value, in no particular order.
    func forEach(_ body: (_ key: Key, _ value: Int32) -> Void) {
        for e in entries where e.key != Self.empty { body(e.key, e.value) }
    }

    /// Fibonacci hashing: the top bits of key × 2^n/φ (n the key's width), so ids close
    /// together spread out.
    @inline(__always)
    private func slot(_ key: Key) -> Int {
        if Key.bitWidth <= 32 { return Int((UInt32(truncatingIfNeeded: key) &* 0x9E37_79B9) >> UInt32(shift)) }
        return Int(truncatingIfNeeded: (UInt64(truncatingIfNeeded: key) &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    private mutating func grow() {
        let old = entries
        let capacity = Swift.max(4, old.count * 2)
        entries = Array(repeating: Entry(key: Self.empty, value: 0), count: capacity)
        shift = UInt64(Key.bitWidth - capacity.trailingZeroBitCount)
        count = 0
        for e in old where e.key != Self.empty { _ = insert(e.key, e.value) }
    }
}
