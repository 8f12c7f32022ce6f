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
/// case-insensitively unless `|cased`, with `*`/`?` wildcards (compiled to PCRE2). A class
/// with plain stored values, so that the per-event loops copy and count nothing.
final class ValueTest: @unchecked Sendable {
    enum Comparison: Sendable { case eq, lt, lte, gt, gte }
    enum Kind: UInt8 { case equals, contains, startsWith, endsWith, pattern, glob, cidr, number, null }

    let kind: Kind
    /// The literal (lower-cased unless `cased`), owned here for the life of the rules.
    private let needle: UnsafeMutableRawBufferPointer
    let cased: Bool
    let pattern: Pattern?
    let trie: CIDRTrie?
    let number: Int64
    let op: Comparison

    private init(_ kind: Kind, bytes: [UInt8] = [], cased: Bool = false, pattern: Pattern? = nil, trie: CIDRTrie? = nil,
                 number: Int64 = 0, op: Comparison = .eq, glob: Glob? = nil) {
        self.kind = kind
        self.glob = glob
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
        bytes.withUnsafeBytes { if !$0.isEmpty { buffer.copyMemory(from: $0) } }
        needle = buffer
        needleCount = bytes.count
        self.cased = cased
        self.pattern = pattern
        self.trie = trie
        self.number = number
        self.op = op
    }

    private let needleCount: Int
    /// A wildcard value's tokens (`Glob`), for `.glob`.
    private let glob: Glob?

    deinit { needle.deallocate() }

    static func equals(_ b: [UInt8], cased: Bool) -> ValueTest { ValueTest(.equals, bytes: b, cased: cased) }
    static func contains(_ b: [UInt8], cased: Bool) -> ValueTest { ValueTest(.contains, bytes: b, cased: cased) }
    static func startsWith(_ b: [UInt8], cased: Bool) -> ValueTest { ValueTest(.startsWith, bytes: b, cased: cased) }
    static func endsWith(_ b: [UInt8], cased: Bool) -> ValueTest { ValueTest(.endsWith, bytes: b, cased: cased) }
    static func pattern(_ p: Pattern) -> ValueTest { ValueTest(.pattern, pattern: p) }
    static func glob(_ g: Glob) -> ValueTest { ValueTest(.glob, glob: g) }
    static func cidr(_ t: CIDRTrie) -> ValueTest { ValueTest(.cidr, trie: t) }
    static func number(_ n: Int64, _ op: Comparison) -> ValueTest { ValueTest(.number, number: n, op: op) }
    /// `field: null`: the field is absent.
    static var null: ValueTest { ValueTest(.null) }

    @inline(__always)
    func matches(_ v: Bytes, _ scratch: MatchScratch) -> Bool {
        let n = needleCount
        switch kind {
        case .equals: return v.count == n && compare(v, 0)
        case .startsWith: return v.count >= n && compare(v, 0)
        case .endsWith: return v.count >= n && compare(v, v.count - n)
        case .contains: return find(v)
        case .pattern: return pattern!.match(v, scratch) != nil
        case .glob: return glob!.matches(v)
        case .cidr: return trie!.lookup(v) != nil
        case .number:
            guard let x = v.decimal() else { return false }
            return Self.compare(x, number, op)
        case .null: return false
        }
    }

    @inline(__always)
    func matches(number x: Int64) -> Bool { kind == .number && Self.compare(x, number, op) }

    static func compare(_ x: Int64, _ n: Int64, _ op: Comparison) -> Bool {
        switch op {
        case .eq: x == n
        case .lt: x < n
        case .lte: x <= n
        case .gt: x > n
        case .gte: x >= n
        }
    }

