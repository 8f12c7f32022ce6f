import SpoorKit

/// The attribution stage: on every event, the first indicator rule that matches sets
/// `threat.group.id/name/alias`, `rule.id` and `labels.confidence`. Stateless; rules are
/// loaded once (`--rules DIR`). Runs after the enrichers, so it can match the AS number they
/// set.
public final class IndicatorAttributor: Enricher {
    public static let manifest = PluginManifest(
        id: "attribution", kind: .enricher, version: "1.0.0",
        summary: "Indicator rules (IP/CIDR, ASN, domains, senders, user agents, subjects, STIX bundles) and Sigma rules → threat.*, rule.id, labels.rules",
        options: [OptionSpec("rules", .string, "The rules directory (actors and indicators, *.yaml).")])

    public let rules: RuleSet

    public convenience init(config: PluginConfig) throws {
        guard let dir = config.string("rules") else {
            throw ConfigError(origin: config.origin, message: "the attribution stage needs a rules directory", hint: "--rules DIR")
        }
        self.init(rules: try RuleSet.load(directory: dir))
    }

    public init(rules: RuleSet) {
        self.rules = rules
        plan = rules.selections.isEmpty ? nil : DetectionPlan(rules: rules)
        behaviour = rules.correlations.isEmpty ? nil : rules.behaviour
        borrowedPlan = plan.map { Unmanaged.passUnretained($0) }
        hasNetworks = !rules.stix.networks.isEmpty || rules.indicators.contains { !$0.networks.isEmpty }
        domainHashes = Set(rules.stix.domains.keys.map { key in withBytes(of: key) { Hash.fnv1a($0) } })
        emailHashes = Set(rules.stix.emails.keys.map { key in withBytes(of: key) { Hash.fnv1a($0) } })
        var table = Attribution.Table()
        indicatorAttributions = rules.indicators.map { table.attribution(rules.actors, actor: $0.actor, rule: $0.id, confidence: $0.confidence) }
        stixAttributions = rules.stix.entries.map { table.attribution(rules.actors, actor: $0.actor, rule: $0.ruleID, confidence: $0.confidence) }
        stixLabels = zip(rules.stix.entries, stixAttributions).map { entry, a in
            a == nil ? nil : StableText(Self.stixLabelKey + entry.stixID)
        }
        selectionAttributions = rules.selections.map {
            table.attribution(rules.actors, actor: $0.actor, rule: $0.id, confidence: $0.level ?? "medium")
        }
    }

    /// What each indicator rule, STIX entry and detection rule writes when it attributes an
    /// event (nil: its actor is not known).
    private let indicatorAttributions: [Attribution?]
    private let stixAttributions: [Attribution?]
    private let selectionAttributions: [Attribution?]
    /// Per STIX entry that attributes, its `labels` entry: the key, then the indicator's id.
    private let stixLabels: [StableText?]
    private static let stixLabelKey = "stix.indicator"

    /// The detection rules as evaluated per event (nil: there are none).
    let plan: DetectionPlan?
    /// The behaviour rules, whose facts are taken as events are classified (nil: none).
    private let behaviour: BehaviourEngine?
    /// `plan`, borrowed: handing it on per event retains nothing.
    private let borrowedPlan: Unmanaged<DetectionPlan>?
    /// Whether any rule lists networks (else source addresses are not looked up).
    private let hasNetworks: Bool

    /// The hashes of the STIX domains: an event's domain (and each parent) is looked up as a
    /// `String` only when its hash is one of them.
    private let domainHashes: Set<UInt64>
    /// The same for the STIX e-mail addresses (the sender).
    private let emailHashes: Set<UInt64>

    /// `mayHoldDomain(_:)`, remembered per worker for short domains (a mail provider's own few).
    @inline(__always)
    private func mayHoldDomain(_ domain: Bytes, _ state: WorkerState) -> Bool {
        let probe = state.domains.probe(group: 0, domain)
        if let probe, let known = state.domains.remembered(probe) { return known != 0 }
        let r = mayHoldDomain(domain)
        if let probe { state.domains.store(probe, r ? 1 : 0) }
        return r
    }

    /// Whether `domain` or a parent of it may be a STIX domain (false: surely none is).
    /// ASCII only; other bytes answer true (the exact lookup lower-cases them as text).
    private func mayHoldDomain(_ domain: Bytes) -> Bool {
        let n = domain.count
        guard n > 0, n <= DomainSuffixes.longest, !domain.contains(where: { $0 >= 0x80 }) else { return n > 0 }
        return DomainSuffixes.anySuffix(of: domain) { !$0.isEmpty && domainHashes.contains(Hash.fnv1a($0)) }
    }

