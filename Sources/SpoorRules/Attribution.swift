import SpoorKit

/// What attributing an event writes (`threat.group.*`, `rule.id`, `labels.confidence`), as
/// bytes that live as long as the rules: events reference them (`set(_:stable:)`) instead of
/// copying `String`s, and no actor is looked up by name per event. One per actor, rule and
/// confidence, made when the rules load.
struct Attribution: Sendable {
    let groupID: StableText
    let groupName: StableText
    let aliases: [StableText]
    let rule: StableText
    /// `confidence` then the value, for `label(entry:keyLength:)`.
    let confidenceEntry: StableText
    static let confidenceKey = "confidence"

    init(actor: Actor, rule: String, confidence: String) {
        groupID = StableText(actor.mitre ?? actor.id)
        groupName = StableText(actor.name)
        aliases = actor.aliases.map(StableText.init)
        self.rule = StableText(rule)
        confidenceEntry = StableText(Self.confidenceKey + confidence)
    }

    /// The attributions of a rule set: one per distinct actor, rule and confidence, whose
    /// copies share its bytes.
    struct Table {
        private var made: [String: Attribution] = [:]
        /// The last one asked for: a bundle's thousands of entries share theirs.
        private var last: (actor: String, rule: String, confidence: String, made: Attribution)?

        mutating func attribution(_ actors: [String: Actor], actor: String?, rule: String, confidence: String) -> Attribution? {
            guard let actor else { return nil }
            if let last, last.actor == actor, last.rule == rule, last.confidence == confidence { return last.made }
            guard let a = actors[actor] else { return nil }
            let key = actor + "\u{1}" + rule + "\u{1}" + confidence
            let found = made[key] ?? Attribution(actor: a, rule: rule, confidence: confidence)
            made[key] = found
            last = (actor, rule, confidence, found)
            return found
        }
    }
}

extension EventBuilder {
    /// Writes `a` into the event.
    func attribute(_ a: Attribution) {
        set(.threatGroupID, stable: a.groupID.bytes)
        set(.threatGroupName, stable: a.groupName.bytes)
        for alias in a.aliases { append(.threatGroupAlias, stable: alias.bytes) }
        set(.ruleID, stable: a.rule.bytes)
        label(entry: a.confidenceEntry.bytes, keyLength: Attribution.confidenceKey.utf8.count)
    }
}
