#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file's bytes in memory that the caller owns: `count` bytes at the start of
/// `allocation`, which the caller deallocates.
public struct FileBuffer {
    public let allocation: UnsafeMutableRawBufferPointer
    public let count: Int

    public var bytes: Bytes { Bytes(rebasing: allocation[0..<count]) }
}

/// Reads a whole file with one `open` and as few `read`s as its size allows. For
/// configuration read once at start (indicator lists, STIX bundles), where Foundation's
/// `Data` and `String(contentsOfFile:)` cost more than the parsing. Nil when the file cannot
/// be opened or read.
public func readWholeFile(_ path: String) -> FileBuffer? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { return nil }
    // st_size is only a hint (a file that grew, a pipe): read until read() says the end,
    // growing the buffer when it fills.
    var allocation = UnsafeMutableRawBufferPointer.allocate(byteCount: max(Int(info.st_size), 0) + 1, alignment: 8)
    var count = 0
    while true {
        if count == allocation.count {
            let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: allocation.count * 2, alignment: 8)
            larger.copyMemory(from: UnsafeRawBufferPointer(allocation))
            allocation.deallocate()
            allocation = larger
        }
        let n = read(fd, allocation.baseAddress! + count, allocation.count - count)
        if n < 0, errno == EINTR { continue }
        if n < 0 { allocation.deallocate(); return nil }
        if n == 0 { return FileBuffer(allocation: allocation, count: count) }
        count += n
    }
}
