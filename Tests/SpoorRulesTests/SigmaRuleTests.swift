import Foundation
import SpoorKit
import SpoorRules
import SpoorTestSupport
import Testing

@Suite struct SigmaRuleTests {
    /// A Sigma rule as the Sigma project writes them, on Spoor's field names.
    let sprayRule = """
        title: SMTP AUTH password failures from a scanner's user agent
        id: 5b6c8a10-2f4e-4d8b-9a51-3c1f0e7d2a11
        status: experimental
        description: Failed SASL logins that a spray tool leaves.
        references:
            - https://attack.mitre.org/techniques/T1110/003/
        author: Spoor tests
        date: 2026-01-05
        logsource:
            product: linux
            service: postfix
        detection:
            selection_auth:
                event.category: authentication
                event.outcome: failure
            selection_smtp:
                - process.name|startswith: postfix/
                - network.protocol: SMTP
            filter_internal:
                source.ip|cidr:
                    - 10.0.0.0/8
                    - 192.168.0.0/16
            condition: all of selection_* and not filter_internal
        falsepositives:
            - Users who forgot their password
        level: medium
        tags:
            - attack.credential_access
            - attack.t1110.003
        """

    @Test func aValidSigmaRuleLoadsAsItIsAndTagsMatchingEvents() throws {
        let dir = try rulesDirectory(["spray.yml": sprayRule])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var plan = makeTester().plan
        plan.enrichers = [try IndicatorAttributor(config: PluginConfig(["rules": .string(dir)]))]
        let tester = RecordTester(plan: plan)
        let hit = parse("Jan  5 10:00:00 mx1 postfix/smtpd[1]: warning: unknown[203.0.113.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=alice@example.net", with: tester)
        #expect(hit.label("rules") == "5b6c8a10-2f4e-4d8b-9a51-3c1f0e7d2a11")
        #expect(hit["threat.technique.id"] == "T1110.003")
        #expect(hit["threat.group.id"] == nil)   // the rule names no actor
        let inside = parse("Jan  5 10:00:00 mx1 postfix/smtpd[1]: warning: unknown[10.1.2.3]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=alice@example.net", with: tester)
        #expect(inside.label("rules") == nil && inside["threat.technique.id"] == nil)
        let ssh = parse("Jan  5 10:00:00 mx1 sshd[2]: Failed password for alice from 203.0.113.9 port 1 ssh2", with: tester)
        #expect(ssh.label("rules") == nil)
    }

