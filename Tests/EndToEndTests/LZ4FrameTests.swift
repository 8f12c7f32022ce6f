import CLZ4
import Foundation
import SpoorKit
import Testing
@testable import DatasetSinks

/// The LZ4 frames Spoor writes itself, read back by liblz4's own decoder, which checks the
/// header checksum and each block's XXH32 checksum.
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

    static func frame(_ data: [UInt8]) -> [UInt8] {
        LZ4Frame.header + data.withUnsafeBytes { LZ4Frame.blocks($0) } + LZ4Frame.endMark
    }

    @Test(arguments: sizes)
    func oneCallFramesDecode(size: Int) throws {
        for random in [false, true] {
            let data = Self.input(size, random: random)
            #expect(try decodeLZ4Frames(Data(Self.frame(data))) == data, "size \(size), random \(random)")
        }
    }

    /// A file is one frame whose blocks come from the sink's workers: each compresses a
    /// partition's JSON in pieces of any size as it grows, and its batches' blocks follow
    /// each other's in the file, in the order written.
    @Test func blocksOfSeveralBatchesMakeOneFrame() throws {
        let data = Self.input(1_100_000, random: false) + Self.input(300_000, random: true)
        var rng = Noise(seed: 7)
        let stream = LZ4Stream()
        var encoder = LZ4BlockEncoder()
        let (first, second) = data.withUnsafeBytes { all -> ([UInt8], [UInt8]) in
            var offset = 0
            while offset < all.count {
                let n = min(Int(rng.next() % 400_000), all.count - offset)
                encoder.append(Bytes(rebasing: all[offset..<(offset + n)]), stream: stream)
                offset += n
            }
            let first = encoder.finish()
            // The next batch, from the same encoder and stream.
            encoder.append(Bytes(rebasing: all[0..<5000]), stream: stream)
            return (first, encoder.finish())
        }
        let file = LZ4Frame.header + second + first + LZ4Frame.endMark
        #expect(try decodeLZ4Frames(Data(file)) == Array(data[0..<5000]) + data)
    }

    /// What `PartitionFile` writes is a whole frame that the `lz4` command reads.
    @Test func partitionFilesAreOneFrame() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-lz4-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = try PartitionFile(directory: dir, name: "part.ndjson.lz4", kind: "events")
        let rows = [Self.input(300_000, random: false), Self.input(20, random: true), Self.input(70_000, random: false)]
        for r in rows { try file.append(blocks: r.withUnsafeBytes { LZ4Frame.blocks($0) }, rows: 1) }
        let done = try file.close()
        #expect(done.rows == 3)
        let written = try Data(contentsOf: URL(fileURLWithPath: done.path))
        #expect(try decodeLZ4Frames(written) == rows.flatMap { $0 })
        let lz4 = Process()
        lz4.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        lz4.arguments = ["lz4", "-t", "-q", done.path]
        try lz4.run()
        lz4.waitUntilExit()
        #expect(lz4.terminationStatus == 0, "lz4 -t refused \(done.path)")
        // Without its end mark the frame is incomplete, and the decoder says so.
        #expect(throws: DecodeError.self) { try decodeLZ4Frames(written.dropLast(4)) }
    }

    /// A wrong checksum is refused: the decoder above does check them, so the tests that
    /// pass are checking that Spoor's are right.
    @Test func corruptedChecksumsAreRefused() throws {
        let data = Self.input(70_000, random: false)
        let frame = Self.frame(data)
        let header = LZ4Frame.header.count
        let stored = Int(frame[header]) | Int(frame[header + 1]) << 8 | Int(frame[header + 2]) << 16
        var badBlockChecksum = frame
        badBlockChecksum[header + 4 + stored] ^= 0x01
        #expect(throws: DecodeError.self) { try decodeLZ4Frames(Data(badBlockChecksum)) }
        var badBlock = frame
        badBlock[header + 4 + stored / 2] ^= 0x01
        #expect(throws: DecodeError.self) { try decodeLZ4Frames(Data(badBlock)) }
        var badHeader = frame
        badHeader[header - 1] ^= 0x01   // the header checksum byte
        #expect(throws: DecodeError.self) { try decodeLZ4Frames(Data(badHeader)) }
    }

    @Test func xxh32OfKnownInputs() {
        #expect(XXH32.hash(UnsafeRawBufferPointer(start: nil, count: 0)) == 0x02CC_5D05)
        #expect(LZ4Frame.header == [0x04, 0x22, 0x4D, 0x18, 0x70, 0x50, 0x84])
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
