import Foundation
import SpoorKit
import Yams

/// Reads Sigma documents (detection rules and v2 correlation rules) from a rule file's YAML,
/// reporting every mistake with file, line and column.
struct SigmaLoader {
    let path: String
    var errors: [ConfigError] = []

    init(path: String) { self.path = path }

    func at(_ node: Node?) -> String { "\(path):\(node?.mark?.line ?? 0):\(node?.mark?.column ?? 0)" }

    mutating func error(_ node: Node?, _ message: String, hint: String? = nil) {
        errors.append(ConfigError(origin: at(node), message: message, hint: hint))
    }

    static let sigmaKeys = ["title", "id", "name", "status", "description", "references", "author", "date", "modified",
                            "logsource", "detection", "fields", "falsepositives", "level", "tags", "related", "license",
                            "taxonomy", "scope", "correlation", "generate",
                            // Spoor's own: the actor a match attributes to, a confidence, tests.
                            "actor", "confidence", "tests"]

    /// Keys of a rule document: Sigma allows custom attributes, so an unknown key is a mistake
    /// only when it looks like a misspelt known one.
    mutating func checkKeys(_ top: Node.Mapping) {
        for (k, _) in top {
            let key = k.string ?? ""
            guard !Self.sigmaKeys.contains(key), let near = suggestion(for: key, among: Self.sigmaKeys) else { continue }
            error(k, "unknown rule key '\(key)'", hint: "did you mean '\(near)'?")
        }
    }

    static func strings(_ node: Node?) -> [String] {
        guard let node else { return [] }
        return node.sequence?.compactMap(\.string) ?? node.string.map { [$0] } ?? []
    }

    // MARK: - Detection rules

    mutating func selectionRule(_ top: Node.Mapping) -> SelectionRule? {
        checkKeys(top)
        guard let id = top["id"]?.string ?? top["name"]?.string else {
            error(top["title"] ?? top["detection"], "a rule needs an id"); return nil
        }
        guard let detection = top["detection"]?.mapping else {
            error(top["detection"], "detection: must be a mapping of selections and a condition"); return nil
        }
        var selections: [Selection] = []
        var failed = false
        var conditionNode: Node?
        for (k, v) in detection {
            let name = k.string ?? ""
            if name == "condition" { conditionNode = v; continue }
            if name == "timeframe" { error(k, "timeframe is Sigma v1; write a correlation rule with a timespan instead"); continue }
            // A selection with a mistake still has its name, so the condition is checked too.
            if let s = selection(name, v) { selections.append(s) } else { selections.append(Selection(name: name, alternatives: [])); failed = true }
        }
        guard let conditionNode else { error(top["detection"], "detection: has no condition"); return nil }
        let texts = Self.strings(conditionNode)
        var alternatives: [Condition] = []
        for text in texts {
            var parser = ConditionParser(text: text, selections: selections.map(\.name))
            do {
                alternatives.append(try parser.parse())
            } catch let e as ConditionParser.Failure {
                let mark = conditionNode.mark
                errors.append(ConfigError(origin: "\(path):\(mark?.line ?? 0):\((mark?.column ?? 0) + e.offset)",
                                          message: "condition: \(e.message)", hint: e.hint))
            } catch {}
        }
        guard !failed, !alternatives.isEmpty, alternatives.count == texts.count else { return nil }
        let tags = Self.strings(top["tags"])
        return SelectionRule(id: id, name: top["name"]?.string, title: top["title"]?.string ?? id, level: top["level"]?.string,
                             tags: tags, technique: SelectionRule.technique(in: tags), actor: top["actor"]?.string,
                             selections: selections, condition: alternatives.count == 1 ? alternatives[0] : .or(alternatives),
                             origin: at(top["id"]))
    }

    mutating func selection(_ name: String, _ node: Node) -> Selection? {
        if let map = node.mapping { return fieldMap(map).map { Selection(name: name, alternatives: [$0]) } }
        if let list = node.sequence, !list.isEmpty, list.allSatisfy({ $0.mapping != nil }) {
            let maps = list.compactMap { $0.mapping.flatMap { fieldMap($0) } }
            return maps.count == list.count ? Selection(name: name, alternatives: maps) : nil
        }
        error(node, "selection '\(name)' is a keyword search (values without a field), which Spoor does not run",
              hint: "name a field of the schema: event.original|contains: …")
        return nil
    }

    mutating func fieldMap(_ map: Node.Mapping) -> [FieldTest]? {
        var tests: [FieldTest] = []
        var ok = true
        for (k, v) in map {
            if let t = fieldTest(k, v) { tests.append(t) } else { ok = false }
        }
        return ok ? tests : nil
    }

