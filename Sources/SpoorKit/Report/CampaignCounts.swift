extension CampaignCounter {
    /// `CampaignTally.Counts` on value ids (see `CampaignValues`): keyed by class, each key
    /// with the spelling first seen, so that `counts` gives exactly what the tally would have
    /// counted with `String`s.
    struct Counts {
        struct Source {
            /// The address as first seen.
            var form: Int32
            var events = 0
            var asn: Int64?
            /// Value ids, -1 for none.
            var country: Int32 = -1
            var rule: Int32 = -1
        }

        /// A value counted by class: its first spelling and its records.
        struct Tagged {
            var form: Int32
            var count = 0
        }

        /// The actor id or source address as first seen.
        var key: Int32
        var name: String?
        var aliases: [String] = []
        var probeAttempts = 0
        var attackAttempts = 0
        var failedAttacks = 0
        /// Account class → the spelling first seen.
        var probed = IDMap()
        var attacked = IDMap()
        var compromised = IDMap()
        var firstSeen: Int64 = .max
        var lastSeen: Int64 = .min
        /// Address class → index in `sourceList`.
        var sources = IDMap()
        var sourceList: [Source] = []
        /// AS number → the value id of its organization name; the last number added, which
        /// is the number of most events (a source has one), spares the lookup.
        var asNames: [Int64: Int32] = [:]
        var lastASN: Int64?
        /// Class → index in `agentList` / `ruleList`.
        var agents = IDMap()
        var agentList: [Tagged] = []
        var rules = IDMap()
        var ruleList: [Tagged] = []
        /// Day number → index in `dayList`.
        var days = IDMap()
        var dayList: [(day: Int, counts: CampaignTally.Counts.Day)] = []

        init(key: Int32, name: String? = nil, aliases: [String] = []) {
            self.key = key
            self.name = name
            self.aliases = aliases
        }

        /// As the tally holds them, with every id turned back into its text.
        func counts(_ values: CampaignValues) -> CampaignTally.Counts {
            let text = values.strings
            var c = CampaignTally.Counts(id: text[Int(key)], name: name, aliases: aliases)
            c.probeAttempts = probeAttempts
            c.attackAttempts = attackAttempts
            c.failedAttacks = failedAttacks
            probed.forEach { _, form in c.probed.insert(text[Int(form)]) }
            attacked.forEach { _, form in c.attacked.insert(text[Int(form)]) }
            compromised.forEach { _, form in c.compromised.insert(text[Int(form)]) }
            c.firstSeen = firstSeen
            c.lastSeen = lastSeen
            for s in sourceList {
                c.sources[text[Int(s.form)]] = .init(events: s.events, asn: s.asn, country: s.country < 0 ? nil : text[Int(s.country)],
                                                     rule: s.rule < 0 ? nil : text[Int(s.rule)])
            }
            for (asn, name) in asNames { c.asNames[String(asn)] = text[Int(name)] }
            for a in agentList { c.userAgents[text[Int(a.form)]] = a.count }
            for r in ruleList { c.rules[text[Int(r.form)]] = r.count }
            for d in dayList { c.days[d.day] = d.counts }
            return c
        }
    }
}