    /// Whether the needle occurs in `v`. Positions where it may start are found sixteen at a
    /// time, as those where its first byte and, `n - 1` bytes on, its last byte both are (a
    /// message of a hundred bytes is a few vector compares; a common first letter alone
    /// would make a candidate of every word); only those are compared in full.
    @inline(__always)
    private func find(_ v: Bytes) -> Bool {
        let n = needleCount, m = v.count
        guard m >= n else { return false }
        if n == 0 { return true }
        let p = v.baseAddress!
        let first = needle.load(as: UInt8.self), last = needle.load(fromByteOffset: n - 1, as: UInt8.self)
        // Folding sets bit 0x20 of every byte: a letter's two cases meet, other bytes may
        // make false candidates, which the full compare rejects.
        let fold: UInt8 = !cased && first &- 0x61 < 26 ? 0x20 : 0
        let foldLast: UInt8 = !cased && last &- 0x61 < 26 ? 0x20 : 0
        let target = SIMD16<UInt8>(repeating: first), bit = SIMD16<UInt8>(repeating: fold)
        let targetLast = SIMD16<UInt8>(repeating: last), bitLast = SIMD16<UInt8>(repeating: foldLast)
        let starts = m - n + 1
        @inline(__always) func block(_ i: Int) -> Bool {
            // The last byte's block ends at i + n + 14 < m.
            let head = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<UInt8>.self) | bit
            let tail = UnsafeRawPointer(p + i + n - 1).loadUnaligned(as: SIMD16<UInt8>.self) | bitLast
            guard any((head .== target) .& (tail .== targetLast)) else { return false }
            for j in i..<(i + 16) where (p.load(fromByteOffset: j, as: UInt8.self) | fold) == first
                && (p.load(fromByteOffset: j + n - 1, as: UInt8.self) | foldLast) == last && compare(v, j) { return true }
            return false
        }
        var i = 0
        while i + 16 <= starts {
            if block(i) { return true }
            i += 16
        }
        // The last starts in one block that overlaps the ones done (a start seen twice is
        // harmless), not one byte at a time.
        if i > 0 { return i < starts && block(starts - 16) }
        while i < starts {
            if (p.load(fromByteOffset: i, as: UInt8.self) | fold) == first && compare(v, i) { return true }
            i += 1
        }
        return false
    }

    /// The needle against `v` at `at`, ASCII case folded unless `cased`.
    @inline(__always)
    private func compare(_ v: Bytes, _ at: Int) -> Bool {
        let n = needleCount
        if n == 0 { return true }
        let p = v.baseAddress! + at
        if cased { return memcmp(p, needle.baseAddress!, n) == 0 }
        let q = needle.baseAddress!
        for j in 0..<n {
            let c = asciiLowercased(p.load(fromByteOffset: j, as: UInt8.self))
            if c != q.load(fromByteOffset: j, as: UInt8.self) { return false }
        }
        return true
    }
}

/// One `field|modifiers: values` line of a selection.
final class FieldTest: @unchecked Sendable {
    let ref: FieldRef
    let tests: [ValueTest]
    /// `tests` again, borrowed: the per-event loop retains nothing.
    private let borrowed: UnsafeMutableBufferPointer<Unmanaged<ValueTest>>
    /// `|all`: every value test must match (else any).
    let all: Bool
    /// `|exists: true/false`.
    let exists: Bool?
    // Decided once from `ref`, so the per-event path reads plain values.
    private let field: Field
    private let shape: UInt8          // 0 string, 1 number, 2 list, 3 label
    private let labelKey: [UInt8]
    private let acceptsNull: Bool
    /// What the test checks, as text: equal texts are one test, evaluated once per event
    /// however many rules share it (`RuleSet` numbers the distinct ones).
    let signature: String
    var index = 0

    init(ref: FieldRef, tests: [ValueTest], all: Bool = false, exists: Bool? = nil, signature: String = "") {
        self.signature = signature
        self.ref = ref
        self.tests = tests
        self.all = all
        self.exists = exists
        switch ref {
        case .field(let f):
            field = f
            shape = ref.isNumeric ? 1 : f.spec.type == .stringList ? 2 : 0
            labelKey = []
        case .label(let k):
            field = .labels
            shape = 3
            labelKey = Array(k.utf8)
        }
        acceptsNull = tests.contains { $0.kind == .null }
        borrowed = .allocate(capacity: max(1, tests.count))
        for (i, t) in tests.enumerated() { borrowed[i] = Unmanaged.passUnretained(t) }
    }

    deinit { borrowed.deallocate() }

