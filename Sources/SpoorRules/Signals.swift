import Foundation
import SpoorKit

/// Which selection rules each event of the worker's current chunk matched: the attribution
/// stage writes a row per event (at the index the event gets in the batch), the behaviour
/// rules read the rows after the chunk. One per worker (a `ParseContext` state).
final class RuleMatches {
    static let key = "spoor.rules.matches"
    var words = 1
    var bits: [UInt64] = []
    /// The results of the event's distinct field tests (scratch, -1: not evaluated yet).
    private(set) var tests = UnsafeMutablePointer<Int8>.allocate(capacity: 1)
    /// Per rule shape (see `RuleSet.shapeOf`): whether the event matches it (-1: not yet known).
    private(set) var shapes = UnsafeMutablePointer<Int8>.allocate(capacity: 1)
    private var testCapacity = 1, shapeCapacity = 1

    @inline(__always)
    func reserve(tests n: Int, shapes k: Int) {
        if n > testCapacity { tests.deallocate(); tests = .allocate(capacity: n); testCapacity = n }
        if k > shapeCapacity { shapes.deallocate(); shapes = .allocate(capacity: k); shapeCapacity = k }
    }

    deinit {
        tests.deallocate()
        shapes.deallocate()
    }
    /// The ids of the rules the current event matched, comma-separated (scratch).
    var names: [UInt8] = []

    /// Clears and returns the row of event `index`.
    @inline(__always)
    func startRow(_ index: Int, words: Int) {
        self.words = words
        let need = (index + 1) * words
        if bits.count < need { bits.append(contentsOf: repeatElement(0, count: max(need - bits.count, 1024 * words))) }
        for w in 0..<words { bits[index * words + w] = 0 }
    }

    @inline(__always)
    func set(_ index: Int, rule: Int) {
        bits[index * words + rule / 64] |= 1 << UInt64(rule % 64)
    }
}

/// What a behaviour rule needs of one event, copied out of the batch on the worker.
struct EventFact: Sendable {
    var time: Int64
    var eventID: String
    var account: String
    var source: String
    var actorID: String?
    var actorName: String?
    /// Values of the columns the rules group or count by (`BehaviourEngine.columns`).
    var columns: [String?]
}

/// One event matching one behaviour rule: `steps` has bit j set when it matched the rule's
/// j-th referenced selection rule.
struct RuleHit: Sendable {
    var fact: Int32
    var rule: Int32
    var steps: UInt32
}

/// One chunk's signals, carried from a worker to the correlator.
struct ChunkSignals: Sendable {
    var facts: [EventFact] = []
    var hits: [RuleHit] = []
}

/// The behaviour rules as the pipeline runs them: signals on workers, windows on the sink
/// thread (`WindowCorrelator`).
public struct BehaviourEngine: BehaviourRules {
    let rules: [CorrelationRule]
    let actors: [String: Actor]
    /// Columns copied per event (those any rule groups or counts by).
    let columns: [FieldRef]
    /// For each selection rule: the behaviour rules that refer to it, and as which reference.
    let interest: [[(rule: Int32, reference: Int32)]]
    let words: Int
    let interestMask: [UInt64]
    /// How far (event time) a key's window stays open past its span for late events.
    public var lateness: Int64
    /// Windows held at most; beyond, the least recently used are closed (and evaluated).
    public var maxOpenWindows: Int

    init(rules: RuleSet) {
        self.rules = rules.correlations
        actors = rules.actors
        lateness = rules.lateness
        maxOpenWindows = rules.maxOpenWindows
        var columns: [FieldRef] = []
        for r in rules.correlations {
            for key in r.groupBy + (r.valueField.map { [$0] } ?? []) {
                if let c = key.column, !columns.contains(c) { columns.append(c) }
            }
        }
        self.columns = columns
        groupParts = rules.correlations.map { r in
            r.groupBy.map { ($0.name + "=", $0, $0.column.flatMap { columns.firstIndex(of: $0) } ?? -1) }
        }
        valueColumns = rules.correlations.map { r in r.valueField?.column.flatMap { columns.firstIndex(of: $0) } ?? -1 }
        valueKeys = rules.correlations.map(\.valueField)
        timespans = rules.correlations.map(\.timespan)
        sequences = rules.correlations.map { $0.kind == .temporal || $0.kind == .temporalOrdered }
        var specs: [[KeyRef]] = []
        groupSpecs = rules.correlations.map { r in
            if let i = specs.firstIndex(of: r.groupBy) { return i }
            specs.append(r.groupBy)
            return specs.count - 1
        }
        var interest = [[(rule: Int32, reference: Int32)]](repeating: [], count: rules.selections.count)
        for (i, r) in rules.correlations.enumerated() {
            for (j, s) in r.referenced.enumerated() { interest[s].append((Int32(i), Int32(j))) }
        }
        self.interest = interest
        words = max(1, (rules.selections.count + 63) / 64)
        var mask = [UInt64](repeating: 0, count: words)
        for (s, list) in interest.enumerated() where !list.isEmpty { mask[s / 64] |= 1 << UInt64(s % 64) }
        interestMask = mask
    }

