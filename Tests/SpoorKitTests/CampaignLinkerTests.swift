import Foundation
import SpoorKit
import Testing

/// The report's attribution by behaviour and its clusters, on hand-made tallies: what links
/// a source to an actor, what must not, and which leftovers form a cluster.
@Suite struct CampaignLinkerTests {
    static let day: Int64 = 86_400_000_000
    static let start: Int64 = 1_565_000_000_000_000

    /// A tally of one source: `probes` probes of the given addresses, attacks on `attacked`.
    static func source(_ ip: String, asn: Int64, probed: [String] = [], probes: Int? = nil, attacked: [String] = [],
                       failed: Int = 0, succeeded: Int = 0, agent: String? = nil, day: Int64 = 1) -> CampaignTally.Counts {
        var c = CampaignTally.Counts(id: ip)
        c.probeAttempts = probes ?? probed.count
        c.probed = Set(probed)
        c.attacked = Set(attacked)
        c.attackAttempts = failed + succeeded
        c.failedAttacks = failed
        c.firstSeen = start + day * Self.day
        c.lastSeen = c.firstSeen + 3600_000_000
        c.sources[ip] = .init(events: c.probeAttempts + c.attackAttempts, asn: asn, country: "NL")
        if let agent { c.userAgents[agent] = 1 }
        return c
    }

    /// The actor: what an indicator attributed, from 198.18.10.5 in AS64510.
    static func tally() -> CampaignTally {
        var t = CampaignTally()
        var actor = source("198.18.10.5", asn: 64510, probed: ["a@x", "b@x", "c@x", "d@x"], agent: "EvilAgent/1.0")
        actor.id = "G0059"
        actor.name = "PHOSPHORUS"
        actor.sources["198.18.10.5"]!.rule = "phosphorus-net"
        actor.rules["phosphorus-net"] = 4
        t.actors["G0059"] = actor
        return t
    }

