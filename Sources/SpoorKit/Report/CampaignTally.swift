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

    /// Failure reasons of a checked credential (compared on bytes, no String per event).
    @inline(__always)
    static func isAttackReason(_ r: Bytes) -> Bool {
        r.equals("bad_password") || r.equals("locked") || r.equals("disabled") || r.equals("expired")
            || r.equals("mfa_required") || r.equals("mfa_failed")
    }

    /// Classifies one event on bytes; `String`s are made only for the events that count.
    private mutating func add(_ event: EventHeader, _ r: BatchReader) {
        let none = Bytes(start: nil, count: 0)
        var action = none, category = none, outcome = none, reason = none
        var exists: Bool?
        for s in r.slots(of: event) {
            switch s.field {
            case .eventAction: action = r.bytes(s)
            case .eventCategory: category = r.bytes(s)
            case .eventOutcome: outcome = r.bytes(s)
            case .eventReason: reason = r.bytes(s)
            case .userExists: exists = s.value != 0
            default: break
            }
        }
        let unknownUser = reason.equals("unknown_user")
        let authentication = category.equals("authentication")
        let probe = (action.equals("recipient-check") && (unknownUser || outcome.equals("success")))
            || action.equals("account-lookup")
            || (authentication && unknownUser)
        // An attack checks a credential of an account that exists: the directory decides when
        // one is loaded, the log's own word otherwise.
        let attack = authentication && (exists ?? !unknownUser)
            && (outcome.equals("success") || (outcome.equals("failure") && Self.isAttackReason(reason)))
        guard probe || attack else { return }

        var email = "", name = "", domain = "", group = "", groupName: String?, aliases: [String] = [], ip = ""
        for s in r.slots(of: event) {
            switch s.field {
            case .userEmail: email = r.bytes(s).string
            case .userName: name = r.bytes(s).string
            case .userDomain: domain = r.bytes(s).string
            case .threatGroupID: group = r.bytes(s).string
            case .threatGroupName: groupName = r.bytes(s).string
            case .threatGroupAlias: aliases.append(r.bytes(s).string)
            case .sourceIP: ip = r.bytes(s).string
            default: break
            }
        }
        let account = Self.account(email: email, name: name, domain: domain)
        let id = group.isEmpty ? "unattributed" : group
        // Mutated in place: a copy of the actor would copy its account sets on every event.
        var index = actors.index(forKey: id)
        if index == nil {
            actors[id] = Actor(id: id, name: group.isEmpty ? nil : groupName, aliases: aliases)
            index = actors.index(forKey: id)
        }
        let success = outcome.equals("success")
        Self.update(&actors.values[index!]) { a in
            if probe {
                a.probeAttempts += 1
                if !account.isEmpty { a.probed.insert(account) }
            }
            if attack, !account.isEmpty {
                a.attacked.insert(account)
                if success { a.compromised.insert(account) }
            }
            a.firstSeen = min(a.firstSeen, event.timestamp)
            a.lastSeen = max(a.lastSeen, event.timestamp)
            if !ip.isEmpty { a.sources[ip, default: 0] += 1 }
        }
    }

    @inline(__always)
    private static func update(_ a: inout Actor, _ body: (inout Actor) -> Void) { body(&a) }

    /// The account as the report compares it: `user.email`, else `user.name@user.domain`,
    /// else `user.name`; lower-cased and URL-decoded.
    static func account(email: String, name: String, domain: String) -> String {
        let raw = !email.isEmpty ? email : (!domain.isEmpty && !name.utf8.contains(0x40) && !name.isEmpty ? name + "@" + domain : name)
        let decoded = raw.utf8.contains(0x25) ? (raw.removingPercentEncoding ?? raw) : raw
        return decoded.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) || !decoded.utf8.allSatisfy({ $0 < 0x80 })
            ? decoded.lowercased() : decoded
    }
}
