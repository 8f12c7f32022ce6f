import Foundation
import Testing

/// A small campaign in, `spoor report --json` out: probes, attacks and compromises counted as
/// the report's contract says, per actor, with the benign rest unattributed.
@Suite struct CampaignReportTests {
    @Test func reportCountsProbesAttacksAndCompromisesPerActor() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let probe = { (to: String) in
            "Jan  5 10:00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 550 5.1.1 <\(to)>: Recipient address rejected: User unknown in local recipient table; from=<x@evil.example> to=<\(to)> proto=ESMTP helo=<probe>\n"
        }
        var log = probe("nobody@example.net") + probe("Nobody@example.net") + probe("ghost@example.net")
        // Relay denied is not a probe.
        log += "Jan  5 10:00:01 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 <x@other.example>: Relay access denied; from=<x@evil.example> to=<x@other.example> proto=ESMTP helo=<probe>\n"
        // Attacks on real accounts from the actor's network; one succeeds, first at 10:02 (the
        // line logged first is a later sign-in, as when a later file is read first).
        log += "Jan  5 10:01:00 mx1 postfix/smtpd[1]: warning: unknown[203.0.113.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=alice@example.net\n"
        log += "Jan  5 10:07:00 mx1 dovecot: imap-login: Login: user=<bob@example.net>, method=PLAIN, rip=203.0.113.11, lip=10.0.0.5, mpid=3, TLS, session=<c>\n"
        let firstSignIn = log.utf8.count
        log += "Jan  5 10:02:00 mx1 dovecot: imap-login: Login: user=<bob@example.net>, method=PLAIN, rip=203.0.113.10, lip=10.0.0.5, mpid=1, TLS, session=<a>\n"
        // A password try on an account the directory does not know: neither a probe nor an attack.
        log += "Jan  5 10:03:00 mx1 postfix/smtpd[1]: warning: unknown[203.0.113.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=zed@example.net\n"
        // A benign login elsewhere.
        log += "Jan  5 10:04:00 mx1 dovecot: imap-login: Login: user=<carol@example.net>, method=PLAIN, rip=198.51.100.7, lip=10.0.0.5, mpid=2, TLS, session=<b>\n"
        try fx.write("logs/mail.log", log)
        try fx.write("accounts.txt", "alice@example.net\nbob@example.net\ncarol@example.net\n")
        try fx.write("rules/phosphorus.yaml", """
            actors:
              - id: phosphorus
                name: PHOSPHORUS
                aliases: [APT35]
                mitre: G0059
            indicators:
              - id: phosphorus-net
                actor: phosphorus
                ip: [203.0.113.0/24]
            """)
        let out = fx.url("out").path
        let ingest = try fx.spoor(["ingest", fx.url("logs").path, "--out", out, "--year", "2026", "-q",
                                   "--rules", fx.url("rules").path, "--accounts", fx.url("accounts.txt").path])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let report = try fx.spoor(["report", out, "--json"])
        let r = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any], "\(report.stderr)")
        let actor = try #require((r["actors"] as? [[String: Any]])?.first)
        #expect(actor["id"] as? String == "G0059" && actor["name"] as? String == "PHOSPHORUS")
        #expect(actor["probe_attempts"] as? Int == 3)
        #expect(actor["accounts_probed"] as? Int == 2)        // nobody (twice, any case) and ghost
        #expect(actor["accounts_attacked"] as? Int == 2)      // alice and bob
        #expect(actor["accounts_compromised"] as? Int == 1)
        #expect(actor["compromised"] as? [String] == ["bob@example.net"])
        // With the evidence: the first successful sign-in, its source and its event.id.
        let compromise = try #require((actor["compromises"] as? [[String: Any]])?.first)
        #expect(compromise["account"] as? String == "bob@example.net" && compromise["source"] as? String == "203.0.113.10")
        #expect(compromise["first_success"] as? String == "2026-01-05T10:02:00.000000Z")
        #expect((compromise["event_id"] as? String)?.hasSuffix("-\(firstSignIn)") == true, "\(compromise)")
        let text = try fx.spoor(["report", out]).stdout
        #expect(text.contains("bob@example.net first signed in 2026-01-05T10:02:00 from 203.0.113.10 (event "), "\(text)")
        let rest = try #require(r["unattributed"] as? [String: Any])
        #expect(rest["accounts_attacked"] as? Int == 1)       // carol, from an unlisted address
        #expect(rest["probe_attempts"] as? Int == 0)
    }

    @Test func reportOnAMissingDirectoryFailsAndCreatesNothing() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let missing = fx.url("no-such-dataset").path
        let r = try fx.spoor(["report", missing])
        #expect(r.status == 2 && r.stderr.contains("is not a dataset directory"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    /// A job without --rules counts no campaign: the report says so instead of printing an
    /// empty table, and a later job without rules leaves an earlier job's tally as it was.
    @Test func aDatasetIngestedWithoutRulesHasNoReportAndSaysWhy() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let failure = "Jan  5 10:01:00 mx1 postfix/smtpd[1]: warning: unknown[203.0.113.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=alice@example.net\n"
        try fx.write("logs/a.log", failure)
        let out = fx.url("out").path
        #expect(try fx.spoor(["ingest", fx.url("logs").path, "--out", out, "--year", "2026", "-q"]).status == 0)
        let none = try fx.spoor(["report", out])
        #expect(none.status == 2 && none.stderr.contains("has no campaign tally yet: ingest into it with --rules first"), "\(none.stdout)\(none.stderr)")

        let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("rules").path
        try fx.write("more/b.log", failure.replacingOccurrences(of: "alice", with: "bob"))
        #expect(try fx.spoor(["ingest", fx.url("more").path, "--out", out, "--year", "2026", "-q", "--rules", rules]).status == 0)
        try fx.write("last/c.log", failure.replacingOccurrences(of: "alice", with: "carol"))
        #expect(try fx.spoor(["ingest", fx.url("last").path, "--out", out, "--year", "2026", "-q"]).status == 0)
        let report = try fx.spoor(["report", out, "--json"])
        let r = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any], "\(report.stderr)")
        #expect((r["unattributed"] as? [String: Any])?["accounts_attacked"] as? Int == 1)   // bob's job only
    }
}