    /// Whether the sender may be a STIX e-mail address (false: surely it is not); as above.
    private func mayHoldEmail(_ address: Bytes) -> Bool {
        guard address.count <= DomainSuffixes.longest, !address.contains(where: { $0 >= 0x80 }) else { return true }
        return address.withASCIILowercased { emailHashes.contains(Hash.fnv1a($0)) }
    }

    /// One worker's state of the attribution stage (a `ParseContext` state).
    final class WorkerState {
        static let key = "spoor.rules.attribution"
        let detection: DetectionState?
        /// `detection`, borrowed: handing it on per event retains nothing.
        let borrowedDetection: Unmanaged<DetectionState>?
        /// Per source address (short ones), what the tries say: see `AddressVerdict`.
        let addresses = ValueMemo(groups: 1, ways: 4096)
        /// Per domain (short ones), whether it or a parent may be a STIX domain.
        let domains = ValueMemo(groups: 1, ways: 256)
        /// The facts of the current chunk's events that feed a behaviour rule.
        let facts: FactCollector?
        /// `facts`, borrowed.
        let borrowedFacts: Unmanaged<FactCollector>?
        init(plan: DetectionPlan?, behaviour: BehaviourEngine?) {
            detection = plan.map { DetectionState(plan: $0) }
            borrowedDetection = detection.map { Unmanaged.passUnretained($0) }
            facts = behaviour.map { FactCollector(engine: $0) }
            borrowedFacts = facts.map { Unmanaged.passUnretained($0) }
        }
    }

    /// What the tries say of one address: the first indicator rule whose networks hold it
    /// and the STIX entry of the longest prefix holding it (each -1: none).
    struct AddressVerdict {
        var rule: Int
        var stix: Int
        init(rule: Int, stix: Int) { self.rule = rule; self.stix = stix }
        init(_ packed: UInt64) { rule = Int(packed & 0xFFFF_FFFF) - 1; stix = Int(packed >> 32) - 1 }
        var packed: UInt64 { UInt64(rule + 1) | UInt64(stix + 1) << 32 }
    }

    private func verdict(_ ip: Bytes) -> AddressVerdict {
        var address = (UInt64(0), UInt64(0))
        guard CIDRTrie.parse(ip, into: &address) else { return AddressVerdict(rule: -1, stix: -1) }
        var v = AddressVerdict(rule: -1, stix: -1)
        rules.indicators.withUnsafeBufferPointer { list in
            for i in list.indices where list[i].networks.lookup(address: address) != nil { v.rule = i; break }
        }
        if let label = rules.stix.networks.lookup(address: address), let i = Int(label) { v.stix = i }
        return v
    }

    public func enrich(_ event: EventBuilder, context: ParseContext) {
        context.withState(for: WorkerState.key, make: { WorkerState(plan: plan, behaviour: behaviour) }) { enrich(event, $0, context) }
    }

    @inline(__always)
    private func enrich(_ event: EventBuilder, _ state: WorkerState, _ context: ParseContext) {
        // The tries are asked once per address, and a recurring address not at all.
        var addresses = AddressVerdict(rule: -1, stix: -1)
        if hasNetworks, let ip = event.value(of: .sourceIP) {
            let probe = state.addresses.probe(group: 0, ip)
            if let probe, let known = state.addresses.remembered(probe) { addresses = AddressVerdict(known) } else {
                addresses = verdict(ip)
                if let probe { state.addresses.store(probe, addresses.packed) }
            }
        }
        var attributed = false
        rules.indicators.withUnsafeBufferPointer { list in
            for i in list.indices where i == addresses.rule || matches(list.baseAddress! + i, event) {
                guard let a = indicatorAttributions[i] else { continue }
                attribute(event, a, context)
                attributed = true
                break
            }
        }
        if !attributed, !rules.stix.isEmpty, let hit = stixMatch(event, addresses.stix, state), let a = stixAttributions[hit] {
            attribute(event, a, context)
            if let entry = stixLabels[hit] { event.label(entry: entry.bytes, keyLength: Self.stixLabelKey.utf8.count) }
            attributed = true
        }
        if let plan = borrowedPlan, let detection = state.borrowedDetection {
            plan._withUnsafeGuaranteedRef { plan in
                detection._withUnsafeGuaranteedRef { select(event, plan, $0, state.borrowedFacts, context, attributed: attributed) }
            }
        }
    }

    private func attribute(_ event: EventBuilder, _ a: Attribution, _ context: ParseContext) {
        event.attribute(a)
        context.note("attributed to \(a.groupName.text) by rule '\(a.rule.text)'")
    }

