import SpoorKit

/// Lines under `#Fields:` headers (W3C extended logs, Exchange CSV logs): framed as lines,
/// with the last `#Fields:` line of each chunk carried to the next as its context, so a
/// header governs its rows across chunk cuts and a header that changes mid-file is honoured.
public struct HeaderLineFramer: Framer {
    public static let manifest = PluginManifest(
        id: "w3c", kind: .framer, version: "1.0.0",
        summary: "Lines under #Fields: headers (W3C, Exchange CSV); the header in force travels with each chunk")

    private let lines = try! LineFramer(config: PluginConfig())

    public init(config: PluginConfig) throws {}

    public func completeLength(_ window: Bytes, atEnd: Bool) -> Int { lines.completeLength(window, atEnd: atEnd) }
    public func skipLength(_ window: Bytes) -> Int? { lines.skipLength(window) }
    public func forEachRecord(in chunk: Bytes, _ body: (Bytes, Int) -> Void) { lines.forEachRecord(in: chunk, body) }

    public func lastContext(in chunk: Bytes) -> Bytes? {
        var found: Bytes?
        var start = 0
        while let i = chunk.firstIndex(of: "#Fields:", from: start) {
            if i == 0 || chunk[i - 1] == 0x0A {
                var end = chunk.firstIndex(of: 0x0A, from: i) ?? chunk.count
                if end > i, chunk[end - 1] == 0x0D { end -= 1 }
                found = chunk.slice(i, end)
            }
            start = i + 8
        }
        return found
    }
}