    /// A finding group keeps the smallest ids and sources of all its findings, whatever the
    /// order they come in, and merging two groups keeps what one group of all would.
    @Test func aFindingGroupKeepsTheSmallestSourcesWhateverTheOrder() {
        /// SplitMix64 with a fixed seed: the same findings on every run.
        struct Seeded: RandomNumberGenerator {
            var state: UInt64 = 0x5EED
            mutating func next() -> UInt64 {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ z >> 30) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ z >> 27) &* 0x94D0_49BB_1331_11EB
                return z ^ z >> 31
            }
        }
        var rng = Seeded()
        let findings = (0..<40).map { n in
            Finding(id: String(format: "%04x", (n * 7919) % 65_536), ruleID: "r", title: "t", kind: "value_count", groupKey: "g",
                    windowStart: Int64(n), windowEnd: Int64(n + 1), eventCount: 1, valueCount: 1, accounts: [],
                    sources: (0..<Int.random(in: 1...100, using: &rng)).map { _ in "10.0.\(Int.random(in: 0...30, using: &rng)).\(Int.random(in: 0...255, using: &rng))" },
                    evidence: [], evidenceTotal: 1)
        }
        let sources = Array(Set(findings.flatMap(\.sources)).sorted().prefix(CampaignFindingGroup.maxSources))
        let ids = Array(Set(findings.map(\.id)).sorted().prefix(CampaignFindingGroup.maxIDs))
        for order in [findings, findings.reversed(), findings.shuffled(using: &rng)] {
            var one = CampaignFindingGroup(rule: "r", technique: nil, group: "g", actor: nil)
            var half = one, other = one
            for f in order { one.add(f) }
            for f in order.prefix(20) { half.add(f) }
            for f in order.dropFirst(20) { other.add(f) }
            half.merge(other)
            #expect(one.sources == sources && one.ids == ids)
            #expect(half == one)
        }
    }

    @Test func sharedInfrastructureAndTargetsOrAgentLinkASource() {
        var t = Self.tally()
        t.sources["198.18.10.77"] = Self.source("198.18.10.77", asn: 64510, probed: ["a@x", "b@x", "z@x"])   // same /24, two targets
        t.sources["198.18.12.9"] = Self.source("198.18.12.9", asn: 64510, attacked: ["q@x"], succeeded: 1, agent: "EvilAgent/1.0")  // same AS, same agent
        t.sources["198.18.12.10"] = Self.source("198.18.12.10", asn: 64510, attacked: ["a@x"], succeeded: 30)  // same AS, one target: a customer
        t.sources["192.0.2.10"] = Self.source("192.0.2.10", asn: 64501, probed: ["a@x", "b@x", "c@x"])        // same targets, other AS
        t.sources["198.18.11.3"] = Self.source("198.18.11.3", asn: 64510, probed: ["a@x", "b@x"], day: 40)   // outside the window
        let r = CampaignLinker().link(t)
        let actor = r.actors[0]
        #expect(Set(actor.sourceRules.keys) == ["198.18.10.5", "198.18.10.77", "198.18.12.9"])
        #expect(actor.sourceRules["198.18.10.77"] == CampaignLinker.behaviourRule)
        #expect(actor.ruleEvents == ["phosphorus-net": 4, CampaignLinker.behaviourRule: 4])
        #expect(actor.counts.probeAttempts == 7 && actor.counts.probed.count == 5)
        #expect(actor.counts.attacked == ["q@x"])
        #expect(r.unattributed.sources.keys.sorted() == ["192.0.2.10", "198.18.11.3", "198.18.12.10"])
    }

    @Test func linkedSourcesWidenTheActorsFootprint() {
        var t = Self.tally()
        // Linked by two targets, it brings two new ones; through them the next source links.
        t.sources["198.18.10.8"] = Self.source("198.18.10.8", asn: 64510, probed: ["a@x", "b@x", "m@x", "n@x"])
        t.sources["198.18.11.4"] = Self.source("198.18.11.4", asn: 64510, probed: ["m@x", "n@x"])
        t.sources["198.18.11.5"] = Self.source("198.18.11.5", asn: 64510, probed: ["m@x", "o@x"])   // one shared target
        t.sources["198.18.40.2"] = Self.source("198.18.40.2", asn: 64511, probed: ["a@x", "b@x"])   // no shared network
        let r = CampaignLinker().link(t)
        #expect(r.actors[0].sourceRules["198.18.10.8"] == CampaignLinker.behaviourRule)
        #expect(r.actors[0].sourceRules["198.18.11.4"] == CampaignLinker.behaviourRule)
        #expect(r.actors[0].sourceRules["198.18.11.5"] == nil && r.actors[0].sourceRules["198.18.40.2"] == nil)
    }

    @Test func campaignLikeLeftoversFormClustersAndLookAlikesDoNot() {
        var t = CampaignTally()
        // A distributed SMTP AUTH/SSH scanner: many addresses, one AS, the same guessed names.
        for i in 1...6 {
            t.sources["203.0.113.\(i)"] = Self.source("203.0.113.\(i)", asn: 64505, probed: ["admin", "test", "root"],
                                                      probes: 9, failed: 8)
        }
        // A mailing list writing daily to the same stale addresses: many records, few addresses.
        t.sources["192.0.2.77"] = Self.source("192.0.2.77", asn: 64504, probed: (1...12).map { "old\($0)@x" }, probes: 360)
        // A corporate NAT: hundreds of logins, a few typos.
        t.sources["192.0.2.10"] = Self.source("192.0.2.10", asn: 64501, attacked: (1...300).map { "u\($0)@x" }, failed: 30, succeeded: 3000)
        // An enumerator alone: many distinct addresses.
        t.sources["198.51.100.9"] = Self.source("198.51.100.9", asn: 64666, probed: (1...40).map { "p\($0)@x" })
        let r = CampaignLinker().link(t)
        #expect(r.actors.isEmpty)
        #expect(r.clusters.map(\.counts.id) == ["cluster-1", "cluster-2"])
        #expect(Set(r.clusters[0].sourceRules.keys) == Set((1...6).map { "203.0.113.\($0)" }))
        #expect(r.clusters[0].counts.failedAttacks == 48)
        #expect(Array(r.clusters[1].sourceRules.keys) == ["198.51.100.9"])
        #expect(r.unattributed.sources.keys.sorted() == ["192.0.2.10", "192.0.2.77"])
    }

    static func finding(_ id: String, rule: String, sources: [String], actor: String? = nil, day: Int64 = 1) -> Finding {
        Finding(id: id, ruleID: rule, title: rule, actorID: actor, technique: "T1110.003", kind: "value_count",
                groupKey: "source.ip=\(sources.first ?? "")", windowStart: start + day * Self.day, windowEnd: start + day * Self.day + 60_000_000,
                eventCount: 6, valueCount: 6, accounts: [], sources: sources, evidence: [], evidenceTotal: 6)
    }

    /// A finding goes with the actor it names, else with the entry that holds its sources (a
    /// source linked by behaviour included), else with the unattributed rest.
    @Test func findingsGoWithTheActorOrClusterOfTheirSources() throws {
        var t = Self.tally()
        t.sources["198.18.10.77"] = Self.source("198.18.10.77", asn: 64510, probed: ["a@x", "b@x"])   // linked by behaviour
        t.add([Self.finding("f1", rule: "password-spray", sources: ["203.0.113.250"], actor: "G0059"),
               Self.finding("f2", rule: "password-spray", sources: ["198.18.10.77"]),
               Self.finding("f3", rule: "password-spray", sources: ["198.18.10.77"], day: 2),
               Self.finding("f4", rule: "account-enumeration", sources: ["192.0.2.99"])])
        let report = CampaignReport(t)
        let json = report.json()
        let actor = try #require((json["actors"] as? [[String: Any]])?.first)
        let found = try #require(actor["findings"] as? [[String: Any]])
        // By first window, then rule and group.
        #expect(found.map { $0["group"] as? String } == ["source.ip=198.18.10.77", "source.ip=203.0.113.250"])
        #expect(found.first?["findings"] as? Int == 2 && found.first?["finding_ids"] as? [String] == ["f2", "f3"])
        #expect(found.first?["events"] as? Int == 12 && found.first?["technique"] as? String == "T1110.003")
        let rest = try #require((json["unattributed"] as? [String: Any])?["findings"] as? [[String: Any]])
        #expect(rest.map { $0["finding_ids"] as? [String] } == [["f4"]])
        let text = report.text()
        #expect(text.contains("  behaviour findings: password-spray ×3 (T1110.003)\n"), "\(text)")
        #expect(text.contains("behaviour findings of unattributed sources: account-enumeration ×1 (T1110.003)"), "\(text)")
        #expect(report.html().contains("<td>source.ip=198.18.10.77</td>"))
    }

    /// A network's finding placed with the actor may hold other sources too (a scanner that
    /// rents from the actor's provider): the report names them with the cluster that holds
    /// them, or as unattributed, so that they do not read as the actor's.
    @Test func aFindingNamesItsSourcesThatBelongToAnotherEntry() throws {
        var t = Self.tally()
        t.sources["198.18.10.77"] = Self.source("198.18.10.77", asn: 64510, probed: ["a@x", "b@x"])   // linked by behaviour
        for i in 1...6 {
            t.sources["203.0.113.\(i)"] = Self.source("203.0.113.\(i)", asn: 64505, probed: ["admin", "test", "root"], probes: 9, failed: 8)
        }
        t.add([Self.finding("f9", rule: "network-enumeration", sources: ["198.18.10.5", "198.18.10.77", "203.0.113.4", "192.0.2.8"])])
        let report = CampaignReport(t)
        let json = report.json()
        let actor = try #require((json["actors"] as? [[String: Any]])?.first)
        let found = try #require((actor["findings"] as? [[String: Any]])?.first)
        #expect(found["finding_ids"] as? [String] == ["f9"])
        #expect(found["sources_elsewhere"] as? [[String: String]]
            == [["ip": "192.0.2.8", "entry": "unattributed"], ["ip": "203.0.113.4", "entry": "cluster-1"]])
        #expect(report.html().contains("<td>4, of them elsewhere: 192.0.2.8 (unattributed), 203.0.113.4 (cluster-1)</td>"))
    }

    @Test func reportJSONCarriesTheContractsFields() throws {
        var t = Self.tally()
        t.sources["198.18.10.77"] = Self.source("198.18.10.77", asn: 64510, probed: ["a@x", "b@x"])
        let json = CampaignReport(t).json()
        let actor = try #require((json["actors"] as? [[String: Any]])?.first)
        for key in ["id", "name", "aliases", "probe_attempts", "accounts_probed", "accounts_attacked", "accounts_compromised",
                    "first_seen", "last_seen", "sources", "compromised", "attributed_by", "top_asns", "top_countries", "timeline"] {
            #expect(actor[key] != nil, "\(key) missing")
        }
        #expect(json["clusters"] is [Any] && json["unattributed"] is [String: Any])
        let text = CampaignReport(t).text()
        #expect(text.contains("PHOSPHORUS (G0059)") && text.contains("behaviour-shared-infrastructure (behaviour) 2 records from 1 source"))
    }
}

