import Foundation
import SpoorKit
import SpoorRules
import SpoorTestSupport
import Testing

@Suite struct STIXTests {
    /// A bundle as threat-intelligence platforms export them: indicators linked to an
    /// intrusion set (directly, or through a campaign), the intrusion set attributed to a
    /// threat actor whose alias is a known actor's, validity windows.
    let bundle = """
        {"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
          {"type": "threat-actor", "spec_version": "2.1", "id": "threat-actor--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
           "name": "Charming Kitten", "aliases": ["APT35"], "created": "2019-01-01T00:00:00Z", "modified": "2019-01-01T00:00:00Z"},
          {"type": "intrusion-set", "spec_version": "2.1", "id": "intrusion-set--4e78f46f-a023-4e5f-bc24-71b3ca22ec29",
           "name": "Phosphorus mail operations", "external_references": [{"source_name": "mitre-attack", "external_id": "G0059"}]},
          {"type": "campaign", "spec_version": "2.1", "id": "campaign--1", "name": "Account identification 2019"},
          {"type": "indicator", "spec_version": "2.1", "id": "indicator--a1", "pattern_type": "stix",
           "pattern": "[ipv4-addr:value = '203.0.113.9' OR ipv4-addr:value = '203.0.113.10']",
           "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2026-02-01T00:00:00Z"},
          {"type": "indicator", "spec_version": "2.1", "id": "indicator--a2", "pattern_type": "stix",
           "pattern": "[network-traffic:src_ref.value ISSUBSET '198.51.100.0/24'] OR [autonomous-system:number = 64500]",
           "valid_from": "2026-01-01T00:00:00Z"},
          {"type": "indicator", "spec_version": "2.1", "id": "indicator--a3", "pattern_type": "stix",
           "pattern": "[domain-name:value = 'evil.example']", "valid_from": "2026-01-01T00:00:00Z"},
          {"type": "indicator", "spec_version": "2.1", "id": "indicator--a4", "pattern_type": "stix",
           "pattern": "[email-addr:value = 'Security@Account-Verify.example']", "valid_from": "2026-01-01T00:00:00.000Z"},
          {"type": "indicator", "spec_version": "2.1", "id": "indicator--bad", "pattern_type": "stix",
           "pattern": "[file:hashes.'SHA-256' = 'aa']", "valid_from": "2026-01-01T00:00:00Z"},
          {"type": "indicator", "spec_version": "2.1", "id": "indicator--and", "pattern_type": "stix",
           "pattern": "[ipv4-addr:value = '192.0.2.1' AND ipv4-addr:value = '192.0.2.2']", "valid_from": "2026-01-01T00:00:00Z"},
          {"type": "indicator", "spec_version": "2.1", "id": "indicator--orphan", "pattern_type": "stix",
           "pattern": "[ipv4-addr:value = '192.0.2.3']", "valid_from": "2026-01-01T00:00:00Z"},
          {"type": "relationship", "id": "relationship--1", "relationship_type": "indicates",
           "source_ref": "indicator--a1", "target_ref": "intrusion-set--4e78f46f-a023-4e5f-bc24-71b3ca22ec29"},
          {"type": "relationship", "id": "relationship--2", "relationship_type": "indicates",
           "source_ref": "indicator--a2", "target_ref": "campaign--1"},
          {"type": "relationship", "id": "relationship--3", "relationship_type": "attributed-to",
           "source_ref": "campaign--1", "target_ref": "intrusion-set--4e78f46f-a023-4e5f-bc24-71b3ca22ec29"},
          {"type": "relationship", "id": "relationship--4", "relationship_type": "attributed-to",
           "source_ref": "intrusion-set--4e78f46f-a023-4e5f-bc24-71b3ca22ec29", "target_ref": "threat-actor--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"},
          {"type": "relationship", "id": "relationship--5", "relationship_type": "indicates",
           "source_ref": "indicator--a3", "target_ref": "threat-actor--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"},
          {"type": "relationship", "id": "relationship--6", "relationship_type": "indicates",
           "source_ref": "indicator--a4", "target_ref": "threat-actor--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}
        ]}
        """

    func setUp() throws -> (dir: String, tester: RecordTester, errors: [ConfigError]) {
        let dir = try rulesDirectory(["actors.yaml": """
            actors:
              - {id: phosphorus, name: PHOSPHORUS, aliases: [APT35, Magic Hound], mitre: G0059}
            indicators:
              - id: intel-feed
                confidence: high
                file: feed.json
            """, "feed.json": bundle])
        let (rules, errors) = RuleSet.lint(directory: dir)
        var plan = makeTester().plan
        plan.enrichers = [IndicatorAttributor(rules: rules)]
        return (dir, RecordTester(plan: plan), errors)
    }

