#if canImport(Glibc)
import Glibc
#endif
import SpoorKit

/// A pull stream of bytes: the layers of decoding stack on one another through this.
protocol ByteReader: AnyObject {
    /// Fills `buffer`; 0 at the end. Throws after delivering every byte it could.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(DecodeError) -> Int
}

/// Reads a file descriptor; counts what it read (the job's progress in input bytes).
final class DescriptorReader: ByteReader {
    let fd: Int32
    let path: String
    private(set) var consumed: Int64 = 0

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { if fd > 2 { close(fd) } }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(DecodeError) -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 {
                consumed += Int64(n)
                return n
            }
            if errno == EINTR { continue }
            throw DecodeError("read error in \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// Lets a decoder look at the first bytes (magic numbers, a tar header) before deciding.
final class PeekReader: ByteReader {
    private let inner: ByteReader
    private var head: [UInt8] = []
    private var headStart = 0
    private var pendingError: DecodeError?
    private var innerEnded = false

    init(_ inner: ByteReader) { self.inner = inner }

    /// Up to `n` first bytes (fewer at the end of the stream, or before a fault).
    func peek(_ n: Int) -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while head.count - headStart < n && !innerEnded && pendingError == nil {
            switch chunk.withUnsafeMutableBytes({ b in Result { () throws(DecodeError) in try inner.read(into: b) } }) {
            case .success(0): innerEnded = true
            case .success(let got): head.append(contentsOf: chunk[0..<got])
            case .failure(let error): pendingError = error
            }
        }
        return Array(head[headStart..<min(head.count, headStart + n)])
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(DecodeError) -> Int {
        if headStart < head.count {
            let n = min(buffer.count, head.count - headStart)
            head.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + headStart, byteCount: n) }
            headStart += n
            if headStart == head.count { head = []; headStart = 0 }
            return n
        }
        if let pendingError { self.pendingError = nil; throw pendingError }
        if innerEnded { return 0 }
        return try inner.read(into: buffer)
    }
}

/// A stream that only reports why it could not be opened (a member whose decoder failed
/// at its first bytes): the pipeline turns this into one dead letter.
final class FailedReader: ByteReader {
    let error: DecodeError
    init(_ error: DecodeError) { self.error = error }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(DecodeError) -> Int { throw error }
}

/// One decoded member handed to the pipeline.
final class MemberStream: DecodedStream {
    let reader: ByteReader
    let memberPath: String?
    let encoding: String
    let referenceTime: Int64
    private let root: DescriptorReader

    init(reader: ByteReader, memberPath: String?, encoding: String, referenceTime: Int64, root: DescriptorReader) {
        self.reader = reader
        self.memberPath = memberPath
        self.encoding = encoding
        self.referenceTime = referenceTime
        self.root = root
    }

    var bytesConsumed: Int64 { root.consumed }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(DecodeError) -> Int {
        try reader.read(into: buffer)
    }
}
