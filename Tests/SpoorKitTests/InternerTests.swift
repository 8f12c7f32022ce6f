import Testing
@testable import SpoorKit

/// The structures the campaign counter keeps per worker: what goes in comes back out.
@Suite struct InternerTests {
    /// The id of `text`, added with `payload` when new.
    static func intern<P>(_ text: String, _ payload: P, in interner: inout ByteInterner<P>) -> Int32 {
        withBytes(of: text) { interner.find($0)?.id ?? interner.add($0, payload) }
    }

    @Test func equalBytesGetOneIDAndTheSameTextBack() {
        var interner = ByteInterner<Int>()
        // Longer than the 44 bytes a slot holds, and differing only after them.
        let long = String(repeating: "Mozilla/5.0 ", count: 5)
        let words = ["198.51.100.7", "", "alice@example.net", "Alice@example.net", long + "A", "198.51.100.7", "", "caf\u{E9}", long + "B"]
        let ids = words.enumerated().map { Self.intern($1, $0 * 10, in: &interner) }
        #expect(ids == [0, 1, 2, 3, 4, 0, 1, 5, 6])
        #expect(interner.count == 7)
        #expect((0..<7).map { interner.string(Int32($0)) } == ["198.51.100.7", "", "alice@example.net", "Alice@example.net", long + "A", "caf\u{E9}", long + "B"])
        // The payload is the one given when the value was added.
        #expect(words.map { w in withBytes(of: w) { interner.find($0)?.payload } } == [0, 10, 20, 30, 40, 0, 10, 70, 80])
        #expect(withBytes(of: "alice@example.ne") { interner.find($0) } == nil)
        #expect(withBytes(of: long + "C") { interner.find($0) } == nil)
    }

    /// Keys are compared by hash first: a byte the hash skipped would make two accounts one.
    @Test func everyByteOfAKeyCountsInItsHash() {
        for n in 0...40 {
            let base = (0..<n).map { UInt8(truncatingIfNeeded: 0x41 + $0 * 7) }
            let h = base.withUnsafeBytes { Hash.words($0) }
            var seen: Set<UInt64> = [h]
            for i in 0..<n {
                var changed = base
                changed[i] ^= 0x01
                // Only the first `n` bytes are the key: what follows them in memory is not.
                changed.append(0xFF)
                let other = changed.withUnsafeBytes { Hash.words(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                #expect(other != h, "byte \(i) of \(n) is not in the hash")
                seen.insert(other)
            }
            let padded = base + [0x2A, 0x2A, 0x2A, 0x2A, 0x2A, 0x2A, 0x2A, 0x2A]
            #expect(padded.withUnsafeBytes { Hash.words(UnsafeRawBufferPointer(rebasing: $0[0..<n])) } == h)
            #expect(seen.count == n + 1)
        }
    }

    @Test func manyValuesSurviveGrowth() {
        var interner = ByteInterner<Int32>()
        for i in 0..<10_000 { #expect(Self.intern("10.0.\(i / 256).\(i % 256)", Int32(-i), in: &interner) == Int32(i)) }
        for i in stride(from: 0, to: 10_000, by: 7) {
            #expect(withBytes(of: "10.0.\(i / 256).\(i % 256)") { interner.find($0) } .map { [$0.id, $0.payload] } == [Int32(i), Int32(-i)])
        }
        #expect(interner.string(9_999) == "10.0.39.15")
    }

    @Test func spellingsEqualAsTextShareAClass() {
        var values = CampaignValues()
        let composed = values.value(text: "caf\u{E9}")
        let decomposed = values.value(text: "cafe\u{301}")
        let other = values.value(text: "cafe")
        #expect(composed.id != decomposed.id)
        #expect(composed.cls == composed.id && decomposed.cls == composed.id)
        #expect(other.cls == other.id)
        #expect(values.value(text: "cafe\u{301}").id == decomposed.id)
        #expect(values.strings[Int(decomposed.id)].unicodeScalars.count == 5)
    }

    @Test func idMapKeepsTheFirstValueOfAKey() {
        var map = IDMap<Int32>()
        #expect(map.value(3) == nil)
        #expect(map.insert(3, 30) == (30, true))
        #expect(map.insert(3, 31) == (30, false))
        #expect(map.insert(-5, 7) == (7, true))
        for k in Int32(100)..<Int32(5_100) { _ = map.insert(k, k * 2) }
        #expect(map.count == 5_002)
        #expect(map.value(3) == 30)
        #expect(map.value(-5) == 7)
        #expect(map.value(4_321) == 8_642)
        #expect(map.value(99) == nil)
        var sum = 0
        map.forEach { k, v in if k >= 100 { sum += Int(v - 2 * k) } }
        #expect(sum == 0)
    }
}
