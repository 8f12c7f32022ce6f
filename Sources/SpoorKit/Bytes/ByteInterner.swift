#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Gives each distinct byte string a small dense id (0, 1, 2 … in the order added) and keeps
/// a payload of up to 8 bytes with it, so that a hot path can count values by id instead of
/// making a `String` and hashing it per event. Nothing is ever removed.
///
/// Each slot of the table is one cache line holding part of the hash, the id, the payload,
/// the length and the first 44 bytes: finding a value seen before costs one hash of its bytes
/// and, for values up to 44 bytes (addresses, most accounts), one cache line. On a path that
/// streams megabytes between two lookups of one value, every line is a miss.
///
/// Not thread-safe: one per worker.
struct ByteInterner<Payload: BitwiseCopyable & Sendable>: Sendable {
    /// Slot layout, in 64-bit words: [tag (hash's top 32 bits) | id + 1 (0: empty)],
    /// [payload], then the length (32 bits) and the first `inline` bytes.
    private static var wordsPerSlot: Int { 8 }
    private static var inline: Int { 44 }
    private static var lengthOffset: Int { 16 }
    private static var bytesOffset: Int { 20 }

    private var slots: [UInt64]
    private var slotCount = 64
    /// Every value's bytes, back to back (what does not fit in a slot is compared here),
    /// and where each value's bytes start, by id.
    private var storage: [UInt8] = []
    private var starts: [Int] = [0]
    private var payloads: [Payload] = []

    init() {
        precondition(MemoryLayout<Payload>.size <= 8)
        slots = Self.table(slotCount)
    }

    /// The number of distinct values.
    var count: Int { payloads.count }

    /// The id and payload of `bytes`, if they were added.
    @inline(__always)
    func find(_ bytes: Bytes) -> (id: Int32, payload: Payload)? { find(bytes, hash: Self.hash(bytes)) }

    /// Reads the first slot a lookup of a value with hash `h` reads, and gives its first word:
    /// a caller with many lookups to make reads all their slots first, so that the cache
    /// misses overlap instead of coming one after the other.
    @inline(__always)
    func touch(_ h: UInt64) -> UInt64 {
        slots.withUnsafeBytes { table in
            Self.aligned(table.baseAddress!).load(fromByteOffset: (Int(truncatingIfNeeded: h) & (slotCount - 1)) * Self.wordsPerSlot * 8,
                                                  as: UInt64.self)
        }
    }

    /// `find` with the bytes' `hash` already made.
    @inline(__always)
    func find(_ bytes: Bytes, hash h: UInt64) -> (id: Int32, payload: Payload)? {
        let tag = h & 0xFFFF_FFFF_0000_0000
        let mask = slotCount - 1
        var i = Int(truncatingIfNeeded: h) & mask
        return slots.withUnsafeBytes { table in
            let base = Self.aligned(table.baseAddress!)
            while true {
                let slot = base + i * Self.wordsPerSlot * 8
                let head = slot.load(as: UInt64.self)
                if head == 0 { return nil }
                if head & 0xFFFF_FFFF_0000_0000 == tag
                    && Int(slot.load(fromByteOffset: Self.lengthOffset, as: UInt32.self)) == bytes.count {
                    let id = Int(head & 0xFFFF_FFFF) - 1
                    if matches(slot, id, bytes) { return (Int32(id), slot.load(fromByteOffset: 8, as: Payload.self)) }
                }
                i = (i + 1) & mask
            }
        }
    }

    @inline(__always)
    private func matches(_ slot: UnsafeRawPointer, _ id: Int, _ bytes: Bytes) -> Bool {
        let n = bytes.count
        guard n > 0 else { return true }
        let head = Swift.min(n, Self.inline)
        guard memcmp(slot + Self.bytesOffset, bytes.baseAddress!, head) == 0 else { return false }
        guard n > Self.inline else { return true }
        let s = starts[id]
        return storage.withUnsafeBytes { memcmp($0.baseAddress! + s + head, bytes.baseAddress! + head, n - head) == 0 }
    }

    /// Adds `bytes`, which `find` did not find, with `payload`; returns their id.
    mutating func add(_ bytes: Bytes, _ payload: Payload) -> Int32 {
        let id = payloads.count
        payloads.append(payload)
        storage.append(contentsOf: bytes)
        starts.append(storage.count)
        if payloads.count * 2 > slotCount {
            grow()
        } else {
            place(id, Self.hash(bytes), bytes)
        }
        return Int32(id)
    }

    /// The bytes of value `id`, valid inside `body`.
    func withBytes<R>(_ id: Int32, _ body: (Bytes) throws -> R) rethrows -> R {
        let s = starts[Int(id)], e = starts[Int(id) + 1]
        return try storage.withUnsafeBytes { try body(Bytes(rebasing: $0[s..<e])) }
    }

    /// The value `id` as text (invalid UTF-8 repaired, as `Bytes.string`).
    func string(_ id: Int32) -> String { withBytes(id) { $0.string } }

    private mutating func place(_ id: Int, _ h: UInt64, _ bytes: Bytes) {
        let mask = slotCount - 1
        var i = Int(truncatingIfNeeded: h) & mask
        let payload = payloads[id]
        slots.withUnsafeMutableBytes { table in
            let base = UnsafeMutableRawPointer(mutating: Self.aligned(UnsafeRawPointer(table.baseAddress!)))
            while base.load(fromByteOffset: i * Self.wordsPerSlot * 8, as: UInt64.self) != 0 { i = (i + 1) & mask }
            let slot = base + i * Self.wordsPerSlot * 8
            slot.storeBytes(of: h & 0xFFFF_FFFF_0000_0000 | UInt64(id + 1), as: UInt64.self)
            slot.storeBytes(of: payload, toByteOffset: 8, as: Payload.self)
            slot.storeBytes(of: UInt32(bytes.count), toByteOffset: Self.lengthOffset, as: UInt32.self)
            if bytes.count > 0 {
                (slot + Self.bytesOffset).copyMemory(from: bytes.baseAddress!, byteCount: Swift.min(bytes.count, Self.inline))
            }
        }
    }

    /// Room for `slots` slots and the slack to start them on a cache line (see `aligned`).
    private static func table(_ slots: Int) -> [UInt64] {
        Array(repeating: 0, count: (slots + 1) * wordsPerSlot)
    }

    /// The first 64-byte boundary in the table: an array's elements are only 16-byte aligned.
    @inline(__always)
    private static func aligned(_ p: UnsafeRawPointer) -> UnsafeRawPointer {
        UnsafeRawPointer(bitPattern: (Int(bitPattern: p) + 63) & ~63)!
    }

    private mutating func grow() {
        slotCount *= 2
        slots = Self.table(slotCount)
        let all = storage
        all.withUnsafeBytes { all in
            for id in payloads.indices {
                let b = Bytes(rebasing: all[starts[id]..<starts[id + 1]])
                place(id, Self.hash(b), b)
            }
        }
    }

    /// The hash the table keys on (`Hash.words`: the low bits pick the slot, the high bits
    /// are kept in it).
    @inline(__always)
    static func hash(_ bytes: Bytes) -> UInt64 { Hash.words(bytes) }
}
