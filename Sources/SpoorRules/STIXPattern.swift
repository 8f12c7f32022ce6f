import SpoorKit

/// The STIX pattern forms Spoor matches: observations `[…]` joined by OR, each holding
/// comparisons joined by OR of `object:path = 'value'` or `… ISSUBSET 'cidr'`. Read on the
/// pattern's bytes: a bundle holds thousands of patterns, and walking `Character`s was a
/// tenth of loading one.
enum STIXPattern {
    /// A comparison of a pattern, of a form Spoor matches.
    enum Term: Equatable {
        case network(String)
        case asn(Int64)
        case domain(String)
        case email(String)
    }

    struct Failure: Error { let message: String }

    /// A token: `[ ] ( )`, a quoted string (its bytes inside the quotes, `\x` not yet undone),
    /// or a word (anything up to whitespace, a bracket or a quote).
    struct Token {
        var start: Int
        var end: Int
        var quoted: Bool
    }

    /// The pattern's comparisons; `tokens` is scratch, reused from pattern to pattern.
    static func parse(_ pattern: Bytes, tokens: inout [Token]) throws(Failure) -> [Term] {
        try tokenize(pattern, into: &tokens)
        func text(_ t: Token) -> String { STIXPattern.text(t, pattern) }
        func isPunctuation(_ t: Token, _ c: UInt8) -> Bool { !t.quoted && t.end == t.start + 1 && pattern[t.start] == c }
        /// Whether a word, upper-cased, is `literal` (as `token.uppercased() == literal`).
        func isWord(_ t: Token, _ literal: StaticString) -> Bool {
            guard !t.quoted else { return false }
            let word = pattern.slice(t.start, t.end)
            if word.contains(where: { $0 >= 0x80 }) { return text(t).uppercased() == literal.description }
            guard word.count == literal.utf8CodeUnitCount else { return false }
            for k in 0..<word.count {
                let c = word[k]
                if (c >= 0x61 && c <= 0x7A ? c - 0x20 : c) != literal.utf8Start[k] { return false }
            }
            return true
        }
        func isPath(_ t: Token, _ literal: StaticString) -> Bool { !t.quoted && pattern.slice(t.start, t.end).equals(literal) }

        var terms: [Term] = []
        var p = 0
        while p < tokens.count {
            guard isPunctuation(tokens[p], 0x5B) else { throw Failure(message: "expected '[' but found '\(text(tokens[p]))'") }
            p += 1
            while true {
                guard p + 2 < tokens.count else { throw Failure(message: "a comparison is cut short") }
                let path = tokens[p], op = tokens[p + 1], value = tokens[p + 2]
                p += 3
                let equals = isWord(op, "="), subset = isWord(op, "ISSUBSET")
                guard equals || subset else { throw Failure(message: "the operator \(text(op)) is not supported") }
                if isPath(path, "ipv4-addr:value") || isPath(path, "ipv6-addr:value") || isPath(path, "network-traffic:src_ref.value")
                    || isPath(path, "network-traffic:src_ref.value[*]") {
                    guard value.quoted, let cidr = network(value, pattern) else {
                        throw Failure(message: "'\(text(value))' is not an address or CIDR")
                    }
                    terms.append(.network(cidr))
                } else if isPath(path, "domain-name:value") {
                    guard value.quoted, equals else { throw Failure(message: "domain-name takes = 'name'") }
                    terms.append(.domain(String(text(value).dropFirst())))
                } else if isPath(path, "email-addr:value") || isPath(path, "email-message:from_ref.value")
                    || isPath(path, "email-message:sender_ref.value") {
                    guard value.quoted, equals else { throw Failure(message: "email-addr takes = 'address'") }
                    terms.append(.email(String(text(value).dropFirst())))
                } else if isPath(path, "autonomous-system:number") {
                    guard let n = Int64(text(value)), equals else { throw Failure(message: "autonomous-system:number takes = N") }
                    terms.append(.asn(n))
                } else {
                    throw Failure(message: "the object path \(text(path)) is not supported")
                }
                guard p < tokens.count else { throw Failure(message: "missing ']'") }
                let t = tokens[p]
                p += 1
                if isPunctuation(t, 0x5D) { break }
                guard isWord(t, "OR") else { throw Failure(message: "\(text(t)) is not supported inside an observation (only OR)") }
            }
            if p < tokens.count {
                guard isWord(tokens[p], "OR") else { throw Failure(message: "\(text(tokens[p])) between observations is not supported (only OR)") }
                p += 1
                guard p < tokens.count else { throw Failure(message: "the pattern ends after OR") }
            }
        }
        guard !terms.isEmpty else { throw Failure(message: "an empty pattern") }
        return terms
    }

