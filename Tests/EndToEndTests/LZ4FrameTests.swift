import CLZ4
import Foundation
import SpoorKit
import Testing
@testable import DatasetSinks

/// The LZ4 frames Spoor writes itself, read back by liblz4's own decoder, which checks the
/// header checksum, the content size and the XXH32 content checksum.
@Suite struct LZ4FrameTests {
    /// Text that compresses, and random bytes that do not (stored blocks), at sizes around
    /// the hash's 16-byte stripes and the frame's 256 KB blocks.
    static let sizes = [0, 1, 3, 4, 15, 16, 17, 31, 33, 1000, 262_143, 262_144, 262_145, 600_001]

    static func input(_ count: Int, random: Bool) -> [UInt8] {
        var rng = Noise(seed: UInt64(count))
        if random { return (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
        let words = ["sshd", "Failed password for", "root", "from", "203.0.113.7", "port", "ssh2", "\n"]
        var out: [UInt8] = []
        while out.count < count { out += Array(words[Int(rng.next() % UInt64(words.count))].utf8) + [0x20] }
        return Array(out.prefix(count))
    }

    @Test(arguments: sizes)
    func oneCallFramesDecode(size: Int) throws {
        for random in [false, true] {
            let data = Self.input(size, random: random)
            let frame = data.withUnsafeBytes { LZ4Frame.compress($0) }
            #expect(try decodeLZ4Frames(Data(frame)) == data, "size \(size), random \(random)")
        }
    }

    /// The sink feeds a frame as a partition's JSON grows: pieces of any size, in order.
    @Test func framesWrittenInPiecesDecode() throws {
        let data = Self.input(1_100_000, random: false) + Self.input(300_000, random: true)
        var rng = Noise(seed: 7)
        let stream = LZ4Stream()
        var encoder = LZ4FrameEncoder()
        let (first, second) = data.withUnsafeBytes { all -> ([UInt8], [UInt8]) in
            var offset = 0
            while offset < all.count {
                let n = min(Int(rng.next() % 400_000), all.count - offset)
                encoder.append(Bytes(rebasing: all[offset..<(offset + n)]), stream: stream)
                offset += n
            }
            let first = encoder.finish()
            // A second frame from the same encoder and stream, as a worker's next batch.
            encoder.reset()
            encoder.append(Bytes(rebasing: all[0..<5000]), stream: stream)
            return (first, encoder.finish())
        }
        #expect(try decodeLZ4Frames(Data(first + second)) == data + Array(data[0..<5000]))
    }

    /// A wrong checksum is refused: the decoder above does check them, so the tests that
    /// pass are checking that Spoor's are right.
    @Test func corruptedChecksumsAreRefused() throws {
        let data = Self.input(70_000, random: false)
        let frame = data.withUnsafeBytes { LZ4Frame.compress($0) }
        var badContent = frame
        badContent[badContent.count - 1] ^= 0x01
        #expect(throws: DecodeError.self) { try decodeLZ4Frames(Data(badContent)) }
        var badHeader = frame
        badHeader[14] ^= 0x01   // the header checksum byte
        #expect(throws: DecodeError.self) { try decodeLZ4Frames(Data(badHeader)) }
    }

    @Test func xxh32OfKnownInputs() {
        #expect(XXH32.hash(UnsafeRawBufferPointer(start: nil, count: 0)) == 0x02CC_5D05)
        // One input hashed whole and in pieces across stripe boundaries gives one hash.
        let data = Self.input(1000, random: true)
        data.withUnsafeBytes { all in
            let whole = XXH32.hash(all)
            for cut in [1, 5, 15, 16, 17, 500, 999] {
                var h = XXH32()
                h.update(Bytes(rebasing: all[0..<cut]))
                h.update(Bytes(rebasing: all[cut..<cut]))   // an empty piece changes nothing
                h.update(Bytes(rebasing: all[cut...]))
                #expect(h.digest() == whole, "cut at \(cut)")
            }
        }
    }
}

/// xorshift64: deterministic noise, so a failure can be reproduced.
struct Noise {
    var state: UInt64
    init(seed: UInt64) { state = seed | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
