import SpoorKit

/// The attribution stage: on every event, the first indicator rule that matches sets
/// `threat.group.id/name/alias`, `rule.id` and `labels.confidence`. Stateless; rules are
/// loaded once (`--rules DIR`). Runs after the enrichers, so it can match the AS number they
/// set.
public struct IndicatorAttributor: Enricher {
    public static let manifest = PluginManifest(
        id: "attribution", kind: .enricher, version: "1.0.0",
        summary: "Indicator rules (IP/CIDR, ASN, domains, sender domains, user agents, subjects) → threat.group.*",
        options: [OptionSpec("rules", .string, "The rules directory (actors and indicators, *.yaml).")])

    let rules: RuleSet

    public init(config: PluginConfig) throws {
        guard let dir = config.string("rules") else {
            throw ConfigError(origin: config.origin, message: "the attribution stage needs a rules directory", hint: "--rules DIR")
        }
        rules = try RuleSet.load(directory: dir)
    }

    public init(rules: RuleSet) { self.rules = rules }

    public func enrich(_ event: EventBuilder, context: ParseContext) {
        for rule in rules.indicators where matches(rule, event) {
            guard let actor = rules.actors[rule.actor] else { continue }
            event.set(.threatGroupID, string: actor.mitre ?? actor.id)
            event.set(.threatGroupName, string: actor.name)
            for alias in actor.aliases { event.append(.threatGroupAlias, string: alias) }
            event.set(.ruleID, string: rule.id)
            event.label("confidence", string: rule.confidence)
            context.note("attributed to \(actor.name) by rule '\(rule.id)'")
            return
        }
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
