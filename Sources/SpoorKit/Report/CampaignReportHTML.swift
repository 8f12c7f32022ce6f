/// The report as one self-contained HTML page: inline CSS, an inline SVG chart of each
/// campaign by day (probes, attacks, compromises), the figures and the evidence tables. No
/// script, font, image or style sheet is loaded from anywhere.
extension CampaignReport {
    public func html(title: String = "Spoor campaign report") -> String {
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(Self.escape(title))</title>
            <style>
            body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
            h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
            table{border-collapse:collapse;margin:.5em 0}td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}
            td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#777}
            .key span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
            svg text{font:10px sans-serif;fill:#555}
            </style></head><body>
            <h1>\(Self.escape(title))</h1>
            <p class="muted">Probe: a record that asks whether an account exists. Attack: a credential checked against
            an account that exists. Compromise: a successful attack. Counts are records; accounts are distinct.</p>
            <table><tr><th>actor / cluster</th><th class="n">probes</th><th class="n">accounts probed</th>
            <th class="n">attacked</th><th class="n">compromised</th><th>first seen</th><th>last seen</th></tr>

            """
        let rest = CampaignLinker.Entry(counts: result.unattributed)
        for (e, label) in labelled() + [(rest, "(unattributed)")] {
            let c = e.counts
            out += "<tr><td>\(Self.escape(label))</td><td class=\"n\">\(Self.number(c.probeAttempts))</td>"
                + "<td class=\"n\">\(Self.number(c.probed.count))</td><td class=\"n\">\(Self.number(c.attacked.count))</td>"
                + "<td class=\"n\">\(c.id == "unattributed" ? "-" : Self.number(c.compromised.count))</td>"
                + "<td>\(Self.stamp(c.firstSeen))</td><td>\(Self.stamp(c.lastSeen))</td></tr>\n"
        }
        out += "</table>\n"
        for (n, (e, label)) in labelled().enumerated() {
            let c = e.counts
            out += "<h2>\(Self.escape(label))</h2>\n"
            if !c.aliases.isEmpty { out += "<p>Also known as \(Self.escape(c.aliases.joined(separator: ", "))).</p>\n" }
            out += "<p><b>\(Self.number(c.probeAttempts))</b> probes of <b>\(Self.number(c.probed.count))</b> accounts, "
                + "<b>\(Self.number(c.attacked.count))</b> accounts attacked, <b>\(Self.number(c.compromised.count))</b> compromised, "
                + "from \(Self.stamp(c.firstSeen)) to \(Self.stamp(c.lastSeen)) UTC.</p>\n"
            out += Self.chart(Self.timeline(c))
            if !c.compromised.isEmpty {
                out += "<p>Compromised: " + c.compromised.sorted().map { "<code>\(Self.escape($0))</code>" }.joined(separator: ", ") + "</p>\n"
            }
            let compromises = Self.compromises(c)
            if !compromises.isEmpty {
                out += "<table><tr><th>compromised account</th><th>first signed in (UTC)</th><th>from</th><th>event.id</th></tr>\n"
                for x in compromises {
                    out += "<tr><td><code>\(Self.escape(x.account))</code></td><td>\(Self.stamp(x.time))</td><td>\(Self.escape(x.source))</td>"
                        + "<td><code>\(Self.escape(x.event))</code></td></tr>\n"
                }
                out += "</table>\n"
            }
            out += findingsTable(findings(at: n), entry: e.counts.id)
            out += "<table><tr><th>attributed by</th><th>kind</th><th class=\"n\">records</th><th class=\"n\">sources</th></tr>\n"
            for a in attribution(e) {
                out += "<tr><td>\(Self.escape(a.rule))</td><td>\(a.kind)</td><td class=\"n\">\(Self.number(a.events))</td><td class=\"n\">\(a.sources)</td></tr>\n"
            }
            out += "</table>\n<table><tr><th>AS</th><th>organization</th><th class=\"n\">records</th><th class=\"n\">sources</th></tr>\n"
            for a in Self.topASNs(c) {
                out += "<tr><td>AS\(a.asn)</td><td>\(Self.escape(c.asNames[String(a.asn)] ?? ""))</td><td class=\"n\">\(Self.number(a.events))</td><td class=\"n\">\(a.sources)</td></tr>\n"
            }
            out += "</table>\n<table><tr><th>country</th><th class=\"n\">records</th><th class=\"n\">sources</th></tr>\n"
            for k in Self.topCountries(c) {
                out += "<tr><td>\(Self.escape(k.country))</td><td class=\"n\">\(Self.number(k.events))</td><td class=\"n\">\(k.sources)</td></tr>\n"
            }
            out += "</table>\n<details><summary>\(Self.sources(c).count) sources</summary>\n"
                + "<table><tr><th>address</th><th class=\"n\">records</th><th>AS</th><th>country</th><th>rule</th></tr>\n"
            for s in Self.sources(c) {
                out += "<tr><td>\(Self.escape(s.ip))</td><td class=\"n\">\(Self.number(s.info.events))</td>"
                    + "<td>\(s.info.asn.map { "AS\($0)" } ?? "")</td><td>\(Self.escape(s.info.country ?? ""))</td>"
                    + "<td>\(Self.escape(e.sourceRules[s.ip] ?? ""))</td></tr>\n"
            }
            out += "</table></details>\n"
        }
        if result.actors.isEmpty && result.clusters.isEmpty { out += "<p>No actor and no cluster: nothing was attributed.</p>\n" }
        if !placed.rest.isEmpty {
            out += "<h2>Behaviour findings of unattributed sources</h2>\n" + findingsTable(placed.rest, entry: nil)
        }
        return out + "</body></html>\n"
    }

    /// Stacked bars per day: probes, attacks, compromises (each a colour), with a day axis.
    static func chart(_ days: [(date: String, day: CampaignTally.Counts.Day)]) -> String {
        guard !days.isEmpty else { return "" }
        let width = 1000.0, height = 180.0, left = 40.0, bottom = 20.0
        let peak = Double(max(1, days.map { $0.day.probes + $0.day.attacks }.max() ?? 1))
        let step = (width - left) / Double(days.count)
        let bar = max(1.0, step * 0.8)
        func y(_ v: Double) -> Double { (height - bottom) * (1 - v / peak) }
        func f(_ v: Double) -> String { String(format1: v) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" role=\"img\">\n"
        svg += "<title>records by day</title>\n"
        svg += "<line x1=\"\(f(left))\" y1=\"\(f(height - bottom))\" x2=\"\(f(width))\" y2=\"\(f(height - bottom))\" stroke=\"#999\"/>\n"
        svg += "<text x=\"0\" y=\"10\">\(number(Int(peak)))</text><text x=\"0\" y=\"\(f(height - bottom))\">0</text>\n"
        for (i, d) in days.enumerated() {
            let x = left + Double(i) * step
            let probes = Double(d.day.probes), attacks = Double(d.day.attacks - d.day.compromises), hits = Double(d.day.compromises)
            var base = 0.0
            for (value, colour, what) in [(probes, "#4c78a8", "probes"), (attacks, "#f58518", "failed attacks"), (hits, "#d62728", "compromises")] where value > 0 {
                svg += "<rect x=\"\(f(x))\" y=\"\(f(y(base + value)))\" width=\"\(f(bar))\" height=\"\(f(y(base) - y(base + value)))\" fill=\"\(colour)\">"
                    + "<title>\(d.date): \(Int(value)) \(what)</title></rect>\n"
                base += value
            }
            if i % max(1, days.count / 10) == 0 {
                svg += "<text x=\"\(f(x))\" y=\"\(f(height - 5))\">\(d.date.dropFirst(5))</text>\n"
            }
        }
        svg += "</svg>\n"
        return svg + "<p class=\"key\"><span style=\"background:#4c78a8\"></span>probes<span style=\"background:#f58518\"></span>"
            + "failed attacks<span style=\"background:#d62728\"></span>compromises</p>\n"
    }

    /// The behaviour findings of an entry, per rule and group key (at most 50 rows).
    func findingsTable(_ groups: [CampaignFindingGroup], entry: String?) -> String {
        guard !groups.isEmpty else { return "" }
        var out = "<table><tr><th>behaviour rule</th><th>technique</th><th>group</th><th class=\"n\">findings</th>"
            + "<th>first window (UTC)</th><th>finding.id</th><th>sources</th></tr>\n"
        for g in groups.prefix(50) {
            // Sources of another entry are named (a network's finding may hold a scanner's).
            let other = elsewhere(g, entry: entry)
            let sources = Self.number(g.sources.count) + (other.isEmpty ? "" : ", of them elsewhere: "
                + other.map { "\(Self.escape($0.ip)) (\(Self.escape($0.entry)))" }.joined(separator: ", "))
            out += "<tr><td>\(Self.escape(g.rule))</td><td>\(Self.escape(g.technique ?? ""))</td><td>\(Self.escape(g.group))</td>"
                + "<td class=\"n\">\(Self.number(g.findings))</td><td>\(Self.stamp(g.first))</td>"
                + "<td><code>\(Self.escape(g.ids.first ?? ""))</code></td><td>\(sources)</td></tr>\n"
        }
        if groups.count > 50 { out += "<tr><td class=\"muted\" colspan=\"7\">and \(Self.number(groups.count - 50)) more (findings/)</td></tr>\n" }
        return out + "</table>\n"
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }
}

extension String {
    /// One decimal, without Foundation's locale-dependent formatting.
    init(format1 v: Double) {
        let tenths = Int((v * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }
}
