import Foundation
import Testing

/// The scenario generator's month of logs (scripts/gen-scenario), at two seeds and sizes the
/// demo does not use, through the built `spoor`: `spoor report --json` must give back exactly
/// the campaign the generator hid, attribute every source of the actor (part of them by
/// behaviour, since only part is on the indicator list), and none of the benign look-alikes.
@Suite struct ScenarioReportTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test(arguments: [
        ["--seed", "7", "--probes", "400", "--attacked", "37", "--compromised", "3", "--accounts", "600", "--days", "10", "--scale", "0.25"],
        ["--seed", "11", "--probes", "250", "--attacked", "20", "--compromised", "2", "--accounts", "400", "--days", "14", "--scale", "0.2"],
    ])
    func reportMatchesTheGeneratorsGroundTruth(_ size: [String]) throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let scenario = fx.url("scenario")
        let generator = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                       ["python3", Self.repository.appendingPathComponent("scripts/gen-scenario").path, "--out", scenario.path,
                                        "--rules-from", Self.repository.appendingPathComponent("rules").path] + size)
        try #require(generator.status == 0, "scripts/gen-scenario \(size.joined(separator: " ")) failed: \(generator.stderr)")

        let ingest = try fx.spoor(["ingest", "--job", scenario.appendingPathComponent("job.yaml").path, "--strict"])
        #expect(ingest.status == 0, "every line of the scenario must become an event: \(ingest.stderr)")
        #expect(ingest.stderr.contains("dead letters 0"), "\(ingest.stderr)")
        let dataset = scenario.appendingPathComponent("dataset").path
        let html = fx.url("report.html").path
        let report = try fx.spoor(["report", dataset, "--json", "--html", html])
        #expect(report.status == 0, "\(report.stderr)")

        let r = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let truth = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: scenario.appendingPathComponent("ground-truth.json"))) as? [String: Any])
        let expected = try #require((truth["actors"] as? [[String: Any]])?.first)
        let actors = try #require(r["actors"] as? [[String: Any]])
        #expect(actors.count == 1)
        let actor = try #require(actors.first)
        #expect(actor["id"] as? String == "G0059" && actor["name"] as? String == "PHOSPHORUS")
        for key in ["probe_attempts", "accounts_probed", "accounts_attacked", "accounts_compromised"] {
            #expect(actor[key] as? Int == expected[key] as? Int, "\(key): report \(actor[key] ?? "nil"), truth \(expected[key] ?? "nil")")
        }
        #expect(actor["compromised"] as? [String] == expected["compromised"] as? [String])
        // Each compromise with its evidence: the first successful sign-in, to the second, and its source.
        let truthSignIns = try #require(expected["compromises"] as? [String: [String: String]])
        let signIns = (actor["compromises"] as? [[String: Any]]) ?? []
        #expect(signIns.count == truthSignIns.count)
        for x in signIns {
            let account = x["account"] as? String ?? "", truth = truthSignIns[account]
            #expect((x["first_success"] as? String)?.prefix(19) == truth?["time"].map { Substring($0) }, "\(x) vs \(truth ?? [:])")
            #expect(x["source"] as? String == truth?["source"] && (x["event_id"] as? String)?.isEmpty == false, "\(x)")
        }
        let sources = Set(((actor["sources"] as? [[String: Any]]) ?? []).compactMap { $0["ip"] as? String })
        #expect(sources == Set(expected["sources"] as? [String] ?? []))

        // Part of the actor came in by behaviour: the indicator list alone would miss it.
        let rules = (actor["attributed_by"] as? [[String: Any]]) ?? []
        let behaviour = rules.first { $0["rule"] as? String == "behaviour-shared-infrastructure" }
        #expect(behaviour?["sources"] as? Int == (expected["behaviour_sources"] as? [String])?.count)
        #expect((behaviour?["events"] as? Int ?? 0) > 0)

        // No benign source or account is attributed, to the actor or to a cluster's actor.
        let benign = try #require(truth["benign"] as? [String: Any])
        let benignSources = Set(benign["sources"] as? [String] ?? [])
        #expect(!benignSources.isEmpty && sources.isDisjoint(with: benignSources), "\(sources.intersection(benignSources))")
        let benignAccounts = Set(benign["accounts"] as? [String] ?? [])
        #expect(!benignAccounts.isEmpty && benignAccounts.isDisjoint(with: Set(actor["compromised"] as? [String] ?? [])))
        // The mailing list and the corporate NAT are no cluster either; the scanner may be one.
        let scanner = Set(truth["scanner_sources"] as? [String] ?? [])
        for cluster in (r["clusters"] as? [[String: Any]]) ?? [] {
            #expect(cluster["name"] == nil)
            let ips = Set(((cluster["sources"] as? [[String: Any]]) ?? []).compactMap { $0["ip"] as? String })
            #expect(ips.isSubset(of: scanner), "cluster \(cluster["id"] ?? "?") holds non-scanner sources \(ips.subtracting(scanner))")
        }

        // The actor stays under every per-source threshold, but its networks keep asking new
        // addresses: the week-long enumeration rule finds them, and no benign network.
        func enumerations(_ entry: [String: Any]?) -> Int {
            ((entry?["findings"] as? [[String: Any]]) ?? []).filter { $0["rule"] as? String == "network-enumeration" }
                .reduce(0) { $0 + ($1["findings"] as? Int ?? 0) }
        }
        #expect(enumerations(actor) > 0, "\(actor["findings"] ?? "no findings")")
        // A finding of the actor's network may hold the scanner's machines there: they are
        // named as not the actor's, and no benign source is left to read as the actor's.
        for f in (actor["findings"] as? [[String: Any]]) ?? [] {
            let elsewhere = Set(((f["sources_elsewhere"] as? [[String: String]]) ?? []).compactMap { $0["ip"] })
            let own = Set(f["sources"] as? [String] ?? []).subtracting(elsewhere)
            #expect(own.isDisjoint(with: benignSources), "\(f["group"] ?? "?"): \(own.intersection(benignSources))")
        }
        for other in ((r["clusters"] as? [[String: Any]]) ?? []) + [r["unattributed"] as? [String: Any] ?? [:]] {
            #expect(enumerations(other) == 0, "\(other["id"] ?? "?"): \(other["findings"] ?? "")")
        }

        // Another number of workers reads the 79-odd files in another interleaving: the
        // report, findings included, is the same to the byte.
        let other = fx.url("other").path
        let again = try fx.spoor(["ingest", "--job", scenario.appendingPathComponent("job.yaml").path, "--workers", "3", "--out", other, "-q"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try fx.spoor(["report", other, "--json"]).stdout == report.stdout)

        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("<svg") && page.contains("PHOSPHORUS"))
        #expect(!page.contains("src=") && !page.contains("href=") && !page.contains("@import"), "the page loads nothing from outside")
    }
}
