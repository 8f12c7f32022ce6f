import Foundation

/// What the campaign report counts, decided from normalized fields only (the contract of
/// `spoor report`, see README): probes, attacks and compromises and the accounts behind them.
/// Events an indicator rule attributed are counted per actor; every other probe or attack is
/// counted per source address, so that the report can link a source to an actor by behaviour
/// and shared infrastructure, or group sources into clusters (see `CampaignLinker`). Memory
/// grows with actors, sources and accounts, never with events.
///
/// Each worker counts its events with a `CampaignCounter` (the classification lives there)
/// and hands over a tally; the job merges them, and the dataset keeps the merged tally of
/// every job (`_campaign.json`), so that reports span jobs.
public struct CampaignTally: Codable, Sendable {
    /// Probes, attacks and compromises of an actor, a source or a group of sources.
    public struct Counts: Codable, Sendable {
        /// One source address: how many counted records came from it and where it is.
        public struct Source: Codable, Sendable, Equatable {
            public var events = 0
            public var asn: Int64?
            public var country: String?
            /// The indicator rule that attributed its first event (nil when unattributed).
            public var rule: String?

            public init(events: Int = 0, asn: Int64? = nil, country: String? = nil, rule: String? = nil) {
                self.events = events
                self.asn = asn
                self.country = country
                self.rule = rule
            }
        }

        /// Counted records of one UTC day.
        public struct Day: Codable, Sendable, Equatable {
            public var probes = 0
            public var attacks = 0
            public var compromises = 0

            public init(probes: Int = 0, attacks: Int = 0, compromises: Int = 0) {
                self.probes = probes
                self.attacks = attacks
                self.compromises = compromises
            }
        }

        /// Where a compromise shows: the first successful sign-in counted for an account.
        public struct Compromise: Codable, Sendable, Equatable {
            /// Its time (µs since the epoch, UTC), source address ("" when none) and `event.id`.
            public var time: Int64
            public var source: String
            public var event: String

            public init(time: Int64, source: String, event: String) {
                self.time = time
                self.source = source
                self.event = event
            }

            /// The earlier of two (the smaller event id when at the same time): what a merge keeps.
            func earlier(_ o: Compromise) -> Compromise { (o.time, o.event) < (time, event) ? o : self }
        }

        public var id: String
        public var name: String?
        public var aliases: [String] = []
        public var probeAttempts = 0
        /// Attack records, and those of them that failed.
        public var attackAttempts = 0
        public var failedAttacks = 0
        public var probed: Set<String> = []
        public var attacked: Set<String> = []
        public var compromised: Set<String> = []
        /// For each account of `compromised`, its first successful sign-in.
        public var compromises: [String: Compromise] = [:]
        public var firstSeen: Int64 = .max
        public var lastSeen: Int64 = .min
        /// By source address ("" when the record names none).
        public var sources: [String: Source] = [:]
        /// AS number (decimal) → organization name.
        public var asNames: [String: String] = [:]
        /// User agents seen, with their records; at most `maxUserAgents` distinct.
        public var userAgents: [String: Int] = [:]
        /// Counted records per attributing rule id.
        public var rules: [String: Int] = [:]
        /// Days since the epoch (UTC) → counted records.
        public var days: [Int: Day] = [:]

        static let maxUserAgents = 16

        public init(id: String, name: String? = nil, aliases: [String] = []) {
            self.id = id
            self.name = name
            self.aliases = aliases
        }

        /// Every account the records name, probed or attacked.
        public var targets: Set<String> { probed.union(attacked) }

        /// Records counted (probes and attacks).
        public var events: Int { probeAttempts + attackAttempts }

        public mutating func merge(_ o: Counts) {
            if name == nil { name = o.name }
            if aliases.isEmpty { aliases = o.aliases }
            probeAttempts += o.probeAttempts
            attackAttempts += o.attackAttempts
            failedAttacks += o.failedAttacks
            probed.formUnion(o.probed)
            attacked.formUnion(o.attacked)
            compromised.formUnion(o.compromised)
            compromises.merge(o.compromises) { a, b in a.earlier(b) }
            firstSeen = min(firstSeen, o.firstSeen)
            lastSeen = max(lastSeen, o.lastSeen)
            sources.merge(o.sources) { a, b in
                Source(events: a.events + b.events, asn: a.asn ?? b.asn, country: a.country ?? b.country, rule: a.rule ?? b.rule)
            }
            asNames.merge(o.asNames) { a, _ in a }
            for (agent, n) in o.userAgents where userAgents[agent] != nil || userAgents.count < Self.maxUserAgents {
                userAgents[agent, default: 0] += n
            }
            rules.merge(o.rules, uniquingKeysWith: +)
            days.merge(o.days) { a, b in Day(probes: a.probes + b.probes, attacks: a.attacks + b.attacks, compromises: a.compromises + b.compromises) }
        }

        enum CodingKeys: String, CodingKey {
            case id, name, aliases, probeAttempts, attackAttempts, failedAttacks, probed, attacked, compromised, compromises
            case firstSeen, lastSeen, sources, asNames, userAgents, rules, days
        }

