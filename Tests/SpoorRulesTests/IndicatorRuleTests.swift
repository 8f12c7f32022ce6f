import Foundation
import SpoorKit
import SpoorRules
import SpoorTestSupport
import Testing

@Suite struct IndicatorRuleTests {
    func directory(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-rules-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    let actors = """
        actors:
          - id: phosphorus
            name: PHOSPHORUS
            aliases: [APT35, Charming Kitten]
            mitre: G0059
        """

    @Test func indicatorsAttributeMatchingEventsOnly() throws {
        let dir = try directory(["actors.yaml": actors, "infra.yaml": """
            indicators:
              - id: phosphorus-ip
                actor: phosphorus
                confidence: high
                ip: [203.0.113.0/24]
              - id: phosphorus-sender
                actor: phosphorus
                sender_domain: [evil.example]
                user_agent: ["python-requests/"]
            """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var plan = makeTester().plan
        plan.enrichers = [try IndicatorAttributor(config: PluginConfig(["rules": .string(dir)]))]
        let tester = RecordTester(plan: plan)
        let hit = parse("Jan  5 10:00:00 mx1 postfix/smtpd[1]: warning: unknown[203.0.113.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=alice@example.net", with: tester)
        #expect(hit["threat.group.id"] == "G0059" && hit["threat.group.name"] == "PHOSPHORUS")
        #expect(hit["threat.group.alias"] == "APT35,Charming Kitten")
        #expect(hit["rule.id"] == "phosphorus-ip" && hit.label("confidence") == "high")
        let sender = parse("Jan  5 10:00:00 mx1 postfix/qmgr[2]: 4B00AB0001: from=<x@mail.evil.example>, size=100, nrcpt=1 (queue active)", with: tester)
        #expect(sender["rule.id"] == "phosphorus-sender")
        let benign = parse("Jan  5 10:00:00 mx1 postfix/smtpd[1]: warning: unknown[198.51.100.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6", with: tester)
        #expect(benign["threat.group.id"] == nil)
    }

    @Test func lintReportsEveryMistakeWithFileLineAndColumn() throws {
        let dir = try directory(["actors.yaml": actors, "bad.yaml": """
            indicators:
              - id: r1
                actor: phosphorous
                ip: [203.0.113.0/33]
                usr_agent: [x]
            """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (_, errors) = RuleSet.lint(directory: dir)
        let text = errors.map(\.description).joined(separator: "\n")
        #expect(errors.count == 3, "\(text)")
        #expect(text.contains("bad.yaml:4:") && text.contains("203.0.113.0/33"))
        #expect(text.contains("bad.yaml:5:5") && text.contains("did you mean 'user_agent'?"))
        #expect(text.contains("unknown actor 'phosphorous'") && text.contains("did you mean 'phosphorus'?"))
    }
}
