import Foundation

/// The campaign report of a dataset: per actor and per cluster, what `spoor report` prints
/// as a table, as JSON (the contract for detectors, see README) and as an HTML page.
public struct CampaignReport: Sendable {
    public let result: CampaignLinker.Result
    /// The behaviour rules' findings, placed with the entries (see `place`).
    let placed: PlacedFindings
    /// Each source of an actor or cluster → that entry's id: a finding placed with one entry
    /// names its sources that are not that entry's (`elsewhere`).
    let owners: [String: String]

    public init(_ tally: CampaignTally, linker: CampaignLinker = CampaignLinker()) {
        var r = linker.link(tally)
        r.actors.sort { a, b in a.counts.events != b.counts.events ? a.counts.events > b.counts.events : a.counts.id < b.counts.id }
        result = r
        placed = Self.place(Array(tally.findings.values), r)
        var owners: [String: String] = [:]
        for e in r.actors + r.clusters { for ip in e.counts.sources.keys where !ip.isEmpty && owners[ip] == nil { owners[ip] = e.counts.id } }
        self.owners = owners
    }

    /// The JSON contract: `{"actors": [...], "clusters": [...], "unattributed": {...}}`.
    public func json() -> [String: Any] {
        var rest = Self.counts(result.unattributed).filter { $0.key != "compromised" && $0.key != "compromises" }   // every ordinary login
        rest["findings"] = findingsJSON(placed.rest, entry: nil)
        return ["actors": result.actors.enumerated().map { object($0.element, actor: true, findings: placed.actors[$0.offset]) },
                "clusters": result.clusters.enumerated().map { object($0.element, actor: false, findings: placed.clusters[$0.offset]) },
                "unattributed": rest]
    }

    public func jsonText() throws -> String {
        let data = try JSONSerialization.data(withJSONObject: json(), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    func object(_ e: CampaignLinker.Entry, actor: Bool, findings: [CampaignFindingGroup]) -> [String: Any] {
        var o = Self.counts(e.counts)
        o["findings"] = findingsJSON(findings, entry: e.counts.id)
        if actor {
            o["name"] = e.counts.name ?? e.counts.id
            o["aliases"] = e.counts.aliases
        }
        o["sources"] = Self.sources(e.counts).map { s -> [String: Any] in
            var x: [String: Any] = ["ip": s.ip, "events": s.info.events]
            if let a = s.info.asn { x["asn"] = a }
            if let c = s.info.country { x["country"] = c }
            if let rule = e.sourceRules[s.ip] { x["rule"] = rule }
            return x
        }
        o["attributed_by"] = attribution(e).map { ["rule": $0.rule, "kind": $0.kind, "events": $0.events, "sources": $0.sources] }
        return o
    }

    /// The fields every entry has (and the unattributed rest).
    static func counts(_ c: CampaignTally.Counts) -> [String: Any] {
        var o: [String: Any] = [
            "id": c.id, "probe_attempts": c.probeAttempts, "attack_attempts": c.attackAttempts,
            "accounts_probed": c.probed.count, "accounts_attacked": c.attacked.count,
            "accounts_compromised": c.compromised.count, "compromised": c.compromised.sorted(),
            "compromises": compromises(c).map { x -> [String: Any] in
                ["account": x.account, "first_success": CivilTime.iso8601(micros: x.time), "source": x.source, "event_id": x.event]
            },
            "source_count": c.sources.keys.filter { !$0.isEmpty }.count,
            "top_asns": topASNs(c).map { a -> [String: Any] in
                var x: [String: Any] = ["asn": a.asn, "events": a.events, "sources": a.sources]
                if let name = c.asNames[String(a.asn)] { x["organization"] = name }
                return x
            },
            "top_countries": topCountries(c).map { ["country": $0.country, "events": $0.events, "sources": $0.sources] },
            "timeline": timeline(c).map { ["date": $0.date, "probes": $0.day.probes, "attacks": $0.day.attacks, "compromises": $0.day.compromises] },
        ]
        if c.firstSeen != .max { o["first_seen"] = CivilTime.iso8601(micros: c.firstSeen) }
        if c.lastSeen != .min { o["last_seen"] = CivilTime.iso8601(micros: c.lastSeen) }
        return o
    }

    /// The compromised accounts with their first successful sign-in, by account (an account
    /// of a tally written before sign-ins were kept has none).
    static func compromises(_ c: CampaignTally.Counts) -> [(account: String, time: Int64, source: String, event: String)] {
        c.compromised.sorted().compactMap { a in c.compromises[a].map { (a, $0.time, $0.source, $0.event) } }
    }

    /// Every source address, most records first.
    static func sources(_ c: CampaignTally.Counts) -> [(ip: String, info: CampaignTally.Counts.Source)] {
        c.sources.filter { !$0.key.isEmpty }.map { ($0.key, $0.value) }
            .sorted { $0.info.events != $1.info.events ? $0.info.events > $1.info.events : $0.ip < $1.ip }
    }

    static func topASNs(_ c: CampaignTally.Counts, limit: Int = 10) -> [(asn: Int64, events: Int, sources: Int)] {
        var by: [Int64: (Int, Int)] = [:]
        for (ip, s) in c.sources where !ip.isEmpty { if let a = s.asn { by[a, default: (0, 0)].0 += s.events; by[a]!.1 += 1 } }
        return by.map { ($0.key, $0.value.0, $0.value.1) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(limit).map { $0 }
    }

    static func topCountries(_ c: CampaignTally.Counts, limit: Int = 10) -> [(country: String, events: Int, sources: Int)] {
        var by: [String: (Int, Int)] = [:]
        for (ip, s) in c.sources where !ip.isEmpty { if let k = s.country { by[k, default: (0, 0)].0 += s.events; by[k]!.1 += 1 } }
        return by.map { ($0.key, $0.value.0, $0.value.1) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(limit).map { $0 }
    }

    /// Every day from the first record to the last, quiet days included.
    static func timeline(_ c: CampaignTally.Counts) -> [(date: String, day: CampaignTally.Counts.Day)] {
        guard let first = c.days.keys.min(), let last = c.days.keys.max() else { return [] }
        return (first...last).map { (date(day: $0), c.days[$0] ?? CampaignTally.Counts.Day()) }
    }

    static func date(day: Int) -> String { String(CivilTime.iso8601(micros: Int64(day) * 86_400_000_000).prefix(10)) }

    struct Attribution { var rule: String; var kind: String; var events: Int; var sources: Int }

    /// Which rule brought how many records and sources: indicators first, then behaviour.
    func attribution(_ e: CampaignLinker.Entry) -> [Attribution] {
        var sources: [String: Int] = [:]
        for (_, rule) in e.sourceRules { sources[rule, default: 0] += 1 }
        return e.ruleEvents.keys.sorted { a, b in
            let (ka, kb) = (kind(a), kind(b))
            return ka != kb ? ka > kb : a < b
        }.map { Attribution(rule: $0, kind: kind($0), events: e.ruleEvents[$0]!, sources: sources[$0] ?? 0) }
    }

    func kind(_ rule: String) -> String {
        rule == CampaignLinker.behaviourRule ? "behaviour" : rule == "cluster" ? "cluster" : "indicator"
    }
}
