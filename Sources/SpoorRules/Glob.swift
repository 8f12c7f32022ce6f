import SpoorKit

/// A Sigma wildcard value (`mx?`, `*admin*`) matched on bytes: `*` any run of bytes, `?`
/// one byte, `\` escapes. It means what the anchored PCRE2 pattern it replaces meant
/// (non-UTF, ASCII case folding), without a call into the regex engine per event.
final class Glob: @unchecked Sendable {
    /// Literal bytes (lower-cased unless `cased`), or `any` / `run`.
    private let tokens: UnsafeMutableBufferPointer<UInt16>
    private let cased: Bool
    static let any: UInt16 = 0x100, run: UInt16 = 0x101

    /// `position`: 0 the whole value, 1 contains, 2 starts with, 3 ends with. Nil when the
    /// text has no wildcard (a plain comparison does).
    init?(_ text: String, position: Int, cased: Bool) {
        var out: [UInt16] = [], wild = false, escaped = false
        if position == 1 || position == 3 { out.append(Self.run) }
        for b in text.utf8 {
            if escaped { out.append(Self.fold(b, cased)); escaped = false; continue }
            switch b {
            case UInt8(ascii: "\\"): escaped = true
            case UInt8(ascii: "*"): out.append(Self.run); wild = true
            case UInt8(ascii: "?"): out.append(Self.any); wild = true
            default: out.append(Self.fold(b, cased))
            }
        }
        if escaped { out.append(UInt16(UInt8(ascii: "\\"))) }
        guard wild else { return nil }
        if position == 1 || position == 2 { out.append(Self.run) }
        tokens = .allocate(capacity: out.count)
        _ = tokens.initialize(from: out)
        self.cased = cased
    }

    deinit { tokens.deallocate() }

    private static func fold(_ b: UInt8, _ cased: Bool) -> UInt16 { UInt16(cased ? b : asciiLowercased(b)) }

    /// Whether the whole of `v` matches. Backtracks to the last `*` only, which is enough for
    /// globs: a later `*` can absorb whatever an earlier one would have.
    @inline(__always)
    func matches(_ v: Bytes) -> Bool {
        let t = tokens, n = t.count, m = v.count
        var i = 0, j = 0, star = -1, resume = 0
        while j < m {
            if i < n {
                let k = t[i]
                if k == Self.run { star = i; resume = j; i += 1; continue }
                let c = cased ? v[j] : asciiLowercased(v[j])
                if k == Self.any || k == UInt16(c) { i += 1; j += 1; continue }
            }
            guard star >= 0 else { return false }
            i = star + 1
            resume += 1
            j = resume
        }
        while i < n && t[i] == Self.run { i += 1 }
        return i == n
    }
}
