import ArgumentParser
import Foundation
import SpoorKit

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Who probed, attacked and compromised which accounts, per actor.",
        discussion: """
            Reads the campaign tally a dataset keeps (DIR/_campaign.json, updated by every
            ingest job) and prints, per actor (threat.group.id, set by --rules) and for
            the unattributed rest: probe attempts, accounts probed, attacked and
            compromised, first and last seen, top sources.

            What counts: a probe asks whether an account exists (recipient-check rejected
            as unknown_user or accepted, account-lookup, or an authentication with
            reason unknown_user); an attack checks a credential of an account that exists
            (user.exists from --accounts, else the log's word); a compromise is a
            successful attack. Accounts are compared lower-cased and URL-decoded.

            With --json the report is the contract for detectors:
              {"actors": [{"id", "name", "aliases", "probe_attempts", "accounts_probed",
                "accounts_attacked", "accounts_compromised", "first_seen", "last_seen",
                "sources", "compromised"}], "clusters": [], "unattributed": {…}}
            Clusters (campaigns linked to no actor) come with behaviour rules.

            Example:
              spoor ingest logs/ --out out/ --rules rules/ --accounts accounts.txt
              spoor report out/ --json
            """)

    @Argument(help: "The dataset directory.")
    var directory: String

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        guard let tally = try DatasetStore(root: directory).loadCampaign() else {
            FileHandle.standardError.write(Data("spoor: \(directory) has no campaign tally yet: ingest into it first\n".utf8))
            throw ExitCode(2)
        }
        let actors = tally.actors.values.filter { $0.id != "unattributed" }.sorted { $0.probeAttempts + $0.attacked.count > $1.probeAttempts + $1.attacked.count }
        if json {
            var out: [String: Any] = ["actors": actors.map(Self.object), "clusters": [Any]()]
            if let u = tally.actors["unattributed"] { out["unattributed"] = Self.object(u) }
            let data = try JSONSerialization.data(withJSONObject: out, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("actor                             probes  probed  attacked  compromised  first seen            last seen")
        for a in actors + (tally.actors["unattributed"].map { [$0] } ?? []) {
            let label = a.id == "unattributed" ? "(unattributed)" : "\(a.name ?? a.id) (\(a.id))"
            // Unattributed successes are mostly ordinary logins: only an actor's are compromises.
            let compromised = a.id == "unattributed" ? "-" : String(a.compromised.count)
            print(label.padding(toLength: 32, withPad: " ", startingAt: 0),
                  String(a.probeAttempts).leftPad(7), String(a.probed.count).leftPad(7), String(a.attacked.count).leftPad(9),
                  compromised.leftPad(12), " ", Self.day(a.firstSeen), " ", Self.day(a.lastSeen))
            if !a.compromised.isEmpty, a.id != "unattributed" { print("  compromised: " + a.compromised.sorted().joined(separator: ", ")) }
        }
    }

    static func object(_ a: CampaignTally.Actor) -> [String: Any] {
        var o: [String: Any] = [
            "id": a.id, "aliases": a.aliases, "probe_attempts": a.probeAttempts, "accounts_probed": a.probed.count,
            "accounts_attacked": a.attacked.count, "accounts_compromised": a.compromised.count,
            "compromised": a.compromised.sorted(),
            "sources": a.sources.sorted { $0.value > $1.value }.prefix(20).map { ["ip": $0.key, "events": $0.value] },
        ]
        if let n = a.name { o["name"] = n }
        if a.firstSeen != .max { o["first_seen"] = CivilTime.iso8601(micros: a.firstSeen) }
        if a.lastSeen != .min { o["last_seen"] = CivilTime.iso8601(micros: a.lastSeen) }
        return o
    }

    static func day(_ micros: Int64) -> String {
        micros == .max || micros == .min ? "-".padding(toLength: 20, withPad: " ", startingAt: 0) : String(CivilTime.iso8601(micros: micros).prefix(19))
    }
}

extension String {
    func leftPad(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
