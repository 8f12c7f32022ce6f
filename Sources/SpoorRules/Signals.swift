import Foundation
import SpoorKit

/// What the behaviour rules need of one event, copied on the worker as the event is
/// classified (`FactCollector`): bytes go to the chunk's arena (no `String` per event), and
/// the values rules key on are hashed there, in parallel, so that the correlator compares
/// numbers.
struct EventFact: Sendable {
    var time: Int64
    /// The event id as two numbers when it has the pipeline's form (see `EvidenceID`), else
    /// its bytes in `eventID`.
    var evidence: EvidenceID
    var eventID: ByteRange
    /// The account as the campaign report compares it (see `BehaviourEngine.appendAccount`).
    var account: ByteRange
    var accountHash: UInt64
    var source: ByteRange
    var sourceHash: UInt64
    var actorID: ByteRange
    var actorName: ByteRange
    /// The first of its `BehaviourEngine.columns.count` values in `ChunkSignals.columns`.
    var columns: Int32
}

/// A column value a rule groups or counts by.
struct ColumnValue: Sendable {
    var bytes: ByteRange
    var hash: UInt64
}

/// One event matching one behaviour rule: `steps` has bit j set when it matched the rule's
/// j-th referenced selection rule; `group` is the hash of its group key, `value` the hash of
/// the value a value_count rule counts (0: none).
struct RuleHit: Sendable {
    var fact: Int32
    var rule: Int32
    var steps: UInt32
    var group: UInt64
    var value: UInt64
}

/// One chunk's signals, carried from a worker to the correlator.
struct ChunkSignals: TimedSignals {
    var arena = SignalArena()
    var facts: [EventFact] = []
    /// The earliest time of its facts (the pipeline merges inputs by it).
    var earliest: Int64?
    var columns: [ColumnValue] = []
    var hits: [RuleHit] = []
    /// Per rule, events it would count that had no group key (empty when there were none).
    var keyless: [Int32] = []

    func string(_ r: ByteRange) -> String? { r.isAbsent ? nil : String(decoding: arena.bytes(r), as: UTF8.self) }
    func bytes(_ r: ByteRange) -> Bytes { arena.bytes(r) }
}

