import Foundation
import SpoorKit

/// The behaviour rules' windows, on the sink thread.
///
/// Events arrive in chunk order, not time order: files are read in parallel and a month of
/// one file can come before a day of another. So windows keep **per-key event time**: each
/// (rule, group key) has its own clock, the latest event time seen for that key. A window
/// spans at most `timespan` between its first and last event; an event that fits an open
/// window of its key joins it (even when it is older than events already there), one that
/// fits none opens a new window. A window closes — and is evaluated — when its key's clock
/// passes its start + timespan + allowed lateness (a watermark per key; 24 h by default, so
/// that files of different days read side by side still meet in one window), when the job
/// ends, or when more than `maxOpenWindows` are open (the least recently used close first).
/// An event later than that opens a window of its own: a campaign that straddles it may be
/// split in two. Memory is bounded by the open windows, each holding counters and capped
/// lists, never the events.
final class WindowCorrelator: Correlator {
    struct Window {
        var start: Int64
        var end: Int64
        var count = 0
        var values: Set<String> = []
        var accounts: [String] = []
        var sources: [String] = []
        /// Membership of the two lists while they are below their cap (then dropped).
        var accountSet: Set<String> = []
        var sourceSet: Set<String> = []
        var evidence: [String] = []
        var actorID: String?
        var actorName: String?
        /// Event times and the references they matched (temporal rules only), capped.
        var marks: [(time: Int64, steps: UInt32)] = []
        var lastUse = 0
    }

    /// A rule and its group: for a rule grouped by one value, the value alone (its
    /// `name=` label is the same for every key of the rule, so it is added only when a
    /// finding is made); for several, the whole `a=x, b=y` text.
    struct Key: Hashable {
        var rule: Int32
        var group: String
    }

    /// The group key as findings show it (`source.ip=203.0.113.9`).
    func groupText(_ key: Key) -> String {
        let parts = engine.groupParts[Int(key.rule)]
        return parts.count == 1 ? parts[0].label + key.group : key.group
    }

    static let maxValues = 100_000
    static let maxMarks = 4096

    /// The windows of one (rule, group key), with the key's clock.
    final class Group {
        var clock: Int64
        var windows: [Window] = []
        /// The earliest time at which the key's clock closes one of the windows.
        var expiry: Int64 = .max

        init(clock: Int64) { self.clock = clock }
    }

    let engine: BehaviourEngine
    private var groups: [Key: Group] = [:]
    private(set) var openWindows = 0
    private var tick = 0

    init(engine: BehaviourEngine) { self.engine = engine }

    func add(_ signals: any Sendable) -> [Finding] {
        guard let signals = signals as? ChunkSignals else { return [] }
        tick += 1
        var found: [Finding] = []
        // Rules with the same group-by share the key an event gives them (hits of one event
        // are consecutive), and nothing per rule is copied on this path.
        var cachedFact: Int32 = -1
        var cachedKeys: [(spec: Int, key: String?)] = []
        signals.facts.withUnsafeBufferPointer { facts in
            for hit in signals.hits {
                let r = Int(hit.rule)
                if hit.fact != cachedFact { cachedFact = hit.fact; cachedKeys.removeAll(keepingCapacity: true) }
                let spec = engine.groupSpecs[r]
                let group: String?
                // The fact is read in place (a copy would retain each of its strings).
                let fact = facts.baseAddress! + Int(hit.fact)
                if let g = cachedKeys.first(where: { $0.spec == spec }) { group = g.key } else {
                    group = groupKey(r, fact)
                    cachedKeys.append((spec, group))
                }
                guard let group else { continue }
                add(fact, hit, r, Key(rule: hit.rule, group: group), &found)
            }
        }
        if openWindows > engine.maxOpenWindows { evict(&found) }
        return found
    }

    func finish() -> [Finding] {
        var found: [Finding] = []
        // (One rule's single-value keys share their label: ordered by value, they are ordered by text.)
        for (key, g) in groups.sorted(by: { ($0.key.rule, $0.key.group) < ($1.key.rule, $1.key.group) }) {
            for w in g.windows { if let f = evaluate(w, key) { found.append(f) } }
        }
        groups.removeAll()
        openWindows = 0
        return found
    }

