import ArgumentParser
import Foundation
import SpoorKit

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Who probed, attacked and compromised which accounts, per actor and per cluster.",
        discussion: """
            Reads the campaign tally a dataset keeps (DIR/_campaign.json, updated by every
            ingest job that has --rules) and prints, per actor and per cluster: probe
            attempts, accounts probed, attacked and compromised (each with its first
            successful sign-in: time, source, event.id), first and last seen, the
            behaviour rules' findings that go with it, the rules that attributed the
            records, top sources, ASNs and countries, and the campaign by day.

            What counts: a probe asks whether an account exists (recipient-check rejected
            as unknown_user or accepted, account-lookup, or an authentication with
            reason unknown_user); an attack checks a credential of an account that exists
            (user.exists from --accounts, else the log's word); a compromise is a
            successful attack. Accounts are compared lower-cased and URL-decoded.

            Attribution: an indicator rule attributes an event to an actor. A source no
            indicator names is linked to an actor (rule behaviour-shared-infrastructure)
            when it shares the /24 or the AS of the actor's attributed sources and the
            same targets (2 accounts or more) or the same user agent, within the actor's
            window (first to last record, ±3 days). Other sources that behave like a
            campaign (many distinct addresses probed, or mostly failed passwords) are
            grouped by shared infrastructure and targets into clusters.

            With --json the report is the contract for detectors:
              {"actors": [{"id", "name", "aliases", "probe_attempts", "accounts_probed",
                "accounts_attacked", "accounts_compromised", "compromised", "compromises",
                "first_seen", "last_seen", "sources", "attributed_by", "top_asns",
                "top_countries", "timeline", "findings", ...}], "clusters": [same, no
                name], "unattributed": {...}}
            With --html FILE it also writes a self-contained page with a chart by day.

            Examples:
              spoor ingest logs/ --out out/ --rules rules/ --accounts accounts.txt --geoip asn.mmdb
              spoor report out/
              spoor report out/ --json
              spoor report out/ --html report.html
            """)

    @Argument(help: "The dataset directory.")
    var directory: String

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Option(help: ArgumentHelp("Also write the report as a self-contained HTML page.", valueName: "FILE"))
    var html: String?

    func run() throws {
        // A report only reads: opening the store of a directory that is not there would make it.
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            FileHandle.standardError.write(Data("spoor: \(directory) is not a dataset directory: give the --out of an ingest job\n".utf8))
            throw ExitCode(2)
        }
        guard let tally = try DatasetStore(root: directory).loadCampaign() else {
            FileHandle.standardError.write(Data("spoor: \(directory) has no campaign tally yet: ingest into it with --rules first\n".utf8))
            throw ExitCode(2)
        }
        let report = CampaignReport(tally)
        if let html {
            do {
                try Data(report.html(title: "Spoor campaign report: \(directory)").utf8).write(to: URL(fileURLWithPath: html))
            } catch {
                FileHandle.standardError.write(Data("spoor: cannot write \(html): \(error.localizedDescription)\n".utf8))
                throw ExitCode(1)
            }
        }
        print(json ? try report.jsonText() : report.text(), terminator: json ? "\n" : "")
    }
}
