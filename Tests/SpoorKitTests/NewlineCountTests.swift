@testable import SpoorKit
import Testing

/// A chunk's line count moves every later event's `log.file.line`: the vector count must
/// agree with a plain count at every length and place, and past its 255-block groups.
@Suite struct NewlineCountTests {
    static func plainCount(_ bytes: [UInt8]) -> Int { bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } }

    @Test func everyLengthAndPlace() {
        for length in 0...80 {
            for place in 0..<max(length, 1) {
                var bytes = [UInt8](repeating: 0x61, count: length)
                if length > 0 { bytes[place] = 0x0A }
                if length > 40 { bytes[length - 1 - place / 2] = 0x0A }
                bytes.withUnsafeBytes { #expect(countNewlines($0) == Self.plainCount(bytes), "length \(length), place \(place)") }
            }
        }
    }

    @Test func longRunsOfNewlinesAndOtherBytes() {
        // 10,000 newlines: each lane counts past one group of 255 blocks.
        for bytes in [[UInt8](repeating: 0x0A, count: 10_000),
                      (0..<70_001).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }] {
            bytes.withUnsafeBytes { #expect(countNewlines($0) == Self.plainCount(bytes)) }
        }
    }
}
