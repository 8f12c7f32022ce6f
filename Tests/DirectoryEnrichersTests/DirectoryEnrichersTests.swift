import DirectoryEnrichers
import Foundation
import SpoorKit
import SpoorTestSupport
import Testing

@Suite struct DirectoryEnrichersTests {
    func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-enrich-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func tester(_ enrichers: [any Enricher]) -> RecordTester {
        var plan = makeTester().plan
        plan.enrichers = enrichers
        return RecordTester(plan: plan)
    }

    @Test func accountsTellExistingFromUnknown() throws {
        let path = try file("# accounts\nAlice@Example.net, alice.smith@example.net\nbob@example.net\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let t = tester([try AccountDirectoryEnricher(config: PluginConfig(["file": .string(path)]))])
        let probe = "Jan  5 10:00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in local recipient table; from=<x@example.org> to=<nobody@example.net> proto=ESMTP helo=<probe>"
        #expect(parse(probe, with: t).event?["user.exists"] as? Bool == false)
        let alias = "Jan  5 10:00:00 mx1 dovecot: imap-login: Login: user=<ALICE.SMITH@example.net>, method=PLAIN, rip=198.51.100.20, lip=10.0.0.5, mpid=1, TLS, session=<x>"
        #expect(parse(alias, with: t).event?["user.exists"] as? Bool == true)
        // user.name with user.domain (Windows): name@domain.
        let windows = #"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>4625</EventID><TimeCreated SystemTime="2026-01-05T10:00:00Z"/></System><EventData><Data Name="TargetUserName">bob</Data><Data Name="TargetDomainName">example.net</Data></EventData></Event>"#
        #expect(parse(windows, with: t).event?["user.exists"] as? Bool == true)
        // No account named: left alone.
        #expect(parse("Jan  5 10:00:00 mx1 CRON[1]: tick", with: t)["user.exists"] == nil)
    }

    @Test func ipListsLongestPrefixWins() throws {
        let path = try file("203.0.113.0/24,hosting\n203.0.113.128/25,vpn\n2001:db8::/32,tor\n198.51.100.7,office\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let t = tester([try IPListEnricher(config: PluginConfig(["file": .string(path)]))])
        func label(_ ip: String) -> String? {
            parse("Jan  5 10:00:00 h sshd[1]: Failed password for root from \(ip) port 22 ssh2", with: t).label("ip_list")
        }
        #expect(label("203.0.113.5") == "hosting")
        #expect(label("203.0.113.200") == "vpn")
        #expect(label("2001:db8::1") == "tor")
        #expect(label("198.51.100.7") == "office")
        #expect(label("198.51.100.8") == nil)
        #expect(label("192.0.2.1") == nil)
    }

    @Test func aBadListLineIsALoadErrorWithFileAndLine() throws {
        let path = try file("203.0.113.0/24,hosting\nnot-a-cidr,x\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: ConfigError.self) { _ = try IPListEnricher(config: PluginConfig(["file": .string(path)])) }
        #expect(error?.description.contains("\(path):2") == true)
    }
}
