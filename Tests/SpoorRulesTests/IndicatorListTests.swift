import Foundation
import SpoorKit
import SpoorRules
import SpoorTestSupport
import Testing

/// Indicator list files (`file: list.txt`): one IP, CIDR or domain per line.
@Suite struct IndicatorListTests {
    func tester(list: [UInt8]) throws -> (RecordTester, [ConfigError], String) {
        let dir = try rulesDirectory(["rules.yaml": """
            actors:
              - {id: phosphorus, name: PHOSPHORUS, mitre: G0059}
            indicators:
              - id: listed
                actor: phosphorus
                file: list.txt
            """])
        try Data(list).write(to: URL(fileURLWithPath: dir + "/list.txt"))
        let (rules, errors) = RuleSet.lint(directory: dir)
        var plan = makeTester().plan
        plan.enrichers = [IndicatorAttributor(rules: rules)]
        return (RecordTester(plan: plan), errors, dir)
    }

    func sasl(_ ip: String, _ tester: RecordTester) -> Parsed {
        parse("Jan  5 10:00:00 mx1 postfix/smtpd[1]: warning: unknown[\(ip)]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=alice@example.net", with: tester)
    }

    @Test func entriesAreReadAcrossLineBreaksSpacesAndComments() throws {
        // A BOM, CRLF, a vertical tab and U+2028 as line breaks, tabs and no-break spaces
        // around entries, comments, blank lines, a CIDR, an address with a /32, a domain.
        let text = "\u{FEFF}203.0.113.7\r\n# a comment\n\n\t198.51.100.0/25\u{00A0}\u{000B}192.0.2.44/32\u{2028}  Evil.Example  \n#192.0.2.99\n"
        let (tester, errors, dir) = try tester(list: Array(text.utf8))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(errors.isEmpty, "\(errors)")
        #expect(sasl("203.0.113.7", tester)["rule.id"] == "listed")
        #expect(sasl("198.51.100.100", tester)["rule.id"] == "listed")
        #expect(sasl("198.51.100.200", tester)["rule.id"] == nil)
        #expect(sasl("192.0.2.44", tester)["rule.id"] == "listed")
        #expect(sasl("192.0.2.99", tester)["rule.id"] == nil)   // commented out
        let connect = parse("Jan  5 10:00:00 mx1 postfix/smtpd[1]: connect from host.mail.evil.example[198.51.100.200]", with: tester)
        #expect(connect["rule.id"] == "listed")   // a domain, lower-cased, matches its subdomains
    }

    @Test func aListThatIsNotUTF8IsReportedWithTheRule() throws {
        let (_, errors, dir) = try tester(list: Array("203.0.113.7\n".utf8) + [0xFF, 0xFE, 0x0A])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = errors.map(\.description).joined(separator: "\n")
        #expect(errors.count == 1 && text.contains("rules.yaml:") && text.contains("cannot read indicator file"), "\(text)")
    }
}
