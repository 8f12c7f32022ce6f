import Foundation
@testable import SpoorKit
import SpoorBuiltins
import Testing

/// A job with behaviour rules orders its inputs by when their events begin, not by their
/// modification times (the end of a log, or the time it was copied or exported): the peek
/// parses each input's first records as the job would, whatever the compression.
@Suite struct InputStartTests {
    @Test func anInputBeginsWithItsFirstParsedEvent() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        func lines(day: Int, hour: Int, count: Int) -> String {
            (0..<count).map { i in
                "Jan  \(day) \(String(format: "%02d", hour)):\(String(format: "%02d", i / 60 % 60)):\(String(format: "%02d", i % 60)) mx1 sshd[\(100 + i)]: Failed password for invalid user u\(i) from 192.0.2.\(i % 250 + 1) port \(1000 + i) ssh2\n"
            }.joined()
        }
        try fx.write("logs/week.log", lines(day: 5, hour: 10, count: 3000))
        try fx.write("logs/day.log", lines(day: 3, hour: 7, count: 200)); try fx.sh("gzip -n logs/day.log")
        try fx.write("t/var/log/x.log", lines(day: 4, hour: 9, count: 50))
        try fx.sh("tar -czf logs/archive.tar.gz -C t var && rm -r t")
        // A first line that is no event: the peek keeps the earliest event it parsed.
        try fx.write("logs/noisy.log", "-- MARK --\n" + lines(day: 6, hour: 23, count: 10))
        try fx.write("logs/empty.log", "")
        try fx.write("logs/junk.bin", String(repeating: "\u{01}\u{02}", count: 100))

        let registry = builtinRegistry()
        let plan = JobPlan(source: try registry.source("files", config: PluginConfig(["paths": .list([fx.url("logs").path])])),
                           framers: try registry.makeFramers(), parsers: try registry.makeParsers(), workers: 2,
                           zone: TimeZone(identifier: "UTC")!, pinnedYear: 2026)
        let inputs = try plan.source.inputs()
        let starts = InputStart.earliest(of: inputs, plan: plan, threads: 2)
        var byName: [String: String] = [:]
        for (input, start) in zip(inputs, starts) {
            byName[URL(fileURLWithPath: input.path).lastPathComponent] = start.map { CivilTime.iso8601(micros: $0) } ?? "none"
        }
        #expect(byName == [
            "week.log": "2026-01-05T10:00:00.000000Z", "day.log.gz": "2026-01-03T07:00:00.000000Z",
            "archive.tar.gz": "2026-01-04T09:00:00.000000Z", "noisy.log": "2026-01-06T23:00:00.000000Z",
            "empty.log": "none", "junk.bin": "none",
        ])
    }

    /// stdin cannot be read twice: a job with behaviour rules that reads it beside a file
    /// peeks at neither, and every line of both becomes an event.
    @Test func stdinBesideAFileIsNotPeekedAt() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        var piped = "", file = ""
        for i in 0..<3000 {
            let line = "Jan  5 10:\(String(format: "%02d", i / 60 % 60)):\(String(format: "%02d", i % 60)) mx1 sshd[\(i)]: Failed password for invalid user u\(i) from 192.0.2.\(i % 250 + 1) port \(1000 + i) ssh2\n"
            if i < 2000 { piped += line } else { file += line }
        }
        try fx.write("piped.log", piped)
        try fx.write("logs/auth.log", file)
        let run = try runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", "'\(spoorBinary.path)' ingest - logs/auth.log --out out --year 2026 "
            + "--rules '\(FindingsDatasetTests.shippedRules)' < piped.log"], in: fx.root)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("records in  3,000 = events 3,000 + dead letters 0"), "\(run.stderr)")
    }
}
