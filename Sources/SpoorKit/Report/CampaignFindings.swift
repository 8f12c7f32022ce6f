/// What the campaign report says of the behaviour rules' findings: per rule and group key
/// (`finding.group`), how many findings and events, their span, a few finding ids to look
/// up in `findings/`, and the sources they name, by which the report places them with an
/// actor or a cluster. Kept per key, not per finding, so that the tally grows with the keys
/// that made findings (like its sources), not with the findings of a long archive.
public struct CampaignFindingGroup: Codable, Sendable, Equatable {
    public var rule: String
    public var technique: String?
    public var group: String
    /// The actor a finding named (a rule's `actor:`, or an attributed evidence event).
    public var actor: String?
    public var findings = 0
    public var events = 0
    /// The earliest window start and the latest window end (µs since the epoch, UTC).
    public var first: Int64 = .max
    public var last: Int64 = .min
    /// The smallest few finding ids, and the sources the findings name (sorted, capped).
    public var ids: [String] = []
    public var sources: [String] = []

    public static let maxIDs = 5
    public static let maxSources = 20

    public init(rule: String, technique: String?, group: String, actor: String?) {
        self.rule = rule
        self.technique = technique
        self.group = group
        self.actor = actor
    }

    /// The key a group has in `CampaignTally.findings`.
    public static func key(rule: String, group: String) -> String { rule + "\u{1}" + group }

    public mutating func add(_ f: Finding) {
        findings += 1
        events += f.eventCount
        first = min(first, f.windowStart)
        last = max(last, f.windowEnd)
        if actor == nil { actor = f.actorID }
        ids = Self.capped(ids, [f.id], Self.maxIDs)
        sources = Self.capped(sources, f.sources, Self.maxSources)
    }

    public mutating func merge(_ o: CampaignFindingGroup) {
        findings += o.findings
        events += o.events
        first = min(first, o.first)
        last = max(last, o.last)
        if actor == nil { actor = o.actor }
        if technique == nil { technique = o.technique }
        ids = Self.capped(ids, o.ids, Self.maxIDs)
        sources = Self.capped(sources, o.sources, Self.maxSources)
    }

    /// The union, sorted, its first `cap`: the same whatever the order of adding.
    static func capped(_ a: [String], _ b: [String], _ cap: Int) -> [String] {
        // Once `a` is full, only what sorts before its largest can enter, and of a finding's
        // hundred sources that is mostly none: no set and no sort for them.
        var b = b
        if a.count >= cap, let top = a.max() { b.removeAll { $0 >= top } }
        guard !b.isEmpty else { return a }
        return Array(Set(a).union(b).sorted().prefix(cap))
    }
}