    @inline(__always)
    private func any(_ v: Bytes, _ scratch: MatchScratch) -> Bool {
        let n = tests.count
        if all {
            for i in 0..<n where !borrowed[i]._withUnsafeGuaranteedRef({ $0.matches(v, scratch) }) { return false }
            return true
        }
        for i in 0..<n where borrowed[i]._withUnsafeGuaranteedRef({ $0.matches(v, scratch) }) { return true }
        return false
    }

    /// Whether the test reads one value of `field`: a string (`matches(value:)`) or a number
    /// (`matches(number:)`), which the caller reads once for every test of the field.
    var readsString: Bool { shape == 0 }
    var readsNumber: Bool { shape == 1 }
    var column: Field { field }

    @inline(__always)
    func matches(value v: Bytes?, _ scratch: MatchScratch) -> Bool {
        guard let v else { return exists.map { !$0 } ?? acceptsNull }
        if let exists { return exists }
        return any(v, scratch)
    }

    @inline(__always)
    func matches(number n: Int64?) -> Bool {
        guard let n else { return exists.map { !$0 } ?? acceptsNull }
        if let exists { return exists }
        let count = tests.count
        if all {
            for i in 0..<count where !borrowed[i]._withUnsafeGuaranteedRef({ $0.matches(number: n) }) { return false }
            return true
        }
        for i in 0..<count where borrowed[i]._withUnsafeGuaranteedRef({ $0.matches(number: n) }) { return true }
        return false
    }

    func matches(_ e: EventBuilder, _ scratch: MatchScratch) -> Bool {
        switch shape {
        case 0: return matches(value: e.value(of: field), scratch)
        case 1: return matches(number: e.number(of: field))
        case 2:
            var present = false, hit = false
            var hits = [Bool](repeating: false, count: all ? tests.count : 0)
            e.forEachValue(of: field) { v in
                present = true
                if all { for (i, t) in tests.enumerated() where !hits[i] && t.matches(v, scratch) { hits[i] = true } }
                else if !hit { hit = any(v, scratch) }
            }
            if let exists { return present == exists }
            if !present { return acceptsNull }
            return all ? !hits.contains(false) : hit
        default:
            let v = labelKey.withUnsafeBytes { e.label($0) }
            guard let v else { return exists.map { !$0 } ?? acceptsNull }
            if let exists { return exists }
            return any(v, scratch)
        }
    }
}

/// A named selection: a list of maps (any of them), each map all of its field tests.
final class Selection: @unchecked Sendable {
    let name: String
    let alternatives: [[FieldTest]]
    /// The alternatives' tests in one borrowed list; alternative k is `bounds[k]..<bounds[k+1]`.
    private let flat: UnsafeMutableBufferPointer<Unmanaged<FieldTest>>
    private let bounds: UnsafeMutableBufferPointer<Int32>
    /// The tests' distinct-test numbers (set by `RuleSet` after loading, see `FieldTest.index`).
    private let indices: UnsafeMutableBufferPointer<Int32>

    init(name: String, alternatives: [[FieldTest]]) {
        self.name = name
        self.alternatives = alternatives
        let all = alternatives.flatMap { $0 }
        flat = .allocate(capacity: max(1, all.count))
        indices = .allocate(capacity: max(1, all.count))
        for (i, t) in all.enumerated() { flat[i] = Unmanaged.passUnretained(t); indices[i] = 0 }
        bounds = .allocate(capacity: alternatives.count + 1)
        var n: Int32 = 0
        bounds[0] = 0
        for (k, a) in alternatives.enumerated() { n += Int32(a.count); bounds[k + 1] = n }
    }

    deinit {
        flat.deallocate()
        bounds.deallocate()
        indices.deallocate()
    }

    /// The distinct-test numbers of each alternative, as text (equal texts test alike).
    var shape: String {
        (0..<alternatives.count).map { k in
            (Int(bounds[k])..<Int(bounds[k + 1])).map { String(indices[$0]) }.joined(separator: ",")
        }.joined(separator: "|")
    }

    /// Copies the tests' distinct-test numbers into the flat list.
    func numbered() {
        for i in 0..<(Int(bounds[alternatives.count])) { indices[i] = Int32(flat[i]._withUnsafeGuaranteedRef { $0.index }) }
    }
}

