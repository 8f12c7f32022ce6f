import SpoorKit

/// Windows event XML: records are `<Event …>…</Event>` elements, one after another or inside
/// `<Events>…</Events>` (what `wevtutil qe /f:xml` and Event Viewer's export write).
public struct XMLEventFramer: Framer {
    public static let manifest = PluginManifest(
        id: "xml-events", kind: .framer, version: "1.0.0",
        summary: "Windows event XML: <Event> elements, bare or inside <Events>")

    public init(config: PluginConfig) throws {}

    public func completeLength(_ window: Bytes, atEnd: Bool) -> Int {
        if atEnd { return window.count }
        var last = 0, from = 0
        while let close = window.firstIndex(of: "</Event>", from: from) {
            last = close + 8
            from = last
        }
        return last
    }

    public func skipLength(_ window: Bytes) -> Int? {
        window.firstIndex(of: "</Event>").map { $0 + 8 }
    }

    public func forEachRecord(in chunk: Bytes, _ body: (Bytes, Int) -> Void) {
        var i = 0
        while i < chunk.count {
            guard let open = nextEventStart(chunk, from: i) else {
                emitJunk(chunk.slice(i, chunk.count), at: i, body)
                return
            }
            if open > i { emitJunk(chunk.slice(i, open), at: i, body) }
            guard let close = chunk.firstIndex(of: "</Event>", from: open) else {
                body(chunk.dropFirst(open), open)   // cut off: the parser says so
                return
            }
            body(chunk.slice(open, close + 8), open)
            i = close + 8
        }
    }

    /// `<Event>` or `<Event ` (not `<Events>`, not `<EventData>`).
    private func nextEventStart(_ b: Bytes, from: Int) -> Int? {
        var j = from
        while let k = b.firstIndex(of: "<Event", from: j) {
            if k + 6 < b.count, b[k + 6] == 0x3E || b[k + 6] == 0x20 || b[k + 6] == 0x0A || b[k + 6] == 0x0D || b[k + 6] == 0x09 { return k }
            j = k + 6
        }
        return nil
    }

    /// Between events: the XML declaration, `<Events>`, `</Events>`, whitespace are no records;
    /// anything else is handed on, so it is dead-lettered rather than lost.
    private func emitJunk(_ junk: Bytes, at offset: Int, _ body: (Bytes, Int) -> Void) {
        func stripped(_ b: Bytes) -> Bytes {
            var s = 0, e = b.count
            while s < e, b[s] == 0x20 || b[s] == 0x0A || b[s] == 0x0D || b[s] == 0x09 { s += 1 }
            while e > s, b[e - 1] == 0x20 || b[e - 1] == 0x0A || b[e - 1] == 0x0D || b[e - 1] == 0x09 { e -= 1 }
            return b.slice(s, e)
        }
        var rest = stripped(junk)
        while rest.count > 0 {
            if rest.hasPrefix("<?xml"), let e = rest.firstIndex(of: "?>") { rest = stripped(rest.dropFirst(e + 2)); continue }
            if rest.hasPrefix("<Events>") { rest = stripped(rest.dropFirst(8)); continue }
            if rest.hasPrefix("</Events>") { rest = stripped(rest.dropFirst(9)); continue }
            if rest.hasPrefix("<Events "), let e = rest.firstIndex(of: 0x3E) { rest = stripped(rest.dropFirst(e + 1)); continue }
            break
        }
        if rest.count > 0 { body(rest, offset + (rest.baseAddress! - junk.baseAddress!)) }
    }
}
