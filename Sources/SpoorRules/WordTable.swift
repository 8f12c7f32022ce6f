import SpoorKit

/// A map from keys of `keyWords` 64-bit words to values of `valueWords` words: the
/// detection state's tables from test vectors to what they decide. Open addressing with
/// linear probing; a slot holds its used flag, its key and its value side by side, so that
/// a lookup reads one place. It starts small and doubles, so that it spans what it holds:
/// a worker meets a few hundred vectors, and tables of thousands of slots in separate
/// arrays cost each event first-level cache misses (3.55 per event on the bench's lines,
/// in a simulated 32 KB cache).
///
/// Not copied: its owner keeps one and calls `deallocate`.
struct WordTable {
    let keyWords: Int
    let valueWords: Int
    /// Beyond half of this many slots, `insert` keeps nothing (see there).
    let maxCapacity: Int
    private let stride: Int
    private var slots: UnsafeMutablePointer<UInt64>
    private(set) var capacity: Int
    private(set) var count = 0

    init(keyWords: Int, valueWords: Int, capacity: Int, maxCapacity: Int) {
        precondition(capacity > 1 && capacity & (capacity - 1) == 0 && maxCapacity >= capacity && maxCapacity & (maxCapacity - 1) == 0,
                     "capacities must be powers of two")
        self.keyWords = keyWords
        self.valueWords = valueWords
        self.maxCapacity = maxCapacity
        stride = 1 + keyWords + valueWords
        self.capacity = capacity
        slots = .allocate(capacity: capacity * stride)
        slots.initialize(repeating: 0, count: capacity * stride)
    }

    func deallocate() { slots.deallocate() }

    /// Whether `insert` keeps no more keys (the owner empties the table at a good time).
    var isFull: Bool { count * 2 >= maxCapacity }

    /// The hash `find` and `insert` take for a key.
    @inline(__always)
    static func hash(_ key: UnsafePointer<UInt64>, words: Int) -> UInt64 {
        var h: UInt64 = 0
        for w in 0..<words { h = Hash.mix(h ^ key[w]) }
        return h
    }

    /// The value words of `key`, if it is in the table.
    @inline(__always)
    func find(_ key: UnsafePointer<UInt64>, hash: UInt64) -> UnsafeMutablePointer<UInt64>? {
        var slot = Int(truncatingIfNeeded: hash) & (capacity - 1)
        while true {
            let s = slots + slot * stride
            if s[0] == 0 { return nil }
            var same = true
            for w in 0..<keyWords where s[1 + w] != key[w] { same = false; break }
            if same { return s + 1 + keyWords }
            slot = (slot + 1) & (capacity - 1)
        }
    }

    /// Adds `key`, which is not in the table, and returns its value words for the caller
    /// to fill; nil when the table is full (half of `maxCapacity`: the probes stay short).
    mutating func insert(_ key: UnsafePointer<UInt64>, hash: UInt64) -> UnsafeMutablePointer<UInt64>? {
        guard !isFull else { return nil }
        if (count + 1) * 2 > capacity { grow() }
        var slot = Int(truncatingIfNeeded: hash) & (capacity - 1)
        while slots[slot * stride] != 0 { slot = (slot + 1) & (capacity - 1) }
        let s = slots + slot * stride
        s[0] = 1
        for w in 0..<keyWords { s[1 + w] = key[w] }
        count += 1
        return s + 1 + keyWords
    }

    /// Forgets every key (the capacity stays).
    mutating func removeAll() {
        for slot in 0..<capacity { slots[slot * stride] = 0 }
        count = 0
    }

    private mutating func grow() {
        let old = slots, oldCapacity = capacity
        capacity *= 2
        slots = .allocate(capacity: capacity * stride)
        slots.initialize(repeating: 0, count: capacity * stride)
        for i in 0..<oldCapacity where old[i * stride] != 0 {
            let from = old + i * stride
            var slot = Int(truncatingIfNeeded: Self.hash(from + 1, words: keyWords)) & (capacity - 1)
            while slots[slot * stride] != 0 { slot = (slot + 1) & (capacity - 1) }
            (slots + slot * stride).update(from: from, count: stride)
        }
        old.deallocate()
    }
}
