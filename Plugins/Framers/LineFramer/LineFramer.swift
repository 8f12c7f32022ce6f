import SpoorKit
#if canImport(Glibc)
import Glibc
#endif

/// Records are lines: LF or CRLF terminated, the last one possibly unterminated. Bytes are
/// passed on as they are (no UTF-8 check here: parsers work on bytes, writers repair).
public struct LineFramer: Framer {
    public static let manifest = PluginManifest(
        id: "lines", kind: .framer, version: "1.0.0",
        summary: "One record per line (LF or CRLF); invalid UTF-8 kept as bytes")

    public init(config: PluginConfig) throws {}

    public func completeLength(_ window: Bytes, atEnd: Bool) -> Int {
        if atEnd { return window.count }
        return window.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
    }

    public func skipLength(_ window: Bytes) -> Int? {
        window.firstIndex(of: 0x0A).map { $0 + 1 }
    }

    public func forEachRecord(in chunk: Bytes, _ body: (Bytes, Int) -> Void) {
        guard let base = chunk.baseAddress else { return }
        var start = 0
        let n = chunk.count
        while start < n {
            let end: Int
            if let hit = memchr(base + start, 0x0A, n - start) {
                end = UnsafeRawPointer(hit) - base
            } else {
                end = n
            }
            var stop = end
            if stop > start, base.load(fromByteOffset: stop - 1, as: UInt8.self) == 0x0D { stop -= 1 }
            body(Bytes(start: base + start, count: stop - start), start)
            start = end + 1
        }
    }
}
