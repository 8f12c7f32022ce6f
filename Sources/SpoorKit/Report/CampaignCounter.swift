/// The campaign tally as a worker keeps it while events flow: the same classification and
/// counts as `CampaignTally` (the contract of `spoor report`), kept on ids of interned values
/// (`CampaignValues`). An event that counts costs a few hashes of its values' bytes and of
/// small integers, no `String`; text is made once per distinct value, and the counts become
/// a `CampaignTally` once, when the worker hands them over (`tally`).
///
/// The pipeline streams megabytes between two events of one source, so each lookup of the
/// counter misses the cache. Events are therefore classified as they are committed, and the
/// counted ones recorded in groups: the lines a group's lookups read are read first, one
/// stage at a time for the whole group, so that their misses overlap (`recordPending`).
///
/// One per worker thread (`ChunkWorker`), which calls `addLast` for each committed event and
/// `flush` at the end of each batch; not thread-safe.
struct CampaignCounter {
    private var values = CampaignValues()
    /// The account key as logged (`user.email`, else `user.name@user.domain`, else
    /// `user.name`) → the account as compared (`CampaignTally.account`), as a value.
    private var accountKeys = ByteInterner<CampaignValues.Value>()
    private var actors: [Counts] = []
    private var sources: [Counts] = []
    /// Value class → index in `actors` / `sources` (-1: none yet), grown with the values.
    private var actorOf: [Int32] = []
    private var sourceOf: [Int32] = []
    /// Counted events of the current batch not recorded yet, and the slot of each field they
    /// read (`Captured.count` for each, -1 for none).
    private var pending: [Pending] = []
    private var pendingFields: [Int32] = []
    private var resolved: [Resolved] = []
    /// Where the loads that only bring lines into the cache go, so that they are kept.
    private var sink: UInt64 = 0
    /// Events recorded together: enough misses to overlap, few enough lines to stay cached.
    private static let groupSize = 32

    /// The counts as the tally holds them (after the last `flush`).
    var tally: CampaignTally {
        precondition(pending.isEmpty, "campaign counter read before its last flush")
        var t = CampaignTally()
        var signInsOf: [Owner: [(account: Int32, signIn: SignIn)]] = [:]
        firstSignIn.forEach { key, i in
            let (owner, account) = Self.signInKey(key)
            signInsOf[owner, default: []].append((account, signIns[Int(i)]))
        }
        func counts(_ c: Counts, _ owner: Owner) -> CampaignTally.Counts {
            var out = c.counts(values)
            for (account, x) in signInsOf[owner] ?? [] {
                guard let form = c.compromised.value(account) else { continue }
                out.compromises[values.strings[Int(form)]] = .init(time: x.time, source: x.ip < 0 ? "" : values.strings[Int(x.ip)],
                                                                   event: x.event.text(values.strings))
            }
            return out
        }
        t.actors.reserveCapacity(actors.count)
        t.sources.reserveCapacity(sources.count)
        for (i, a) in actors.enumerated() { t.actors[values.strings[Int(a.key)]] = counts(a, Owner(actor: true, index: Int32(i))) }
        for (i, s) in sources.enumerated() { t.sources[values.strings[Int(s.key)]] = counts(s, Owner(actor: false, index: Int32(i))) }
        return t
    }

    /// Each compromised account's first successful sign-in in each counts: one map for the
    /// worker, so that a source (most have one login) costs an entry, not two containers.
    /// Keyed by owner and account class (`signInKey`) → index in `signIns`.
    private var firstSignIn = IDMap<Int64>()
    private var signIns: [SignIn] = []
    /// The stream part of the last event id read (see `EvidenceID`).
    private var lastStream: (text: (UInt64, UInt64), value: UInt64) = ((.max, .max), 0)

    /// A sign-in: its time, its address (a value id) and its event id (an id of another
    /// form is a value id: `EvidenceID.text` reads it from the value strings).
    private struct SignIn {
        var time: Int64
        var ip: Int32
        var event: EvidenceID
    }

    /// Whose counts: an actor's or a source's, by index in `actors` or `sources`.
    private struct Owner: Hashable {
        var actor: Bool
        var index: Int32
    }

    /// An account class in one owner's counts, as one number: the actor flag, the index
    /// and the class (both non-negative `Int32`s) in bits 62, 31...61 and 0...30.
    private static func signInKey(_ owner: Owner, account: Int32) -> Int64 {
        (owner.actor ? 1 << 62 : 0) | Int64(owner.index) << 31 | Int64(account)
    }

