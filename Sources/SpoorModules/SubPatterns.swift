import SpoorKit

/// The `%{NAME}` / `%{NAME:capture}` library: reusable sub-patterns (grok-style) that a
/// module's regexes name instead of spelling out an address or a user name each time.
///
/// `%{NAME}` expands to `(?:…)`, `%{NAME:capture}` to the named group `(?<capture>…)`. A
/// module may add its own names (`definitions:`), which may use the library in turn.
public enum SubPatterns {
    /// The built-in names, each a PCRE2 pattern without capture groups.
    public static let library: [String: String] = [
        "INT": #"[+-]?[0-9]+"#,
        "NUMBER": #"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"#,
        "PORT": #"[0-9]{1,5}"#,
        "WORD": #"\b\w+\b"#,
        "NOTSPACE": #"\S+"#,
        "SPACE": #"\s*"#,
        "DATA": #".*?"#,
        "GREEDYDATA": #".*"#,
        "QS": #""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'"#,
        "IPV4": #"(?<![0-9])(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]{1,2})\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]{1,2})(?![0-9])"#,
        "IPV6": #"(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:[0-9]{1,3}\.){3}[0-9]{1,3})?"#,
        "IP": #"%{IPV6}|%{IPV4}"#,
        "HOSTNAME": #"\b[0-9A-Za-z](?:[0-9A-Za-z-]{0,62})(?:\.[0-9A-Za-z-]{1,63})*\.?\b"#,
        "IPORHOST": #"%{IP}|%{HOSTNAME}"#,
        "USER": #"[A-Za-z0-9._@+-]+"#,
        "EMAIL": #"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+"#,
        "PATH": #"(?:/[^/\s]*)+"#,
        "UUID": #"[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}"#,
        "MAC": #"(?:[A-Fa-f0-9]{2}[:-]){5}[A-Fa-f0-9]{2}"#,
        "MONTH": #"\b(?:[Jj]an(?:uary)?|[Ff]eb(?:ruary)?|[Mm]ar(?:ch)?|[Aa]pr(?:il)?|[Mm]ay|[Jj]un(?:e)?|[Jj]ul(?:y)?|[Aa]ug(?:ust)?|[Ss]ep(?:tember)?|[Oo]ct(?:ober)?|[Nn]ov(?:ember)?|[Dd]ec(?:ember)?)\b"#,
        "TIME": #"[0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]+)?"#,
        "SYSLOGTIMESTAMP": #"%{MONTH} +[0-9]{1,2} %{TIME}"#,
        "TIMESTAMP_ISO8601": #"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]%{TIME}(?:Z|[+-][0-9]{2}:?[0-9]{2})?"#,
        "LOGLEVEL": #"(?i:trace|debug|info|notice|warn(?:ing)?|err(?:or)?|crit(?:ical)?|alert|emerg(?:ency)?|fatal)"#,
    ]

    /// A pattern after expansion, with what is needed to map a PCRE2 error offset in it back
    /// to the text the author wrote.
    public struct Expansion: Sendable {
        public let pattern: String
        /// For each expanded `%{…}`: its range in `pattern` (UTF-8 offsets) and its offset in the source.
        let spans: [(expanded: Range<Int>, source: Int, sourceLength: Int)]

        /// The offset in the source text of offset `offset` of the expanded pattern.
        public func sourceOffset(_ offset: Int) -> Int {
            var shift = 0
            for span in spans {
                if offset < span.expanded.lowerBound { break }
                if offset < span.expanded.upperBound { return span.source }
                shift = span.expanded.upperBound - (span.source + span.sourceLength)
            }
            return max(0, offset - shift)
        }
    }

    /// What went wrong in an expansion, at a UTF-8 offset of the source.
    public struct Failure: Error, Sendable {
        public let offset: Int
        public let message: String
    }

    /// Expands every `%{NAME}` and `%{NAME:capture}` of `source` (user `definitions` first,
    /// then the library). An unknown name, a malformed reference or a definition that refers
    /// to itself is a failure at the reference's offset.
    public static func expand(_ source: String, definitions: [String: String] = [:]) throws(Failure) -> Expansion {
        var out: [UInt8] = []
        var spans: [(Range<Int>, Int, Int)] = []
        let s = Array(source.utf8)
        var i = 0
        while i < s.count {
            // `\%` stays a literal percent sign; other escapes pass through untouched.
            if s[i] == 0x5C, i + 1 < s.count {
                out.append(s[i]); out.append(s[i + 1]); i += 2; continue
            }
            guard s[i] == 0x25, i + 1 < s.count, s[i + 1] == 0x7B else { out.append(s[i]); i += 1; continue }
            guard let close = s[(i + 2)...].firstIndex(of: 0x7D) else {
                throw Failure(offset: i, message: "'%{' is not closed with '}'")
            }
            let inner = String(decoding: s[(i + 2)..<close], as: UTF8.self)
            let parts = inner.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let name = parts[0]
            guard let body = try resolve(name, definitions: definitions, seen: []) else {
                let known = Array(definitions.keys) + Array(library.keys)
                throw Failure(offset: i, message: "unknown sub-pattern %{\(name)}"
                              + (suggestion(for: name, among: known).map { " (did you mean %{\($0)}?)" } ?? ""))
            }
            let expanded: String
            if parts.count == 2 {
                let capture = parts[1]
                guard isGroupName(capture) else {
                    throw Failure(offset: i, message: "'\(capture)' is not a capture name (letters, digits and _, not starting with a digit)")
                }
                expanded = "(?<\(capture)>\(body))"
            } else {
                expanded = "(?:\(body))"
            }
            let start = out.count
            out.append(contentsOf: expanded.utf8)
            spans.append((start..<out.count, i, close + 1 - i))
            i = close + 1
        }
        return Expansion(pattern: String(decoding: out, as: UTF8.self), spans: spans)
    }

    /// The body of `name` with its own references expanded.
    private static func resolve(_ name: String, definitions: [String: String], seen: Set<String>) throws(Failure) -> String? {
        guard let raw = definitions[name] ?? library[name] else { return nil }
        guard !seen.contains(name) else { throw Failure(offset: 0, message: "sub-pattern %{\(name)} refers to itself") }
        guard raw.contains("%{") else { return raw }
        // Definitions use references too; capture names inside them would clash, so plain groups only.
        var result = ""
        var rest = Substring(raw)
        while let open = rest.range(of: "%{") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw Failure(offset: 0, message: "sub-pattern %{\(name)} has an unclosed '%{'")
            }
            let inner = String(rest[open.upperBound..<close]).split(separator: ":").first.map(String.init) ?? ""
            guard let body = try resolve(inner, definitions: definitions, seen: seen.union([name])) else {
                throw Failure(offset: 0, message: "sub-pattern %{\(name)} uses unknown %{\(inner)}")
            }
            result += "(?:\(body))"
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }

    static func isGroupName(_ s: String) -> Bool {
        guard let first = s.utf8.first, !(first >= 0x30 && first <= 0x39), s.utf8.count <= 32 else { return false }
        return s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x5F }
    }
}