    /// Applies the Sigma detection rules: records the event's outcome for the behaviour rules
    /// (by the index the event gets in the batch), lists the matching rules in `labels.rules`,
    /// sets `threat.technique.id` from the first matching rule's tags, attributes the event
    /// when a matching rule names an actor and nothing attributed it yet, and then, when the
    /// event feeds a behaviour rule, copies what the rule needs of it (`facts`).
    private func select(_ event: EventBuilder, _ plan: DetectionPlan, _ state: DetectionState, _ facts: Unmanaged<FactCollector>?,
                        _ context: ParseContext, attributed: Bool) {
        let o = state.outcome(state.classify(event, index: event.pendingIndex, context.scratch))
        guard !o.pointee.rules.isEmpty else { return }
        event.label(entry: o.pointee.labelEntry, keyLength: DetectionState.Decided.labelKey.utf8CodeUnitCount)
        if let t = o.pointee.technique, !event.has(.threatTechniqueID) { event.set(.threatTechniqueID, stable: t) }
        if !attributed, o.pointee.actorRule >= 0, let a = selectionAttributions[Int(o.pointee.actorRule)] {
            attribute(event, a, context)
        }
        if context.trace != nil { for r in o.pointee.rules { context.note("rule '\(plan.selections[Int(r)].id)' matched") } }
        if let facts, !o.pointee.hits.isEmpty, context.takesSignals {
            facts._withUnsafeGuaranteedRef { $0.add(event, index: event.pendingIndex, stream: context.streamID) }
        }
    }

    /// The STIX indicator that matches the event and holds at its time, if any.
    /// `network`: the entry the source address's longest prefix names (-1: none).
    func stixMatch(_ e: EventBuilder, _ network: Int, _ state: WorkerState) -> Int? {
        // `rules.stix` is read in place throughout: a copy would retain its tables per event.
        let time = e.number(of: .timestamp) ?? 0
        if network >= 0, rules.stix.entries[network].holds(at: time) { return network }
        if !rules.stix.asns.isEmpty, let asn = e.number(of: .sourceASNumber), let list = rules.stix.asns[asn],
           let i = list.first(where: { rules.stix.entries[$0].holds(at: time) }) { return i }
        if !rules.stix.emails.isEmpty, let from = e.value(of: .emailFrom), mayHoldEmail(from),
           let list = rules.stix.emails[from.string.lowercased()],
           let i = list.first(where: { rules.stix.entries[$0].holds(at: time) }) { return i }
        if !rules.stix.domains.isEmpty {
            // The source's host, the account's domain, the sender's domain (no array per event).
            func lookup(_ c: Bytes?) -> Int? {
                guard let c, mayHoldDomain(c, state) else { return nil }
                var d = Substring(c.string.lowercased())
                while !d.isEmpty {
                    if let list = rules.stix.domains[String(d)], let i = list.first(where: { rules.stix.entries[$0].holds(at: time) }) { return i }
                    guard let dot = d.firstIndex(of: ".") else { break }
                    d = d[d.index(after: dot)...]
                }
                return nil
            }
            if let i = lookup(e.value(of: .sourceDomain)) ?? lookup(e.value(of: .userDomain)) { return i }
            if let from = e.value(of: .emailFrom), let at = from.lastIndex(of: 0x40), let i = lookup(Bytes(rebasing: from[(at + 1)...])) {
                return i
            }
        }
        return nil
    }

    /// Whether the rule matches by anything but its networks (`AddressVerdict` decides
    /// those). Read in place (`r.pointee.…`): a copy of the rule would retain its tries and lists.
    func matches(_ r: UnsafePointer<IndicatorRule>, _ e: EventBuilder) -> Bool {
        if !r.pointee.asns.isEmpty, let asn = e.number(of: .sourceASNumber), r.pointee.asns.contains(asn) { return true }
        if !r.pointee.domains.isEmpty {
            if let d = e.value(of: .sourceDomain), r.pointee.domains.matches(d) { return true }
            if let d = e.value(of: .userDomain), r.pointee.domains.matches(d) { return true }
        }
        if !r.pointee.senderDomains.isEmpty, let from = e.value(of: .emailFrom), let at = from.lastIndex(of: 0x40),
           r.pointee.senderDomains.matches(from.dropFirst(at + 1)) { return true }
        if !r.pointee.userAgents.isEmpty, let ua = e.value(of: .userAgent), IndicatorText.anyContained(r.pointee.userAgents, in: ua) {
            return true
        }
        if !r.pointee.subjects.isEmpty, let s = e.value(of: .emailSubject), IndicatorText.anyContained(r.pointee.subjects, in: s) {
            return true
        }
        return false
    }
}
