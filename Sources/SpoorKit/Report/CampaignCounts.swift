extension CampaignCounter {
    /// `CampaignTally.Counts` on value ids (see `CampaignValues`): keyed by class, each key
    /// with the spelling first seen, so that `counts` gives exactly what the tally would have
    /// counted with `String`s.
    ///
    /// The hot fields come first, and the source and the day of the last events are counted
    /// in place (`open`, `openDay`) until an event of another comes: an unattributed source has
    /// one address, and events come in runs of one day, so most events touch only this struct
    /// and the account maps.
    struct Counts {
        struct Source {
            /// The address as first seen.
            var form: Int32
            var events = 0
            var asn: Int64?
            /// Value ids, -1 for none.
            var country: Int32 = -1
            var rule: Int32 = -1

            /// Adds the counts of later events: the first value set stays.
            mutating func merge(_ later: Source) {
                events += later.events
                if asn == nil { asn = later.asn }
                if country < 0 { country = later.country }
                if rule < 0 { rule = later.rule }
            }
        }

        /// A value counted by class: its first spelling and its records.
        struct Tagged {
            var form: Int32
            var count = 0
        }

        var probeAttempts = 0
        var attackAttempts = 0
        var failedAttacks = 0
        var firstSeen: Int64 = .max
        var lastSeen: Int64 = .min
        /// Account class → the spelling first seen.
        var probed = IDMap<Int32>()
        var attacked = IDMap<Int32>()
        var compromised = IDMap<Int32>()
        /// The address class of the last event (-1: none yet) and its counts since.
        var openClass: Int32 = -1
        var open = Source(form: -1)
        /// The day of the last event (`Int32.min`: none yet) and its counts since.
        var openDay = Int32.min
        var openDayCounts = CampaignTally.Counts.Day()
        /// The AS number last added to `asNames` (a source has one: spares the lookup).
        var lastASN: Int64?
        /// The account class last added to `probed` / `attacked` (runs on one account spare
        /// the lookup).
        var lastProbed: Int32 = -1
        var lastAttacked: Int32 = -1

        /// The actor id or source address as first seen.
        var key: Int32
        var name: String?
        var aliases: [String] = []
        /// Address class → index in `sourceList`, for the sources no longer open.
        var sources = IDMap<Int32>()
        var sourceList: [Source] = []
        /// AS number → the value id of its organization name.
        var asNames: [Int64: Int32] = [:]
        /// Class → index in `agentList` / `ruleList`.
        var agents = IDMap<Int32>()
        var agentList: [Tagged] = []
        var rules = IDMap<Int32>()
        var ruleList: [Tagged] = []
        /// Day number → index in `dayList`, for the days no longer open.
        var days = IDMap<Int32>()
        var dayList: [(day: Int32, counts: CampaignTally.Counts.Day)] = []

        init(key: Int32, name: String? = nil, aliases: [String] = []) {
            self.key = key
            self.name = name
            self.aliases = aliases
        }

        /// Makes `cls` (spelled `form`) the open source, keeping the one open so far.
        mutating func openSource(_ cls: Int32, form: Int32) {
            closeSource()
            openClass = cls
            open = Source(form: form)
        }

        /// Makes `day` the open day, keeping the one open so far.
        mutating func openDay(_ day: Int32) {
            closeDay()
            openDay = day
            openDayCounts = CampaignTally.Counts.Day()
        }

        private mutating func closeSource() {
            guard openClass >= 0 else { return }
            let (i, isNew) = sources.insert(openClass, Int32(sourceList.count))
            if isNew { sourceList.append(open) } else { sourceList[Int(i)].merge(open) }
            openClass = -1
        }

        private mutating func closeDay() {
            guard openDay != .min else { return }
            let (i, isNew) = days.insert(openDay, Int32(dayList.count))
            if isNew {
                dayList.append((openDay, openDayCounts))
            } else {
                dayList[Int(i)].counts.probes += openDayCounts.probes
                dayList[Int(i)].counts.attacks += openDayCounts.attacks
                dayList[Int(i)].counts.compromises += openDayCounts.compromises
            }
            openDay = .min
        }

        /// As the tally holds them, with every id turned back into its text (the open source
        /// and day added as closing them would, without copying the lists to close them).
        func counts(_ values: CampaignValues) -> CampaignTally.Counts {
            let text = values.strings
            var c = CampaignTally.Counts(id: text[Int(key)], name: name, aliases: aliases)
            c.probeAttempts = probeAttempts
            c.attackAttempts = attackAttempts
            c.failedAttacks = failedAttacks
            c.probed.reserveCapacity(probed.count)
            c.attacked.reserveCapacity(attacked.count)
            c.compromised.reserveCapacity(compromised.count)
            probed.forEach { _, form in c.probed.insert(text[Int(form)]) }
            attacked.forEach { _, form in c.attacked.insert(text[Int(form)]) }
            compromised.forEach { _, form in c.compromised.insert(text[Int(form)]) }
            c.firstSeen = firstSeen
            c.lastSeen = lastSeen
            var list = sourceList
            if openClass >= 0 {
                if let i = sources.value(openClass) { list[Int(i)].merge(open) } else { list.append(open) }
            }
            for s in list {
                c.sources[text[Int(s.form)]] = .init(events: s.events, asn: s.asn, country: s.country < 0 ? nil : text[Int(s.country)],
                                                     rule: s.rule < 0 ? nil : text[Int(s.rule)])
            }
            for (asn, name) in asNames { c.asNames[String(asn)] = text[Int(name)] }
            for a in agentList { c.userAgents[text[Int(a.form)]] = a.count }
            for r in ruleList { c.rules[text[Int(r.form)]] = r.count }
            for d in dayList { c.days[Int(d.day)] = d.counts }
            if openDay != .min {
                var d = c.days[Int(openDay), default: CampaignTally.Counts.Day()]
                d.probes += openDayCounts.probes
                d.attacks += openDayCounts.attacks
                d.compromises += openDayCounts.compromises
                c.days[Int(openDay)] = d
            }
            return c
        }
    }
}