    private static func signInKey(_ key: Int64) -> (owner: Owner, account: Int32) {
        (Owner(actor: key >> 62 != 0, index: Int32(truncatingIfNeeded: key >> 31 & 0x7FFF_FFFF)),
         Int32(truncatingIfNeeded: key & 0x7FFF_FFFF))
    }

    /// Keeps the event if it is the first successful sign-in of its account in its counts
    /// (of two at one time, the smaller event id, as `CampaignTally.Counts.Compromise` merges).
    private mutating func noteCompromise(_ x: Resolved) {
        let key = Self.signInKey(Owner(actor: x.actor, index: x.index), account: x.e.account.cls)
        let time = x.e.timestamp
        let index = firstSignIn.value(key)
        // A later sign-in of an account already kept (most repeats) reads no id.
        if let index, time > signIns[Int(index)].time { return }
        let event = EvidenceID(compact: x.e.eventID, last: &lastStream) ?? EvidenceID(other: Int(values.value(x.e.eventID).id))
        let signIn = SignIn(time: time, ip: x.e.ip.id, event: event)
        guard let index else {
            _ = firstSignIn.insert(key, Int32(signIns.count))
            signIns.append(signIn)
            return
        }
        let kept = signIns[Int(index)]
        if time < kept.time || event.text(values.strings) < kept.event.text(values.strings) { signIns[Int(index)] = signIn }
    }

    /// Whether the event just committed to `builder` may count: each class of `classify`
    /// needs an authentication, a recipient check or an account lookup (the predicates
    /// below, which it uses). Most events are none of them, and two lookups spare them the
    /// read of every field.
    @inline(__always)
    static func mayCount(_ builder: EventBuilder) -> Bool {
        if let category = builder.value(of: .eventCategory), isAuthentication(category) { return true }
        guard let action = builder.value(of: .eventAction) else { return false }
        return isRecipientCheck(action) || isAccountLookup(action)
    }

    @inline(__always) static func isAuthentication(_ category: Bytes) -> Bool { category.equals("authentication") }
    @inline(__always) static func isRecipientCheck(_ action: Bytes) -> Bool { action.equals("recipient-check") }
    @inline(__always) static func isAccountLookup(_ action: Bytes) -> Bool { action.equals("account-lookup") }

    /// Classifies the builder's last committed event (the worker calls it as each event is
    /// committed, while its values are in the cache); a counted one is recorded with its group.
    @inline(__always)
    mutating func addLast(of builder: EventBuilder) {
        builder.withLastEvent { index, event, r in
            classify(index, event, r)
            if pending.count >= Self.groupSize { drain(r) }
        }
    }

    /// Records the counted events of `batch` not recorded yet: before the batch is reset.
    mutating func flush(_ batch: EventBatch) {
        guard !pending.isEmpty else { return }
        batch.withReader { r in drain(r) }
    }

    /// Records the pending events, and empties the list.
    private mutating func drain(_ r: BatchReader) {
        recordPending(r)
        pending.removeAll(keepingCapacity: true)
        pendingFields.removeAll(keepingCapacity: true)
    }

    /// Failure reasons of a checked credential (compared on bytes, no String per event).
    @inline(__always)
    static func isAttackReason(_ r: Bytes) -> Bool {
        r.equals("bad_password") || r.equals("locked") || r.equals("disabled") || r.equals("expired")
            || r.equals("mfa_required") || r.equals("mfa_failed")
    }

    /// Where `classify` keeps the slot of each field it reads (0: a field it does not read).
    private enum Captured: Int {
        case action = 1, category, outcome, reason, exists, email, name, domain, group, groupName, ip, asn, asName, country,
             agent, rule, eventID
        static let count = 18
        /// By `Field.rawValue`.
        static let table: [UInt8] = {
            var t = [UInt8](repeating: 0, count: 256)
            let fields: [(Field, Captured)] = [
                (.eventAction, .action), (.eventCategory, .category), (.eventOutcome, .outcome), (.eventReason, .reason),
                (.userExists, .exists), (.userEmail, .email), (.userName, .name), (.userDomain, .domain),
                (.threatGroupID, .group), (.threatGroupName, .groupName), (.sourceIP, .ip), (.sourceASNumber, .asn),
                (.sourceASOrganization, .asName), (.sourceGeoCountry, .country), (.userAgent, .agent), (.ruleID, .rule),
                (.eventID, .eventID),
            ]
            for (f, c) in fields { t[Int(f.rawValue)] = UInt8(c.rawValue) }
            return t
        }()
    }