    private func add(_ fact: UnsafePointer<EventFact>, _ hit: RuleHit, _ r: Int, _ key: Key, _ found: inout [Finding]) {
        let time = fact.pointee.time
        let g: Group
        if let existing = groups[key] { g = existing } else { g = Group(clock: time); groups[key] = g }
        g.clock = max(g.clock, time)
        let timespan = engine.timespans[r]
        let reach = timespan + engine.lateness
        // The key's clock passed these windows' span and the allowed lateness: they are done
        // (a window this chunk already fed stays: its chunk may hold more of its events).
        if g.clock > g.expiry {
            var i = 0
            g.expiry = .max
            while i < g.windows.count {
                let (start, lastUse) = g.windows.withUnsafeBufferPointer { ($0[i].start, $0[i].lastUse) }
                if start + reach < g.clock && lastUse < tick {
                    if let f = evaluate(g.windows[i], key) { found.append(f) }
                    g.windows.remove(at: i)
                    openWindows -= 1
                } else {
                    g.expiry = min(g.expiry, start + reach)
                    i += 1
                }
            }
        }
        // The newest window is the likeliest fit (read in place: a copy of a window would
        // retain its sets and lists).
        var index = g.windows.withUnsafeBufferPointer { windows in
            var i = windows.count - 1
            while i >= 0 {
                if max(windows[i].end, time) - min(windows[i].start, time) <= timespan { return i }
                i -= 1
            }
            return -1
        }
        if index < 0 {
            g.windows.append(Window(start: time, end: time))
            openWindows += 1
            index = g.windows.count - 1
        }
        update(&g.windows[index], fact.pointee, hit, r)
        g.expiry = min(g.expiry, g.windows[index].start + reach)
    }

    private func update(_ w: inout Window, _ fact: borrowing EventFact, _ hit: RuleHit, _ r: Int) {
        w.start = min(w.start, fact.time)
        w.end = max(w.end, fact.time)
        w.count += 1
        w.lastUse = tick
        if let field = engine.valueKeys[r], w.values.count < Self.maxValues, let v = value(field, engine.valueColumns[r], fact), !v.isEmpty {
            w.values.insert(v)
        }
        if !fact.account.isEmpty, w.accounts.count < Finding.listCap, w.accountSet.insert(fact.account).inserted {
            w.accounts.append(fact.account)
            if w.accounts.count == Finding.listCap { w.accountSet = [] }
        }
        if !fact.source.isEmpty, w.sources.count < Finding.listCap, w.sourceSet.insert(fact.source).inserted {
            w.sources.append(fact.source)
            if w.sources.count == Finding.listCap { w.sourceSet = [] }
        }
        if w.evidence.count < Finding.listCap { w.evidence.append(fact.eventID) }
        if w.actorID == nil, let a = fact.actorID { w.actorID = a; w.actorName = fact.actorName }
        if engine.sequences[r], w.marks.count < Self.maxMarks {
            w.marks.append((fact.time, hit.steps))
        }
    }

    /// Closes the least recently used tenth of the windows (evaluating them).
    private func evict(_ found: inout [Finding]) {
        var all: [(use: Int, key: Key, index: Int)] = []
        for (key, g) in groups { for (i, w) in g.windows.enumerated() { all.append((w.lastUse, key, i)) } }
        all.sort { $0.use < $1.use }
        let n = max(1, openWindows - engine.maxOpenWindows + engine.maxOpenWindows / 10)
        var remove: [Key: Set<Int>] = [:]
        for item in all.prefix(n) { remove[item.key, default: []].insert(item.index) }
        for (key, indices) in remove {
            guard let g = groups[key] else { continue }
            for i in indices.sorted(by: >) {
                if let f = evaluate(g.windows[i], key) { found.append(f) }
                g.windows.remove(at: i)
                openWindows -= 1
            }
            if g.windows.isEmpty { groups[key] = nil }
        }
    }

    // MARK: - Keys and evaluation

    /// `field=value` pairs of the rule's group-by (the value alone for one, see `Key`); nil
    /// when the event lacks one of them.
    func groupKey(_ rule: Int, _ fact: UnsafePointer<EventFact>) -> String? {
        groupKey(rule, fact.pointee)
    }

    func groupKey(_ rule: Int, _ fact: borrowing EventFact) -> String? {
        let parts = engine.groupParts[rule]
        if parts.count == 1 {
            guard let v = value(parts[0].key, parts[0].column, fact), !v.isEmpty else { return nil }
            return v
        }
        var out = ""
        for (i, p) in parts.enumerated() {
            guard let v = value(p.key, p.column, fact), !v.isEmpty else { return nil }
            if i > 0 { out += ", " }
            out += p.label + v
        }
        return out
    }

    func value(_ key: KeyRef, _ fact: EventFact) -> String? {
        value(key, key.column.flatMap { engine.columns.firstIndex(of: $0) } ?? -1, fact)
    }

    /// The last address turned into a network, and what it became (sources repeat).
    private var lastNetwork: (ip: String, bits: Int, network: String?) = ("", -1, nil)

    @inline(__always)
    func value(_ key: KeyRef, _ column: Int, _ fact: borrowing EventFact) -> String? {
        switch key {
        case .account: return fact.account
        case .field: return column >= 0 ? fact.columns[column] : nil
        case .prefix(_, let bits):
            guard column >= 0, let ip = fact.columns[column] else { return nil }
            if lastNetwork.ip == ip && lastNetwork.bits == bits { return lastNetwork.network }
            let n = Self.network(ip, bits: bits)
            lastNetwork = (ip, bits, n)
            return n
        }
    }

