/// The attribution the report adds to the indicators (CAMPAIGN.md "Attribution"): a source no
/// indicator names belongs to an actor when it shares the /24 or the AS of infrastructure
/// already attributed to the actor **and** the same targets (at least `minSharedTargets`
/// accounts) or the same user agent, within the actor's campaign window (its first to last
/// record, widened by `windowSlack`). Linking repeats until nothing changes, so a source
/// linked by behaviour extends the actor's infrastructure, targets and window.
///
/// Sources that link to no actor but behave like a campaign form clusters: sources sharing a
/// /24 or an AS and (the targets or a user agent) are grouped, and a group is a cluster when
/// it enumerates (many distinct addresses, not the same few again and again) or guesses
/// passwords (failures are most of its attacks). A mailing list writing daily to the same
/// stale addresses does neither, nor does an office NAT whose users mostly get in.
///
/// Pure: it runs on the merged tally of every job, when the report is made.
public struct CampaignLinker: Sendable {
    /// The rule id the report names for sources linked by behaviour.
    public static let behaviourRule = "behaviour-shared-infrastructure"

    public var minSharedTargets = 2
    public var windowSlack: Int64 = 3 * 86_400_000_000
    /// A group enumerates when it probed at least this many distinct accounts…
    public var minProbedAccounts = 10
    /// …and at least one distinct account per this many probe records.
    public var maxProbesPerAccount = 5
    /// A group guesses passwords with at least this many failed attacks, half of its attacks or more.
    public var minFailedAttacks = 20

    public init() {}

    /// An actor or a cluster: the merged counts, and which sources came in by which rule.
    public struct Entry: Sendable {
        public var counts: CampaignTally.Counts
        /// Source address → the rule that attributed it (an indicator rule id, or `behaviourRule`).
        public var sourceRules: [String: String] = [:]
        /// Counted records per rule.
        public var ruleEvents: [String: Int] = [:]
    }

    public struct Result: Sendable {
        public var actors: [Entry]
        public var clusters: [Entry]
        /// Every counted record no rule attributed and no cluster took.
        public var unattributed: CampaignTally.Counts
    }

    /// What a source or an actor is known by: its networks, AS numbers, targets, agents, window.
    struct Footprint {
        var prefixes: Set<String> = []
        var asns: Set<Int64> = []
        var targets: Set<String> = []
        var agents: Set<String> = []
        var first: Int64 = .max
        var last: Int64 = .min

        init(_ c: CampaignTally.Counts) {
            for (ip, s) in c.sources where !ip.isEmpty {
                prefixes.insert(CampaignLinker.prefix24(ip))
                if let a = s.asn { asns.insert(a) }
            }
            targets = c.targets
            agents = Set(c.userAgents.keys)
            first = c.firstSeen
            last = c.lastSeen
        }

        mutating func add(_ o: Footprint) {
            prefixes.formUnion(o.prefixes)
            asns.formUnion(o.asns)
            targets.formUnion(o.targets)
            agents.formUnion(o.agents)
            first = min(first, o.first)
            last = max(last, o.last)
        }
    }

    /// Whether `s` shares infrastructure and behaviour with `a` (the link and cluster test).
    func related(_ s: Footprint, _ a: Footprint, window: Bool) -> Bool {
        guard !s.prefixes.isDisjoint(with: a.prefixes) || !s.asns.isDisjoint(with: a.asns) else { return false }
        if window {
            guard s.first <= a.last + windowSlack, s.last >= a.first - windowSlack else { return false }
        }
        if !s.agents.isDisjoint(with: a.agents) { return true }
        return sharedTargets(s.targets, a.targets) >= minSharedTargets
    }

    func sharedTargets(_ a: Set<String>, _ b: Set<String>) -> Int {
        let (small, large) = a.count <= b.count ? (a, b) : (b, a)
        var n = 0
        for t in small where large.contains(t) {
            n += 1
            if n >= minSharedTargets { return n }
        }
        return n
    }

