/// Where bytes come from: files, directory trees, stdin, archives.
///
/// Contract: `inputs` lists what will be read, before reading starts. `open` runs on a
/// reader thread, one input at a time per thread; it calls `member` once per decoded stream
/// (a plain file is one member, a tar has one per entry) and returns when the input is
/// exhausted. Decoding errors inside a stream are thrown by the stream's `read`, after it
/// delivered every byte it could: the pipeline turns them into a dead letter and goes on.
public protocol Source: Plugin {
    func inputs() throws -> [InputDescriptor]
    func open(_ input: InputDescriptor, member: (DecodedStream) throws -> Void) throws
}

/// One input as listed before reading: enough for progress and the manifest.
public struct InputDescriptor: Sendable, Codable {
    public let path: String
    /// Size on disk (compressed), 0 for stdin.
    public let size: Int64
    public let modified: Int64
    public let inode: UInt64

    public init(path: String, size: Int64, modified: Int64, inode: UInt64) {
        self.path = path
        self.size = size
        self.modified = modified
        self.inode = inode
    }
}

/// Decoded bytes of one member of an input.
public protocol DecodedStream: AnyObject {
    /// The path inside an archive, nil for a plain file.
    var memberPath: String? { get }
    /// What decoding it took ("gzip", "tar+zstd", "plain").
    var encoding: String { get }
    /// The best known time the content was last written (s since epoch): a gzip header's
    /// mtime, a tar entry's, else the file's. Year-less timestamps are resolved against it.
    var referenceTime: Int64 { get }
    /// Compressed bytes consumed so far from the underlying file (for progress).
    var bytesConsumed: Int64 { get }
    /// Fills `buffer` with decoded bytes; 0 at the end. Throws after delivering every byte
    /// that decoded before a fault.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(DecodeError) -> Int
}

public struct DecodeError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