/// `_campaign.json` is written and read by hand (Foundation's coders took seconds on a month of sources).
@Suite struct CampaignTallyFileTests {
    static func sample() -> CampaignTally {
        var t = CampaignLinkerTests.tally()
        var s = CampaignLinkerTests.source("198.18.10.77", asn: 64510, probed: ["a@x", "quote\"back\\slash\u{1}@x", "ünï@x"],
                                           attacked: ["b@x"], failed: 2, succeeded: 1, agent: "Agent \"1\"")
        s.compromised = ["b@x"]
        s.compromises = ["b@x": .init(time: CampaignLinkerTests.start + 7, source: "198.18.10.77", event: "e\"1"),
                         "c@x": .init(time: -1_000_007, source: "", event: "905e65f406056f53-0")]
        s.days = [18_115: .init(probes: 3, attacks: 2, compromises: 1), -1: .init(probes: 1, attacks: 0, compromises: 0)]
        s.asNames = ["64510": "Hosting, \"B.V.\""]
        s.rules = ["r": 2]
        t.sources["198.18.10.77"] = s
        t.sources[""] = CampaignTally.Counts(id: "")
        t.add([CampaignLinkerTests.finding("f\"1", rule: "password-spray", sources: ["198.18.10.77", "198.18.10.78"]),
               CampaignLinkerTests.finding("f2", rule: "password-spray", sources: ["198.18.10.77"], day: -3)])
        return t
    }

