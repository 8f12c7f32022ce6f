import SpoorKit

/// The attribution stage: on every event, the first indicator rule that matches sets
/// `threat.group.id/name/alias`, `rule.id` and `labels.confidence`. Stateless; rules are
/// loaded once (`--rules DIR`). Runs after the enrichers, so it can match the AS number they
/// set.
public struct IndicatorAttributor: Enricher {
    public static let manifest = PluginManifest(
        id: "attribution", kind: .enricher, version: "1.0.0",
        summary: "Indicator rules (IP/CIDR, ASN, domains, senders, user agents, subjects, STIX bundles) and Sigma rules → threat.*, rule.id, labels.rules",
        options: [OptionSpec("rules", .string, "The rules directory (actors and indicators, *.yaml).")])

    public let rules: RuleSet

    public init(config: PluginConfig) throws {
        guard let dir = config.string("rules") else {
            throw ConfigError(origin: config.origin, message: "the attribution stage needs a rules directory", hint: "--rules DIR")
        }
        self.init(rules: try RuleSet.load(directory: dir))
    }

    public init(rules: RuleSet) {
        self.rules = rules
        borrowed = Borrowed(rules.selections, tests: rules.fieldTests, required: rules.requiredTests, shapes: rules.shapeOf)
        domainHashes = Set(rules.stix.domains.keys.map { key in withBytes(of: key) { Hash.fnv1a($0) } })
    }

    /// The hashes of the STIX domains: an event's domain (and each parent) is looked up as a
    /// `String` only when its hash is one of them.
    private let domainHashes: Set<UInt64>

