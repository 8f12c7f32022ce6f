import SpoorKit

/// Recognises what a stream is by its first bytes (never by its name) and peels layers:
/// gzip, zstd, xz, bzip2, lz4 frame, tar — nested as found (`.tar.gz`, a tar of `.gz`
/// files). What is left is a member: text for the framer.
struct Decoder {
    /// Layers deeper than this are handed on as they are (a bound against decompression bombs of nesting).
    static let maxDepth = 4

    let root: DescriptorReader

    func decode(_ reader: ByteReader, member: String?, layers: [String], reference: Int64, depth: Int = 0,
                emit: (DecodedStream) throws -> Void) throws {
        let peek = PeekReader(reader)
        let head = peek.peek(512)
        func hand(_ r: ByteReader, _ layers: [String], _ reference: Int64) throws {
            try emit(MemberStream(reader: r, memberPath: member, encoding: layers.isEmpty ? "plain" : layers.joined(separator: "+"),
                                  referenceTime: reference, root: root))
        }
        guard depth < Decoder.maxDepth else { return try hand(peek, layers, reference) }

        if let filter = Decoder.compression(head) {
            let inner: ByteReader
            var ref = reference
            do throws(DecodeError) {
                if filter == "gzip" {
                    inner = try GzipReader(peek)
                    // The gzip header's MTIME is the original file's modification time.
                    if head.count >= 8 {
                        let mtime = Int64(head[4]) | Int64(head[5]) << 8 | Int64(head[6]) << 16 | Int64(head[7]) << 24
                        if mtime > 0 { ref = mtime }
                    }
                } else {
                    inner = try FilterReader(peek, filter: filter)
                }
            } catch {
                return try hand(FailedReader(error), layers + [filter], reference)
            }
            return try decode(inner, member: member, layers: layers + [filter], reference: ref, depth: depth + 1, emit: emit)
        }
        if Decoder.isTarHeader(head) {
            let tar = try TarReader(peek)
            // After a member's read failed, the tar stream is broken: that member's dead
            // letter already says so, asking for the next header would only repeat it.
            while !tar.failed, let entry = try tar.next() {
                try decode(entry.reader, member: entry.path, layers: layers + ["tar"], reference: entry.mtime,
                           depth: depth + 1, emit: emit)
            }
            return
        }
        try hand(peek, layers, reference)
    }

    /// The compression a stream starts with, by magic number.
    static func compression(_ h: [UInt8]) -> String? {
        if h.count >= 3, h[0] == 0x1F, h[1] == 0x8B, h[2] == 0x08 { return "gzip" }
        if h.count >= 4, h[0] == 0x28, h[1] == 0xB5, h[2] == 0x2F, h[3] == 0xFD { return "zstd" }
        if h.count >= 6, h[0..<6].elementsEqual([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return "xz" }
        if h.count >= 4, h[0] == 0x42, h[1] == 0x5A, h[2] == 0x68, (0x31...0x39).contains(h[3]) { return "bzip2" }
        if h.count >= 4, h[0] == 0x04, h[1] == 0x22, h[2] == 0x4D, h[3] == 0x18 { return "lz4" }
        return nil
    }

    /// A tar header block: its checksum (bytes 148..<156, octal) must match the block.
    /// A block of zeros (what fooled libarchive into "an empty tar") never matches.
    static func isTarHeader(_ h: [UInt8]) -> Bool {
        guard h.count >= 512, h[0] != 0 else { return false }
        var stored = 0, digits = 0
        for b in h[148..<156] {
            if b >= 0x30 && b <= 0x37 { stored = stored * 8 + Int(b - 0x30); digits += 1 } else if digits > 0 { break }
        }
        guard digits > 0 else { return false }
        var sum = 0
        for (i, b) in h[0..<512].enumerated() { sum += (148..<156).contains(i) ? 0x20 : Int(b) }
        return sum == stored
    }
}