    /// Per rule: its group-by as (`name=`, key, column of `columns` or -1), decided once.
    let groupParts: [[(label: String, key: KeyRef, column: Int)]]
    /// Per rule: the column of its value_count field (-1: none, or `account`).
    let valueColumns: [Int]
    /// Per rule, copied out so that the correlator's per-event path copies no rule: its
    /// value_count field, timespan, whether it is a sequence, and which group-by it has
    /// (rules with equal group-by lists share a number).
    let valueKeys: [KeyRef?]
    let timespans: [Int64]
    let sequences: [Bool]
    let groupSpecs: [Int]

    public var isEmpty: Bool { rules.isEmpty }

    public func signals(of batch: EventBatch, context: ParseContext) -> any Sendable {
        let matches = context.state(for: RuleMatches.key) { RuleMatches() }
        var out = ChunkSignals()
        guard !rules.isEmpty else { return out }
        var steps = [UInt32](repeating: 0, count: rules.count)
        var touched: [Int] = []
        batch.withReader { r in
            for (index, event) in r.events.enumerated() {
                guard (index + 1) * words <= matches.bits.count else { break }
                touched.removeAll(keepingCapacity: true)
                for w in 0..<words {
                    var word = matches.bits[index * words + w] & interestMask[w]
                    while word != 0 {
                        let s = w * 64 + word.trailingZeroBitCount
                        word &= word - 1
                        for (rule, reference) in interest[s] {
                            if steps[Int(rule)] == 0 { touched.append(Int(rule)) }
                            steps[Int(rule)] |= 1 << UInt32(reference)
                        }
                    }
                }
                guard !touched.isEmpty else { continue }
                let fact = Int32(out.facts.count)
                out.facts.append(self.fact(event, r))
                for rule in touched {
                    out.hits.append(RuleHit(fact: fact, rule: Int32(rule), steps: steps[rule]))
                    steps[rule] = 0
                }
            }
        }
        return out
    }

    /// Copies what the rules need of one event (only for events some rule counts).
    func fact(_ event: EventHeader, _ r: BatchReader) -> EventFact {
        var f = EventFact(time: event.timestamp, eventID: "", account: "", source: "", columns: [String?](repeating: nil, count: columns.count))
        var email = "", name = "", domain = ""
        for s in r.slots(of: event) {
            switch s.field {
            case .eventID: f.eventID = r.bytes(s).string
            case .sourceIP: f.source = r.bytes(s).string
            case .userEmail: email = r.bytes(s).string
            case .userName: name = r.bytes(s).string
            case .userDomain: domain = r.bytes(s).string
            case .threatGroupID: f.actorID = r.bytes(s).string
            case .threatGroupName: f.actorName = r.bytes(s).string
            default: break
            }
            for (i, c) in columns.enumerated() where f.columns[i] == nil {
                switch c {
                case .field(let field) where field == s.field:
                    // (The source address is already text: shared, not made again.)
                    f.columns[i] = s.kind == .number ? String(s.value) : field == .sourceIP ? f.source : r.bytes(s).string
                case .label(let key) where s.field == .labels:
                    let (k, v) = r.label(s)
                    if k.string == key { f.columns[i] = v.string }
                default: break
                }
            }
        }
        f.account = Self.account(email: email, name: name, domain: domain)
        return f
    }

    /// The account as the campaign report compares it (see CAMPAIGN.md): `user.email`, else
    /// `user.name@user.domain`, else `user.name`; lower-cased, URL-decoded.
    static func account(email: String, name: String, domain: String) -> String {
        let raw = !email.isEmpty ? email : (!domain.isEmpty && !name.isEmpty && !name.utf8.contains(0x40) ? name + "@" + domain : name)
        let decoded = raw.utf8.contains(0x25) ? (raw.removingPercentEncoding ?? raw) : raw
        return decoded.utf8.contains(where: { $0 &- 0x41 < 26 || $0 >= 0x80 }) ? decoded.lowercased() : decoded
    }

    public func makeCorrelator() -> any Correlator { WindowCorrelator(engine: self) }
}
