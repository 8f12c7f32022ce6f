import SpoorKit
import Yams

/// A YAML file being read, for errors that name file, line and column (Yams marks are
/// 1-based) — also inside a scalar, such as the offset where a regex goes wrong.
struct YAMLSource {
    let path: String
    let lines: [[UInt8]]

    init(path: String, text: String) {
        self.path = path
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.utf8) }
    }

    func origin(_ node: Node) -> String {
        "\(path):\(node.mark?.line ?? 0):\(node.mark?.column ?? 0)"
    }

    func error(_ node: Node, _ message: String, hint: String? = nil) -> ConfigError {
        ConfigError(origin: origin(node), message: message, hint: hint)
    }

    /// `file:line:column` of the character at UTF-8 offset `offset` of scalar `node`'s value,
    /// following the scalar's style (quotes, `''` and `\` escapes, block scalars).
    func origin(_ node: Node, offset: Int) -> String {
        guard let mark = node.mark, case .scalar(let scalar) = node else { return origin(node) }
        let value = Array(scalar.string.utf8)
        var line = mark.line - 1, column = mark.column - 1
        func raw(_ l: Int, _ c: Int) -> UInt8? { l < lines.count && c < lines[l].count ? lines[l][c] : nil }
        switch scalar.style {
        case .literal, .folded:
            // The value starts on the next line, at the block's indentation.
            line += 1
            var remaining = offset
            for (i, byte) in value.enumerated() where i < offset && byte == 0x0A {
                line += 1
                remaining = offset - i - 1
            }
            let indent = line < lines.count ? (lines[line].firstIndex { $0 != 0x20 } ?? 0) : 0
            return "\(path):\(line + 1):\(indent + remaining + 1)"
        case .singleQuoted, .doubleQuoted:
            column += 1   // the opening quote
        default:
            break
        }
        let double = scalar.style == .doubleQuoted, single = scalar.style == .singleQuoted
        var i = 0
        while i < offset, i < value.count {
            guard let c = raw(line, column) else { line += 1; column = lines.indices.contains(line) ? (lines[line].firstIndex { $0 != 0x20 } ?? 0) : 0; i += 1; continue }
            if single, c == 0x27, raw(line, column + 1) == 0x27 { column += 2 }
            else if double, c == 0x5C { column += 2 }
            else { column += 1 }
            i += 1
        }
        return "\(path):\(line + 1):\(column + 1)"
    }

    // MARK: - Typed reads

    func string(_ node: Node, _ what: String) throws(ConfigError) -> String {
        guard case .scalar(let s) = node else { throw error(node, "\(what) is a string") }
        return s.string
    }

    /// A string or a list of strings.
    func strings(_ node: Node, _ what: String) throws(ConfigError) -> [String] {
        if case .scalar(let s) = node { return [s.string] }
        guard case .sequence(let seq) = node else { throw error(node, "\(what) is a string or a list of strings") }
        var out: [String] = []
        for item in seq { out.append(try string(item, what)) }
        return out
    }

    func bool(_ node: Node, _ what: String) throws(ConfigError) -> Bool {
        guard let b = node.bool else { throw error(node, "\(what) is true or false, got '\(node.string ?? "?")'") }
        return b
    }

    /// The entries of a mapping, each key checked against `known`.
    func mapping(_ node: Node, _ what: String, known: [String]? = nil) throws(ConfigError) -> [(key: String, keyNode: Node, value: Node)] {
        guard case .mapping(let m) = node else { throw error(node, "\(what) is a mapping (key: value)") }
        var out: [(String, Node, Node)] = []
        for (k, v) in m {
            let key = k.string ?? ""
            if let known, !known.contains(key) {
                throw error(k, "unknown key '\(key)' in \(what)",
                            hint: suggestion(for: key, among: known).map { "did you mean '\($0)'?" }
                                ?? "known keys: " + known.joined(separator: ", "))
            }
            out.append((key, k, v))
        }
        return out
    }
}
