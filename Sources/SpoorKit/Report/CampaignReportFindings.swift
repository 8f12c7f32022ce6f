/// Where the report places the behaviour rules' findings: with the actor a finding names,
/// else with the actor or cluster that holds most of its sources (actors first), else with
/// the unattributed rest.
extension CampaignReport {
    struct PlacedFindings: Sendable {
        var actors: [[CampaignFindingGroup]]
        var clusters: [[CampaignFindingGroup]]
        var rest: [CampaignFindingGroup]
    }

    static func place(_ groups: [CampaignFindingGroup], _ r: CampaignLinker.Result) -> PlacedFindings {
        var placed = PlacedFindings(actors: Array(repeating: [], count: r.actors.count),
                                    clusters: Array(repeating: [], count: r.clusters.count), rest: [])
        let order = groups.sorted { ($0.first, $0.rule, $0.group) < ($1.first, $1.rule, $1.group) }
        for g in order {
            if let actor = g.actor, let i = r.actors.firstIndex(where: { $0.counts.id == actor }) {
                placed.actors[i].append(g)
                continue
            }
            func held(_ e: CampaignLinker.Entry) -> Int { g.sources.filter { e.counts.sources[$0] != nil }.count }
            var best = (n: 0, actor: true, index: -1)
            for (i, e) in r.actors.enumerated() { let n = held(e); if n > best.n { best = (n, true, i) } }
            for (i, e) in r.clusters.enumerated() { let n = held(e); if n > best.n { best = (n, false, i) } }
            if best.index < 0 { placed.rest.append(g) } else if best.actor { placed.actors[best.index].append(g) } else {
                placed.clusters[best.index].append(g)
            }
        }
        return placed
    }

    /// The findings of the entry `labelled()` lists at `index` (actors, then clusters).
    func findings(at index: Int) -> [CampaignFindingGroup] {
        index < placed.actors.count ? placed.actors[index] : placed.clusters[index - placed.actors.count]
    }

    /// A finding of a network (an AS, a /24) may hold sources beside those of the entry it
    /// is placed with: a scanner renting from the actor's provider. They are named with the
    /// actor or cluster that holds them (`unattributed`: none), so that the report does not
    /// seem to pin them on the entry it shows them under. The unattributed rest names only
    /// its findings' sources that an entry holds.
    func elsewhere(_ g: CampaignFindingGroup, entry: String?) -> [(ip: String, entry: String)] {
        g.sources.compactMap { ip in
            let owner = owners[ip]
            guard owner != entry, entry != nil || owner != nil else { return nil }
            return (ip, owner ?? "unattributed")
        }
    }

    func findingsJSON(_ groups: [CampaignFindingGroup], entry: String?) -> [[String: Any]] {
        groups.map { g in
            var o: [String: Any] = ["rule": g.rule, "group": g.group, "findings": g.findings, "events": g.events,
                                    "first_window_start": CivilTime.iso8601(micros: g.first),
                                    "last_window_end": CivilTime.iso8601(micros: g.last), "finding_ids": g.ids, "sources": g.sources]
            if let t = g.technique { o["technique"] = t }
            let other = elsewhere(g, entry: entry)
            if !other.isEmpty { o["sources_elsewhere"] = other.map { ["ip": $0.ip, "entry": $0.entry] } }
            return o
        }
    }

    /// `account-enumeration ×3 (T1589.002), password-spray ×1 (T1110.003)`: findings per rule.
    static func findingsLine(_ groups: [CampaignFindingGroup]) -> String {
        var byRule: [(rule: String, technique: String?, n: Int)] = []
        for g in groups {
            if let i = byRule.firstIndex(where: { $0.rule == g.rule }) { byRule[i].n += g.findings } else {
                byRule.append((g.rule, g.technique, g.findings))
            }
        }
        return byRule.sorted { $0.rule < $1.rule }.map { "\($0.rule) ×\(number($0.n))" + ($0.technique.map { " (\($0))" } ?? "") }
            .joined(separator: ", ")
    }
}