    static func same(_ a: CampaignTally, _ b: CampaignTally) -> Bool {
        func eq(_ x: CampaignTally.Counts, _ y: CampaignTally.Counts) -> Bool {
            x.id == y.id && x.name == y.name && x.aliases == y.aliases && x.probeAttempts == y.probeAttempts
                && x.attackAttempts == y.attackAttempts && x.failedAttacks == y.failedAttacks && x.probed == y.probed
                && x.attacked == y.attacked && x.compromised == y.compromised && x.firstSeen == y.firstSeen
                && x.lastSeen == y.lastSeen && x.sources == y.sources && x.asNames == y.asNames && x.userAgents == y.userAgents
                && x.rules == y.rules && x.days == y.days && x.compromises == y.compromises
        }
        return a.findings == b.findings && a.actors.keys.sorted() == b.actors.keys.sorted() && a.sources.keys.sorted() == b.sources.keys.sorted()
            && a.actors.allSatisfy { eq($0.value, b.actors[$0.key]!) } && a.sources.allSatisfy { eq($0.value, b.sources[$0.key]!) }
    }

    @Test func roundTripsEveryField() throws {
        let t = Self.sample()
        let bytes = CampaignTallyFile.encode(t)
        #expect(Self.same(try CampaignTallyFile.decode(bytes), t))
        // It is JSON that Foundation reads too, and the Codable layout reads back the same.
        #expect(try JSONSerialization.jsonObject(with: Data(bytes)) is [String: Any])
        #expect(Self.same(try CampaignTallyFile.decode([UInt8](JSONEncoder().encode(t))), t))
        #expect(Self.same(try JSONDecoder().decode(CampaignTally.self, from: Data(bytes)), t))
    }

    /// A compromised account keeps its first successful sign-in, however the tallies of
    /// workers and jobs are merged: the earliest, and of two at one time the smaller event id.
    @Test func aMergeKeepsTheFirstSuccessfulSignIn() {
        func tally(_ time: Int64, _ event: String) -> CampaignTally.Counts {
            var c = CampaignTally.Counts(id: "G0059")
            c.compromised = ["b@x"]
            c.compromises = ["b@x": .init(time: time, source: "198.18.10.\(time)", event: event)]
            return c
        }
        for (a, b) in [(tally(5, "e9"), tally(3, "e8")), (tally(3, "e8"), tally(5, "e9")), (tally(3, "e9"), tally(3, "e8"))] {
            // (a merge keeps the earliest sign-in)
            var merged = a
            merged.merge(b)
            #expect(merged.compromises["b@x"] == .init(time: 3, source: "198.18.10.3", event: "e8"))
        }
    }

    @Test func aCutFileIsAnErrorNotACrash() {
        let bytes = CampaignTallyFile.encode(Self.sample())
        for cut in stride(from: 0, to: bytes.count - 2, by: 7) {
            #expect(throws: CampaignTallyFile.Malformed.self) { try CampaignTallyFile.decode(Array(bytes[..<cut])) }
        }
    }
}
