import Foundation
import SpoorKit
import Yams

/// A value a behaviour rule groups or counts by: a column, a prefix of an address
/// (`source.ip/24`), or the account as the campaign report compares it (`account`).
enum KeyRef: Sendable, Hashable {
    case field(FieldRef)
    case prefix(Field, Int)
    case account

    var name: String {
        switch self {
        case .field(let f): f.name
        case .prefix(let f, let n): "\(f.name)/\(n)"
        case .account: "account"
        }
    }

    init?(name: String) {
        if name == "account" { self = .account; return }
        if let slash = name.lastIndex(of: "/"), let bits = Int(name[name.index(after: slash)...]),
           let f = Schema.field(named: String(name[..<slash])), f.spec.type == .string, (0...128).contains(bits) {
            self = .prefix(f, bits); return
        }
        guard let ref = FieldRef(name: name) else { return nil }
        self = .field(ref)
    }

    /// The column the worker copies for this key.
    var column: FieldRef? {
        switch self {
        case .field(let f): f
        case .prefix(let f, _): .field(f)
        case .account: nil
        }
    }
}

/// A behaviour rule in the shape of a Sigma v2 correlation rule: counts, distinct counts or
/// an ordered sequence of selection rules' matches, per group, within a timespan.
public struct CorrelationRule: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case eventCount = "event_count", valueCount = "value_count", temporal, temporalOrdered = "temporal_ordered"
    }

    public var id: String
    public var title: String
    public var kind: Kind
    public var level: String?
    public var technique: String?
    public var actor: String?
    /// The selection rules it refers to, as written (ids or names), and resolved (indices
    /// into `RuleSet.selections`, distinct, in order of first mention).
    var references: [String]
    var referenced: [Int] = []
    /// For temporal rules: each step as an index into `referenced` (a name listed twice is
    /// two steps: `[failure, failure, failure, success]`).
    var steps: [Int] = []
    var groupBy: [KeyRef]
    var timespan: Int64
    var conditions: [(ValueTest.Comparison, Int64)]
    var valueField: KeyRef?
    var origin: String
    var referenceNodes: [String]

    /// Whether the window's count (events, or distinct values) satisfies the condition.
    func holds(_ n: Int) -> Bool {
        conditions.allSatisfy { ValueTest.compare(Int64(n), $0.1, $0.0) }
    }
}

extension SigmaLoader {
    mutating func correlationRule(_ top: Node.Mapping) -> CorrelationRule? {
        checkKeys(top)
        guard let id = top["id"]?.string ?? top["name"]?.string else { error(top["correlation"], "a rule needs an id"); return nil }
        guard let c = top["correlation"]?.mapping else { error(top["correlation"], "correlation: must be a mapping"); return nil }
        let known = ["type", "rules", "group-by", "timespan", "condition", "generate", "aliases"]
        for (k, _) in c where !known.contains(k.string ?? "") {
            error(k, "unknown correlation key '\(k.string ?? "")'", hint: suggestion(for: k.string ?? "", among: known).map { "did you mean '\($0)'?" })
        }
        if let a = c["aliases"] { error(a, "correlation aliases are not supported", hint: "use the same field name in every rule") }
        guard let typeName = c["type"]?.string, let kind = CorrelationRule.Kind(rawValue: typeName) else {
            error(c["type"] ?? top["correlation"], "correlation type must be one of: " + CorrelationRule.Kind.allCases.map(\.rawValue).joined(separator: ", "))
            return nil
        }
        let references = Self.strings(c["rules"])
        if references.isEmpty { error(c["rules"] ?? top["correlation"], "rules: names no rule") }
        var groupBy: [KeyRef] = []
        for node in c["group-by"]?.sequence.map(Array.init) ?? (c["group-by"].map { [$0] } ?? []) {
            guard let name = node.string, let key = KeyRef(name: name) else {
                error(node, "unknown group-by field '\(node.string ?? "")'",
                      hint: suggestion(for: node.string ?? "", among: Field.allCases.map(\.name)).map { "did you mean '\($0)'?" }
                          ?? "a column of the schema, an address prefix (source.ip/24) or account")
                continue
            }
            groupBy.append(key)
        }
        let span = c["timespan"].flatMap { Self.duration($0.string ?? "") }
        if span == nil { error(c["timespan"] ?? top["correlation"], "timespan must be a duration such as 30s, 5m, 1h, 1d") }
        var conditions: [(ValueTest.Comparison, Int64)] = []
        var valueField: KeyRef?
        if let cond = c["condition"] {
            guard let m = cond.mapping else { error(cond, "condition: is a mapping such as {gte: 10}"); return nil }
            for (k, v) in m {
                let op = k.string ?? ""
                if op == "field" {
                    guard let name = v.string, let key = KeyRef(name: name) else {
                        error(v, "unknown field '\(v.string ?? "")'", hint: "a column of the schema, an address prefix or account"); return nil
                    }
                    valueField = key
                    continue
                }
                let comparison: ValueTest.Comparison? = ["eq": .eq, "lt": .lt, "lte": .lte, "gt": .gt, "gte": .gte][op]
                guard let comparison else { error(k, "unknown comparison '\(op)'", hint: "gt, gte, lt, lte, eq"); return nil }
                guard let n = v.int else { error(v, "'\(v.string ?? "")' is not a whole number"); return nil }
                conditions.append((comparison, Int64(n)))
            }
        } else if kind == .eventCount || kind == .valueCount {
            error(top["correlation"], "\(kind.rawValue) needs a condition such as {gte: 10}"); return nil
        }
        if kind == .valueCount && valueField == nil {
            error(c["condition"], "value_count needs condition: {field: …} (the field whose distinct values are counted)"); return nil
        }
        guard let span, errors.isEmpty else { return nil }
        var distinct: [String] = []
        for r in references where !distinct.contains(r) { distinct.append(r) }
        let tags = Self.strings(top["tags"])
        var rule = CorrelationRule(id: id, title: top["title"]?.string ?? id, kind: kind, level: top["level"]?.string,
                                   technique: SelectionRule.technique(in: tags), actor: top["actor"]?.string,
                                   references: distinct, groupBy: groupBy, timespan: span, conditions: conditions,
                                   valueField: valueField, origin: at(c["rules"] ?? top["correlation"]),
                                   referenceNodes: [])
        rule.steps = references.map { distinct.firstIndex(of: $0)! }
        return rule
    }

    /// A correlation rule's id, the rules it names and where, read even when the rule has
    /// other mistakes.
    static func references(_ top: Node.Mapping, _ loader: SigmaLoader) -> (id: String, references: [String], origin: String) {
        let c = top["correlation"]?.mapping
        return (top["id"]?.string ?? top["name"]?.string ?? "?", strings(c?["rules"]), loader.at(c?["rules"] ?? top["correlation"]))
    }

    /// `30s`, `5m`, `1h`, `2d`, `1w` in µs.
    static func duration(_ text: String) -> Int64? {
        guard let unit = text.last, let n = Int64(text.dropLast()), n > 0 else { return nil }
        let seconds: Int64
        switch unit {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3600
        case "d": seconds = 86400
        case "w": seconds = 7 * 86400
        default: return nil
        }
        return n * seconds * 1_000_000
    }
}