    public func link(_ tally: CampaignTally) -> Result {
        var actors = tally.actors.keys.sorted().map { id -> Entry in
            let c = tally.actors[id]!
            var e = Entry(counts: c, ruleEvents: c.rules)
            for (ip, s) in c.sources where !ip.isEmpty { e.sourceRules[ip] = s.rule ?? "indicator" }
            return e
        }
        var footprints = actors.map { Footprint($0.counts) }
        var open = tally.sources.keys.filter { !$0.isEmpty }.sorted()
        var prints: [String: Footprint] = [:]
        for ip in open { prints[ip] = Footprint(tally.sources[ip]!) }

        // Link until nothing changes: each pass may widen an actor's footprint.
        var changed = !actors.isEmpty
        while changed {
            changed = false
            var still: [String] = []
            for ip in open {
                let s = prints[ip]!
                var best: (index: Int, shared: Int)?
                for i in actors.indices where related(s, footprints[i], window: true) {
                    let shared = sharedTargets(s.targets, footprints[i].targets)
                    if best == nil || shared > best!.shared { best = (i, shared) }
                }
                guard let best else { still.append(ip); continue }
                let c = tally.sources[ip]!
                actors[best.index].counts.merge(c)
                actors[best.index].sourceRules[ip] = Self.behaviourRule
                actors[best.index].ruleEvents[Self.behaviourRule, default: 0] += c.events
                footprints[best.index].add(s)
                changed = true
            }
            open = still
        }

        // Clusters: group what is left, keep the groups that behave like a campaign.
        let suspects = open.filter { tally.sources[$0]!.probeAttempts > 0 || tally.sources[$0]!.failedAttacks > 0 }
        var parent = Array(suspects.indices)
        func root(_ i: Int) -> Int {
            var i = i
            while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }
            return i
        }
        func union(_ i: Int, _ j: Int) {
            let (a, b) = (root(i), root(j))
            if a != b { parent[max(a, b)] = min(a, b) }
        }
        // Only sources in the same /24 or AS can be related: compare within those buckets.
        var buckets: [String: [Int]] = [:]
        for (i, ip) in suspects.enumerated() {
            let p = prints[ip]!
            for prefix in p.prefixes { buckets["net " + prefix, default: []].append(i) }
            for asn in p.asns { buckets["as \(asn)", default: []].append(i) }
        }
        // Within a bucket, two sources are related when they share a user agent or enough
        // targets: found through who-touched-what indexes, not by comparing every pair.
        for key in buckets.keys.sorted() {
            var byAgent: [String: Int] = [:]
            var byTarget: [String: [Int]] = [:]
            for i in buckets[key]! {
                let p = prints[suspects[i]]!
                for agent in p.agents {
                    if let first = byAgent[agent] { union(first, i) } else { byAgent[agent] = i }
                }
                for t in p.targets { byTarget[t, default: []].append(i) }
            }
            var pairs: [Int: Int] = [:]   // (i << 32 | j) → shared targets
            for members in byTarget.values where members.count > 1 {
                for x in members.indices {
                    for y in members.indices where y > x {
                        let key = members[x] << 32 | members[y]
                        pairs[key, default: 0] += 1
                        if pairs[key] == minSharedTargets { union(members[x], members[y]) }
                    }
                }
            }
        }
        var groups: [Int: [String]] = [:]
        for (i, ip) in suspects.enumerated() { groups[root(i), default: []].append(ip) }
        var clusters: [Entry] = []
        var clustered = Set<String>()
        for members in groups.values {
            var e = Entry(counts: CampaignTally.Counts(id: ""))
            for ip in members { e.counts.merge(tally.sources[ip]!) }
            guard campaignLike(e.counts) else { continue }
            for ip in members { e.sourceRules[ip] = "cluster"; clustered.insert(ip) }
            e.ruleEvents["cluster"] = e.counts.events
            clusters.append(e)
        }
        clusters.sort { a, b in
            a.counts.events != b.counts.events ? a.counts.events > b.counts.events
                : a.sourceRules.keys.min()! < b.sourceRules.keys.min()!
        }
        for i in clusters.indices { clusters[i].counts.id = "cluster-\(i + 1)" }

        var rest = CampaignTally.Counts(id: "unattributed")
        for ip in open where !clustered.contains(ip) { rest.merge(tally.sources[ip]!) }
        if let none = tally.sources[""] { rest.merge(none) }
        return Result(actors: actors, clusters: clusters, unattributed: rest)
    }

    /// Enumeration (many distinct addresses) or password guessing (mostly failures).
    func campaignLike(_ c: CampaignTally.Counts) -> Bool {
        let enumerates = c.probed.count >= minProbedAccounts && c.probed.count * maxProbesPerAccount >= c.probeAttempts
        let guesses = c.failedAttacks >= minFailedAttacks && c.failedAttacks * 2 >= c.attackAttempts
        return enumerates || guesses
    }

    /// The /24 of an IPv4 address (`198.51.100`), or the /48 of an IPv6 one.
    static func prefix24(_ ip: String) -> String {
        if ip.contains(":") { return ip.split(separator: ":", omittingEmptySubsequences: false).prefix(3).joined(separator: ":") }
        guard let dot = ip.lastIndex(of: ".") else { return ip }
        return String(ip[..<dot])
    }
}
