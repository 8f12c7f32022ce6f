#if canImport(Glibc)
import Glibc
#endif

/// Cuts one decoded stream into chunks of complete records (run on a reader thread).
///
/// Holds at most one chunk being filled. A record longer than the job's maximum becomes a
/// dead letter holding its first `maxRecordBytes` bytes, and the stream is skipped to the
/// next record boundary: memory never grows with a record. A decoding fault delivers every
/// complete record before it, then one dead letter with the partial tail and the fault.
struct StreamChunker {
    let chunkBytes: Int
    let maxRecordBytes: Int
    let pool: BufferPool

    init(chunkBytes: Int, maxRecordBytes: Int, buffersKept: Int) {
        self.chunkBytes = chunkBytes
        self.maxRecordBytes = maxRecordBytes
        pool = BufferPool(size: max(chunkBytes, maxRecordBytes) + 64 * 1024, keep: buffersKept)
    }

    /// Reads `stream` to its end, calling `emit` per chunk. `makeInput` is called once,
    /// with the first 4 KiB of content, to name the stream (fingerprint, format).
    /// Returns the decode error that ended the stream early, if one did.
    func run(_ stream: any DecodedStream, makeInput: (Bytes) -> InputFile, framer framerFor: (InputFile) -> any Framer,
             emit: (Chunk) -> Bool) -> (input: InputFile?, error: DecodeError?, end: (offset: Int64, lines: Int64)) {
        var framer: (any Framer)!
        var context: [UInt8]?
        let capacity = pool.size
        var buffer = pool.take()
        var filled = 0
        var offset: Int64 = 0
        var line: Int64 = 1
        var input: InputFile?
        var pendingDead: [DeadLetter] = []
        var lastConsumed: Int64 = 0
        var failure: DecodeError?
        var atEnd = false
        var stopped = false

        func consumedDelta() -> Int64 {
            let now = stream.bytesConsumed
            defer { lastConsumed = now }
            return now - lastConsumed
        }

        func ship(_ n: Int) {
            let chunkStorage = pool.take()
            let rest = filled - n
            // The chunk keeps this buffer; the unread tail moves to a fresh one.
            if rest > 0 { chunkStorage.copyMemory(from: Bytes(rebasing: buffer[n..<filled])) }
            let chunk = Chunk(input: input!, storage: buffer, count: n, startOffset: offset, startLine: line,
                              deadLetters: pendingDead, consumed: consumedDelta(), pool: pool, context: context)
            if let last = framer.lastContext(in: Bytes(rebasing: buffer[0..<n])) { context = Array(last) }
            line += Int64(countNewlines(Bytes(rebasing: buffer[0..<n])))
            offset += Int64(n)
            pendingDead = []
            buffer = chunkStorage
            filled = rest
            if !emit(chunk) { stopped = true }
        }

        while true {
            // Fill up to the chunk size, or past it while one record is still open.
            let target = min(capacity, max(chunkBytes, filled + 64 * 1024))
            while !atEnd && filled < target {
                do {
                    let n = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<target]))
                    if n == 0 { atEnd = true } else { filled += n }
                } catch {
                    failure = error
                    atEnd = true
                }
            }
            if input == nil {
                let head = Bytes(rebasing: buffer[0..<min(filled, 4096)])
                input = makeInput(head)
                framer = framerFor(input!)
                // An envelope before the first record (`{"value":[`) is no record: step over it.
                var skip = Int64(min(framer.streamStart(head), filled))
                // What an earlier job read is skipped, not framed again.
                if input!.resumeOffset > skip {
                    skip = input!.resumeOffset
                    line = input!.resumeLines + 1
                }
                let inBuffer = Int(min(skip, Int64(filled)))
                if inBuffer > 0 {
                    buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + inBuffer, byteCount: filled - inBuffer)
                    filled -= inBuffer
                    offset += Int64(inBuffer)
                }
                while offset < skip && !atEnd {
                    let want = Int(min(Int64(capacity), skip - offset))
                    do {
                        let n = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
                        if n == 0 { atEnd = true } else { offset += Int64(n) }
                    } catch {
                        failure = error
                        atEnd = true
                    }
                }
            }
            if filled == 0 || stopped { break }

            let window = Bytes(rebasing: buffer[0..<filled])
            let complete = framer.completeLength(window, atEnd: atEnd && failure == nil)
            if complete > 0 {
                ship(complete)
            } else if atEnd {
                break   // only a tail cut short by a decoding fault is left
            } else if filled >= maxRecordBytes {
                skipOverlong(stream, framer, &buffer, &filled, &offset, &line, &pendingDead, &atEnd, &failure)
            }
        }
        if let failure {
            pendingDead.append(DeadLetter(
                reason: "\(failure.message); \(offset) bytes decoded before it" + (filled > 0 ? ", the record cut short is kept here" : ""),
                offset: offset, line: line, raw: Array(Bytes(rebasing: buffer[0..<filled]))))
            offset += Int64(filled)
        }
        if let input, !pendingDead.isEmpty {
            _ = emit(Chunk(input: input, storage: .allocate(byteCount: 1, alignment: 16), count: 0, startOffset: offset,
                       startLine: line, deadLetters: pendingDead, consumed: consumedDelta()))
        }
        pool.give(buffer)
        return (input, failure, (offset, line))
    }

    /// The buffer holds the start of a record longer than allowed: keep that start as a dead
    /// letter and read on to the record's end.
    private func skipOverlong(_ stream: any DecodedStream, _ framer: any Framer, _ buffer: inout UnsafeMutableRawBufferPointer,
                              _ filled: inout Int, _ offset: inout Int64, _ line: inout Int64,
                              _ dead: inout [DeadLetter], _ atEnd: inout Bool, _ failure: inout DecodeError?) {
        let kept = Array(Bytes(rebasing: buffer[0..<maxRecordBytes]))
        var total = filled
        var scan = Bytes(rebasing: buffer[maxRecordBytes..<filled])
        var tail: [UInt8] = []
        while true {
            if let boundary = framer.skipLength(scan) {
                total -= scan.count - boundary
                tail = Array(scan.dropFirst(boundary))
                break
            }
            if atEnd { break }
            do {
                let n = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(buffer.count, 1 << 20)]))
                if n == 0 { atEnd = true; break }
                total += n
                scan = Bytes(rebasing: buffer[0..<n])
            } catch {
                failure = error
                atEnd = true
                break
            }
        }
        dead.append(DeadLetter(
            reason: "record of \(total) bytes is longer than the maximum of \(maxRecordBytes) bytes (max_record_bytes); its first \(maxRecordBytes) bytes are kept",
            offset: offset, line: line, raw: kept, rawLength: total))
        offset += Int64(total)
        line += 1
        tail.withUnsafeBytes { buffer.copyMemory(from: $0) }
        filled = tail.count
    }
}

/// Number of `\n` bytes, sixteen at a time: a chunk's line count (a `memchr` per line
/// cost a call per line).
func countNewlines(_ b: Bytes) -> Int {
    guard let p = b.baseAddress else { return 0 }
    let newline = SIMD16<UInt8>(repeating: 0x0A)
    var n = 0
    var i = 0
    while i + 16 <= b.count {
        // Per lane, the newlines of up to 255 blocks (a match is 0xFF: subtracting adds one).
        var lanes = SIMD16<UInt8>()
        let stop = min(b.count - 15, i + 255 * 16)
        while i < stop {
            lanes &-= unsafeBitCast(p.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self) .== newline, to: SIMD16<UInt8>.self)
            i += 16
        }
        n += Int(SIMD16<UInt16>(truncatingIfNeeded: lanes).wrappedSum())
    }
    while i < b.count {
        if p.load(fromByteOffset: i, as: UInt8.self) == 0x0A { n += 1 }
        i += 1
    }
    return n
}