    /// The raw record and where it came from are there when the rules run: a keyword rule on
    /// `event.original` and one on `log.file.path` match in the pipeline, not only in rule
    /// tests that give the field (and `event.original` even when the output drops it, as
    /// this tester's does).
    @Test func rulesReadTheRawRecordAndItsProvenance() throws {
        let dir = try rulesDirectory(["k.yaml": """
            title: a keyword in the raw line
            id: keyword
            detection:
              keywords: {event.original|contains: 'Failed password for invalid user'}
              condition: keywords
            ---
            title: anything from the auth log
            id: auth-log
            detection:
              sel: {log.file.path|endswith: 'auth.log', log.offset|gte: 0}
              condition: sel
            """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var plan = makeTester().plan
        plan.enrichers = [try IndicatorAttributor(config: PluginConfig(["rules": .string(dir)]))]
        let tester = RecordTester(plan: plan)
        let hit = parse("Jan  5 10:00:00 mx1 sshd[2]: Failed password for invalid user admin from 203.0.113.9 port 1 ssh2",
                        path: "/var/log/auth.log", with: tester)
        #expect(hit.label("rules") == "keyword,auth-log")
        let other = parse("Jan  5 10:00:00 mx1 sshd[2]: Failed password for alice from 203.0.113.9 port 1 ssh2",
                          path: "/var/log/secure", with: tester)
        #expect(other.label("rules") == nil)
    }

    @Test func aRuleThatNamesAnActorAttributes() throws {
        let dir = try rulesDirectory(["a.yaml": "actors:\n  - {id: phosphorus, name: PHOSPHORUS, aliases: [APT35], mitre: G0059}\n",
                                      "ua.yaml": """
            title: The actor's mail client
            id: phosphorus-client
            actor: phosphorus
            detection:
              ua:
                user_agent.original|re|i: '^python-requests/2\\.\\d+'
              condition: ua
            level: high
            tags: [attack.t1589.002]
            tests:
              - events: [{user_agent.original: Python-Requests/2.31}]
                expect: {match: true, fields: {threat.group.id: G0059, threat.group.name: PHOSPHORUS, rule.id: phosphorus-client, threat.technique.id: T1589.002, labels.confidence: high}}
              - events: [{user_agent.original: curl/8}]
                expect: {match: false, fields: {threat.group.id: null}}
            """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rules = try RuleSet.load(directory: dir)
        let (passed, failures) = RuleTests.run(rules, plan: nil)
        #expect(passed == 2 && failures.isEmpty, "\(failures)")
    }

    /// Every modifier and condition form, as tests written inside a rule file.
    @Test func modifiersAndConditions() throws {
        let dir = try rulesDirectory(["m.yaml": """
            title: contains, startswith, endswith, wildcards, case
            id: strings
            detection:
              a: {user.email|contains: '@EXAMPLE.'}
              b: {user.email|startswith: adm}
              c: {user.email|endswith: .net}
              d: {host.name: 'mx?.ex*'}
              e: {host.name|cased: MX1}
              condition: (a and b) or (c and not d) or e
            tests:
              - {events: [{user.email: Admin@Example.org}], expect: {match: true}}
              - {events: [{user.email: bob@x.net, host.name: web1}], expect: {match: true}}
              - {events: [{user.email: bob@x.net, host.name: MX2.example.net}], expect: {match: false}}
              - {events: [{host.name: MX1}], expect: {match: true}}
              - {events: [{host.name: mx1}], expect: {match: false}}
            ---
            title: all, exists, null, numbers, lists, labels, 1 of them
            id: others
            detection:
              sel_all: {email.to.address|all: [a@x, b@x]}
              sel_num: {source.as.number|gte: 64500, source.port: [25, 587]}
              _helper: {labels.ip_list|exists: true, user.name: null}
              condition: 1 of them or (all of _helper*)
            tests:
              - {events: [{email.to.address: [b@x, c@x, a@x]}], expect: {match: true}}
              - {events: [{email.to.address: [b@x]}], expect: {match: false}}
              - {events: [{source.as.number: "64501", source.port: "587"}], expect: {match: true}}
              - {events: [{source.as.number: "64499", source.port: "587"}], expect: {match: false}}
              - {events: [{labels.ip_list: tor}], expect: {match: true}}
              - {events: [{labels.ip_list: tor, user.name: x}], expect: {match: false}}
            """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (rules, errors) = RuleSet.lint(directory: dir)
        #expect(errors.isEmpty, "\(errors)")
        let (passed, failures) = RuleTests.run(rules, plan: nil)
        #expect(failures.isEmpty, "\(failures.map(\.description).joined(separator: "\n"))")
        #expect(passed == 11)
    }

    @Test func lintPointsAtEveryMistakeInDetectionAndBehaviourRules() throws {
        let dir = try rulesDirectory(["bad.yaml": """
            title: bad
            id: bad-rule
            detection:
              sel:
                SourceIp|cidr: 10.0.0.0/8
                event.outcome|containz: x
              sel2:
                user.name|re: "a(b"
              keywords:
                - evil
              condition: sel and (sel2 or selx
            levle: high
            ---
            title: c
            id: bad-behaviour
            correlation:
              type: value_count
              rules: [probe]
              group-by: [source.ipp]
              timespan: 1x
              condition: {gte: 10}
            ---
            title: d
            id: dangling
            correlation:
              type: event_count
              rules: [nothing-here]
              timespan: 5m
              condition: {gte: 10}
            """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (_, errors) = RuleSet.lint(directory: dir)
        let text = errors.map(\.description).joined(separator: "\n")
        #expect(text.contains("bad.yaml:5:5: unknown field 'SourceIp'"), "\(text)")
        #expect(text.contains("bad.yaml:6:5: unsupported modifier 'containz'") && text.contains("did you mean 'contains'?"))
        #expect(text.contains("bad.yaml:8:19: bad regular expression"))
        #expect(text.contains("bad.yaml:10:5: selection 'keywords' is a keyword search"))
        #expect(text.contains("bad.yaml:11:31: condition: no selection named 'selx'"))
        #expect(text.contains("bad.yaml:12:1: unknown rule key 'levle'") && text.contains("did you mean 'level'?"))
        #expect(text.contains("bad.yaml:19:14: unknown group-by field 'source.ipp'") && text.contains("did you mean 'source.ip'?"))
        #expect(text.contains("bad.yaml:20:13: timespan must be a duration"))
        #expect(text.contains("bad.yaml:21:14: value_count needs condition: {field: …}"))
        #expect(text.contains("bad.yaml:27:10: behaviour rule 'dangling' refers to no rule named 'nothing-here'"))
        // A rule with other mistakes still has the rules it names checked.
        #expect(text.contains("bad.yaml:18:10: behaviour rule 'bad-behaviour' refers to no rule named 'probe'"))
        #expect(errors.count == 11, "\(text)")
    }

    /// `repeat: N` in a test's event makes N events numbered through `{n}`; a bad count is a
    /// mistake with its place.
    @Test func aRepeatedTestEventIsNumbered() throws {
        let dir = try rulesDirectory(["r.yaml": """
            title: a numbered user
            id: numbered
            detection:
              sel: {user.name: u3}
              condition: sel
            tests:
              - {events: [{user.name: "u{n}", repeat: 3}], expect: {match: true}}
              - {events: [{user.name: "u{n}", repeat: 2}], expect: {match: false}}
              - {events: [{user.name: u, repeat: 0}], expect: {match: false}}
            """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (rules, errors) = RuleSet.lint(directory: dir)
        #expect(errors.map(\.description) == ["\(dir)/r.yaml:9:38: repeat: is a number of copies, 1 to 10000"])
        let (passed, failures) = RuleTests.run(rules, plan: nil)
        #expect(passed == 3 && failures.isEmpty, "\(failures)")
    }
}
