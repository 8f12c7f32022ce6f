import CLZ4
import SpoorKit

/// The blocks of an LZ4 frame (the LZ4 frame format, which `lz4 -d` reads), compressed as
/// their input arrives: independent blocks of at most `blockSize` bytes, each followed by
/// the XXH32 of its bytes as stored (a block checksum).
///
/// A file is one frame: `PartitionFile` writes the header when it creates the file and the
/// end mark when it closes it, and the blocks that workers compressed go in between in any
/// number and order, since each decodes on its own. So every worker compresses its own
/// batches, and the checksums hash the compressed bytes (96,259,075 for the bench's
/// 606,920,113 bytes of JSON): a content checksum hashed all of the JSON, 5.95% of a
/// 1-core ingest's samples. (A file of one frame per
/// batch would need that content checksum: `lz4` 1.9.4 cannot read frames concatenated
/// when they have block checksums and no content checksum.)
struct LZ4BlockEncoder: ~Copyable {
    /// 256 KB. A block starts with no history, so small blocks compress worse: on 300,000
    /// bench lines, 64 KB blocks made the dataset 6.1% larger than 256 KB ones.
    static let blockSize = 256 << 10
    /// LZ4's default (1). On the bench's JSON, in 256 KB blocks, `lz4 -b` compressed at
    /// 1,457.77 MB/s with acceleration 1 and 1,449.17 MB/s with 2, and 2.5% smaller: JSON
    /// repeats enough that skipping ahead saves nothing.
    private static let acceleration: Int32 = 1

    private(set) var blocks = ByteBuffer(capacity: 16 << 10)

    init() {}

    /// Starts over, keeping the memory.
    mutating func reset() { blocks.removeAll() }

    /// Compresses `input` as blocks of `blockSize` bytes; the last may be shorter.
    mutating func append(_ input: Bytes, stream: LZ4Stream) {
        var offset = 0
        while offset < input.count {
            let n = min(Self.blockSize, input.count - offset)
            appendBlock(Bytes(rebasing: input[offset..<(offset + n)]), stream: stream)
            offset += n
        }
    }

    private mutating func appendBlock(_ block: Bytes, stream: LZ4Stream) {
        blocks.reserve(4 + block.count + 4)
        let sizeField = blocks.count
        let out = blocks.end + 4
        // Independent blocks: forget the previous block as a dictionary. A block that
        // would not shrink is stored as it is (capacity one byte less than the input).
        LZ4_resetStream_fast(stream.state)
        let n = LZ4_compress_fast_continue(stream.state, block.baseAddress!.assumingMemoryBound(to: CChar.self),
                                           out.assumingMemoryBound(to: CChar.self), Int32(block.count), Int32(block.count - 1),
                                           Self.acceleration)
        let stored = n > 0 ? Int(n) : block.count
        if n > 0 {
            store(UInt32(n), at: sizeField)
        } else {
            out.copyMemory(from: block.baseAddress!, byteCount: block.count)
            store(UInt32(block.count) | 0x8000_0000, at: sizeField)
        }
        store(XXH32.hash(UnsafeRawBufferPointer(start: out, count: stored)), at: sizeField + 4 + stored)
        blocks.advance(4 + stored + 4)
    }

    /// The blocks, exactly sized (a payload waiting in a queue must not hold a buffer's
    /// spare room), and starts over.
    mutating func finish() -> [UInt8] {
        defer { reset() }
        return blocks.array
    }

    private func store(_ value: UInt32, at offset: Int) {
        UnsafeMutableRawPointer(blocks.start).storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self)
    }
}

/// liblz4's compression state (16 KB), one per encoding worker, reused for every block.
final class LZ4Stream {
    let state: UnsafeMutablePointer<LZ4_stream_t>

    init() { state = LZ4_createStream()! }
    deinit { LZ4_freeStream(state) }
}

/// The frame around the blocks: what a file starts and ends with.
enum LZ4Frame {
    /// Magic, FLG (version 01, independent blocks, block checksums), BD (blocks of at most
    /// 256 KB) and the header checksum (the second byte of the XXH32 of FLG and BD).
    static let header: [UInt8] = {
        let descriptor: [UInt8] = [0b0111_0000, 5 << 4]
        let check = descriptor.withUnsafeBytes { UInt8(truncatingIfNeeded: XXH32.hash($0) >> 8) }
        return [0x04, 0x22, 0x4D, 0x18] + descriptor + [check]
    }()
    /// A block size of 0.
    static let endMark: [UInt8] = [0, 0, 0, 0]

    /// `input` as blocks: for the findings, written in one piece.
    static func blocks(_ input: Bytes, stream: LZ4Stream = LZ4Stream()) -> [UInt8] {
        var encoder = LZ4BlockEncoder()
        encoder.append(input, stream: stream)
        return encoder.finish()
    }
}
