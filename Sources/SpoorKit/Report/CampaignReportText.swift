/// The report as the terminal shows it: one summary line per actor and cluster, then a block
/// per entry with the compromised accounts, the rules behind the attribution, top sources,
/// ASNs and countries, and the campaign by day as a bar of block characters.
extension CampaignReport {
    public func text() -> String {
        var out = "actor / cluster                   probes  probed  attacked  compromised  first seen           last seen\n"
        let rest = CampaignLinker.Entry(counts: result.unattributed)
        for (e, label) in labelled() + [(rest, "(unattributed)")] {
            let c = e.counts
            // Unattributed successes are mostly ordinary logins: only an actor's or a cluster's are compromises.
            let compromised = c.id == "unattributed" ? "-" : Self.number(c.compromised.count)
            out += label.padded(32) + Self.number(c.probeAttempts).leftPadded(8) + Self.number(c.probed.count).leftPadded(8)
                + Self.number(c.attacked.count).leftPadded(10) + compromised.leftPadded(13) + "  "
                + Self.stamp(c.firstSeen).padded(19) + "  " + Self.stamp(c.lastSeen) + "\n"
        }
        for (n, (e, label)) in labelled().enumerated() {
            let c = e.counts
            out += "\n" + label + (c.aliases.isEmpty ? "" : " — " + c.aliases.joined(separator: ", ")) + "\n"
            out += "  probes \(Self.number(c.probeAttempts)), accounts probed \(Self.number(c.probed.count)), "
                + "attacked \(Self.number(c.attacked.count)), compromised \(Self.number(c.compromised.count))\n"
            if !c.compromised.isEmpty { out += "  compromised: " + c.compromised.sorted().joined(separator: ", ") + "\n" }
            for x in Self.compromises(c) {
                out += "    \(x.account) first signed in \(Self.stamp(x.time))" + (x.source.isEmpty ? "" : " from \(x.source)")
                    + " (event \(x.event))\n"
            }
            if e.ruleEvents["cluster"] != nil {
                out += "  grouped by shared infrastructure and targets: \(Self.number(c.events)) records from \(e.sourceRules.count) sources\n"
            } else {
                out += "  attributed by: " + attribution(e).map {
                    "\($0.rule) (\($0.kind)) \(Self.number($0.events)) records from \($0.sources) source\($0.sources == 1 ? "" : "s")"
                }.joined(separator: "; ") + "\n"
            }
            let found = findings(at: n)
            if !found.isEmpty { out += "  behaviour findings: " + Self.findingsLine(found) + "\n" }
            let sources = Self.sources(c)
            out += "  top sources (\(sources.count)): " + sources.prefix(5).map { "\($0.ip) \(Self.number($0.info.events))" }.joined(separator: ", ") + "\n"
            let asns = Self.topASNs(c, limit: 4)
            if !asns.isEmpty {
                out += "  top ASNs: " + asns.map { "AS\($0.asn)" + (c.asNames[String($0.asn)].map { " " + $0 } ?? "") + " \(Self.number($0.events))" }
                    .joined(separator: ", ") + "\n"
            }
            let countries = Self.topCountries(c, limit: 5)
            if !countries.isEmpty { out += "  top countries: " + countries.map { "\($0.country) \(Self.number($0.events))" }.joined(separator: ", ") + "\n" }
            let days = Self.timeline(c)
            if let first = days.first, let last = days.last {
                let peak = max(1, days.map { $0.day.probes + $0.day.attacks }.max() ?? 1)
                let bars = Array("▁▂▃▄▅▆▇█")
                let line = days.map { d -> String in
                    let n = d.day.probes + d.day.attacks
                    return n == 0 ? " " : String(bars[min(bars.count - 1, n * bars.count / (peak + 1))])
                }.joined()
                out += "  by day \(first.date) \(line) \(last.date) (peak \(Self.number(peak)) records)\n"
            }
        }
        if !placed.rest.isEmpty { out += "\nbehaviour findings of unattributed sources: " + Self.findingsLine(placed.rest) + "\n" }
        return out
    }

    /// Actors as `NAME (id)`, clusters by id.
    func labelled() -> [(CampaignLinker.Entry, String)] {
        result.actors.map { ($0, "\($0.counts.name ?? $0.counts.id) (\($0.counts.id))") } + result.clusters.map { ($0, $0.counts.id) }
    }

    static func stamp(_ micros: Int64) -> String {
        micros == .max || micros == .min ? "-" : String(CivilTime.iso8601(micros: micros).prefix(19))
    }

    /// 2700 → "2,700".
    static func number(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }
}

extension String {
    func padded(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
