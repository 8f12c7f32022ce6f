import SpoorKit

/// Records are JSON objects: one per line (NDJSON), the elements of one big array, or the
/// elements of an envelope's array (`{"records":[…]}` as Azure diagnostic settings and Event
/// Hub write, `{"value":[…]}` as Microsoft Graph returns). Streamed: a 2 GB array is cut
/// into chunks at object boundaries, never loaded whole.
public struct JSONFramer: Framer {
    public static let manifest = PluginManifest(
        id: "json", kind: .framer, version: "1.0.0",
        summary: "JSON objects: NDJSON, a top-level array, or a {\"records\"|\"value\": [...]} envelope, streamed")

    public init(config: PluginConfig) throws {}

    /// The envelope before the first object: `[`, or `{ … "records": [` / `"value": [`.
    public func streamStart(_ head: Bytes) -> Int {
        var i = 0
        while i < head.count, isSeparator(head[i]) && head[i] != 0x2C { i += 1 }
        guard i < head.count else { return 0 }
        if head[i] == 0x5B { return i + 1 }
        guard head[i] == 0x7B else { return 0 }
        // Walk the top-level keys for an array under "records" or "value".
        var j = i + 1
        while j < head.count {
            while j < head.count, isSeparator(head[j]) { j += 1 }
            guard j < head.count, head[j] == 0x22, let keyEnd = JSONScan.stringEnd(head, from: j) else { return 0 }
            let key = head.slice(j + 1, keyEnd - 1)
            j = keyEnd
            while j < head.count, head[j] == 0x20 || head[j] == 0x3A || head[j] == 0x0A || head[j] == 0x0D || head[j] == 0x09 { j += 1 }
            guard j < head.count else { return 0 }
            if (key.equals("records") || key.equals("value")), head[j] == 0x5B { return j + 1 }
            guard let end = JSONScan.valueEnd(head, from: j) else { return 0 }
            j = end
        }
        return 0
    }

    public func completeLength(_ window: Bytes, atEnd: Bool) -> Int {
        // NDJSON (the common case): cut at the last line end, without scanning every object.
        if isLineDelimited(window) {
            if atEnd { return window.count }
            return window.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        }
        var last = 0
        var i = 0
        while true {
            while i < window.count, isSeparator(window[i]) { i += 1 }
            if i >= window.count { return atEnd ? window.count : last }
            guard window[i] == 0x7B, let end = JSONScan.valueEnd(window, from: i) else {
                // Not an object (the envelope's closing `]}`, or garbage): at the end, hand it on.
                return atEnd ? window.count : (window[i] == 0x7B ? last : skipJunk(window, from: i, last: last))
            }
            i = end
            last = end
        }
    }

    public func skipLength(_ window: Bytes) -> Int? {
        // Past an overlong object: the next `}` followed by a separator and `{` is a guess;
        // the next newline is what NDJSON promises.
        window.firstIndex(of: 0x0A).map { $0 + 1 }
    }

    public func forEachRecord(in chunk: Bytes, _ body: (Bytes, Int) -> Void) {
        if isLineDelimited(chunk) {
            // One object per line: the parser checks each is well-formed (a line that is not
            // becomes a dead letter with its bytes).
            var start = 0
            while start < chunk.count {
                let end = chunk.firstIndex(of: 0x0A, from: start) ?? chunk.count
                let line = chunk.slice(start, end)
                var s = 0, e = line.count
                while s < e, isSeparator(line[s]) { s += 1 }
                while e > s, isSeparator(line[e - 1]) { e -= 1 }
                let record = line.slice(s, e)
                if record.hasSuffix("]") || record.hasSuffix("]}") {
                    // The last element and the envelope's close on one line: scan it.
                    scanObjects(record, base: start + s, body)
                } else if e > s {
                    body(record, start + s)
                }
                start = end + 1
            }
            return
        }
        scanObjects(chunk, base: 0, body)
    }

    /// Objects one by one, with whatever lies between them handed on as junk records.
    private func scanObjects(_ chunk: Bytes, base: Int, _ body: (Bytes, Int) -> Void) {
        var i = 0
        while true {
            while i < chunk.count, isSeparator(chunk[i]) { i += 1 }
            guard i < chunk.count else { return }
            if chunk[i] == 0x7B, let end = JSONScan.valueEnd(chunk, from: i) {
                body(chunk.slice(i, end), base + i)
                i = end
            } else {
                // Bytes that are no object (the envelope's tail, a broken record): one record
                // up to the next line, so that it is dead-lettered, not lost.
                let end = chunk.firstIndex(of: 0x0A, from: i) ?? chunk.count
                let junk = chunk.slice(i, end)
                if !isEnvelopeTail(junk) { body(junk, base + i) }
                i = end
            }
        }
    }

    /// Whether the bytes are NDJSON: the first line holds exactly one complete object. (A
    /// pretty-printed array's first line is `{` alone, or a part of an object.)
    @inline(__always)
    private func isLineDelimited(_ b: Bytes) -> Bool {
        var i = 0
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0D || b[i] == 0x0A { i += 1 }
        guard i < b.count, b[i] == 0x7B, let newline = b.firstIndex(of: 0x0A, from: i),
              let end = JSONScan.valueEnd(b, from: i), end <= newline else { return false }
        var j = end
        while j < newline, b[j] == 0x20 || b[j] == 0x09 || b[j] == 0x0D || b[j] == 0x2C { j += 1 }
        return j == newline
    }

    /// Junk between objects is cut at its line end, so the objects after it are not held back.
    private func skipJunk(_ window: Bytes, from i: Int, last: Int) -> Int {
        if let nl = window.firstIndex(of: 0x0A, from: i) { return nl + 1 }
        return last
    }

    /// `]`, `]}`, `]\n}` — the close of an envelope.
    private func isEnvelopeTail(_ b: Bytes) -> Bool {
        for c in b where !(c == 0x5D || c == 0x7D || isSeparator(c)) { return false }
        return true
    }

    @inline(__always)
    private func isSeparator(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 || c == 0x2C }
}
