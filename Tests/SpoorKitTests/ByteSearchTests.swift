import Testing
@testable import SpoorKit

/// The substring search parsers use (`firstIndex(of:)`, `after`, `contains`), against a
/// naive search, with the needle at every position of haystacks of every length up to 70
/// and decoys that share only its first or only its last byte.
@Suite struct ByteSearchTests {
    static func naive(_ hay: [UInt8], _ needle: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty else { return from <= hay.count ? from : nil }
        guard hay.count >= needle.count, from <= hay.count - needle.count else { return nil }
        return (from...(hay.count - needle.count)).first { Array(hay[$0..<($0 + needle.count)]) == needle }
    }

    @Test(arguments: [[UInt8]("ab".utf8), [UInt8]("port".utf8), [UInt8]("Failed password".utf8), [UInt8]("x".utf8)])
    func findsWhatANaiveSearchFinds(needle: [UInt8]) {
        for length in 0...70 {
            // Decoys: the needle's first byte, then its last byte, alone, all over.
            var base = [UInt8](repeating: 0x2E, count: length)
            for i in stride(from: 0, to: length, by: 3) { base[i] = needle[0] }
            for i in stride(from: 1, to: length, by: 5) { base[i] = needle[needle.count - 1] }
            if needle.count > 1 { #expect(Self.find(base, needle) == Self.naive(base, needle, from: 0), "decoys only, length \(length)") }
            for at in 0...max(0, length - needle.count) where at + needle.count <= length {
                var hay = base
                hay.replaceSubrange(at..<(at + needle.count), with: needle)
                for from in [0, 1, at, at + 1] where from <= length {
                    #expect(Self.find(hay, needle, from: from) == Self.naive(hay, needle, from: from),
                            "needle at \(at), length \(length), from \(from)")
                }
            }
        }
    }

    /// One byte, at every place of every length up to 70, searched from every start.
    @Test func findsOneByteWhereverItIs() {
        for length in 0...70 {
            for place in -1..<length {
                var hay = [UInt8](repeating: 0x61, count: length)
                if place >= 0 { hay[place] = 0x20 }
                if place + 20 < length { hay[place + 20] = 0x20 }
                for from in 0...length {
                    let expected = hay.indices.first { $0 >= from && hay[$0] == 0x20 }
                    hay.withUnsafeBytes { #expect($0.firstIndex(of: 0x20, from: from) == expected, "length \(length), at \(place), from \(from)") }
                }
            }
        }
    }

    static func find(_ hay: [UInt8], _ needle: [UInt8], from: Int = 0) -> Int? {
        hay.withUnsafeBytes { h in needle.withUnsafeBytes { n in h.firstIndex(of: n, from: from) } }
    }
}
