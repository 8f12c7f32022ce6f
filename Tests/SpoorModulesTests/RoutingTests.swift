import Foundation
import SpoorBuiltins
import SpoorKit
import SpoorModules
import SpoorTestSupport
import Testing

/// User modules take part in routing and sniffing like built-in parsers, and replace a
/// built-in parser of the same id.
@Suite struct ModuleRoutingTests {
    static let vpn = """
        id: acme-vpn
        version: 1.2.0
        applies_to:
          programs: [acmevpn]
          program_prefixes: ["acme/"]
          contains: ["login", "logout"]
        dataset: acme.vpn
        patterns:
          - id: login
            prefix: "login "
            regex: '^login (?<result>ok|failed) user=%{USER:user} src=%{IP:ip}'
            fields:
              result: {field: event.outcome, map: {ok: success, failed: failure}}
              user: user.name
              ip: source.ip
            set: {event.category: authentication, event.action: login}
        """

    @Test func programAndPrefixRoutes() throws {
        let t = tester([try module(Self.vpn)])
        let e = parse("Nov 25 10:00:00 vpn1 acmevpn[7]: login failed user=bob src=203.0.113.9", with: t)
        #expect(e["event.dataset"] == "acme.vpn")
        #expect(e["event.outcome"] == "failure")
        #expect(e["source.ip"] == "203.0.113.9")
        let prefixed = parse("Nov 25 10:00:00 vpn1 acme/portal: login ok user=eve src=198.51.100.2", with: t)
        #expect(prefixed["event.dataset"] == "acme.vpn")
        #expect(prefixed["user.name"] == "eve")
        // Not the module's: the generic syslog event, as for any unknown message.
        let other = parse("Nov 25 10:00:00 vpn1 acmevpn[7]: tunnel up", with: t)
        #expect(other["event.dataset"] == "syslog")
        // Another program's line is never offered to it.
        let sshd = parse("Nov 25 10:00:00 vpn1 sshd[9]: Failed password for root from 192.0.2.1 port 22 ssh2", with: t)
        #expect(sshd["event.dataset"] == "sshd")
    }

    @Test func explainShowsEachPatternAndTheCaptures() throws {
        let t = tester([try module(Self.vpn)], explain: true)
        let out = t.run(Array("Nov 25 10:00:00 vpn1 acmevpn[7]: login ok user=eve src=198.51.100.2".utf8))
        let trace = out.trace.joined(separator: "\n")
        #expect(trace.contains("pattern 'login' (test.yaml:9:5) matched: /^login (?<result>ok|failed) user=%{USER:user} src=%{IP:ip}/"), "\(trace)")
        #expect(trace.contains("captures: result='ok' → event.outcome; user='eve' → user.name; ip='198.51.100.2' → source.ip"), "\(trace)")
        #expect(trace.contains("parser 'acme-vpn' for program 'acmevpn': event"), "\(trace)")
    }

    static let ownFormat = """
        id: gatekeeper
        applies_to:
          files: ["*/gatekeeper/*.log"]
        format:
          name: gatekeeper
          header: '^GK (?<t>\\d\\d/\\d\\d/\\d{4} \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?) '
          fields:
            t: {field: "@timestamp", format: "%d/%m/%Y %H:%M:%S", timezone: Europe/Paris}
        patterns:
          - id: deny
            regex: '^DENY (?<user>\\S+) from (?<ip>\\S+)'
            fields: {user: user.name, ip: source.ip}
            set: {event.outcome: failure, event.reason: bad_password, event.category: authentication}
        """

    @Test func ownFormatIsSniffedAndItsHeaderRead() throws {
        let m = try module(Self.ownFormat)
        #expect(m.routes == [.format("gatekeeper")])
        let text = "GK 01/05/2024 10:00:00.5 DENY mallory from 192.0.2.66\nGK 01/05/2024 10:00:01 DENY trent from 192.0.2.67\n"
        let head = Array(text.utf8)
        #expect(head.withUnsafeBytes { m.sniff($0) } == 100)
        let result = run(text, with: tester([m]))
        #expect(result.events.count == 2)
        #expect(result.events.first?["@timestamp"] as? String == "2024-05-01T08:00:00.500000Z")
        #expect(result.events.first?["event.dataset"] as? String == "gatekeeper")
        #expect(result.events.last?["user.name"] as? String == "trent")
        #expect(m.formatGlobs.first?.glob == "*/gatekeeper/*.log")
    }

    @Test func aUserModuleReplacesTheBuiltInOfItsId() throws {
        let mine = try module("""
            id: sudo
            version: 9.0.0
            applies_to: {programs: [sudo]}
            dataset: sudo.mine
            patterns:
              - id: any
                regex: '^\\s*(?<user>\\S+) : '
                fields: {user: user.name}
            """)
        let registry = builtinRegistry()
        let before = registry.parsers.count
        let replaced = registry.register(parser: mine.moduleManifest) { _ in mine }
        #expect(replaced?.id == "sudo")
        #expect(replaced?.version == "2.0.0")
        #expect(registry.parsers.count == before)
        let e = parse("Jan  7 08:00:00 mx1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls", with: tester([mine]))
        #expect(e["event.dataset"] == "sudo.mine")
        #expect(e["user.name"] == "alice")
    }

    @Test func childrenAreTriedOnTheRestOfTheMessage() throws {
        let m = try module("""
            id: tree
            applies_to: {programs: [tree]}
            patterns:
              - id: session
                regex: '^session=(?<sid>\\w+) '
                fields: {sid: labels.session}
                children:
                  - id: fail
                    regex: '^auth fail (?<user>\\S+)'
                    fields: {user: user.name}
                    set: {event.outcome: failure}
                  - id: ok
                    regex: '^auth ok (?<user>\\S+)'
                    fields: {user: user.name}
                    set: {event.outcome: success}
            """)
        let t = tester([m])
        let ok = parse("Nov 25 10:00:00 h tree: session=ab12 auth ok carol", with: t)
        #expect(ok.label("session") == "ab12")
        #expect(ok["event.outcome"] == "success")
        #expect(ok["user.name"] == "carol")
        // No child matched: the parent's event stands.
        let parentOnly = parse("Nov 25 10:00:00 h tree: session=ab12 idle", with: t)
        #expect(parentOnly.label("session") == "ab12")
        #expect(parentOnly["event.outcome"] == nil)
        #expect(parentOnly["event.dataset"] == "tree")
    }

    @Test func aFailingInlineTestSaysWhatDiffers() throws {
        let m = try module(Self.vpn + """

            tests:
              - line: "Nov 25 10:00:00 vpn1 acmevpn[7]: login ok user=eve src=198.51.100.2"
                fields: {event.outcome: failure, user.name: eve, source.port: "22"}
              - line: "Nov 25 10:00:00 vpn1 acmevpn[7]: login ok user=eve src=198.51.100.2"
                match: false
              - line: "Nov 25 10:00:00 vpn1 acmevpn[7]: tunnel up"
                fields: {event.outcome: success}
            """)
        let results = InlineTestRunner.run(m, makeRegistry: builtinRegistry)
        #expect(results.map(\.passed) == [false, false, false])
        #expect(results[0].problems == ["- event.outcome: failure", "+ event.outcome: success",
                                        "- source.port: 22", "+ source.port: (absent)"])
        #expect(results[1].problems.first?.hasPrefix("the module took a line it must not match") == true)
        #expect(results[2].problems.first == "the module did not take the line")
        #expect(results[0].test.origin == "test.yaml:18:5")
    }
}
