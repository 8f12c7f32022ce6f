import CZlib
import SpoorKit

/// gzip through zlib, member after member (concatenated gzip, as `cat a.gz b.gz` makes).
///
/// zlib checks every member's CRC-32 and length: a corrupted or truncated gzip is an error
/// here, where libarchive would return short data silently.
final class GzipReader: ByteReader {
    private let inner: ByteReader
    private var stream = z_stream()
    private var input = [UInt8](repeating: 0, count: 256 * 1024)
    private var inputStart = 0, inputEnd = 0
    private var innerEnded = false
    private var memberEnded = false
    private var finished = false
    private var decoded: Int64 = 0

    init(_ inner: ByteReader) throws(DecodeError) {
        self.inner = inner
        guard spoor_inflate_init2(&stream, 15 + 16) == Z_OK else { throw DecodeError("zlib could not start") }
    }

    deinit { inflateEnd(&stream) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(DecodeError) -> Int {
        while !finished {
            if inputStart == inputEnd && !innerEnded { try refill() }
            if memberEnded {
                // Another member follows, or trailing bytes: zeros are padding, others are not gzip.
                if inputStart == inputEnd && innerEnded { finished = true; break }
                if inputStart == inputEnd { continue }
                if input[inputStart] == 0 {
                    while inputStart < inputEnd && input[inputStart] == 0 { inputStart += 1 }
                    continue
                }
                guard input[inputStart] == 0x1F else {
                    finished = true
                    throw DecodeError("gzip: data after the last member is not gzip (at decoded offset \(decoded))")
                }
                inflateReset(&stream)
                memberEnded = false
            }
            let available = inputEnd - inputStart
            let (rc, produced, used) = input.withUnsafeMutableBytes { inBuf -> (Int32, Int, Int) in
                stream.next_in = inBuf.baseAddress!.assumingMemoryBound(to: Bytef.self) + inputStart
                stream.avail_in = UInt32(available)
                stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
                let rc = inflate(&stream, Z_NO_FLUSH)
                return (rc, buffer.count - Int(stream.avail_out), available - Int(stream.avail_in))
            }
            inputStart += used
            decoded += Int64(produced)
            switch rc {
            case Z_STREAM_END:
                memberEnded = true
            case Z_OK:
                break
            case Z_BUF_ERROR where innerEnded && inputStart == inputEnd:
                finished = true
                if produced > 0 { pendingTruncation = true; return produced }
                throw DecodeError("gzip: stream truncated (after \(decoded) decoded bytes)")
            case Z_BUF_ERROR:
                break
            default:
                finished = true
                let message = stream.msg.map { String(cString: $0) } ?? "error \(rc)"
                if produced > 0 { pendingError = message; return produced }
                throw DecodeError("gzip: \(message) (after \(decoded) decoded bytes)")
            }
            if produced > 0 { return produced }
            if innerEnded && inputStart == inputEnd && !memberEnded && rc == Z_OK && produced == 0 {
                finished = true
                throw DecodeError("gzip: stream truncated (after \(decoded) decoded bytes)")
            }
        }
        if pendingTruncation { pendingTruncation = false; throw DecodeError("gzip: stream truncated (after \(decoded) decoded bytes)") }
        if let message = pendingError { pendingError = nil; throw DecodeError("gzip: \(message) (after \(decoded) decoded bytes)") }
        return 0
    }

    private var pendingTruncation = false
    private var pendingError: String?

    private func refill() throws(DecodeError) {
        if inputStart > 0 {
            input.withUnsafeMutableBytes { b in
                b.baseAddress!.copyMemory(from: b.baseAddress! + inputStart, byteCount: inputEnd - inputStart)
            }
            inputEnd -= inputStart
            inputStart = 0
        }
        let n = try input.withUnsafeMutableBytes { b in
            Result { () throws(DecodeError) in try inner.read(into: UnsafeMutableRawBufferPointer(rebasing: b[inputEnd...])) }
        }.get()
        if n == 0 { innerEnded = true } else { inputEnd += n }
    }
}
