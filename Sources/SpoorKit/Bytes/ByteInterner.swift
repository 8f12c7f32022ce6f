#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Gives each distinct byte string a small dense id (0, 1, 2 … in the order first seen), so
/// that a hot path can count values by id instead of making a `String` and hashing it per
/// event. A value seen before costs one hash of its bytes and one compare; only a new value is
/// copied. Ids are stable for the interner's life; nothing is ever removed.
///
/// Not thread-safe: one per worker.
struct ByteInterner: Sendable {
    /// Every value's bytes, back to back; value `i` is `storage[starts[i]..<starts[i + 1]]`.
    private var storage: [UInt8] = []
    private var starts: [Int] = [0]
    private var hashes: [UInt64] = []
    /// Open addressing, linear probing: an id, or -1 for an empty slot. At most half full.
    private var slots: [Int32] = Array(repeating: -1, count: 64)

    init() {}

    /// The number of distinct values.
    var count: Int { hashes.count }

    /// The id of `bytes`, and whether they were new.
    @inline(__always)
    mutating func insert(_ bytes: Bytes) -> (id: Int32, isNew: Bool) {
        let h = Self.hash(bytes)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let id = slots[i]
            if id < 0 { break }
            if hashes[Int(id)] == h && equals(Int(id), bytes) { return (id, false) }
            i = (i + 1) & mask
        }
        let id = Int32(hashes.count)
        storage.append(contentsOf: bytes)
        starts.append(storage.count)
        hashes.append(h)
        slots[i] = id
        if hashes.count * 2 > slots.count { grow() }
        return (id, true)
    }

    /// The bytes of value `id`, valid until the next `insert`.
    func withBytes<R>(_ id: Int32, _ body: (Bytes) throws -> R) rethrows -> R {
        let s = starts[Int(id)], e = starts[Int(id) + 1]
        return try storage.withUnsafeBytes { try body(Bytes(rebasing: $0[s..<e])) }
    }

    /// The value `id` as text (invalid UTF-8 repaired, as `Bytes.string`).
    func string(_ id: Int32) -> String { withBytes(id) { $0.string } }

    @inline(__always)
    private func equals(_ id: Int, _ bytes: Bytes) -> Bool {
        let s = starts[id], n = starts[id + 1] - s
        guard n == bytes.count else { return false }
        guard n > 0 else { return true }
        return storage.withUnsafeBytes { memcmp($0.baseAddress! + s, bytes.baseAddress!, n) == 0 }
    }

    private mutating func grow() {
        slots = Array(repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for id in hashes.indices {
            var i = Int(truncatingIfNeeded: hashes[id]) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(id)
        }
    }

    /// Eight bytes at a time (values are addresses, accounts, user agents: 5 to 200 bytes),
    /// then a full mix so that the low bits that pick the slot depend on every byte.
    @inline(__always)
    static func hash(_ bytes: Bytes) -> UInt64 {
        var h = UInt64(truncatingIfNeeded: bytes.count) &* 0x9E37_79B9_7F4A_7C15
        guard let base = bytes.baseAddress else { return Hash.mix(h) }
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            h = (h ^ base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* 0xFF51_AFD7_ED55_8CCD
        }
        return Hash.mix(h)
    }
}
