import SpoorKit

/// Where a fact's bytes are in its chunk's `ChunkSignals.arena` (`count < 0`: absent).
struct ByteRange: Sendable {
    var start: Int32
    var count: Int32
    static let absent = ByteRange(start: 0, count: -1)
    var isAbsent: Bool { count < 0 }
}

/// The bytes a chunk's facts refer to, in one growing buffer (SpoorKit's `ByteBuffer`),
/// addressed by `ByteRange`s. Written by one worker, then handed to the correlator with the
/// chunk's signals: never used by two threads at once.
final class SignalArena: @unchecked Sendable {
    private var buffer = ByteBuffer(capacity: 1 << 14)

    @inline(__always)
    func bytes(_ r: ByteRange) -> Bytes { Bytes(start: buffer.start + Int(r.start), count: max(0, Int(r.count))) }

    @inline(__always)
    func append(_ b: Bytes) -> ByteRange {
        let start = buffer.count
        buffer.append(b)
        return ByteRange(start: Int32(start), count: Int32(b.count))
    }

    /// A number as the events' JSON writes it (decimal), without a `String`.
    @inline(__always)
    func append(decimal n: Int64) -> ByteRange {
        let start = buffer.count
        JSONWriter.appendInt(n, &buffer)
        return ByteRange(start: Int32(start), count: Int32(buffer.count - start))
    }

    /// Room for `n` more bytes at `end` (write them, then `commit`).
    @inline(__always)
    func reserve(_ n: Int) { buffer.reserve(n) }

    var count: Int { buffer.count }
    var base: UnsafeMutableRawPointer { UnsafeMutableRawPointer(buffer.start) }
    var end: UnsafeMutableRawPointer { buffer.end }
    func commit(_ n: Int) { buffer.advance(n) }
}