        // Compact: tens of thousands of sources are kept, most with one account and one day.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encodeIfPresent(name, forKey: .name)
            if !aliases.isEmpty { try c.encode(aliases, forKey: .aliases) }
            if probeAttempts != 0 { try c.encode(probeAttempts, forKey: .probeAttempts) }
            if attackAttempts != 0 { try c.encode(attackAttempts, forKey: .attackAttempts) }
            if failedAttacks != 0 { try c.encode(failedAttacks, forKey: .failedAttacks) }
            if !probed.isEmpty { try c.encode(probed.sorted(), forKey: .probed) }
            if !attacked.isEmpty { try c.encode(attacked.sorted(), forKey: .attacked) }
            if !compromised.isEmpty { try c.encode(compromised.sorted(), forKey: .compromised) }
            if !compromises.isEmpty { try c.encode(compromises, forKey: .compromises) }
            if firstSeen != .max { try c.encode(firstSeen, forKey: .firstSeen) }
            if lastSeen != .min { try c.encode(lastSeen, forKey: .lastSeen) }
            if !sources.isEmpty { try c.encode(sources, forKey: .sources) }
            if !asNames.isEmpty { try c.encode(asNames, forKey: .asNames) }
            if !userAgents.isEmpty { try c.encode(userAgents, forKey: .userAgents) }
            if !rules.isEmpty { try c.encode(rules, forKey: .rules) }
            if !days.isEmpty { try c.encode(days, forKey: .days) }
        }

        // Tallies written before a field existed still load.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(String.self, forKey: .id)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            aliases = try c.decodeIfPresent([String].self, forKey: .aliases) ?? []
            probeAttempts = try c.decodeIfPresent(Int.self, forKey: .probeAttempts) ?? 0
            attackAttempts = try c.decodeIfPresent(Int.self, forKey: .attackAttempts) ?? 0
            failedAttacks = try c.decodeIfPresent(Int.self, forKey: .failedAttacks) ?? 0
            probed = try c.decodeIfPresent(Set<String>.self, forKey: .probed) ?? []
            attacked = try c.decodeIfPresent(Set<String>.self, forKey: .attacked) ?? []
            compromised = try c.decodeIfPresent(Set<String>.self, forKey: .compromised) ?? []
            compromises = try c.decodeIfPresent([String: Compromise].self, forKey: .compromises) ?? [:]
            firstSeen = try c.decodeIfPresent(Int64.self, forKey: .firstSeen) ?? .max
            lastSeen = try c.decodeIfPresent(Int64.self, forKey: .lastSeen) ?? .min
            sources = (try? c.decodeIfPresent([String: Source].self, forKey: .sources)) ?? [:]
            asNames = try c.decodeIfPresent([String: String].self, forKey: .asNames) ?? [:]
            userAgents = try c.decodeIfPresent([String: Int].self, forKey: .userAgents) ?? [:]
            rules = try c.decodeIfPresent([String: Int].self, forKey: .rules) ?? [:]
            days = try c.decodeIfPresent([Int: Day].self, forKey: .days) ?? [:]
        }
    }

    /// Kept under this name for readers of earlier versions.
    public typealias Actor = Counts

    /// Events an indicator rule attributed, by `threat.group.id`.
    public var actors: [String: Counts] = [:]
    /// Probes and attacks no indicator attributed, by `source.ip` ("" when the event names none).
    public var sources: [String: Counts] = [:]
    /// The behaviour rules' findings, by rule and group key (`CampaignFindingGroup.key`).
    public var findings: [String: CampaignFindingGroup] = [:]

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        actors = try c.decodeIfPresent([String: Counts].self, forKey: .actors) ?? [:]
        sources = try c.decodeIfPresent([String: Counts].self, forKey: .sources) ?? [:]
        findings = try c.decodeIfPresent([String: CampaignFindingGroup].self, forKey: .findings) ?? [:]
        // Before per-source tallies, the unattributed rest was one pseudo-actor.
        if let rest = actors.removeValue(forKey: "unattributed") { sources["", default: Counts(id: "")].merge(rest) }
    }

    /// Adds findings of the behaviour rules.
    public mutating func add(_ found: [Finding]) {
        for f in found {
            let key = CampaignFindingGroup.key(rule: f.ruleID, group: f.groupKey)
            findings[key, default: CampaignFindingGroup(rule: f.ruleID, technique: f.technique, group: f.groupKey, actor: nil)].add(f)
        }
    }

    public mutating func merge(_ other: CampaignTally) {
        // A job's first tally (a single worker's, most often) is taken whole: merged entry by
        // entry, every source was hashed again and the maps regrown as they filled.
        if actors.isEmpty && sources.isEmpty && findings.isEmpty {
            self = other
            return
        }
        for (id, a) in other.actors {
            if actors[id] == nil { actors[id] = a } else { actors[id]!.merge(a) }
        }
        for (ip, s) in other.sources {
            if sources[ip] == nil { sources[ip] = s } else { sources[ip]!.merge(s) }
        }
        for (key, g) in other.findings {
            if findings[key] == nil { findings[key] = g } else { findings[key]!.merge(g) }
        }
    }

    /// The account as the report compares it: `user.email`, else `user.name@user.domain`,
    /// else `user.name`; lower-cased and URL-decoded.
    static func account(email: String, name: String, domain: String) -> String {
        let raw = !email.isEmpty ? email : (!domain.isEmpty && !name.utf8.contains(0x40) && !name.isEmpty ? name + "@" + domain : name)
        let decoded = raw.utf8.contains(0x25) ? (raw.removingPercentEncoding ?? raw) : raw
        return decoded.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) || !decoded.utf8.allSatisfy({ $0 < 0x80 })
            ? decoded.lowercased() : decoded
    }
}
