import Foundation
import Testing

/// `spoor rules lint` and `spoor rules test` as a user runs them.
@Suite struct RulesCommandTests {
    @Test func rulesTestPrintsTheDifferenceAndFails() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        try fx.write("rules/r.yaml", """
            title: Unknown user
            id: unknown-user
            detection:
              sel: {event.reason: unknown_user}
              condition: sel
            tags: [attack.t1589.002]
            tests:
              - name: an sshd probe
                logs: ["Jan  5 10:00:00 mx1 sshd[1]: Failed password for invalid user admin from 203.0.113.7 port 5 ssh2"]
                expect: {match: true, fields: {threat.technique.id: T1589.002, source.ip: 203.0.113.8}}
            """)
        let run = try fx.spoor(["rules", "test", fx.url("rules").path])
        #expect(run.status == 1)
        #expect(run.stdout.contains("FAIL unknown-user: an sshd probe"), "\(run.stdout)")
        #expect(run.stdout.contains("- source.ip: 203.0.113.8\n    + source.ip: 203.0.113.7"), "\(run.stdout)")
        #expect(run.stdout.contains("0 passed, 1 failed"))
        let shipped = try fx.spoor(["rules", "test", FindingsDatasetTests.shippedRules])
        #expect(shipped.status == 0 && shipped.stdout.contains("18 passed, 0 failed"), "\(shipped.stdout)")
    }

    @Test func rulesLintExitsTwoOnAMistake() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        try fx.write("rules/r.yaml", """
            title: t
            id: t
            detection:
              sel: {user.nmae: x}
              condition: sel
            """)
        let run = try fx.spoor(["rules", "lint", fx.url("rules").path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("r.yaml:4:9: unknown field 'user.nmae'") && run.stderr.contains("did you mean 'user.name'?"), "\(run.stderr)")
    }
}
