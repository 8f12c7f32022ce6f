import SpoorKit

/// An indicator list file: one IP, CIDR or domain per line, blank lines and `#` comments
/// skipped. Read on bytes, because a list holds thousands of lines and splitting a `String`
/// into `Character`s and trimming each line through Foundation cost more than the trie.
enum IndicatorList {
    /// Calls `body` with each entry, trimmed of spaces. False (and no call) when the file
    /// cannot be read or is not UTF-8 text.
    ///
    /// Lines and spaces are what `String` and Foundation called them before: a line ends at
    /// LF, VT, FF, CR, NEL, LS or PS; an entry is trimmed of tabs and Unicode space
    /// separators (U+00A0, U+2000…U+200A, U+3000 …); a leading byte order mark is dropped.
    static func forEachEntry(inFile path: String, _ body: (Bytes) -> Void) -> Bool {
        guard let file = readWholeFile(path) else { return false }
        defer { file.allocation.deallocate() }
        let raw = file.bytes
        guard String(validating: raw, as: UTF8.self) != nil else { return false }
        var i = raw.count >= 3 && raw[0] == 0xEF && raw[1] == 0xBB && raw[2] == 0xBF ? 3 : 0
        while i < raw.count {
            var end = i
            while end < raw.count, newlineLength(raw, end) == 0 { end += 1 }
            let entry = trimmed(raw.slice(i, end))
            if entry.count > 0, entry[0] != 0x23 { body(entry) }
            i = end < raw.count ? end + newlineLength(raw, end) : end
        }
        return true
    }

    /// The length of the line break at `i` (0 when there is none).
    @inline(__always)
    static func newlineLength(_ b: Bytes, _ i: Int) -> Int {
        let c = b[i]
        if c >= 0x0A && c <= 0x0D { return 1 }
        if c == 0xC2, i + 1 < b.count, b[i + 1] == 0x85 { return 2 }
        if c == 0xE2, i + 2 < b.count, b[i + 1] == 0x80, b[i + 2] == 0xA8 || b[i + 2] == 0xA9 { return 3 }
        return 0
    }

    /// Without leading and trailing tabs and space separators (Unicode category Zs).
    static func trimmed(_ b: Bytes) -> Bytes {
        var s = 0, e = b.count
        while s < e {
            let n = spaceLength(b, s, e)
            guard n > 0 else { break }
            s += n
        }
        // Trailing: step back over whole UTF-8 sequences.
        while e > s {
            var start = e - 1
            while start > s, b[start] & 0xC0 == 0x80 { start -= 1 }
            guard spaceLength(b, start, e) == e - start else { break }
            e = start
        }
        return b.slice(s, e)
    }

    /// The length of the tab or space separator at `i` (before `end`), 0 when there is none.
    static func spaceLength(_ b: Bytes, _ i: Int, _ end: Int) -> Int {
        let c = b[i]
        if c == 0x20 || c == 0x09 { return 1 }
        func at(_ k: Int) -> UInt8 { i + k < end ? b[i + k] : 0 }
        switch c {
        case 0xC2: return at(1) == 0xA0 ? 2 : 0                                           // U+00A0
        case 0xE1: return at(1) == 0x9A && at(2) == 0x80 ? 3 : 0                          // U+1680
        case 0xE2:
            if at(1) == 0x80 { let d = at(2); return (d >= 0x80 && d <= 0x8A) || d == 0xAF ? 3 : 0 }   // U+2000…200A, 202F
            return at(1) == 0x81 && at(2) == 0x9F ? 3 : 0                                 // U+205F
        case 0xE3: return at(1) == 0x80 && at(2) == 0x80 ? 3 : 0                          // U+3000
        default: return 0
        }
    }
}