    static let modifiers = ["contains", "startswith", "endswith", "re", "cidr", "all", "exists", "cased", "lt", "lte", "gt", "gte",
                            "i", "m", "s"]

    mutating func fieldTest(_ key: Node, _ value: Node) -> FieldTest? {
        let parts = (key.string ?? "").split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        let fieldName = parts[0]
        guard let ref = FieldRef(name: fieldName) else {
            let names = Field.allCases.map(\.name)
            error(key, "unknown field '\(fieldName)': not a column of the schema",
                  hint: suggestion(for: fieldName, among: names).map { "did you mean '\($0)'? (spoor schema lists every column)" }
                      ?? "spoor schema lists every column; labels.<key> reads a label")
            return nil
        }
        let mods = Array(parts.dropFirst())
        for m in mods where !Self.modifiers.contains(m) {
            error(key, "unsupported modifier '\(m)'",
                  hint: suggestion(for: m, among: Self.modifiers).map { "did you mean '\($0)'?" }
                      ?? "contains, startswith, endswith, re, cidr, all, exists, cased, lt, lte, gt, gte")
            return nil
        }
        var test = (tests: [ValueTest](), all: mods.contains("all"))
        if mods.contains("exists") {
            guard let b = value.bool else { error(value, "|exists takes true or false"); return nil }
            return FieldTest(ref: ref, tests: [], exists: b, signature: "\(ref.name)|exists|\(b)")
        }
        let values: [Node] = value.sequence.map { Array($0) } ?? [value]
        let cased = mods.contains("cased")
        let comparison: ValueTest.Comparison? = mods.contains("lt") ? .lt : mods.contains("lte") ? .lte
            : mods.contains("gt") ? .gt : mods.contains("gte") ? .gte : nil
        var merged = CIDRTrie()
        for node in values {
            if node.null != nil { test.tests.append(.null); continue }
            guard let text = node.string else { error(node, "a value must be a scalar"); return nil }
            if ref.isNumeric || comparison != nil {
                let n: Int64? = node.bool.map { $0 ? 1 : 0 } ?? Int64(text)
                guard let n, mods.filter({ !["all", "lt", "lte", "gt", "gte"].contains($0) }).isEmpty else {
                    error(node, "'\(text)' is not a number; \(ref.name) compares numbers", hint: ref.name == "user.exists" ? "true or false" : nil)
                    return nil
                }
                test.tests.append(.number(n, comparison ?? .eq))
                continue
            }
            if mods.contains("re") {
                var options: Pattern.Options = []
                if mods.contains("i") { options.insert(.caseless) }
                do {
                    test.tests.append(.pattern(try Pattern(text, options: options)))
                } catch {
                    self.error(node, "bad regular expression: \(error.message) at offset \(error.offset)")
                    return nil
                }
                continue
            }
            if mods.contains("cidr") {
                // Any of several networks: one trie, one lookup (with |all, one trie each).
                if test.all { var t = CIDRTrie(); _ = t.insert(cidr: text, label: text); test.tests.append(.cidr(t)) }
                guard merged.insert(cidr: text, label: text) else { error(node, "'\(text)' is not a CIDR"); return nil }
                continue
            }
            let position = mods.contains("contains") ? 1 : mods.contains("startswith") ? 2 : mods.contains("endswith") ? 3 : 0
            if let g = Glob(text, position: position, cased: cased) { test.tests.append(.glob(g)); continue }
            if let p = Self.wildcardPattern(text, position: position, cased: cased) {
                do { test.tests.append(.pattern(try Pattern(p, options: cased ? [] : [.caseless]))) } catch {
                    self.error(node, "cannot compile the wildcard value '\(text)': \(error.message)"); return nil
                }
                continue
            }
            let literal = Self.unescape(text)
            let bytes = Array((cased ? literal : literal.lowercased()).utf8)
            switch position {
            case 1: test.tests.append(.contains(bytes, cased: cased))
            case 2: test.tests.append(.startsWith(bytes, cased: cased))
            case 3: test.tests.append(.endsWith(bytes, cased: cased))
            default: test.tests.append(.equals(bytes, cased: cased))
            }
        }
        if mods.contains("cidr"), !test.all { test.tests.append(.cidr(merged)) }
        let signature = ([ref.name] + mods.sorted()).joined(separator: "|") + "\u{1}"
            + values.map { $0.null != nil ? "\u{2}" : ($0.string ?? "") }.joined(separator: "\u{1}")
        return FieldTest(ref: ref, tests: test.tests, all: test.all, signature: signature)
    }