/// A Sigma condition over named selections.
indirect enum Condition: Sendable {
    case selection(Int)
    case not(Condition)
    case and([Condition])
    case or([Condition])
}

/// A condition flattened into arrays, evaluated without copying a tree: node `i` is a
/// selection (`arg` = its index), a `not` of the next node, or an `and`/`or` of `arg`
/// children listed in `children` from `first`.
struct FlatCondition: Sendable {
    var kind: [UInt8] = []      // 0 selection, 1 not, 2 and, 3 or
    var arg: [Int32] = []
    var first: [Int32] = []
    var children: [Int32] = []

    init(_ c: Condition) { _ = add(c) }

    private mutating func add(_ c: Condition) -> Int32 {
        let i = Int32(kind.count)
        kind.append(0); arg.append(0); first.append(0)
        switch c {
        case .selection(let s): arg[Int(i)] = Int32(s)
        case .not(let inner):
            kind[Int(i)] = 1
            let child = add(inner)
            arg[Int(i)] = child
        case .and(let cs), .or(let cs):
            if case .and = c { kind[Int(i)] = 2 } else { kind[Int(i)] = 3 }
            let ids = cs.map { add($0) }
            first[Int(i)] = Int32(children.count)
            arg[Int(i)] = Int32(ids.count)
            children += ids
        }
        return i
    }
}

/// A Sigma detection rule, compiled: what the attribution stage evaluates on every event.
/// A class, so that the per-event loop over rules copies nothing.
public final class SelectionRule: @unchecked Sendable {
    public let id: String
    /// Sigma v2's `name`, by which correlation rules may refer to it.
    public let name: String?
    public let title: String
    public let level: String?
    public let tags: [String]
    /// The first ATT&CK technique of the tags (`attack.t1110.003` → `T1110.003`).
    public let technique: String?
    /// The actor a match attributes the event to (a Spoor extension of Sigma).
    public let actor: String?
    let selections: [Selection]
    let condition: FlatCondition
    let origin: String
    /// `id` as bytes, for `labels.rules`.
    let idBytes: [UInt8]
    /// `technique` as bytes that live as long as the rules (events reference them).
    let techniqueBytes: StableText?

    init(id: String, name: String?, title: String, level: String?, tags: [String], technique: String?, actor: String?,
         selections: [Selection], condition: Condition, origin: String) {
        self.id = id
        self.name = name
        self.title = title
        self.level = level
        self.tags = tags
        self.technique = technique
        self.actor = actor
        self.selections = selections
        let flat = FlatCondition(condition)
        self.condition = flat
        self.origin = origin
        idBytes = Array(id.utf8)
        techniqueBytes = technique.map(StableText.init)
        selectionCount = selections.count
        borrowedSelections = .allocate(capacity: max(1, selections.count))
        for (i, sel) in selections.enumerated() { borrowedSelections[i] = Unmanaged.passUnretained(sel) }
        program = .allocate(capacity: max(flat.kind.count, flat.children.count, 1))
        for i in 0..<max(flat.kind.count, flat.children.count) {
            program[i] = (i < flat.kind.count ? flat.kind[i] : 0, i < flat.kind.count ? flat.arg[i] : 0,
                          i < flat.kind.count ? flat.first[i] : 0, i < flat.children.count ? flat.children[i] : 0)
        }
    }

    deinit {
        borrowedSelections.deallocate()
        program.deallocate()
        compiled.deallocate()
    }

    private let selectionCount: Int
    private let borrowedSelections: UnsafeMutableBufferPointer<Unmanaged<Selection>>
    /// The condition's nodes (kind, arg, first) and, in the same rows, the children list.
    private let program: UnsafeMutableBufferPointer<(kind: UInt8, arg: Int32, first: Int32, child: Int32)>

