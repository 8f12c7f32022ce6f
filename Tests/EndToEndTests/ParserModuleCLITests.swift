import Foundation
import Testing

/// `spoor test`, `spoor new parser`, `spoor validate`, and `--parsers` on ingest, as a user
/// runs them.
@Suite struct ParserModuleCLITests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-cli-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    func spoor(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try runSpoor(args, in: dir)
    }

    func write(_ path: String, _ text: String) throws {
        let url = dir.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// `mods/gizmo.yaml`: a module for `gizmo: denied <user>` lines, the user into `field`.
    func writeGizmo(field: String = "user.name") throws {
        try write("mods/gizmo.yaml", """
            id: gizmo
            applies_to: {programs: [gizmo]}
            patterns:
              - regex: '^denied (?<user>\\S+)'
                fields: {user: \(field)}
            """)
    }

    @Test func testWithoutPathsRunsTheShippedModules() throws {
        let r = try spoor(["test"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("sudo ((built in) sudo.yaml): 4 passed"))
        #expect(r.stdout.contains("roundcube ((built in) roundcube.yaml): 5 passed"))
        #expect(r.stdout.hasSuffix("3 modules, 14 tests: 14 passed, 0 failed\n"), "\(r.stdout)")
    }

    @Test func newParserPassesItsOwnTestAndRefusesToOverwrite() throws {
        let made = try spoor(["new", "parser", "gizmo", "--dir", "mods"])
        #expect(made.status == 0)
        #expect(made.stdout.hasPrefix("wrote mods/gizmo.yaml\n"))
        let tested = try spoor(["test", "mods"])
        #expect(tested.status == 0, "\(tested.stdout)\(tested.stderr)")
        #expect(tested.stdout == "gizmo (mods/gizmo.yaml): 2 passed\n1 module, 2 tests: 2 passed, 0 failed\n")
        let again = try spoor(["new", "parser", "gizmo", "--dir", "mods"])
        #expect(again.status == 2)
        #expect(again.stderr.contains("exists; not overwritten"))
        // --swift writes a compiled plugin package instead (RuntimePluginTests builds one).
        let swift = try spoor(["new", "parser", "gizmo", "--swift", "--dir", "mods"])
        #expect(swift.status == 0, "\(swift.stderr)")
        #expect(swift.stdout.contains("/mods/gizmo/Package.swift\n"), "\(swift.stdout)")
    }

    @Test func failingTestsExitNonZeroWithADiff() throws {
        try write("m/bad.yaml", """
            id: bad
            applies_to: {programs: [gizmo]}
            patterns:
              - regex: '^denied (?<user>\\S+)'
                fields: {user: user.name}
                set: {event.outcome: failure}
            tests:
              - line: "Nov 25 10:00:00 h gizmo: denied bob"
                fields: {user.name: alice, event.outcome: failure}
            """)
        let r = try spoor(["test", "m/bad.yaml"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("bad (m/bad.yaml): 1 of 1 FAILED"))
        #expect(r.stdout.contains("FAIL m/bad.yaml:8:5"))
        #expect(r.stdout.contains("       - user.name: alice\n       + user.name: bob\n"), "\(r.stdout)")
        let broken = try spoor(["test", "m/nothing-here"])
        #expect(broken.status == 2)
        #expect(broken.stderr.contains("m/nothing-here: no such file or directory"))
    }

    @Test func validateNamesEveryMistakeWithItsPlace() throws {
        try write("logs/a.log", "Nov 25 10:00:00 h gizmo: denied bob\n")
        try writeGizmo(field: "user.nam")
        try write("job.yaml", """
            inputs:
              - logs/a.log
              - logs/missing.log
            out: out
            parsers: [mods]
            """)
        let bad = try spoor(["validate", "job.yaml"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("job.yaml:3:5: input '"), "\(bad.stderr)")
        #expect(bad.stderr.contains("logs/missing.log' does not exist"))
        #expect(bad.stderr.contains("mods/gizmo.yaml:5:20: unknown field 'user.nam'"), "\(bad.stderr)")
        #expect(bad.stderr.contains("job.yaml: 2 mistakes"))

        try writeGizmo()
        try write("job.yaml", "inputs: [logs/a.log]\nout: out\nparsers: [mods]\n")
        let good = try spoor(["validate", "job.yaml"])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout == "job.yaml: ok — 1 input, parser modules: gizmo\n")
        // Nothing was read or written.
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path))

        // Attribution rules are linted, with their places too.
        try write("rules/r.yaml", "indicators:\n  - id: x\n    actor: nobody\n    ip: [203.0.113.9]\n")
        try write("job.yaml", "inputs: [logs/a.log]\nout: out\nparsers: [mods]\nrules: rules\n")
        let rules = try spoor(["validate", "job.yaml"])
        #expect(rules.status == 2)
        #expect(rules.stderr.contains("rules/r.yaml:2:5: indicator rule"), "\(rules.stderr)")
        #expect(rules.stderr.contains("nobody"))
        // And the job file's own mistakes.
        try write("job.yaml", "inputs: [logs/a.log]\nout: out\nworkerz: 2\n")
        let typo = try spoor(["validate", "job.yaml"])
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("job.yaml:3:1: unknown key 'workerz'"), "\(typo.stderr)")
    }

    @Test func testRunsRuleTestsBesideModuleTests() throws {
        _ = try spoor(["new", "parser", "gizmo", "--dir", "mixed"])
        try write("mixed/denied.yaml", """
            title: Gizmo denials
            id: gizmo-denied
            logsource: {product: gizmo}
            detection:
              sel: {event.outcome: failure}
              condition: sel
            tests:
              - name: a failure matches
                events: [{event.outcome: failure}]
                expect: {match: true}
            """)
        let r = try spoor(["test", "mixed"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("1 module, 2 tests: 2 passed, 0 failed"), "\(r.stdout)")
        #expect(r.stdout.contains("rules in mixed (1 file), 1 tests: 1 passed, 0 failed"), "\(r.stdout)")

        try write("mixed/denied.yaml", (try String(contentsOf: dir.appendingPathComponent("mixed/denied.yaml"), encoding: .utf8))
            .replacingOccurrences(of: "{match: true}", with: "{match: false}"))
        let failing = try spoor(["test", "mixed"])
        #expect(failing.status == 1, "\(failing.stdout)\(failing.stderr)")
        #expect(failing.stdout.contains("2 tests: 2 passed, 0 failed"), "\(failing.stdout)")
        #expect(failing.stdout.contains("FAIL gizmo-denied: a failure matches (mixed/denied.yaml:8:5)\n    - match: false\n    + match: true"),
                "\(failing.stdout)")
        #expect(failing.stdout.contains("rules in mixed (1 file), 1 tests: 0 passed, 1 failed"), "\(failing.stdout)")
    }

    @Test func ingestWithParsersUsesAndReportsTheModules() throws {
        try write("logs/a.log", "Nov 25 10:00:00 h gizmo: denied bob\nNov 25 10:00:01 h sudo:  alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls\n")
        try writeGizmo()
        try write("mods/sudo.yaml", """
            id: sudo
            version: 7.0.0
            applies_to: {programs: [sudo]}
            dataset: sudo.local
            patterns:
              - regex: '^\\s*(?<user>\\S+) : '
                fields: {user: user.name}
            """)
        let r = try spoor(["ingest", "logs/a.log", "--parsers", "mods", "--out", "-", "--year", "2026"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""event.dataset":"gizmo""#))
        #expect(r.stdout.contains(#""event.dataset":"sudo.local""#))
        #expect(r.stderr.contains("parser      gizmo 1.0.0 from mods/gizmo.yaml\n"))
        #expect(r.stderr.contains("parser      sudo 7.0.0 from mods/sudo.yaml (replaces the built-in 'sudo' 2.0.0)"), "\(r.stderr)")
        let plugins = try spoor(["plugins", "--parsers", "mods"])
        #expect(plugins.stdout.contains("[user module, replaces the built-in 2.0.0]"))
    }
}