    private let captured = Captured.table

    /// Classifies one event on bytes (the rules of CAMPAIGN.md); a counted one waits in
    /// `pending` with the slots of its fields and the hashes of its address and account.
    @inline(__always)
    private mutating func classify(_ index: Int32, _ event: EventHeader, _ r: BatchReader) {
        let slots = r.slots(of: event)
        // One pass, no branch per slot: the index of the last slot of each field read (the
        // value a field set twice keeps), -1 when the event has none.
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: Captured.count) { at in
            at.initialize(repeating: -1)
            captured.withUnsafeBufferPointer { table in
                for i in slots.indices { at[Int(table[Int(slots[i].field.rawValue)])] = Int32(i) }
            }
            let f = Fields(r: r, slots: slots, at: UnsafeBufferPointer(at))
            let none = Bytes(start: nil, count: 0)
            let action = f.bytes(.action) ?? none, category = f.bytes(.category) ?? none
            let outcome = f.bytes(.outcome) ?? none, reason = f.bytes(.reason) ?? none
            let exists = f.number(.exists).map { $0 != 0 }
            let unknownUser = reason.equals("unknown_user")
            let authentication = Self.isAuthentication(category)
            // Each class needs one of `mayCount`'s predicates: a class without one would be
            // dropped by the worker's first look (a test checks every combination).
            let probe = (Self.isRecipientCheck(action) && (unknownUser || outcome.equals("success")))
                || Self.isAccountLookup(action)
                || (authentication && unknownUser)
            // An attack checks a credential of an account that exists: the directory decides
            // when one is loaded, the log's own word otherwise.
            let success = outcome.equals("success")
            let attack = authentication && (exists ?? !unknownUser)
                && (success || (outcome.equals("failure") && Self.isAttackReason(reason)))
            guard probe || attack else { return }
            let keyHash = Self.withAccountKey(f) { ByteInterner<CampaignValues.Value>.hash($0) }
            pending.append(Pending(event: index, probe: probe, attack: attack, success: success,
                                   ipHash: ByteInterner<Int32>.hash(f.bytes(.ip) ?? none), keyHash: keyHash))
            pendingFields.append(contentsOf: at)
        }
    }

    /// The fields of one event, by the slots `classify` found.
    private struct Fields {
        let r: BatchReader
        let slots: UnsafeBufferPointer<Slot>
        let at: UnsafeBufferPointer<Int32>

        @inline(__always)
        func bytes(_ c: Captured) -> Bytes? {
            let i = at[c.rawValue]
            return i < 0 ? nil : r.bytes(slots[Int(i)])
        }

        @inline(__always)
        func number(_ c: Captured) -> Int64? {
            let i = at[c.rawValue]
            return i < 0 ? nil : slots[Int(i)].value
        }
    }

    /// A counted event waiting for its group.
    private struct Pending {
        var event: Int32
        var probe, attack, success: Bool
        var ipHash, keyHash: UInt64
    }

    /// A pending event with its values, and the counts it goes to.
    private struct Resolved {
        var e: Event
        var actor: Bool
        var index: Int32
    }

    /// Records the pending events in stages, each over the whole group: read the lines of
    /// the value lookups, look the values up; read the lines of the counts, then of their
    /// account maps; count. Each stage's reads do not depend on each other, so the CPU
    /// keeps their misses in flight together.
    private mutating func recordPending(_ r: BatchReader) {
        var touched: UInt64 = 0
        for p in pending { touched &+= values.touch(p.ipHash) &+ accountKeys.touch(p.keyHash) }
        resolved.removeAll(keepingCapacity: true)
        pendingFields.withUnsafeBufferPointer { all in
            for (n, p) in pending.enumerated() {
                resolved.append(resolve(p, fields: fields(n, r, all)))
            }
        }
        for x in resolved {
            touched &+= x.actor ? Self.touch(actors, Int(x.index)) : Self.touch(sources, Int(x.index))
        }
        for x in resolved where x.e.account.id >= 0 {
            let c = x.e.account.cls
            touched &+= UInt64(bitPattern: Int64(x.actor
                ? actors[Int(x.index)].probed.touch(c) &+ actors[Int(x.index)].attacked.touch(c)
                : sources[Int(x.index)].probed.touch(c) &+ sources[Int(x.index)].attacked.touch(c)))
        }
        sink ^= touched
        pendingFields.withUnsafeBufferPointer { all in
            for (n, x) in resolved.enumerated() {
                let f = fields(n, r, all)
                let asName = f.bytes(.asName), country = f.bytes(.country)
                // Mutated in place: a copy of the counts would copy their maps on every event.
                if x.actor {
                    Self.record(x.e, asName: asName, country: country, values: &values, into: &actors[Int(x.index)])
                } else {
                    Self.record(x.e, asName: asName, country: country, values: &values, into: &sources[Int(x.index)])
                }
                if x.e.attack && x.e.success && x.e.account.id >= 0 { noteCompromise(x) }
            }
        }
    }

    @inline(__always)
    private func fields(_ n: Int, _ r: BatchReader, _ all: UnsafeBufferPointer<Int32>) -> Fields {
        let slots = r.slots(of: r.events[Int(pending[n].event)])
        return Fields(r: r, slots: slots, at: UnsafeBufferPointer(rebasing: all[n * Captured.count..<(n + 1) * Captured.count]))
    }

    /// The values of a pending event, and its counts (made on their first event).
    @inline(__always)
    private mutating func resolve(_ p: Pending, fields f: Fields) -> Resolved {
        let none = Bytes(start: nil, count: 0)
        let account = Self.withAccountKey(f) { key in self.account(key: key, hash: p.keyHash, f) }
        let ip = values.value(f.bytes(.ip) ?? none, hash: p.ipHash)
        let e = Event(probe: p.probe, attack: p.attack, success: p.success, timestamp: f.r.events[Int(p.event)].timestamp,
                      account: account, ip: ip, asn: f.number(.asn), agent: f.bytes(.agent).map { values.value($0) } ?? .none,
                      rule: f.bytes(.rule).map { values.value($0) } ?? .none, eventID: f.bytes(.eventID) ?? none)
        let group = f.bytes(.group) ?? none
        if group.count == 0 {
            let i = Self.index(of: ip.cls, values: values.count, in: &sourceOf, &sources) { Counts(key: ip.id) }
            return Resolved(e: e, actor: false, index: Int32(i))
        }
        let g = values.value(group)
        let i = Self.index(of: g.cls, values: values.count, in: &actorOf, &actors) {
            var aliases: [String] = []
            for s in f.slots where s.field == .threatGroupAlias { aliases.append(f.r.bytes(s).string) }
            return Counts(key: g.id, name: f.bytes(.groupName)?.string, aliases: aliases)
        }
        return Resolved(e: e, actor: true, index: Int32(i))
    }

    /// Where the fields of `Counts` that every event updates end (they come first).
    private static let hotBytes = MemoryLayout<Counts>.offset(of: \Counts.key) ?? MemoryLayout<Counts>.size

    /// Reads every cache line of the fields of `counts[i]` that every event updates.
    @inline(__always)
    private static func touch(_ counts: [Counts], _ i: Int) -> UInt64 {
        counts.withUnsafeBytes { raw in
            let p = raw.baseAddress! + i * MemoryLayout<Counts>.stride
            var sum: UInt64 = 0
            var o = 0
            while o < hotBytes {
                sum &+= UInt64(p.load(fromByteOffset: o, as: UInt8.self))
                o += 64
            }
            return sum
        }
    }

    /// What `record` needs of a counted event (`.none` for a value it does not name).
    private struct Event {
        var probe, attack, success: Bool
        var timestamp: Int64
        var account, ip: CampaignValues.Value
        var asn: Int64?
        var agent, rule: CampaignValues.Value
        /// The event's `event.id` (read only for a compromise).
        var eventID: Bytes
    }

    /// The counts of value class `c`, made by `make` on its first event.
    @inline(__always)
    private static func index(of c: Int32, values: Int, in map: inout [Int32], _ counts: inout [Counts],
                              _ make: () -> Counts) -> Int {
        if Int(c) >= map.count { map.append(contentsOf: repeatElement(-1, count: values - map.count)) }
        if map[Int(c)] < 0 {
            map[Int(c)] = Int32(counts.count)
            counts.append(make())
        }
        return Int(map[Int(c)])
    }

    @inline(__always)
    private static func record(_ e: Event, asName: Bytes?, country: Bytes?, values: inout CampaignValues, into a: inout Counts) {
        if e.probe {
            a.probeAttempts += 1
            if e.account.id >= 0 && e.account.cls != a.lastProbed {
                _ = a.probed.insert(e.account.cls, e.account.id)
                a.lastProbed = e.account.cls
            }
        }
        if e.attack {
            a.attackAttempts += 1
            if !e.success { a.failedAttacks += 1 }
            if e.account.id >= 0 && e.account.cls != a.lastAttacked {
                _ = a.attacked.insert(e.account.cls, e.account.id)
                a.lastAttacked = e.account.cls
            }
            if e.account.id >= 0 && e.success { _ = a.compromised.insert(e.account.cls, e.account.id) }
        }
        a.firstSeen = min(a.firstSeen, e.timestamp)
        a.lastSeen = max(a.lastSeen, e.timestamp)
        if e.ip.cls != a.openClass { a.openSource(e.ip.cls, form: e.ip.id) }
        a.open.events += 1
        if a.open.asn == nil { a.open.asn = e.asn }
        if a.open.country < 0, let country { a.open.country = values.value(country).id }
        if a.open.rule < 0 { a.open.rule = e.rule.id }
        if let asn = e.asn, let asName, asn != a.lastASN {
            if a.asNames.index(forKey: asn) == nil { a.asNames[asn] = values.value(asName).id }
            a.lastASN = asn
        }
        if e.agent.id >= 0 {
            if let i = a.agents.value(e.agent.cls) {
                a.agentList[Int(i)].count += 1
            } else if a.agents.count < CampaignTally.Counts.maxUserAgents {
                _ = a.agents.insert(e.agent.cls, Int32(a.agentList.count))
                a.agentList.append(Counts.Tagged(form: e.agent.id, count: 1))
            }
        }
        if e.rule.id >= 0 {
            let (i, isNew) = a.rules.insert(e.rule.cls, Int32(a.ruleList.count))
            if isNew { a.ruleList.append(Counts.Tagged(form: e.rule.id)) }
            a.ruleList[Int(i)].count += 1
        }
        // A day number fits in 32 bits for any Int64 of microseconds (±1.07e8 days).
        let day = Int32(e.timestamp >= 0 ? e.timestamp / 86_400_000_000 : (e.timestamp + 1) / 86_400_000_000 - 1)
        if day != a.openDay { a.openDay(day) }
        if e.probe { a.openDayCounts.probes += 1 }
        if e.attack { a.openDayCounts.attacks += 1 }
        if e.attack && e.success { a.openDayCounts.compromises += 1 }
    }

    /// Runs `body` on the account key as logged: `user.email`, else `user.name@user.domain`
    /// (the text `CampaignTally.account` joins, so the key decides the account), else
    /// `user.name`; empty when the event names none.
    @inline(__always)
    private static func withAccountKey<R>(_ f: Fields, _ body: (Bytes) -> R) -> R {
        let none = Bytes(start: nil, count: 0)
        let email = f.bytes(.email) ?? none, name = f.bytes(.name) ?? none, domain = f.bytes(.domain) ?? none
        if email.count > 0 { return body(email) }
        guard domain.count > 0, name.count > 0, name.firstIndex(of: 0x40) == nil else { return body(name) }
        return withUnsafeTemporaryAllocation(byteCount: name.count + 1 + domain.count, alignment: 1) { key in
            key.baseAddress!.copyMemory(from: name.baseAddress!, byteCount: name.count)
            key[name.count] = 0x40
            (key.baseAddress! + name.count + 1).copyMemory(from: domain.baseAddress!, byteCount: domain.count)
            return body(Bytes(key))
        }
    }

    /// The account of `key` as the report compares it (`CampaignTally.account`), normalized
    /// once per distinct key.
    @inline(__always)
    private mutating func account(key: Bytes, hash: UInt64, _ f: Fields) -> CampaignValues.Value {
        guard key.count > 0 else { return .none }
        if let (_, known) = accountKeys.find(key, hash: hash) { return known }
        let none = Bytes(start: nil, count: 0)
        let text = CampaignTally.account(email: (f.bytes(.email) ?? none).string, name: (f.bytes(.name) ?? none).string,
                                         domain: (f.bytes(.domain) ?? none).string)
        let account = text.isEmpty ? CampaignValues.Value.none : values.value(text: text)
        _ = accountKeys.add(key, account)
        return account
    }
}
