import CLZ4
import SpoorKit

/// One LZ4 frame (the LZ4 frame format, which `lz4 -d` reads), written block by block as
/// its input arrives: independent blocks of at most `blockSize` bytes, the content size,
/// and the XXH32 content checksum.
///
/// The NDJSON writer compresses a partition's JSON each time a block of it is written, so
/// a batch's JSON is never held whole, and the checksum is taken by a faster hash than
/// liblz4's (see `XXH32`). liblz4 compresses the blocks; the frame around them is written
/// here. Frames concatenate: `lz4 -d` decodes a file of them as one stream, which is what
/// lets every worker compress its own batches.
struct LZ4FrameEncoder: ~Copyable {
    /// 256 KB. A block starts with no history, so small blocks compress worse: on 300,000
    /// bench lines, 64 KB blocks made the dataset 6.1% larger than 256 KB ones.
    static let blockSize = 256 << 10
    /// The frame descriptor's code for that maximum (5 = 256 KB).
    private static let blockSizeCode: UInt8 = 5
    /// Magic, FLG, BD, content size, header checksum.
    private static let headerSize = 4 + 1 + 1 + 8 + 1
    /// LZ4's default (1). On the bench's JSON, in 256 KB blocks, `lz4 -b` compressed at
    /// 1,457.77 MB/s with acceleration 1 and 1,449.17 MB/s with 2, and 2.5% smaller: JSON
    /// repeats enough that skipping ahead saves nothing.
    private static let acceleration: Int32 = 1

    private(set) var frame = ByteBuffer(capacity: 16 << 10)
    private var checksum = XXH32()
    private var contentSize = 0

    init() { frame.advance(Self.headerSize) }

    /// Starts a new frame, keeping the memory.
    mutating func reset() {
        frame.removeAll()
        frame.advance(Self.headerSize)
        checksum = XXH32()
        contentSize = 0
    }

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
        frame.reserve(4 + block.count)
        let sizeField = frame.count
        let out = frame.base + sizeField + 4
        // Independent blocks: forget the previous block as a dictionary. A block that
        // would not shrink is stored as it is (capacity one byte less than the input).
        LZ4_resetStream_fast(stream.state)
        let n = LZ4_compress_fast_continue(stream.state, block.baseAddress!.assumingMemoryBound(to: CChar.self),
                                           out.assumingMemoryBound(to: CChar.self), Int32(block.count), Int32(block.count - 1),
                                           Self.acceleration)
        if n > 0 {
            store(UInt32(n), at: sizeField)
            frame.advance(4 + Int(n))
        } else {
            out.copyMemory(from: block.baseAddress!, byteCount: block.count)
            store(UInt32(block.count) | 0x8000_0000, at: sizeField)
            frame.advance(4 + block.count)
        }
        checksum.update(block)
        contentSize += block.count
    }

    /// Ends the frame and returns it, exactly sized: a payload waiting in a queue must not
    /// hold a buffer's spare room.
    mutating func finish() -> [UInt8] {
        frame.reserve(8)
        store(0, at: frame.count)                      // end mark
        store(checksum.digest(), at: frame.count + 4)
        frame.advance(8)
        let h = frame.base
        h.storeBytes(of: UInt32(0x184D_2204).littleEndian, toByteOffset: 0, as: UInt32.self)
        // FLG: version 01, independent blocks, content size, content checksum.
        h.storeBytes(of: 0b0110_1100, toByteOffset: 4, as: UInt8.self)
        h.storeBytes(of: Self.blockSizeCode << 4, toByteOffset: 5, as: UInt8.self)
        h.storeBytes(of: UInt64(contentSize).littleEndian, toByteOffset: 6, as: UInt64.self)
        let descriptor = UnsafeRawBufferPointer(start: h + 4, count: Self.headerSize - 5)
        h.storeBytes(of: UInt8(truncatingIfNeeded: XXH32.hash(descriptor) >> 8), toByteOffset: Self.headerSize - 1, as: UInt8.self)
        return frame.array
    }

    private func store(_ value: UInt32, at offset: Int) {
        frame.base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self)
    }
}

/// liblz4's compression state (16 KB), one per encoding worker, reused for every block.
final class LZ4Stream {
    let state: UnsafeMutablePointer<LZ4_stream_t>

    init() { state = LZ4_createStream()! }
    deinit { LZ4_freeStream(state) }
}

enum LZ4Frame {
    /// `input` as one frame: for the dead letters and the findings, written in one piece.
    static func compress(_ input: Bytes, stream: LZ4Stream = LZ4Stream()) -> [UInt8] {
        var encoder = LZ4FrameEncoder()
        encoder.append(input, stream: stream)
        return encoder.finish()
    }
}
