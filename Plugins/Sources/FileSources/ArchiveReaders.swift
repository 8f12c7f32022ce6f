import CArchive
import SpoorKit
#if canImport(Glibc)
import Glibc
#endif

/// libarchive reading from a `ByteReader` through callbacks; the base of the two readers
/// below. One instance is owned by one reader thread.
class ArchiveBase {
    let archive: OpaquePointer
    let inner: ByteReader
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    var innerError: DecodeError?

    init(inner: ByteReader, configure: (OpaquePointer) -> Void) throws(DecodeError) {
        ArchiveBase.setLocaleOnce
        self.inner = inner
        archive = archive_read_new()
        configure(archive)
        let rc = archive_read_open(archive, Unmanaged.passUnretained(self).toOpaque(), nil, archiveRead, nil)
        if rc != ARCHIVE_OK { throw failure("open") }
    }

    deinit { archive_read_free(archive) }

    /// The error libarchive reports, or the one the inner stream threw.
    func failure(_ what: String) -> DecodeError {
        if let innerError { return innerError }
        let message = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
        return DecodeError("\(what): \(message)")
    }

    /// Non-ASCII member names need a UTF-8 locale to be reported at all.
    static let setLocaleOnce: Void = { _ = setlocale(LC_ALL, "C.UTF-8") }()
}

private func archiveRead(_ archive: OpaquePointer?, _ context: UnsafeMutableRawPointer?,
                         _ out: UnsafeMutablePointer<UnsafeRawPointer?>?) -> la_ssize_t {
    let base = Unmanaged<ArchiveBase>.fromOpaque(context!).takeUnretainedValue()
    let result = base.buffer.withUnsafeMutableBytes { b -> Result<Int, DecodeError> in
        out?.pointee = UnsafeRawPointer(b.baseAddress!)
        return Result { () throws(DecodeError) in try base.inner.read(into: b) }
    }
    switch result {
    case .success(let n): return la_ssize_t(n)
    case .failure(let error):
        base.innerError = error
        return -1
    }
}

/// zstd, xz, bzip2 or lz4 (frame) decoded by libarchive as one raw stream.
final class FilterReader: ArchiveBase, ByteReader {
    let filter: String
    private var ended = false

    init(_ inner: ByteReader, filter: String) throws(DecodeError) {
        self.filter = filter
        try super.init(inner: inner) { a in
            switch filter {
            case "zstd": archive_read_support_filter_zstd(a)
            case "xz": archive_read_support_filter_xz(a)
            case "bzip2": archive_read_support_filter_bzip2(a)
            default: archive_read_support_filter_lz4(a)
            }
            archive_read_support_format_raw(a)
            archive_read_support_format_empty(a)
        }
        var entry: OpaquePointer?
        let rc = archive_read_next_header(archive, &entry)
        if rc == ARCHIVE_EOF { ended = true } else if rc < ARCHIVE_WARN { throw failure(filter) }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(DecodeError) -> Int {
        if ended { return 0 }
        let n = archive_read_data(archive, buffer.baseAddress, buffer.count)
        if n < 0 {
            ended = true
            throw failure(filter)
        }
        if n == 0 { ended = true }
        return n
    }
}

/// The entries of a tar (its bytes already decompressed by the layer below).
final class TarReader: ArchiveBase {
    /// Set when reading an entry's data failed.
    var failed = false

    init(_ inner: ByteReader) throws(DecodeError) {
        try super.init(inner: inner) { a in archive_read_support_format_tar(a) }
    }

    /// The next regular file: its path, mtime and a reader of its bytes; nil at the end.
    func next() throws(DecodeError) -> (path: String, mtime: Int64, reader: ByteReader)? {
        while true {
            var entry: OpaquePointer?
            let rc = archive_read_next_header(archive, &entry)
            if rc == ARCHIVE_EOF { return nil }
            if rc < ARCHIVE_WARN { throw failure("tar") }
            guard let entry else { return nil }
            guard archive_entry_filetype(entry) == spoor_ae_ifreg else { continue }
            let path = archive_entry_pathname_utf8(entry).map { String(cString: $0) }
                ?? archive_entry_pathname(entry).map { String(cString: $0) } ?? "?"
            return (path, Int64(archive_entry_mtime(entry)), TarEntryReader(self))
        }
    }
}

/// The bytes of the tar's current entry.
final class TarEntryReader: ByteReader {
    private let tar: TarReader
    init(_ tar: TarReader) { self.tar = tar }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(DecodeError) -> Int {
        let n = archive_read_data(tar.archive, buffer.baseAddress, buffer.count)
        if n < 0 {
            tar.failed = true
            throw tar.failure("tar")
        }
        return n
    }
}
