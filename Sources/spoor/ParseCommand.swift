import ArgumentParser
import Foundation
import SpoorBuiltins
import SpoorKit

struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Parse one line (or each line of stdin) and print the event as JSON.",
        discussion: """
            Runs exactly what `spoor ingest` runs on a record: framer, syslog envelope, the
            parser routed by program name, provenance. A record that cannot become an event is
            printed as its dead letter, with the reason.

            Year-less timestamps take the current year (or --year). With --explain, each step
            is printed first: the envelope, which parser the program was routed to, which
            pattern matched. For a declarative module (built in, or loaded with --parsers),
            every pattern tried is shown, with the captures of the one that matched.

            Examples:
              spoor parse 'Sep  3 14:02:11 mx1 sshd[2211]: Failed password for invalid user admin from 203.0.113.7 port 51234 ssh2'
              zcat auth.log.2.gz | spoor parse --explain | less
              spoor parse --parsers parsers/ --explain 'Nov 25 10:00:00 vpn1 acmevpn[7]: ...'
            """)

    @Argument(help: "The line to parse; without it, lines are read from stdin.")
    var line: String?

    @Flag(help: "Show the route, the pattern that matched and the fields, step by step.")
    var explain = false

    @OptionGroup var time: TimeOptions

    @OptionGroup var modules: ParserModuleOptions

    func run() throws {
        let registry = builtinRegistry()
        let userModules: UserModules
        do {
            userModules = try UserModules.register(modules.paths, into: registry)
        } catch {
            FileHandle.standardError.write("spoor: \(error)\n")
            throw ExitCode(2)
        }
        var plan = JobPlan(source: try registry.source("files"), framers: try registry.makeFramers(),
                           parsers: try registry.makeParsers(), workers: 1, zone: try time.zone(), pinnedYear: time.year)
        plan.keepOriginal = false
        plan.formatsByGlob = userModules.formatGlobs
        let tester = RecordTester(plan: plan, explain: explain)
        var text: [UInt8]
        if let line {
            text = Array(line.utf8)
        } else {
            text = Array(FileHandle.standardInput.readDataToEndOfFile())
        }
        let outcome = tester.run(text)
        for step in outcome.trace where explain { print("· \(step)") }
        for event in outcome.events { print(event) }
        for letter in outcome.deadLetters { print("dead letter: \(letter)") }
        if !outcome.deadLetters.isEmpty { throw ExitCode(4) }
    }
}

/// How year-less timestamps are read: shared by `ingest` and `parse`.
struct TimeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Put every year-less (RFC 3164) timestamp in this year.",
                               discussion: "Without it, the year comes from each file's modification time (a gzip header's or tar entry's when there is one), so a file that crosses New Year gets December in the old year.",
                               valueName: "YYYY"))
    var year: Int?

    @Option(help: ArgumentHelp("IANA time zone of timestamps without an offset (default UTC).", valueName: "NAME"))
    var timezone: String?

    func zone() throws -> TimeZone {
        try ZoneClock.zone(named: timezone ?? "UTC")
    }
}
