#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLinux
import CLZ4
import CZstd

/// An output file through a POSIX descriptor, with a small write buffer for headers; large
/// chunks go straight to `write(2)`.
final class FileOutput {
    private var fd: Int32
    private var buffer: [UInt8] = []
    private let bufferLimit = 256 << 10
    private let path: String
    /// Bytes written so far (buffered or not): the offset of the next byte.
    private(set) var position = 0
    /// Bytes handed to the descriptor so far.
    private var written = 0

    init(path: String) throws(ParquetError) {
        self.path = path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw ParquetError("cannot create \(path): \(errnoMessage())", code: errno) }
        self.fd = fd
        buffer.reserveCapacity(bufferLimit)
    }

    deinit {
        if fd >= 0 { _ = posixClose(fd) }
    }

    func write(_ bytes: [UInt8]) throws(ParquetError) {
        try typed { try bytes.withUnsafeBytes { try write($0) } }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(ParquetError) {
        if buffer.count + bytes.count > bufferLimit {
            try flush()
        }
        if bytes.count >= bufferLimit {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
        position += bytes.count
    }

    func flush() throws(ParquetError) {
        if buffer.isEmpty { return }
        try typed { try buffer.withUnsafeBytes { try writeAll($0) } }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(ParquetError) {
        guard fd >= 0 else { throw ParquetError("\(path) is closed") }
        let start = written
        var done = 0
        while done < bytes.count {
            let n = posixWrite(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw ParquetError("write to \(path) failed: \(errnoMessage())", code: errno)
            }
            done += n
        }
        written += bytes.count
        // The disk starts on these bytes now, so that whoever makes the file durable at the
        // end waits less. A hint: a failed write-back is reported by that sync.
        _ = spoor_start_writeback(fd, Int64(start), Int64(bytes.count))
    }

    /// Flushes and closes the descriptor (a failing `close` is an error: NFS reports late).
    func close() throws(ParquetError) {
        defer { buffer = [] }
        guard fd >= 0 else { return }
        var firstError: ParquetError?
        do { try flush() } catch { firstError = error }
        let rc = posixClose(fd)
        fd = -1
        if rc != 0 && firstError == nil { firstError = ParquetError("close of \(path) failed: \(errnoMessage())", code: errno) }
        if let firstError { throw firstError }
    }

    /// Closes the descriptor without flushing (the file is abandoned).
    func abandon() {
        if fd >= 0 { _ = posixClose(fd) }
        fd = -1
        buffer = []
    }
}

@inline(__always)
private func posixClose(_ fd: Int32) -> Int32 {
    close(fd)
}

@inline(__always)
private func posixWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    write(fd, p, n)
}

/// Runs `body` (a closure through a `rethrows` API, which loses the error type) and throws
/// what it threw as a `ParquetError` again.
func typed(_ body: () throws -> Void) throws(ParquetError) {
    do {
        try body()
    } catch let error as ParquetError {
        throw error
    } catch {
        throw ParquetError("\(error)")
    }
}

func errnoMessage() -> String {
    let code = errno
    if let s = strerror(code) { return String(cString: s) + " (errno \(code))" }
    return "errno \(code)"
}

/// Page compression.
enum Compressor {
    /// Compresses `input` with `codec` into `output` (replacing its contents).
    static func compress(_ input: [UInt8], codec: ParquetCodec, into output: inout [UInt8]) throws(ParquetError) {
        switch codec {
        case .uncompressed:
            output.removeAll(keepingCapacity: true)
            output.append(contentsOf: input)
        case .lz4Raw:
            // LZ4_RAW (codec 7): one bare LZ4 block, no size prefix, no frame.
            guard input.count <= Int(LZ4_MAX_INPUT_SIZE) else {
                throw ParquetError("page of \(input.count) bytes is too large for LZ4")
            }
            let bound = Int(LZ4_compressBound(Int32(input.count)))
            if output.count < bound {
                output.append(contentsOf: repeatElement(0, count: bound - output.count))
            }
            let written = input.withUnsafeBytes { src in
                output.withUnsafeMutableBytes { dst in
                    LZ4_compress_default(
                        src.baseAddress?.assumingMemoryBound(to: CChar.self),
                        dst.baseAddress!.assumingMemoryBound(to: CChar.self),
                        Int32(input.count), Int32(bound))
                }
            }
            guard written > 0 else { throw ParquetError("LZ4 compression failed") }
            output.removeLast(output.count - Int(written))
        case .zstd(let level):
            // ZSTD (codec 6): one zstd frame per page.
            let bound = ZSTD_compressBound(input.count)
            if output.count < bound {
                output.append(contentsOf: repeatElement(0, count: bound - output.count))
            }
            let written = input.withUnsafeBytes { src in
                output.withUnsafeMutableBytes { dst in
                    ZSTD_compress(dst.baseAddress, bound, src.baseAddress, input.count, level)
                }
            }
            guard ZSTD_isError(written) == 0 else {
                throw ParquetError("ZSTD compression failed: \(String(cString: ZSTD_getErrorName(written)))")
            }
            output.removeLast(output.count - written)
        }
    }
}
