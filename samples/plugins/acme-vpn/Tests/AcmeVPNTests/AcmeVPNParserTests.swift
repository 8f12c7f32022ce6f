import AcmeVPN
import SpoorKit
import Testing

/// The parser run through the plugin's exported table, as `spoor --plugin` runs it.
@Suite struct AcmeVPNParserTests {
    let harness: PluginHarness

    init() throws { harness = try PluginHarness(entry: spoorPluginEntry) }

    @Test func theResultLineCarriesTheUserOfItsConnectLine() {
        let connect = harness.parse("2026-03-01 10:00:01 gw1 sess=7f3a1 connect user=alice@example.com from=203.0.113.7:51234 method=password",
                                    parser: "acme.vpn")
        guard case .event(let opened) = connect else { Issue.record("no event: \(connect)"); return }
        #expect(opened["event.action"] == "vpn-connect")
        #expect(opened["@timestamp"] == "2026-03-01T10:00:01.000000Z")

        let result = harness.parse("2026-03-01 10:00:03 gw1 sess=7f3a1 auth result=reject reason=bad_password", parser: "acme.vpn")
        #expect(result == .event([
            "@timestamp": "2026-03-01T10:00:03.000000Z", "host.name": "gw1", "event.dataset": "acme.vpn",
            "network.protocol": "vpn", "labels.session_id": "7f3a1", "event.category": "authentication",
            "event.type": "start", "event.action": "vpn-login", "event.outcome": "failure", "event.reason": "bad_password",
            "user.name": "alice@example.com", "user.email": "alice@example.com", "source.ip": "203.0.113.7",
            "source.port": "51234", "auth.method": "password",
        ]))
    }

    @Test func throughSyslogTheEnvelopeHasTheStampAndTheParserTheRest() {
        _ = harness.parse("sess=9b2c4 connect user=bob from=198.51.100.9:40000", parser: "acme.vpn", program: "acmevpn")
        let result = harness.parse("sess=9b2c4 auth result=accept", parser: "acme.vpn", program: "acmevpn")
        guard case .event(let fields) = result else { Issue.record("no event: \(result)"); return }
        #expect(fields["event.outcome"] == "success")
        #expect(fields["user.name"] == "bob")
        #expect(fields["user.email"] == nil)
        #expect(fields["@timestamp"] == nil)
    }

    @Test func aResultWithoutItsConnectSaysTheSessionIsUnknown() {
        let result = harness.parse("2026-03-01 11:00:00 gw1 sess=zzz auth result=accept", parser: "acme.vpn")
        guard case .event(let fields) = result else { Issue.record("no event: \(result)"); return }
        #expect(fields["labels.session_state"] == "unknown")
        #expect(fields["user.name"] == nil)
    }

    @Test func otherLinesAreNotItsOwnAndBrokenOnesSayWhy() {
        #expect(harness.parse("2026-03-01 11:00:00 gw1 something else", parser: "acme.vpn") == .notMine)
        #expect(harness.parse("2026-03-01 11:00:00 gw1 sess=1 auth result=maybe", parser: "acme.vpn")
                == .failure("acme.vpn auth result 'maybe' is neither accept nor reject"))
    }

    @Test func itClaimsItsOwnFilesAndTheSyslogProgram() {
        #expect(harness.sniff("2026-03-01 10:00:01 gw1 sess=7f3a1 connect user=a from=192.0.2.1:1\n", parser: "acme.vpn") == 100)
        #expect(harness.sniff("Mar  1 10:00:01 gw1 sshd[1]: Accepted password for a\n", parser: "acme.vpn") == 0)
        #expect(harness.routes(of: "acme.vpn") == [.format("acme.vpn"), .program("acmevpn")])
    }

    @Test func theSiteEnricherLabelsGatewaysItKnows() throws {
        let sites: [String: ConfigValue] = ["sites": .list(["gw1=fra", "gw2=ams"])]
        let enriched = try harness.enrich(["host.name": "gw2", "event.dataset": "acme.vpn", "source.port": "4"],
                                          enricher: "acme.vpn.sites", options: sites)
        #expect(enriched == ["host.name": "gw2", "event.dataset": "acme.vpn", "source.port": "4", "labels.site": "ams"])
        let unknown = try harness.enrich(["host.name": "gw9"], enricher: "acme.vpn.sites", options: sites)
        #expect(unknown == ["host.name": "gw9"])
        #expect(throws: ConfigError.self) { try harness.enrich([:], enricher: "acme.vpn.sites", options: ["sites": .list(["gw1"])]) }
    }
}