    /// The network address of `ip`'s first `bits` bits (IPv4 bits count within IPv4).
    static func network(_ ip: String, bits: Int) -> String? {
        if let v4 = ipv4(ip) {
            let keep = min(bits, 32)
            let masked = keep == 0 ? 0 : v4 & ~UInt32((1 << UInt64(32 - keep)) - 1)
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { out in
                var n = 0
                for shift in [24, 16, 8, 0] as [UInt32] {
                    var octet = masked >> shift & 255
                    if shift != 24 { out[n] = 0x2E; n += 1 }
                    if octet >= 100 { out[n] = 0x30 + UInt8(octet / 100); n += 1; octet %= 100; out[n] = 0x30 + UInt8(octet / 10); n += 1 }
                    else if octet >= 10 { out[n] = 0x30 + UInt8(octet / 10); n += 1 }
                    out[n] = 0x30 + UInt8(octet % 10); n += 1
                }
                return String(decoding: UnsafeBufferPointer(rebasing: out[0..<n]), as: UTF8.self)
            }
        }
        guard var bytes = CIDRTrie.parse(ip) else { return nil }
        for i in min(bits, 128)..<128 { bytes[i / 8] &= ~(UInt8(0x80) >> UInt8(i % 8)) }
        var out = [CChar](repeating: 0, count: 64)
        var addr = in6_addr()
        withUnsafeMutableBytes(of: &addr) { for i in 0..<16 { $0[i] = bytes[i] } }
        guard inet_ntop(AF_INET6, &addr, &out, 64) != nil else { return nil }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A dotted IPv4 address as a number, without Foundation.
    static func ipv4(_ ip: String) -> UInt32? {
        var value: UInt32 = 0, part: UInt32 = 0, dots = 0, digits = 0
        for c in ip.utf8 {
            if c == 0x2E {
                guard digits > 0 else { return nil }
                value = value << 8 | part; part = 0; dots += 1; digits = 0
            } else if c &- 0x30 < 10 {
                part = part * 10 + UInt32(c &- 0x30); digits += 1
                guard part <= 255, digits <= 3 else { return nil }
            } else {
                return nil
            }
        }
        guard dots == 3, digits > 0 else { return nil }
        return value << 8 | part
    }

    func evaluate(_ w: Window, _ key: Key) -> Finding? {
        let rule = engine.rules[Int(key.rule)]
        let holds: Bool
        switch rule.kind {
        case .eventCount: holds = rule.holds(w.count)
        case .valueCount: holds = rule.holds(w.values.count)
        case .temporal, .temporalOrdered:
            holds = Self.sequenceHolds(rule, w.marks) && (rule.conditions.isEmpty || rule.holds(w.count))
        }
        guard holds else { return nil }
        let actor = rule.actor.flatMap { engine.actors[$0] }
        let actorID = actor.map { $0.mitre ?? $0.id } ?? w.actorID
        let group = groupText(key)
        let seed = rule.id + "\u{1}" + group + "\u{1}" + String(w.start)
        let hash = withBytes(of: seed) { (Hash.mix(Hash.fnv1a($0)), Hash.mix(Hash.fnv1a($0, seed: 0x9e37_79b9))) }
        return Finding(id: Hash.hex(hash), ruleID: rule.id, title: rule.title, actorID: actorID,
                       actorName: actor?.name ?? w.actorName, technique: rule.technique, level: rule.level,
                       kind: rule.kind.rawValue, groupKey: group, windowStart: w.start, windowEnd: w.end,
                       eventCount: w.count, valueCount: rule.kind == .valueCount ? w.values.count : 0,
                       accounts: w.accounts, sources: w.sources, evidence: w.evidence, evidenceTotal: w.count)
    }

    /// Whether the marked events contain the rule's steps: in time order for
    /// temporal_ordered (each event taking at most one step), in any order for temporal.
    static func sequenceHolds(_ rule: CorrelationRule, _ marks: [(time: Int64, steps: UInt32)]) -> Bool {
        if rule.kind == .temporal {
            var needed = [Int](repeating: 0, count: rule.referenced.count)
            for s in rule.steps { needed[s] += 1 }
            var seen = [Int](repeating: 0, count: needed.count)
            for m in marks { for j in needed.indices where m.steps & (1 << UInt32(j)) != 0 { seen[j] += 1 } }
            return zip(needed, seen).allSatisfy { $1 >= $0 }
        }
        var next = 0
        for m in marks.sorted(by: { $0.time < $1.time }) {
            guard next < rule.steps.count else { break }
            if m.steps & (1 << UInt32(rule.steps[next])) != 0 { next += 1 }
        }
        return next == rule.steps.count
    }
}