    /// A quoted address or CIDR whose address part parses, as text; nil otherwise.
    private static func network(_ t: Token, _ pattern: Bytes) -> String? {
        func valid(_ b: Bytes) -> Bool {
            // The address is the first non-empty piece between slashes.
            var s = 0
            while s < b.count, b[s] == 0x2F { s += 1 }
            let e = b.firstIndex(of: 0x2F, from: s) ?? b.count
            return CIDRTrie.address(b.slice(s, e)) != nil
        }
        let raw = pattern.slice(t.start, t.end)
        if raw.firstIndex(of: 0x5C) == nil { return valid(raw) ? raw.string : nil }
        var text = String(STIXPattern.text(t, pattern).dropFirst())
        return text.withUTF8 { valid(Bytes($0)) } ? text : nil
    }

    /// A token as the old `String` tokenizer spelt it: a quoted string as `'` and its text
    /// with `\x` undone, anything else as written. For values and messages.
    static func text(_ t: Token, _ pattern: Bytes) -> String {
        guard t.quoted else { return pattern.slice(t.start, t.end).string }
        var out: [UInt8] = [0x27]
        var j = t.start
        while j < t.end {
            if pattern[j] == 0x5C, j + 1 < t.end {
                let n = scalarLength(pattern[j + 1])
                out.append(contentsOf: pattern.slice(j + 1, min(j + 1 + n, t.end)))
                j += 1 + n
                continue
            }
            out.append(pattern[j])
            j += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func tokenize(_ b: Bytes, into tokens: inout [Token]) throws(Failure) {
        tokens.removeAll(keepingCapacity: true)
        var i = 0
        while i < b.count {
            let space = whitespaceLength(b, i)
            if space > 0 { i += space; continue }
            let c = b[i]
            if c == 0x5B || c == 0x5D || c == 0x28 || c == 0x29 { tokens.append(Token(start: i, end: i + 1, quoted: false)); i += 1; continue }
            if c == 0x27 {
                var j = i + 1, closed = false
                while j < b.count {
                    let d = b[j]
                    if d == 0x5C, j + 1 < b.count { j += 1 + scalarLength(b[j + 1]); continue }
                    if d == 0x27 { closed = true; break }
                    j += 1
                }
                guard closed else { throw Failure(message: "an unterminated string") }
                tokens.append(Token(start: i + 1, end: j, quoted: true))
                i = j + 1
                continue
            }
            var j = i
            while j < b.count, whitespaceLength(b, j) == 0 {
                let d = b[j]
                if d == 0x5B || d == 0x5D || d == 0x28 || d == 0x29 || d == 0x27 { break }
                j += 1
            }
            tokens.append(Token(start: i, end: j, quoted: false))
            i = j
        }
    }

    /// Bytes in the UTF-8 sequence that starts with `lead`.
    @inline(__always)
    static func scalarLength(_ lead: UInt8) -> Int {
        lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }

    /// The length of the whitespace character at `i` (0 when there is none): ASCII
    /// whitespace and the Unicode White_Space characters, as `Character.isWhitespace`.
    @inline(__always)
    static func whitespaceLength(_ b: Bytes, _ i: Int) -> Int {
        let c = b[i]
        if c == 0x20 || (c >= 0x09 && c <= 0x0D) { return 1 }
        guard c >= 0xC2 else { return 0 }
        func at(_ k: Int) -> UInt8 { i + k < b.count ? b[i + k] : 0 }
        switch c {
        case 0xC2: return at(1) == 0x85 || at(1) == 0xA0 ? 2 : 0                         // U+0085, U+00A0
        case 0xE1: return at(1) == 0x9A && at(2) == 0x80 ? 3 : 0                         // U+1680
        case 0xE2:
            if at(1) == 0x80 {                                                            // U+2000…200A, 2028, 2029, 202F
                let d = at(2)
                return (d >= 0x80 && d <= 0x8A) || d == 0xA8 || d == 0xA9 || d == 0xAF ? 3 : 0
            }
            return at(1) == 0x81 && at(2) == 0x9F ? 3 : 0                                // U+205F
        case 0xE3: return at(1) == 0x80 && at(2) == 0x80 ? 3 : 0                         // U+3000
        default: return 0
        }
    }
}