/// The behaviour rules as the pipeline runs them: signals on workers, windows on the sink
/// thread (`WindowCorrelator`).
public struct BehaviourEngine: BehaviourRules {
    let rules: [CorrelationRule]
    let actors: [String: Actor]
    /// Columns copied per event (those any rule groups or counts by).
    let columns: [FieldRef]
    /// Per column, the field it reads (`.labels` for a label) and, for a label, its key.
    let columnFields: [Field]
    let columnLabels: [[UInt8]]

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
        columnFields = columns.map { if case .field(let f) = $0 { f } else { .labels } }
        columnLabels = columns.map { if case .label(let k) = $0 { Array(k.utf8) } else { [] } }
        groupParts = rules.correlations.map { r in
            r.groupBy.map { ($0.name + "=", $0, $0.column.flatMap { columns.firstIndex(of: $0) } ?? -1) }
        }
        valueColumns = rules.correlations.map { r in r.valueField?.column.flatMap { columns.firstIndex(of: $0) } ?? -1 }
        valueKeys = rules.correlations.map(\.valueField)
        countsAccounts = rules.correlations.map { $0.kind == .valueCount && $0.valueField == .account }
        timespans = rules.correlations.map(\.timespan)
        sequences = rules.correlations.map { $0.kind == .temporal || $0.kind == .temporalOrdered }
        keys = KeyPlan(groupParts: groupParts, valueKeys: valueKeys, valueColumns: valueColumns)
        var specs: [[KeyRef]] = []
        groupSpecs = rules.correlations.map { r in
            if let i = specs.firstIndex(of: r.groupBy) { return i }
            specs.append(r.groupBy)
            return specs.count - 1
        }
    }

    /// Per rule: its group-by as (`name=`, key, column of `columns` or -1), decided once.
    let groupParts: [[(label: String, key: KeyRef, column: Int)]]
    /// Per rule: the column of its value_count field (-1: none, or `account`).
    let valueColumns: [Int]
    /// Per rule, copied out so that the correlator's per-event path copies no rule: its
    /// value_count field, timespan, whether it is a sequence, and which group-by it has
    /// (rules with equal group-by lists share a number).
    let valueKeys: [KeyRef?]
    /// Per rule, whether it is a value_count of accounts (the correlator counts those in a
    /// window's account list while it has room).
    let countsAccounts: [Bool]
    let timespans: [Int64]
    let sequences: [Bool]
    let groupSpecs: [Int]
    /// The same keys as the worker hashes them.
    let keys: KeyPlan

    public var isEmpty: Bool { rules.isEmpty }

    /// The chunk's facts (gathered as events were classified: `FactCollector`) and the hits
    /// of the rules each one feeds, with its group key and counted value hashed.
    public func signals(of batch: EventBatch, context: ParseContext) -> any Sendable {
        guard !rules.isEmpty,
              let worker = context.existingState(for: IndicatorAttributor.WorkerState.key, as: IndicatorAttributor.WorkerState.self),
              let state = worker.detection, let collector = worker.facts
        else { return ChunkSignals() }
        // The facts' columns are this engine's only when both come from one rule set (the
        // attribution stage's): hits made of another's would count the wrong values.
        precondition(collector.engine.columns == columns && collector.engine.rules.elementsEqual(rules, by: { $0.id == $1.id }),
                     "the behaviour rules and the attribution stage were loaded from different rule sets")
        let taken = collector.take(committed: min(batch.events.count, state.rowCount))
        var out = taken.signals
        let events = taken.events
        // Per event, the group key each group-by gives (rules sharing one share it).
        var specKeys = [UInt64](repeating: 0, count: groupSpecs.count)
        var specDone = [Int32](repeating: -1, count: groupSpecs.count)   // the fact it was made for
        var hits: [RuleHit] = [], keyless: [Int32] = []
        hits.reserveCapacity(out.facts.count * 2)
        let arena = out.arena
        // Read once here: inside the loops, each use of a property of `self` retained it.
        let keys = self.keys, groupSpecs = self.groupSpecs
        out.columns.withUnsafeBufferPointer { columns in
            for (k, f) in out.facts.enumerated() {
                let fact = Int32(k)
                for (rule, steps) in state.outcome(Int(state.rows[Int(events[k])])).pointee.hits {
                    let ri = Int(rule), spec = groupSpecs[ri]
                    if specDone[spec] != fact {
                        specKeys[spec] = keys.groupHash(ri, f, columns, arena)
                        specDone[spec] = fact
                    }
                    let group = specKeys[spec]
                    guard group != 0 else {
                        if keyless.isEmpty { keyless = [Int32](repeating: 0, count: rules.count) }
                        keyless[ri] += 1
                        continue
                    }
                    let value = keys.valueHash(ri, f, columns, arena)
                    hits.append(RuleHit(fact: fact, rule: rule, steps: steps, group: group, value: value))
                }
            }
        }
        out.earliest = out.facts.lazy.map(\.time).min()
        out.hits = hits
        out.keyless = keyless
        return out
    }

    /// Hits reordered so that those of one (rule, group key) are consecutive, keys in the
    /// order they first appear and each key's hits in arrival order — which is all a window
    /// sees, so findings are the same. The correlator then touches each key's windows once
    /// per batch instead of once per event: with tens of thousands of windows open, memory
    /// latency, not counting, is its cost.
    static func groupedByKey<T>(_ items: [T], key: (T) -> (rule: Int32, group: UInt64)) -> [T] {
        guard items.count > 1 else { return items }
        var capacity = 64
        while capacity < items.count * 2 { capacity <<= 1 }
        // Plain buffers: a write to an array in these loops checked its uniqueness each time
        // (1.5 checks per event of the bench), and the output is written once, not copied first.
        let slots = UnsafeMutableBufferPointer<Int32>.allocate(capacity: capacity)   // → key number
        slots.initialize(repeating: -1)
        let keyOf = UnsafeMutableBufferPointer<Int32>.allocate(capacity: items.count)
        let keyRule = UnsafeMutableBufferPointer<Int32>.allocate(capacity: items.count)
        let keyGroup = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: items.count)
        let counts = UnsafeMutableBufferPointer<Int32>.allocate(capacity: items.count)
        defer {
            slots.deallocate()
            keyOf.deallocate()
            keyRule.deallocate()
            keyGroup.deallocate()
            counts.deallocate()
        }
        var keys = 0
        items.withUnsafeBufferPointer { items in
            for i in items.indices {
                let (rule, group) = key(items[i])
                var slot = Int(truncatingIfNeeded: Hash.mix(group ^ UInt64(UInt32(bitPattern: rule)))) & (capacity - 1)
                while true {
                    let k = slots[slot]
                    if k < 0 {
                        slots[slot] = Int32(keys)
                        keyOf[i] = Int32(keys)
                        keyRule[keys] = rule
                        keyGroup[keys] = group
                        counts[keys] = 1
                        keys += 1
                        break
                    }
                    if keyRule[Int(k)] == rule && keyGroup[Int(k)] == group { keyOf[i] = k; counts[Int(k)] += 1; break }
                    slot = (slot + 1) & (capacity - 1)
                }
            }
        }
        guard keys < items.count else { return items }
        // Each key's first place in the output, then the next as its items are placed.
        var total: Int32 = 0
        for k in 0..<keys { (counts[k], total) = (total, total + counts[k]) }
        return [T](unsafeUninitializedCapacity: items.count) { out, initialized in
            items.withUnsafeBufferPointer { items in
                for i in items.indices {
                    let k = Int(keyOf[i])
                    out.initializeElement(at: Int(counts[k]), to: items[i])
                    counts[k] += 1
                }
            }
            initialized = items.count
        }
    }

    /// What the rules need of the open event (one some rule counts), copied from the
    /// builder into the collector's arena and column list.
    func fact(_ e: EventBuilder, _ columnValues: inout [ColumnValue], _ arena: SignalArena,
              _ lastStream: inout (text: (UInt64, UInt64), value: UInt64), stream: UInt64?) -> EventFact {
        let none = Bytes(start: nil, count: 0)
        let first = columnValues.count
        columnFields.withUnsafeBufferPointer { fields in
            for (c, field) in fields.enumerated() {
                if field == .labels {
                    let value = columnLabels[c].withUnsafeBytes { e.label($0) }
                    columnValues.append(value.map { Self.column($0, arena) } ?? ColumnValue(bytes: .absent, hash: 0))
                } else if let v = e.value(of: field) {
                    columnValues.append(Self.column(v, arena))
                } else if let n = e.number(of: field) {
                    let text = arena.append(decimal: n)
                    columnValues.append(ColumnValue(bytes: text, hash: Hash.words(arena.bytes(text))))
                } else {
                    columnValues.append(ColumnValue(bytes: .absent, hash: 0))
                }
            }
        }
        let id = e.value(of: .eventID) ?? none, ip = e.value(of: .sourceIP) ?? none
        // The pipeline's id is the stream's number and the offset: its text is not read.
        let evidence = stream.flatMap { sid in e.number(of: .logOffset).map { EvidenceID(stream: sid, offset: $0) } }
            ?? EvidenceID(compact: id, last: &lastStream)
        var f = EventFact(time: e.number(of: .timestamp) ?? .min, evidence: evidence ?? EvidenceID(other: 0),
                          eventID: evidence == nil ? arena.append(id) : .absent, account: .absent, accountHash: 0,
                          source: arena.append(ip), sourceHash: Hash.words(ip),
                          actorID: e.value(of: .threatGroupID).map { arena.append($0) } ?? .absent,
                          actorName: e.value(of: .threatGroupName).map { arena.append($0) } ?? .absent, columns: Int32(first))
        f.account = Self.appendAccount(email: e.value(of: .userEmail) ?? none, name: e.value(of: .userName) ?? none,
                                       domain: e.value(of: .userDomain) ?? none, arena)
        f.accountHash = Hash.words(arena.bytes(f.account))
        return f
    }

    @inline(__always)
    static func column(_ b: Bytes, _ arena: SignalArena) -> ColumnValue {
        ColumnValue(bytes: arena.append(b), hash: Hash.words(b))
    }

    /// The account as the campaign report compares it (see CAMPAIGN.md): `user.email`, else
    /// `user.name@user.domain`, else `user.name`; lower-cased, URL-decoded. ASCII without `%`
    /// (nearly every account) is lower-cased as it is copied; the rest goes through `String`.
    static func appendAccount(email: Bytes, name: Bytes, domain: Bytes, _ arena: SignalArena) -> ByteRange {
        let joined = email.isEmpty && !domain.isEmpty && !name.isEmpty && !name.contains(0x40)
        let parts = email.isEmpty ? name : email
        let n = parts.count + (joined ? 1 + domain.count : 0)
        arena.reserve(n)
        let out = arena.end
        var plain = true
        func put(_ b: Bytes, at: Int) {
            for i in 0..<b.count {
                let c = b[i]
                if c >= 0x80 || c == 0x25 { plain = false }
                out.storeBytes(of: asciiLowercased(c), toByteOffset: at + i, as: UInt8.self)
            }
        }
        put(parts, at: 0)
        if joined {
            out.storeBytes(of: 0x40, toByteOffset: parts.count, as: UInt8.self)
            put(domain, at: parts.count + 1)
        }
        if plain {
            let start = arena.count
            arena.commit(n)
            return ByteRange(start: Int32(start), count: Int32(n))
        }
        var text = account(email: email.string, name: name.string, domain: domain.string)
        return text.withUTF8 { arena.append(Bytes($0)) }
    }

    /// The same on `String`s (the rare accounts with `%` or non-ASCII bytes).
    static func account(email: String, name: String, domain: String) -> String {
        let raw = !email.isEmpty ? email : (!domain.isEmpty && !name.isEmpty && !name.utf8.contains(0x40) ? name + "@" + domain : name)
        let decoded = raw.utf8.contains(0x25) ? (raw.removingPercentEncoding ?? raw) : raw
        return decoded.utf8.contains(where: { $0 &- 0x41 < 26 || $0 >= 0x80 }) ? decoded.lowercased() : decoded
    }

    /// The address's first `bits` bits (IPv4 bits count within IPv4, as `network` writes it).
    static func masked(_ a: (UInt64, UInt64), bits: Int) -> (UInt64, UInt64) {
        let isV4 = a.0 == 0 && a.1 >> 32 == 0xFFFF
        let keep = isV4 ? 96 + min(bits, 32) : min(bits, 128)
        func mask(_ n: Int) -> UInt64 { n <= 0 ? 0 : n >= 64 ? .max : ~(UInt64.max >> UInt64(n)) }
        return (a.0 & mask(keep), a.1 & mask(keep - 64))
    }

    public func makeCorrelator() -> any Correlator { WindowCorrelator(engine: self) }
}