    /// Sigma wildcards (`*`, `?`, `\` escapes) as an anchored PCRE2 pattern; nil when the
    /// value has none (a plain comparison is cheaper).
    static func wildcardPattern(_ text: String, position: Int, cased: Bool) -> String? {
        var out = "", wild = false, escaped = false
        for c in text {
            if escaped { out += NSRegularExpression.escapedPattern(for: String(c)); escaped = false; continue }
            switch c {
            case "\\": escaped = true
            case "*": out += ".*"; wild = true
            case "?": out += "."; wild = true
            default: out += NSRegularExpression.escapedPattern(for: String(c))
            }
        }
        if escaped { out += "\\\\" }
        guard wild else { return nil }
        let head = position == 1 || position == 3 ? "" : "^"
        let tail = position == 1 || position == 2 ? "" : "$"
        return "(?s)" + head + out + tail
    }

    static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var out = "", escaped = false
        for c in text {
            if escaped { out.append(c); escaped = false } else if c == "\\" { escaped = true } else { out.append(c) }
        }
        return escaped ? out + "\\" : out
    }
}

/// Sigma's condition language: `and`, `or`, `not`, parentheses, `1 of x*`, `all of x*`,
/// `1 of them`, `all of them`.
struct ConditionParser {
    struct Failure: Error {
        let offset: Int
        let message: String
        let hint: String?
    }

    struct Token {
        let text: String
        let offset: Int
    }

    let selections: [String]
    var tokens: [Token] = []
    var position = 0

    init(text: String, selections: [String]) {
        self.selections = selections
        var current = "", start = 0
        for (i, c) in text.enumerated() {
            if c == "(" || c == ")" || c.isWhitespace {
                if !current.isEmpty { tokens.append(Token(text: current, offset: start)); current = "" }
                if !c.isWhitespace { tokens.append(Token(text: String(c), offset: i)) }
            } else {
                if current.isEmpty { start = i }
                current.append(c)
            }
        }
        if !current.isEmpty { tokens.append(Token(text: current, offset: start)) }
    }

    var end: Int { tokens.last.map { $0.offset + $0.text.count } ?? 0 }

    mutating func parse() throws -> Condition {
        let c = try expression()
        if position < tokens.count {
            let t = tokens[position]
            throw Failure(offset: t.offset, message: "unexpected '\(t.text)'",
                          hint: t.text == "|" ? "aggregations (| count()) are Sigma v1: write a correlation rule" : "join with and / or")
        }
        return c
    }

    mutating func expression() throws -> Condition {
        var terms = [try term()]
        while position < tokens.count, tokens[position].text.lowercased() == "or" {
            position += 1
            terms.append(try term())
        }
        return terms.count == 1 ? terms[0] : .or(terms)
    }

    mutating func term() throws -> Condition {
        var factors = [try factor()]
        while position < tokens.count, tokens[position].text.lowercased() == "and" {
            position += 1
            factors.append(try factor())
        }
        return factors.count == 1 ? factors[0] : .and(factors)
    }

    mutating func factor() throws -> Condition {
        guard position < tokens.count else { throw Failure(offset: end, message: "the condition ends too soon", hint: nil) }
        let t = tokens[position]
        position += 1
        switch t.text.lowercased() {
        case "not": return .not(try factor())
        case "(":
            let c = try expression()
            guard position < tokens.count, tokens[position].text == ")" else {
                throw Failure(offset: position < tokens.count ? tokens[position].offset : end, message: "missing ')'", hint: nil)
            }
            position += 1
            return c
        case "1", "any", "all":
            guard position + 1 < tokens.count, tokens[position].text.lowercased() == "of" else {
                throw Failure(offset: t.offset, message: "'\(t.text)' must be followed by 'of' and a selection pattern", hint: "1 of selection_*")
            }
            let target = tokens[position + 1]
            position += 2
            let names: [Int]
            if target.text.lowercased() == "them" {
                names = selections.indices.filter { !selections[$0].hasPrefix("_") }
            } else {
                names = selections.indices.filter { fnmatch(target.text, selections[$0], 0) == 0 }
            }
            guard !names.isEmpty else {
                throw Failure(offset: target.offset, message: "'\(target.text)' names no selection",
                              hint: "selections: " + selections.joined(separator: ", "))
            }
            let parts = names.map { Condition.selection($0) }
            return t.text.lowercased() == "all" ? .and(parts) : .or(parts)
        case "and", "or", ")":
            throw Failure(offset: t.offset, message: "unexpected '\(t.text)'", hint: nil)
        default:
            guard let i = selections.firstIndex(of: t.text) else {
                throw Failure(offset: t.offset, message: "no selection named '\(t.text)'",
                              hint: suggestion(for: t.text, among: selections).map { "did you mean '\($0)'?" }
                                  ?? "selections: " + selections.joined(separator: ", "))
            }
            return .selection(i)
        }
    }
}