    @Test func bundleIndicatorsAttributeThroughTheirRelationshipsWhileValid() throws {
        let (dir, tester, _) = try setUp()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func sasl(_ ip: String, month: String = "Jan") -> Parsed {
            parse("\(month)  5 10:00:00 mx1 postfix/smtpd[1]: warning: unknown[\(ip)]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=alice@example.net", with: tester)
        }
        let direct = sasl("203.0.113.10")
        #expect(direct["threat.group.id"] == "G0059" && direct["threat.group.name"] == "PHOSPHORUS")
        #expect(direct["rule.id"] == "intel-feed" && direct.label("stix.indicator") == "indicator--a1" && direct.label("confidence") == "high")
        #expect(sasl("198.51.100.77").label("stix.indicator") == "indicator--a2")   // ISSUBSET, through the campaign
        #expect(sasl("203.0.113.10", month: "Mar")["threat.group.id"] == nil)       // past valid_until
        #expect(sasl("198.51.100.77", month: "Mar")["threat.group.id"] == "G0059")  // no valid_until
        #expect(sasl("192.0.2.3")["threat.group.id"] == nil)                        // reported, not attributed
        let sender = parse("Jan  5 10:00:00 mx1 postfix/qmgr[2]: 4B00AB0001: from=<security@account-verify.example>, size=100, nrcpt=1 (queue active)", with: tester)
        #expect(sender.label("stix.indicator") == "indicator--a4")
        let shouting = parse("Jan  5 10:00:00 mx1 postfix/qmgr[2]: 4B00AB0003: from=<SECURITY@account-VERIFY.example>, size=100, nrcpt=1 (queue active)", with: tester)
        #expect(shouting.label("stix.indicator") == "indicator--a4")   // addresses compare without case
        let upper = parse("Jan  5 10:00:00 mx1 postfix/qmgr[2]: 4B00AB0004: from=<x@MAIL.Evil.EXAMPLE>, size=100, nrcpt=1 (queue active)", with: tester)
        #expect(upper.label("stix.indicator") == "indicator--a3")
        let other = parse("Jan  5 10:00:00 mx1 postfix/qmgr[2]: 4B00AB0005: from=<x@evil.example.org>, size=100, nrcpt=1 (queue active)", with: tester)
        #expect(other.label("stix.indicator") == nil)
        let domain = parse("Jan  5 10:00:00 mx1 postfix/qmgr[2]: 4B00AB0002: from=<x@mail.evil.example>, size=100, nrcpt=1 (queue active)", with: tester)
        #expect(domain.label("stix.indicator") == "indicator--a3")
    }

    @Test func unsupportedPatternsAreReportedWithFileAndObjectID() throws {
        let (dir, _, errors) = try setUp()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = errors.map(\.description).joined(separator: "\n")
        #expect(errors.count == 3, "\(text)")
        #expect(text.contains("feed.json (indicator--bad): unsupported pattern") && text.contains("file:hashes"))
        #expect(text.contains("feed.json (indicator--and): unsupported pattern") && text.contains("AND"))
        #expect(text.contains("feed.json (indicator--orphan): indicator is linked to no threat-actor or intrusion-set"))
    }

    /// A bundle as some platforms write it: escaped characters (`\u0027` for the pattern's
    /// quotes, `\/`, non-ASCII names), objects nested in objects, keys the reader ignores,
    /// an actor known only to the bundle, with its MITRE id in external_references.
    @Test func bundlesWithEscapesAndNestedObjectsAreReadAsWritten() throws {
        let feed = #"""
            {
              "type": "bundle", "id": "bundle--2",
              "objects": [
                {"type": "threat-actor", "id": "threat-actor--\u00e9t\u00e9", "name": "\u00c9t\u00e9 Group",
                 "external_references": [{"source_name": "other", "url": "https:\/\/example.org\/a"},
                                         {"source_name": "mitre-attack", "external_id": "G9999"}],
                 "x_extra": {"nested": {"deeper": [1, 2.5e3, true, null, {"k": "v"}]}}},
                {"type": "indicator", "id": "indicator--\u0031", "pattern_type": "stix",
                 "pattern": "[ipv4-addr:value = \u0027203.0.113.77\u0027] OR [domain-name:value = 'caf\u00e9.example']",
                 "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "initial-access"}],
                 "extensions": {"extension-definition--1": {"extension_type": "property-extension", "score": 80}},
                 "valid_from": "2026-01-01T00:00:00Z"},
                {"type": "relationship", "id": "relationship--1", "relationship_type": "indicates",
                 "source_ref": "indicator--1", "target_ref": "threat-actor--\u00e9t\u00e9"}
              ]
            }
            """#
        let dir = try rulesDirectory(["intel.yaml": "indicators:\n  - id: intel\n    file: feed.json\n", "feed.json": feed])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (rules, errors) = RuleSet.lint(directory: dir)
        #expect(errors.isEmpty, "\(errors)")
        #expect(rules.actors["été-group"]?.mitre == "G9999" && rules.actors["été-group"]?.name == "Été Group")
        var plan = makeTester().plan
        plan.enrichers = [IndicatorAttributor(rules: rules)]
        let hit = parse("Jan  5 10:00:00 mx1 postfix/smtpd[1]: warning: unknown[203.0.113.77]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=alice@example.net",
                        with: RecordTester(plan: plan))
        #expect(hit["threat.group.id"] == "G9999" && hit.label("stix.indicator") == "indicator--1")
    }

    @Test func aMalformedBundleIsReportedWithFileLineAndColumn() throws {
        let feed = """
            {"type": "bundle", "id": "bundle--3", "objects": [
              {"type": "indicator", "id": "indicator--1", "pattern": "[ipv4-addr:value = '192.0.2.1']"}
              {"type": "indicator", "id": "indicator--2", "pattern": "[ipv4-addr:value = '192.0.2.2']"}
            ]}
            """
        let dir = try rulesDirectory(["intel.yaml": "indicators:\n  - id: intel\n    file: feed.json\n", "feed.json": feed])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (_, errors) = RuleSet.lint(directory: dir)
        let text = errors.map(\.description).joined(separator: "\n")
        #expect(errors.count == 1, "\(text)")
        #expect(text.contains("feed.json:3:3: not a JSON STIX bundle: expected ',' or ']'"), "\(text)")
    }

    @Test func jsonThatIsNotABundleIsReportedWithItsID() throws {
        let dir = try rulesDirectory(["intel.yaml": "indicators:\n  - id: intel\n    file: feed.json\n",
                                      "feed.json": #"{"type": "report", "id": "report--1", "objects": []}"#])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (_, errors) = RuleSet.lint(directory: dir)
        #expect(errors.map(\.description) == ["\(dir)/feed.json (report--1): not a STIX bundle: no type 'bundle' with objects"])
    }
}
