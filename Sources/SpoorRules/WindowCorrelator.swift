import CPrefetch
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
        /// Hashes of the distinct values counted (value_count). A rule that counts accounts
        /// counts them in its account list until that list is full, and only then here
        /// (seeded with the list): most windows never hold more than a few, and need no set.
        var values: Set<UInt64> = []
        /// The distinct accounts and sources and the evidence ids, each capped
        /// (`Finding.listCap`): plain bytes, so that a window holds no `String` until it
        /// makes a finding. Freed (`WindowLists.free`) when the window closes.
        var lists = WindowLists()
        /// What few windows hold (made on first use): one reference in the others.
        var rare: Rare?
        /// Event times and the references they matched (temporal rules only), capped.
        var marks: [(time: Int64, steps: UInt32)] = []
        var lastUse = 0
        /// The last chunk that fed it an event later than its key's lateness (see `graceChunks`).
        var lastLateUse = Int.min / 2

        /// The number of distinct values a value_count rule counts (see `values`).
        func distinctValues(countsAccounts: Bool) -> Int {
            countsAccounts && values.isEmpty ? Int(lists.accountCount) : values.count
        }
    }

    /// A window's actor and its evidence ids not of the pipeline's form.
    final class Rare {
        /// Evidence ids not of the pipeline's form, as text.
        var otherEvidence: [String] = []
        var actorID: String?
        var actorName: String?
    }

    /// A rule and the hash of its group key (the worker hashed it: see `BehaviourEngine`).
    struct Key: Hashable {
        var rule: Int32
        var group: UInt64

        func hash(into hasher: inout Hasher) { hasher.combine(group ^ UInt64(UInt32(bitPattern: rule)) << 32) }
    }

    static let maxValues = 100_000
    /// How many chunks a window past its key's clock stays open after a chunk fed it late
    /// events: enough for the next chunk of their stream to come, with the chunks of a few
    /// other streams read at the same time in between. In-order events never feed such a
    /// window, so in-order input makes the same findings and holds the same windows.
    static let graceChunks = 16
    static let maxMarks = 4096

    /// The windows of one (rule, group key), with the key's clock and the key as findings
    /// show it (`source.ip=203.0.113.9`), made once when the key is first seen.
    final class Group {
        var clock: Int64
        /// The open windows are `windows[head...]`; the ones before `head` are closed and
        /// empty. A key's clock closes its windows oldest first, while the key still holds one
        /// per timespan of the allowed lateness (25 for a one-hour rule): removing each one
        /// from the front would move all the others.
        var windows: [Window] = []
        private(set) var head = 0
        /// The earliest time at which the key's clock closes one of the windows.
        var expiry: Int64 = .max
        let text: String

        init(clock: Int64, text: String) {
            self.clock = clock
            self.text = text
        }

        var hasOpenWindows: Bool { head < windows.count }

        /// Forgets the open windows `head..<end`, whose lists are freed. The array is
        /// compacted once the closed ones are half of it, so each window moves about once.
        func closeOldest(upTo end: Int) {
            for i in head..<end { windows[i] = Window(start: 0, end: 0) }
            head = end
            if head == windows.count {
                windows.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 16 && head * 2 >= windows.count {
                windows.removeSubrange(0..<head)
                head = 0
            }
        }

        /// Frees the open windows' lists and forgets them.
        func dropWindows() {
            for i in head..<windows.count { windows[i].lists.free() }
            windows.removeAll()
            head = 0
        }

        deinit { dropWindows() }
    }

    let engine: BehaviourEngine
    private var groups: [Key: Group] = [:]
    private(set) var openWindows = 0
    private(set) var peakOpenWindows = 0
    private var tick = 0

    /// Per rule: events it would count that had no group key, and whether any had one.
    private var keyless: [Int]
    private var keyed: [Bool]

    init(engine: BehaviourEngine) {
        self.engine = engine
        keyless = [Int](repeating: 0, count: engine.rules.count)
        keyed = [Bool](repeating: false, count: engine.rules.count)
    }

    /// A rule that never made a window because none of its events had its group-by fields
    /// says so, instead of finding nothing without a word.
    var keylessRules: [KeylessRule] {
        engine.rules.indices.compactMap { r in
            guard keyless[r] > 0, !keyed[r] else { return nil }
            return KeylessRule(rule: engine.rules[r].id, events: keyless[r], groupBy: engine.rules[r].groupBy.map(\.name))
        }
    }

    /// Chunks' signals wait here until they hold `batchHits` hits: the hits of one key across
    /// several chunks are then applied together, so that a key's group and windows are
    /// fetched from memory once per batch rather than once per chunk.
    private var pending: [ChunkSignals] = []
    private var pendingHits = 0
    /// Chunks added so far: a chunk's tick is its number.
    private var chunks = 0
    static let batchHits = 32_768
    /// How many hits ahead a fact is asked for (`prefetchFact`): enough for a read from
    /// memory to arrive while the hits before it are applied, or only their times compared.
    static let applyAhead = 8
    static let sortAhead = 32
    /// The same for the bytes a hit's fact points to (`prefetchBytes`).
    static let bytesAhead = 4

    func add(_ signals: any Sendable) -> [Finding] {
        guard let signals = signals as? ChunkSignals else { return [] }
        for (r, n) in signals.keyless.enumerated() { keyless[r] += Int(n) }
        chunks += 1
        pending.append(signals)
        pendingHits += signals.hits.count
        guard pendingHits >= Self.batchHits else { return [] }
        return flush()
    }

    /// Applies the pending chunks' hits, a key's hits together in time order.
    private func flush() -> [Finding] {
        guard !pending.isEmpty else { return [] }
        // Each hit keeps its chunk's tick: a window fed by a chunk is not closed by that
        // chunk's later hits, exactly as when chunks were applied one by one.
        let firstTick = chunks - pending.count + 1
        var found: [Finding] = []
        var all: [(chunk: Int32, hit: RuleHit)] = []
        all.reserveCapacity(pendingHits)
        for (c, s) in pending.enumerated() { for h in s.hits { all.append((Int32(c), h)) } }
        // The key's group, unretained: `groups` keeps it alive, and none is dropped until
        // the hits are applied (a retain and releases per hit were a tenth of this loop).
        var last: (key: Key, group: Unmanaged<Group>)?
        var ordered = BehaviourEngine.groupedByKey(all, key: { ($0.hit.rule, $0.hit.group) })
        let factsAt = pending.map { $0.facts.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) } }
        inTimeOrder(&ordered, factsAt)
        // The chunks are read in place: a copy of one per hit would retain its four buffers.
        pending.withUnsafeBufferPointer { chunks in
            for (i, (c, hit)) in ordered.enumerated() {
                if i + Self.applyAhead < ordered.count { Self.prefetchFact(ordered[i + Self.applyAhead], factsAt, whole: true) }
                if i + Self.bytesAhead < ordered.count { Self.prefetchBytes(ordered[i + Self.bytesAhead], chunks) }
                let signals = chunks.baseAddress! + Int(c)
                tick = firstTick + Int(c)
                let key = Key(rule: hit.rule, group: hit.group)
                keyed[Int(hit.rule)] = true
                signals.pointee.facts.withUnsafeBufferPointer { facts in
                    let fact = facts.baseAddress! + Int(hit.fact)
                    let g: Unmanaged<Group>
                    if let last, last.key == key { g = last.group } else {
                        if let existing = groups[key] { g = Unmanaged.passUnretained(existing) } else {
                            let made = Group(clock: fact.pointee.time, text: groupText(Int(hit.rule), fact.pointee, signals.pointee))
                            groups[key] = made
                            g = Unmanaged.passUnretained(made)
                        }
                        last = (key, g)
                    }
                    g._withUnsafeGuaranteedRef { add(fact, hit, Int(hit.rule), key, $0, signals, &found) }
                }
            }
        }
        pending.removeAll()
        pendingHits = 0
        // Counted before the cap closes any: what the windows held at most.
        peakOpenWindows = max(peakOpenWindows, openWindows)
        if openWindows > engine.maxOpenWindows { evict(&found) }
        return found
    }

    /// Grouped by key, the hits read their facts all over the chunks' memory, and each read
    /// would wait for it: the fact a few hits ahead (`applyAhead`, `sortAhead`) is asked for
    /// early, its first line (`whole: false`: its time) or all of it. `factsAt` holds each
    /// pending chunk's facts' address, which serves only this hint (a hint never faults).
    @inline(__always)
    private static func prefetchFact(_ x: (chunk: Int32, hit: RuleHit), _ factsAt: [UnsafeRawPointer?], whole: Bool) {
        guard let facts = factsAt[Int(x.chunk)] else { return }
        let fact = facts + Int(x.hit.fact) * MemoryLayout<EventFact>.stride
        spoor_prefetch(fact)
        if whole { spoor_prefetch(fact + MemoryLayout<EventFact>.stride - 1) }
    }

    /// The account and source bytes a hit copies into its window when they are new to it
    /// (`update`): they lie in the arena far from the fact. Asked for `bytesAhead` hits
    /// ahead, when the fact itself, asked for `applyAhead` hits ahead, has arrived.
    @inline(__always)
    private static func prefetchBytes(_ x: (chunk: Int32, hit: RuleHit), _ chunks: UnsafeBufferPointer<ChunkSignals>) {
        let signals = chunks.baseAddress! + Int(x.chunk)
        let (account, source) = signals.pointee.facts.withUnsafeBufferPointer { ($0[Int(x.hit.fact)].account, $0[Int(x.hit.fact)].source) }
        let arena = signals.pointee.arena.base
        if account.count > 0 { spoor_prefetch(arena + Int(account.start)) }
        if source.count > 0 { spoor_prefetch(arena + Int(source.start)) }
    }

    /// Puts each key's hits of the batch in time order (of equal times, in arrival order).
    /// One file's events mostly come in order already, and are left as they are; the
    /// chunks of files merged by time (`InputFeed`) overlap by up to a chunk, and sorted
    /// they fill the windows that one file with all their events would.
    private func inTimeOrder(_ hits: inout [(chunk: Int32, hit: RuleHit)], _ factsAt: [UnsafeRawPointer?]) {
        pending.withUnsafeBufferPointer { chunks in
            func time(_ x: (chunk: Int32, hit: RuleHit)) -> Int64 {
                chunks[Int(x.chunk)].facts.withUnsafeBufferPointer { $0[Int(x.hit.fact)].time }
            }
            var start = 0
            while start < hits.count {
                let key = (hits[start].hit.rule, hits[start].hit.group)
                var end = start + 1, sorted = true
                if start + Self.sortAhead < hits.count { Self.prefetchFact(hits[start + Self.sortAhead], factsAt, whole: false) }
                var previous = time(hits[start])
                while end < hits.count, hits[end].hit.rule == key.0, hits[end].hit.group == key.1 {
                    if end + Self.sortAhead < hits.count { Self.prefetchFact(hits[end + Self.sortAhead], factsAt, whole: false) }
                    let t = time(hits[end])
                    if t < previous { sorted = false }
                    previous = t
                    end += 1
                }
                if !sorted {
                    var run = (start..<end).map { (time: time(hits[$0]), index: $0, item: hits[$0]) }
                    run.sort { ($0.time, $0.index) < ($1.time, $1.index) }
                    for (k, x) in run.enumerated() { hits[start + k] = x.item }
                }
                start = end
            }
        }
    }

    func finish() -> [Finding] {
        var found = flush()
        for (key, g) in groups.sorted(by: { ($0.key.rule, $0.value.text) < ($1.key.rule, $1.value.text) }) {
            g.windows.withUnsafeBufferPointer { w in
                for i in g.head..<w.count { if let f = evaluate(w.baseAddress! + i, key, g.text) { found.append(f) } }
            }
            g.dropWindows()
        }
        groups.removeAll()
        openWindows = 0
        return found
    }

    /// A group's windows are kept in order of their start: the ones a clock closes are a
    /// prefix, and the one an event most likely joins is the last.
    private func add(_ fact: UnsafePointer<EventFact>, _ hit: RuleHit, _ r: Int, _ key: Key, _ g: Group,
                     _ signals: UnsafePointer<ChunkSignals>, _ found: inout [Finding]) {
        let time = fact.pointee.time
        g.clock = max(g.clock, time)
        let timespan = engine.timespans[r]
        let reach = timespan + engine.lateness
        // The key's clock passed these windows' span and the allowed lateness: they are done,
        // unless this chunk fed one, or a recent chunk fed it late events. A file read after
        // another of the same days comes late for every key, and its windows would otherwise
        // close at each chunk's end and split into chunk-sized pieces (see `graceChunks`).
        if g.clock > g.expiry {
            // In place: the windows kept move ahead of the closed ones, which then leave in
            // one step (behind the head, or in one removal when some were kept).
            var end = g.head, kept = g.head
            let clock = g.clock
            g.windows.withUnsafeMutableBufferPointer { w in
                while end < w.count, w[end].start + reach < clock {
                    if w[end].lastUse < tick && w[end].lastLateUse < tick - Self.graceChunks {
                        if let f = evaluate(w.baseAddress! + end, key, g.text) { found.append(f) }
                        openWindows -= 1
                    } else {
                        w.swapAt(kept, end)
                        kept += 1
                    }
                    end += 1
                }
                for i in kept..<end { w[i].lists.free() }
            }
            if kept == g.head { g.closeOldest(upTo: end) } else { g.windows.removeSubrange(kept..<end) }
        }
        // The latest-starting window that the event fits (read in place: a copy of a window
        // would retain its sets and lists). None fits when the event is more than a timespan
        // after the latest start, which is the common case of a new window.
        let head = g.head
        let latest = g.hasOpenWindows ? g.windows.withUnsafeBufferPointer { $0[$0.count - 1].start } : .min   // (`.last` would copy the window)
        var index = time - timespan > latest ? -1 : g.windows.withUnsafeBufferPointer { windows in
            var i = windows.count - 1
            while i >= head {
                if max(windows[i].end, time) - min(windows[i].start, time) <= timespan { return i }
                i -= 1
            }
            return -1
        }
        if index < 0 {
            index = g.windows.count
            while index > head && g.windows.withUnsafeBufferPointer({ $0[index - 1].start > time }) { index -= 1 }
            // Most new windows start last: `append` adds in place, `insert` goes through the
            // generic replaceSubrange (about 500 instructions a call).
            if index == g.windows.count { g.windows.append(Window(start: time, end: time)) } else {
                g.windows.insert(Window(start: time, end: time), at: index)
            }
            openWindows += 1
        }
        update(&g.windows[index], fact, hit, r, signals)
        if time < g.clock - engine.lateness { g.windows[index].lastLateUse = tick }
        // A late event moves its window's start back: it may have to move left to stay in order.
        while index > head && g.windows.withUnsafeBufferPointer({ $0[index - 1].start > $0[index].start }) {
            g.windows.swapAt(index - 1, index)
            index -= 1
        }
        g.expiry = g.windows[head].start + reach
    }

    private func update(_ w: inout Window, _ fact: UnsafePointer<EventFact>, _ hit: RuleHit, _ r: Int,
                        _ signals: UnsafePointer<ChunkSignals>) {
        let f = fact.pointee
        w.start = min(w.start, f.time)
        w.end = max(w.end, f.time)
        w.count += 1
        w.lastUse = tick
        let countsAccounts = engine.countsAccounts[r]
        if hit.value != 0, !countsAccounts, w.values.count < Self.maxValues { w.values.insert(hit.value) }
        // Strings are made only for entries new to a list below its cap.
        if f.account.count > 0, w.lists.accountCount < Finding.listCap, !w.lists.hasAccount(f.accountHash) {
            w.lists.addAccount(f.accountHash, signals.pointee.bytes(f.account))
        }
        // (The value of an account is its hash | 1: see `KeyPlan`.)
        if countsAccounts, hit.value != 0, w.lists.accountCount >= Finding.listCap {
            if w.values.isEmpty { for e in w.lists.accounts { w.values.insert(e.hash | 1) } }
            if w.values.count < Self.maxValues { w.values.insert(hit.value) }
        }
        if f.source.count > 0, w.lists.sourceCount < Finding.listCap, !w.lists.hasSource(f.sourceHash) {
            w.lists.addSource(f.sourceHash, signals.pointee.bytes(f.source))
        }
        if w.lists.evidenceCount < Finding.listCap {
            if f.eventID.isAbsent { w.lists.addEvidence(f.evidence) } else {
                let rare = w.rare ?? Rare()
                w.rare = rare
                w.lists.addEvidence(EvidenceID(other: rare.otherEvidence.count))
                rare.otherEvidence.append(signals.pointee.string(f.eventID)!)
            }
        }
        if !f.actorID.isAbsent, w.rare?.actorID == nil {
            let rare = w.rare ?? Rare()
            w.rare = rare
            rare.actorID = signals.pointee.string(f.actorID)
            rare.actorName = signals.pointee.string(f.actorName)
        }
        if engine.sequences[r], w.marks.count < Self.maxMarks {
            w.marks.append((f.time, hit.steps))
        }
    }

    /// Closes the least recently used tenth of the windows (evaluating them).
    private func evict(_ found: inout [Finding]) {
        var all: [(use: Int, key: Key, index: Int)] = []
        for (key, g) in groups { for i in g.head..<g.windows.count { all.append((g.windows[i].lastUse, key, i)) } }
        all.sort { $0.use < $1.use }
        let n = max(1, openWindows - engine.maxOpenWindows + engine.maxOpenWindows / 10)
        var remove: [Key: Set<Int>] = [:]
        for item in all.prefix(n) { remove[item.key, default: []].insert(item.index) }
        for (key, indices) in remove {
            guard let g = groups[key] else { continue }
            for i in indices.sorted(by: >) {
                if let f = g.windows.withUnsafeBufferPointer({ evaluate($0.baseAddress! + i, key, g.text) }) { found.append(f) }
                g.windows[i].lists.free()
                g.windows.remove(at: i)
                openWindows -= 1
            }
            if !g.hasOpenWindows { groups[key] = nil }
        }
    }

    // MARK: - Keys and evaluation

    /// Rule `rule`'s group key as findings show it: `field=value` pairs joined by `, `.
    func groupText(_ rule: Int, _ fact: EventFact, _ signals: ChunkSignals) -> String {
        var out = ""
        for (i, p) in engine.groupParts[rule].enumerated() {
            if i > 0 { out += ", " }
            out += p.label + (value(p.key, p.column, fact, signals) ?? "")
        }
        return out
    }

    /// One key's value for the fact, as text.
    func value(_ key: KeyRef, _ column: Int, _ fact: EventFact, _ signals: ChunkSignals) -> String? {
        switch key {
        case .account: return signals.string(fact.account)
        case .field: return column >= 0 ? signals.string(signals.columns[Int(fact.columns) + column].bytes) : nil
        case .prefix(_, let bits):
            guard column >= 0, let ip = signals.string(signals.columns[Int(fact.columns) + column].bytes) else { return nil }
            return Self.network(ip, bits: bits)
        }
    }

    /// The network address of `ip`'s first `bits` bits (IPv4 bits count within IPv4).
    static func network(_ ip: String, bits: Int) -> String? {
        if let v4 = withBytes(of: ip, { $0.ipv4 }) {
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

    /// The window's finding, if its rule's condition holds (read in place: a copy of the
    /// window would retain its sets and lists).
    func evaluate(_ window: UnsafePointer<Window>, _ key: Key, _ group: String) -> Finding? {
        // Read in place: a copy of the rule retains and releases its strings and lists for
        // each window closed (most of them hold too few events to be a finding).
        engine.rules.withUnsafeBufferPointer { evaluate(window, key, group, rule: $0.baseAddress! + Int(key.rule)) }
    }

    private func evaluate(_ window: UnsafePointer<Window>, _ key: Key, _ group: String,
                          rule r: UnsafePointer<CorrelationRule>) -> Finding? {
        let distinct = r.pointee.kind == .valueCount ? window.pointee.distinctValues(countsAccounts: engine.countsAccounts[Int(key.rule)]) : 0
        let holds: Bool
        switch r.pointee.kind {
        case .eventCount: holds = r.pointee.holds(window.pointee.count)
        case .valueCount: holds = r.pointee.holds(distinct)
        case .temporal, .temporalOrdered:
            holds = Self.sequenceHolds(r.pointee, window.pointee.marks) && (r.pointee.conditions.isEmpty || r.pointee.holds(window.pointee.count))
        }
        guard holds else { return nil }
        let actor = r.pointee.actor.flatMap { engine.actors[$0] }
        let actorID = actor.map { $0.mitre ?? $0.id } ?? window.pointee.rare?.actorID
        let seed = r.pointee.id + "\u{1}" + group + "\u{1}" + String(window.pointee.start)
        let hash = withBytes(of: seed) { (Hash.mix(Hash.fnv1a($0)), Hash.mix(Hash.fnv1a($0, seed: 0x9e37_79b9))) }
        return Finding(id: Hash.hex(hash), ruleID: r.pointee.id, title: r.pointee.title, actorID: actorID,
                       actorName: actor?.name ?? window.pointee.rare?.actorName, technique: r.pointee.technique, level: r.pointee.level,
                       kind: r.pointee.kind.rawValue, groupKey: group, windowStart: window.pointee.start, windowEnd: window.pointee.end,
                       eventCount: window.pointee.count, valueCount: distinct,
                       accounts: window.pointee.lists.accounts.map { window.pointee.lists.string($0) },
                       sources: window.pointee.lists.sources.map { window.pointee.lists.string($0) },
                       evidence: window.pointee.lists.evidence.map { $0.text(window.pointee.rare?.otherEvidence ?? []) },
                       evidenceTotal: window.pointee.count)
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
