#if canImport(Glibc)
import Glibc
#endif
import SpoorKit

/// Where a selection reads its value: a schema column or one `labels` entry.
enum FieldRef: Sendable, Hashable {
    case field(Field)
    case label(String)

    var name: String {
        switch self {
        case .field(let f): f.name
        case .label(let k): "labels." + k
        }
    }

    /// `user.name`, or `labels.<key>`; nil when the schema has no such column.
    init?(name: String) {
        if let f = Schema.field(named: name), f != .labels { self = .field(f); return }
        if name.hasPrefix("labels."), name.count > 7 { self = .label(String(name.dropFirst(7))); return }
        return nil
    }

    var isNumeric: Bool {
        guard case .field(let f) = self else { return false }
        return [.int64, .bool, .timestamp].contains(f.spec.type)
    }
}

/// One compiled value test of a Sigma field condition. Strings compare as Sigma says:
/// case-insensitively unless `|cased`, with `*`/`?` wildcards (compiled to PCRE2).
enum ValueTest: Sendable {
    enum Comparison: Sendable { case eq, lt, lte, gt, gte }
    case equals([UInt8], cased: Bool)
    case contains([UInt8], cased: Bool)
    case startsWith([UInt8], cased: Bool)
    case endsWith([UInt8], cased: Bool)
    case pattern(Pattern)
    case cidr(CIDRTrie)
    case number(Int64, Comparison)
    /// `field: null`: the field is absent.
    case null

    @inline(__always)
    func matches(_ v: Bytes, _ scratch: MatchScratch) -> Bool {
        switch self {
        case .equals(let n, let cased): return v.count == n.count && Self.compare(v, 0, n, cased)
        case .startsWith(let n, let cased): return v.count >= n.count && Self.compare(v, 0, n, cased)
        case .endsWith(let n, let cased): return v.count >= n.count && Self.compare(v, v.count - n.count, n, cased)
        case .contains(let n, let cased):
            guard v.count >= n.count else { return false }
            if n.isEmpty { return true }
            for i in 0...(v.count - n.count) where Self.compare(v, i, n, cased) { return true }
            return false
        case .pattern(let p): return p.match(v, scratch) != nil
        case .cidr(let trie): return trie.lookup(v) != nil
        case .number(let n, let op):
            guard let x = Int64(v.string) else { return false }
            return Self.compare(x, n, op)
        case .null: return false
        }
    }

    @inline(__always)
    func matches(number x: Int64) -> Bool {
        if case .number(let n, let op) = self { return Self.compare(x, n, op) }
        return false
    }

    static func compare(_ x: Int64, _ n: Int64, _ op: Comparison) -> Bool {
        switch op {
        case .eq: x == n
        case .lt: x < n
        case .lte: x <= n
        case .gt: x > n
        case .gte: x >= n
        }
    }

    /// `needle` (lower-cased when not `cased`) against `v` at `at`, ASCII case folded.
    @inline(__always)
    static func compare(_ v: Bytes, _ at: Int, _ needle: [UInt8], _ cased: Bool) -> Bool {
        if cased {
            return needle.withUnsafeBytes { n in n.count == 0 || memcmp(v.baseAddress! + at, n.baseAddress!, n.count) == 0 }
        }
        for j in 0..<needle.count {
            var c = v[at + j]
            if c &- 0x41 < 26 { c |= 0x20 }
            if c != needle[j] { return false }
        }
        return true
    }
}

/// One `field|modifiers: values` line of a selection.
struct FieldTest: Sendable {
    var ref: FieldRef
    var tests: [ValueTest]
    /// `|all`: every value test must match (else any).
    var all = false
    /// `|exists: true/false`.
    var exists: Bool?

    func matches(_ e: EventBuilder, _ scratch: MatchScratch) -> Bool {
        switch ref {
        case .field(let f) where ref.isNumeric:
            let n = e.number(of: f)
            if let exists { return (n != nil) == exists }
            guard let n else { return tests.contains { if case .null = $0 { true } else { false } } }
            return all ? tests.allSatisfy { $0.matches(number: n) } : tests.contains { $0.matches(number: n) }
        case .field(let f):
            var present = false, hit = false
            if f.spec.type == .stringList {
                var hits = [Bool](repeating: false, count: all ? tests.count : 0)
                e.forEachValue(of: f) { v in
                    present = true
                    if all { for (i, t) in tests.enumerated() where !hits[i] && t.matches(v, scratch) { hits[i] = true } }
                    else if !hit { hit = tests.contains { $0.matches(v, scratch) } }
                }
                if all { hit = present && !hits.contains(false) }
            } else if let v = e.value(of: f) {
                present = true
                hit = all ? tests.allSatisfy { $0.matches(v, scratch) } : tests.contains { $0.matches(v, scratch) }
            }
            if let exists { return present == exists }
            if !present { return tests.contains { if case .null = $0 { true } else { false } } }
            return hit
        case .label(let key):
            let v = withBytes(of: key) { e.label($0) }
            if let exists { return (v != nil) == exists }
            guard let v else { return tests.contains { if case .null = $0 { true } else { false } } }
            return all ? tests.allSatisfy { $0.matches(v, scratch) } : tests.contains { $0.matches(v, scratch) }
        }
    }
}

/// A named selection: a list of maps (any of them), each map all of its field tests.
struct Selection: Sendable {
    var name: String
    var alternatives: [[FieldTest]]

    func matches(_ e: EventBuilder, _ scratch: MatchScratch) -> Bool {
        alternatives.contains { map in map.allSatisfy { $0.matches(e, scratch) } }
    }
}

/// A Sigma condition over named selections.
indirect enum Condition: Sendable {
    case selection(Int)
    case not(Condition)
    case and([Condition])
    case or([Condition])

    func evaluate(_ selection: (Int) -> Bool) -> Bool {
        switch self {
        case .selection(let i): selection(i)
        case .not(let c): !c.evaluate(selection)
        case .and(let cs): cs.allSatisfy { $0.evaluate(selection) }
        case .or(let cs): cs.contains { $0.evaluate(selection) }
        }
    }
}

/// A Sigma detection rule, compiled: what the attribution stage evaluates on every event.
public struct SelectionRule: Sendable {
    public var id: String
    /// Sigma v2's `name`, by which correlation rules may refer to it.
    public var name: String?
    public var title: String
    public var level: String?
    public var tags: [String]
    /// The first ATT&CK technique of the tags (`attack.t1110.003` → `T1110.003`).
    public var technique: String?
    /// The actor a match attributes the event to (a Spoor extension of Sigma).
    public var actor: String?
    var selections: [Selection]
    var condition: Condition
    var origin: String

    /// Whether the event matches; each selection is evaluated at most once.
    func matches(_ e: EventBuilder, _ scratch: MatchScratch, memo: inout [Int8]) -> Bool {
        if memo.count < selections.count { memo = [Int8](repeating: -1, count: selections.count) }
        for i in selections.indices { memo[i] = -1 }
        return condition.evaluate { i in
            if memo[i] < 0 { memo[i] = selections[i].matches(e, scratch) ? 1 : 0 }
            return memo[i] == 1
        }
    }

    /// `attack.t1110.003` → `T1110.003` (the first such tag).
    static func technique(in tags: [String]) -> String? {
        for tag in tags {
            let t = tag.lowercased()
            guard t.hasPrefix("attack.t"), t.count > 8, t.dropFirst(8).first?.isNumber == true else { continue }
            return "T" + t.dropFirst(8).uppercased()
        }
        return nil
    }
}