    /// Whether `domain` or a parent of it may be a STIX domain (false: surely none is).
    /// ASCII only; other bytes answer true (the exact lookup lower-cases them as text).
    @inline(__always)
    private func mayHoldDomain(_ domain: Bytes) -> Bool {
        let n = domain.count
        guard n > 0, n <= 256 else { return n > 0 }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n) { lower in
            for i in 0..<n {
                var c = domain[i]
                if c >= 0x80 { return true }
                if c &- 0x41 < 26 { c |= 0x20 }
                lower[i] = c
            }
            var start = 0
            while start < n {
                if domainHashes.contains(Hash.fnv1a(Bytes(rebasing: UnsafeRawBufferPointer(lower)[start..<n]))) { return true }
                guard let dot = lower[start..<n].firstIndex(of: 0x2E) else { break }
                start = dot + 1
            }
            return false
        }
    }

    /// The detection rules, borrowed for the per-event loop (the rule set keeps them alive).
    private let borrowed: Borrowed

    final class Borrowed: @unchecked Sendable {
        let list: UnsafeMutableBufferPointer<Unmanaged<SelectionRule>>
        let tests: UnsafeMutableBufferPointer<Unmanaged<FieldTest>>
        let required: UnsafeMutableBufferPointer<Int>
        /// Per rule, the number of its shape (rules of equal shape are evaluated once).
        let shapes: UnsafeMutableBufferPointer<Int>
        init(_ rules: [SelectionRule], tests fieldTests: [FieldTest], required: [Int], shapes: [Int]) {
            self.shapes = .allocate(capacity: max(1, shapes.count))
            for (i, s) in shapes.enumerated() { self.shapes[i] = s }
            list = .allocate(capacity: max(1, rules.count))
            for (i, r) in rules.enumerated() { list[i] = Unmanaged.passUnretained(r) }
            tests = .allocate(capacity: max(1, fieldTests.count))
            for (i, t) in fieldTests.enumerated() { tests[i] = Unmanaged.passUnretained(t) }
            self.required = .allocate(capacity: max(1, required.count))
            for (i, r) in required.enumerated() { self.required[i] = r }
        }
        deinit {
            list.deallocate()
            tests.deallocate()
            required.deallocate()
            shapes.deallocate()
        }
        subscript(_ i: Int) -> Unmanaged<SelectionRule> { list[i] }
    }

    public func enrich(_ event: EventBuilder, context: ParseContext) {
        var attributed = false
        for i in rules.indicators.indices where matches(rules.indicators[i], event) {
            let rule = rules.indicators[i]
            guard let actor = rules.actors[rule.actor] else { continue }
            attribute(event, actor, rule: rule.id, confidence: rule.confidence, context)
            attributed = true
            break
        }
        if !attributed, !rules.stix.isEmpty, let hit = stixMatch(event) {
            let entry = rules.stix.entries[hit]
            if let actor = rules.actors[entry.actor] {
                attribute(event, actor, rule: entry.ruleID, confidence: entry.confidence, context)
                event.label("stix.indicator", string: entry.stixID)
                attributed = true
            }
        }
        if !rules.selections.isEmpty { select(event, context, attributed: attributed) }
    }

    private func attribute(_ event: EventBuilder, _ actor: Actor, rule: String, confidence: String, _ context: ParseContext) {
        event.set(.threatGroupID, string: actor.mitre ?? actor.id)
        event.set(.threatGroupName, string: actor.name)
        for alias in actor.aliases { event.append(.threatGroupAlias, string: alias) }
        event.set(.ruleID, string: rule)
        event.label("confidence", string: confidence)
        context.note("attributed to \(actor.name) by rule '\(rule)'")
    }

    /// Evaluates every Sigma detection rule: records the matches for the behaviour rules
    /// (by the index the event gets in the batch), lists them in `labels.rules`, sets
    /// `threat.technique.id` from the first matching rule's tags, and attributes the event
    /// when a matching rule names an actor and nothing attributed it yet.
    private func select(_ event: EventBuilder, _ context: ParseContext, attributed: Bool) {
        let matches = context.state(for: RuleMatches.key) { RuleMatches() }
        let index = event.pendingIndex
        let words = (rules.selections.count + 63) / 64
        matches.startRow(index, words: words)
        matches.names.removeAll(keepingCapacity: true)
        matches.reserve(tests: rules.distinctFieldTests, shapes: rules.distinctShapes)
        let tests = matches.tests, shapes = matches.shapes
        for i in 0..<rules.distinctFieldTests { tests[i] = -1 }
        for i in 0..<rules.distinctShapes { shapes[i] = -1 }
        var attributed = attributed, technique = event.has(.threatTechniqueID)
        let scratch = context.scratch
        for i in 0..<rules.selections.count {
            // Rules of one shape match alike: evaluated once, for the first of them.
            let p = borrowed.shapes[i]
            if shapes[p] < 0 {
                shapes[p] = 0
                // Most rules fail on one test that many share: decided once, the rule skipped.
                let r = borrowed.required[i]
                if r >= 0 {
                    if tests[r] < 0 { tests[r] = borrowed.tests[r]._withUnsafeGuaranteedRef { $0.matches(event, scratch) } ? 1 : 0 }
                    if tests[r] == 0 { continue }
                }
                if borrowed[i]._withUnsafeGuaranteedRef({ $0.matches(event, scratch, tests: tests, fieldTests: borrowed.tests) }) { shapes[p] = 1 }
            }
            guard shapes[p] == 1 else { continue }
            let rule = borrowed[i].takeUnretainedValue()
            matches.set(index, rule: i)
            if !matches.names.isEmpty { matches.names.append(0x2C) }
            matches.names.append(contentsOf: rule.idBytes)
            if !technique, let t = rule.techniqueBytes { event.set(.threatTechniqueID, stable: Bytes(t)); technique = true }
            if !attributed, let a = rule.actor, let actor = rules.actors[a] {
                attribute(event, actor, rule: rule.id, confidence: rule.level ?? "medium", context)
                attributed = true
            }
            context.note("rule '\(rule.id)' matched")
        }
        if !matches.names.isEmpty { matches.names.withUnsafeBytes { event.label("rules", $0) } }
    }

    /// The STIX indicator that matches the event and holds at its time, if any.
    func stixMatch(_ e: EventBuilder) -> Int? {
        let s = rules.stix
        let time = e.number(of: .timestamp) ?? 0
        if let ip = e.value(of: .sourceIP), let label = s.networks.lookup(ip), let i = Int(label), s.entries[i].holds(at: time) { return i }
        if !s.asns.isEmpty, let asn = e.number(of: .sourceASNumber), let list = s.asns[asn], let i = list.first(where: { s.entries[$0].holds(at: time) }) { return i }
        if !s.emails.isEmpty, let from = e.value(of: .emailFrom), let list = s.emails[from.string.lowercased()],
           let i = list.first(where: { s.entries[$0].holds(at: time) }) { return i }
        if !s.domains.isEmpty {
            // The source's host, the account's domain, the sender's domain (no array per event).
            func lookup(_ c: Bytes?) -> Int? {
                guard let c, mayHoldDomain(c) else { return nil }
                var d = Substring(c.string.lowercased())
                while !d.isEmpty {
                    if let list = s.domains[String(d)], let i = list.first(where: { s.entries[$0].holds(at: time) }) { return i }
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

    func matches(_ rule: IndicatorRule, _ e: EventBuilder) -> Bool {
        if !rule.networks.isEmpty, let ip = e.value(of: .sourceIP), rule.networks.lookup(ip) != nil { return true }
        if !rule.asns.isEmpty, let asn = e.number(of: .sourceASNumber), rule.asns.contains(asn) { return true }
        if !rule.domains.isEmpty {
            for field in [Field.sourceDomain, .userDomain] {
                if let d = e.value(of: field), Self.hasSuffix(d, rule.domains) { return true }
            }
        }
        if !rule.senderDomains.isEmpty, let from = e.value(of: .emailFrom), let at = from.lastIndex(of: 0x40),
           Self.hasSuffix(from.dropFirst(at + 1), rule.senderDomains) { return true }
        if !rule.userAgents.isEmpty, let ua = e.value(of: .userAgent)?.string, rule.userAgents.contains(where: { ua.contains($0) }) { return true }
        if !rule.subjects.isEmpty, let s = e.value(of: .emailSubject)?.string, rule.subjects.contains(where: { s.contains($0) }) { return true }
        return false
    }

    /// Whether the domain is one of `suffixes` or under one (`a.evil.example` is under `evil.example`).
    static func hasSuffix(_ domain: Bytes, _ suffixes: [String]) -> Bool {
        let d = domain.string.lowercased()
        return suffixes.contains { d == $0 || d.hasSuffix("." + $0) }
    }
}