    /// The condition with its selections written out as `and`/`or` of distinct field tests
    /// (node kinds: 0 a test, `arg` its number; 1 not; 2 and; 3 or): what the attribution
    /// stage evaluates, with no selection in between. Made by `compile()` once the tests are
    /// numbered.
    private var compiled = UnsafeMutableBufferPointer<(kind: UInt8, arg: Int32, first: Int32, child: Int32)>.allocate(capacity: 1)
    /// How many rows of `compiled` are nodes (the rest carry only children).
    private var compiledNodes = 0

    /// Writes `compiled` (after `Selection.numbered()`).
    func compile() {
        var kind: [UInt8] = [], arg: [Int32] = [], first: [Int32] = [], children: [Int32] = []
        func node(_ k: UInt8, _ a: Int32) -> Int {
            kind.append(k); arg.append(a); first.append(0)
            return kind.count - 1
        }
        func list(_ k: UInt8, _ items: [() -> Int]) -> Int {
            let i = node(k, Int32(items.count))
            let ids = items.map { Int32($0()) }
            first[i] = Int32(children.count)
            children += ids
            return i
        }
        func add(_ n: Int) -> Int {
            let a = Int(program[n].arg), f = Int(program[n].first)
            switch program[n].kind {
            case 0:
                let sel = selections[a]
                let tests = sel.alternatives.map { $0.map { Int32($0.index) } }
                if tests.count == 1 && tests[0].count == 1 { return node(0, tests[0][0]) }
                return list(3, tests.map { alt in { list(2, alt.map { t in { node(0, t) } }) } })
            case 1:
                let i = node(1, 0)
                let inner = add(a)
                arg[i] = Int32(inner)
                return i
            default:
                return list(program[n].kind, (f..<(f + a)).map { c in { add(Int(self.program[c].child)) } })
            }
        }
        _ = add(0)
        compiled.deallocate()
        compiledNodes = kind.count
        let n = max(kind.count, children.count, 1)
        compiled = .allocate(capacity: n)
        for i in 0..<n {
            compiled[i] = (i < kind.count ? kind[i] : 0, i < kind.count ? arg[i] : 0,
                           i < kind.count ? first[i] : 0, i < children.count ? children[i] : 0)
        }
    }

    /// Whether an event with these test results matches (`results`: by distinct test
    /// number, 1 or 0; `DetectionPlan` evaluates every test first).
    func matches(results: UnsafePointer<Int8>) -> Bool {
        decides(results: results) == 1
    }

    /// What the rule makes of results some of which are not known yet (-1): 1 or 0 when
    /// the known ones decide it whatever the others turn out to be, -1 when they do not.
    func decides(results: UnsafePointer<Int8>) -> Int8 {
        Self.decide(0, compiled, results)
    }

    /// Calls `body` with the number of each distinct test the rule reads.
    func forEachTest(_ body: (Int) -> Void) {
        for i in compiled.indices where compiled[i].kind == 0 && i < compiledNodes { body(Int(compiled[i].arg)) }
    }

    private static func decide(_ n: Int, _ program: UnsafeMutableBufferPointer<(kind: UInt8, arg: Int32, first: Int32, child: Int32)>,
                               _ results: UnsafePointer<Int8>) -> Int8 {
        let node = program[n]
        let arg = Int(node.arg), first = Int(node.first)
        switch node.kind {
        case 0: return results[arg]
        case 1:
            let inner = decide(arg, program, results)
            return inner < 0 ? -1 : 1 - inner
        default:
            // and: one false decides it, or: one true; otherwise an unknown child leaves it open.
            let decisive: Int8 = node.kind == 2 ? 0 : 1
            var open = false
            for c in first..<(first + arg) {
                let r = decide(Int(program[c].child), program, results)
                if r == decisive { return decisive }
                if r < 0 { open = true }
            }
            return open ? -1 : 1 - decisive
        }
    }

    /// What the rule tests, as text: two rules of equal shape (the same distinct field tests
    /// under the same condition) match the same events, so one evaluation serves both.
    var shape: String {
        selections.map(\.shape).joined(separator: ";") + "#" + condition.kind.map(String.init).joined(separator: ",")
            + "#" + condition.arg.map(String.init).joined(separator: ",") + "#" + condition.first.map(String.init).joined(separator: ",")
            + "#" + condition.children.map(String.init).joined(separator: ",")
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
