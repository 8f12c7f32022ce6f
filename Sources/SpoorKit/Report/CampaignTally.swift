import Foundation

/// What the campaign report counts, per actor, decided from normalized fields only (the
/// contract of `spoor report`, see README): probes, attacks, compromises and the accounts
/// behind them. Each worker keeps its own tally; the job merges them, and the dataset keeps
/// the merged tally of every job (`_campaign.json`) so that reports span jobs.
public struct CampaignTally: Codable, Sendable {
    public struct Actor: Codable, Sendable {
        public var id: String
        public var name: String?
        public var aliases: [String] = []
        public var probeAttempts = 0
        public var probed: Set<String> = []
        public var attacked: Set<String> = []
        public var compromised: Set<String> = []
        public var firstSeen: Int64 = .max
        public var lastSeen: Int64 = .min
        public var sources: [String: Int] = [:]

        mutating func merge(_ o: Actor) {
            if name == nil { name = o.name }
            if aliases.isEmpty { aliases = o.aliases }
            probeAttempts += o.probeAttempts
            probed.formUnion(o.probed)
            attacked.formUnion(o.attacked)
            compromised.formUnion(o.compromised)
            firstSeen = min(firstSeen, o.firstSeen)
            lastSeen = max(lastSeen, o.lastSeen)
            sources.merge(o.sources, uniquingKeysWith: +)
        }
    }

    /// By `threat.group.id`; events no rule attributed are under "unattributed".
    public var actors: [String: Actor] = [:]

    public init() {}

    public mutating func merge(_ other: CampaignTally) {
        for (id, a) in other.actors {
            if actors[id] == nil { actors[id] = a } else { actors[id]!.merge(a) }
        }
    }

    /// Classifies the events of a batch.
    mutating func add(_ batch: EventBatch) {
        batch.withReader { r in
            for event in r.events { add(event, r) }
        }
    }

    static let attackReasons: Set<String> = ["bad_password", "locked", "disabled", "expired", "mfa_required", "mfa_failed"]

    private mutating func add(_ event: EventHeader, _ r: BatchReader) {
        var action = "", category = "", outcome = "", reason = "", email = "", name = "", domain = ""
        var exists: Bool?, group = "", groupName: String?, aliases: [String] = [], ip = ""
        for s in r.slots(of: event) {
            switch s.field {
            case .eventAction: action = r.bytes(s).string
            case .eventCategory: category = r.bytes(s).string
            case .eventOutcome: outcome = r.bytes(s).string
            case .eventReason: reason = r.bytes(s).string
            case .userEmail: email = r.bytes(s).string
            case .userName: name = r.bytes(s).string
            case .userDomain: domain = r.bytes(s).string
            case .userExists: exists = s.value != 0
            case .threatGroupID: group = r.bytes(s).string
            case .threatGroupName: groupName = r.bytes(s).string
            case .threatGroupAlias: aliases.append(r.bytes(s).string)
            case .sourceIP: ip = r.bytes(s).string
            default: break
            }
        }
        let probe = (action == "recipient-check" && (reason == "unknown_user" || outcome == "success"))
            || action == "account-lookup"
            || (category == "authentication" && reason == "unknown_user")
        // An attack checks a credential of an account that exists: the directory decides when
        // one is loaded, the log's own word otherwise.
        let accountExists = exists ?? (reason != "unknown_user")
        let attack = category == "authentication" && accountExists
            && (outcome == "success" || (outcome == "failure" && Self.attackReasons.contains(reason)))
        guard probe || attack else { return }
        let account = Self.account(email: email, name: name, domain: domain)
        let id = group.isEmpty ? "unattributed" : group
        var a = actors[id] ?? Actor(id: id, name: group.isEmpty ? nil : groupName, aliases: aliases)
        if probe {
            a.probeAttempts += 1
            if !account.isEmpty { a.probed.insert(account) }
        }
        if attack, !account.isEmpty {
            a.attacked.insert(account)
            if outcome == "success" { a.compromised.insert(account) }
        }
        a.firstSeen = min(a.firstSeen, event.timestamp)
        a.lastSeen = max(a.lastSeen, event.timestamp)
        if !ip.isEmpty { a.sources[ip, default: 0] += 1 }
        actors[id] = a
    }

    /// The account as the report compares it: `user.email`, else `user.name@user.domain`,
    /// else `user.name`; lower-cased and URL-decoded.
    static func account(email: String, name: String, domain: String) -> String {
        let raw = !email.isEmpty ? email : (!domain.isEmpty && !name.contains("@") && !name.isEmpty ? name + "@" + domain : name)
        return (raw.removingPercentEncoding ?? raw).lowercased()
    }
}
