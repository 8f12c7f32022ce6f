#if canImport(Glibc)
import Glibc
#endif
import SpoorKit

/// One `.ndjson.lz4` file being written, as one LZ4 frame: the header when it is created,
/// the blocks workers compressed (`LZ4BlockEncoder`) as they come, the end mark when it is
/// closed. It stays under a hidden temporary name until `close`, which renames it into
/// place, so readers never see a half-written file. The sink makes its files durable
/// together when it finishes (`syncFileSystem`), before the job commits.
final class PartitionFile {
    let finalPath: String
    let temporaryPath: String
    let kind: String
    private let fd: Int32
    private(set) var bytes = 0
    private(set) var rows = 0

    init(directory: String, name: String, kind: String) throws {
        try makeDirectories(directory)
        finalPath = directory + "/" + name
        temporaryPath = directory + "/." + name + ".inprogress"
        self.kind = kind
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SinkFailure(path: temporaryPath, operation: "create", errno: errno) }
        do {
            try write(LZ4Frame.header)
        } catch {
            Glibc.close(fd)
            unlink(temporaryPath)
            throw error
        }
    }

    /// Appends LZ4 blocks holding `rows` rows.
    func append(blocks: [UInt8], rows: Int) throws {
        try write(blocks)
        self.rows += rows
    }

    private func write(_ data: [UInt8]) throws {
        var done = 0
        while done < data.count {
            let n = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, data.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SinkFailure(path: temporaryPath, operation: "write", errno: errno)
            }
            done += n
        }
        startWriteback(fd, offset: bytes, length: data.count)
        bytes += data.count
    }

    /// Ends the frame, closes and renames into place; returns what became visible.
    func close() throws -> OutputFile {
        // The descriptor is closed even when the end mark cannot be written.
        let ended = Result { try write(LZ4Frame.endMark) }
        guard Glibc.close(fd) == 0 else { throw SinkFailure(path: temporaryPath, operation: "write", errno: errno) }
        try ended.get()
        guard rename(temporaryPath, finalPath) == 0 else {
            throw SinkFailure(path: finalPath, operation: "rename", errno: errno)
        }
        return OutputFile(path: finalPath, rows: rows, bytes: bytes, kind: kind)
    }
}

/// An output file operation that failed: which path, what, and the system's reason.
struct SinkFailure: Error, CustomStringConvertible {
    let path: String
    let operation: String
    let errno: Int32

    var description: String {
        let reason = String(cString: strerror(errno))
        let hint = errno == ENOSPC ? " — free space on that disk or write elsewhere with --out"
            : errno == EFBIG ? " — a file size limit (ulimit -f) stopped it: raise the limit, or lower the sink's max_file_rows"
            : errno == EACCES || errno == EROFS ? " — choose a writable --out directory" : ""
        return "cannot \(operation) \(path): \(reason)\(hint)"
    }
}

func makeDirectories(_ path: String) throws {
    var current = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
        current += "/" + part
        if mkdir(current, 0o755) != 0 && errno != EEXIST {
            throw SinkFailure(path: current, operation: "create directory", errno: errno)
        }
    }
}
