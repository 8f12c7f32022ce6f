import SpoorKit
import SpoorModules
import SpoorTestSupport
import Testing

/// Captures become typed fields: each conversion, as a user sees it in the event.
@Suite struct ConversionTests {
    func event(_ fields: String, set: String = "", regex: String, line: String, year: Int = 2026, zone: String = "UTC") throws -> Parsed {
        let m = try module(vpnModule(regex: regex, fields: fields, set: set))
        return parse("Nov 25 10:00:00 vpn1 acmevpn[7]: " + line, with: tester([m], year: year, zone: zone))
    }

    @Test func intsByColumnTypeAndByRequest() throws {
        let e = try event("port: source.port, n: {field: labels.n, type: int}", regex: #"^p=(?<port>\S+) n=(?<n>\S+)"#, line: "p=443 n=12")
        #expect(e.event?["source.port"] as? Int == 443)
        #expect(e.label("n") == "12")
        let bad = try event("port: source.port, n: {field: labels.n, type: int}", regex: #"^p=(?<port>\S+) n=(?<n>\S+)"#, line: "p=https n=x")
        #expect(bad["source.port"] == nil)
        #expect(bad.label("n") == nil)
    }

    @Test func ipsAreCheckedAndNormalised() throws {
        let mapped = try event("ip: source.ip", regex: #"^from (?<ip>\S+)"#, line: "from ::ffff:198.51.100.7")
        #expect(mapped["source.ip"] == "198.51.100.7")
        let v6 = try event("ip: source.ip", regex: #"^from (?<ip>\S+)"#, line: "from 2001:db8::1")
        #expect(v6["source.ip"] == "2001:db8::1")
        let name = try event("ip: source.ip", regex: #"^from (?<ip>\S+)"#, line: "from gw.example.net")
        #expect(name["source.ip"] == nil)
        #expect(name["source.domain"] == "gw.example.net")
        let dest = try event("ip: {field: destination.ip, type: ip}", regex: #"^to (?<ip>\S+)"#, line: "to not-an-ip")
        #expect(dest["destination.ip"] == nil)
    }

    @Test func emailOnlyWhenItIsAnAddress() throws {
        let fields = "u: [user.name, {field: user.email, type: email}]"
        let address = try event(fields, regex: #"^u=(?<u>\S+)"#, line: "u=Alice@Corp.Example")
        #expect(address["user.name"] == "Alice@Corp.Example")
        #expect(address["user.email"] == "Alice@Corp.Example")
        let plain = try event(fields, regex: #"^u=(?<u>\S+)"#, line: "u=alice")
        #expect(plain["user.name"] == "alice")
        #expect(plain["user.email"] == nil)
    }

    @Test func timestampsWithOffsetZoneAndNoYear() throws {
        let withOffset = try event(#"t: {field: "@timestamp", format: "%d/%b/%Y:%H:%M:%S %z"}"#, regex: #"^\[(?<t>[^\]]+)\]"#,
                                   line: "[03/Feb/2024:23:59:58 -0500] x")
        #expect(withOffset["@timestamp"] == "2024-02-04T04:59:58.000000Z")
        let zoned = try event(#"t: {field: "@timestamp", format: "%Y-%m-%d %H:%M:%S", timezone: Europe/Berlin}"#, regex: #"^(?<t>\S+ \S+) x"#,
                              line: "2024-07-01 12:00:00.250 x")
        #expect(zoned["@timestamp"] == "2024-07-01T10:00:00.250000Z")
        let jobZone = try event(#"t: {field: "@timestamp", format: "%Y-%m-%dT%H:%M:%S"}"#, regex: #"^(?<t>\S+) x"#,
                                line: "2024-01-15T08:00:00 x", zone: "America/New_York")
        #expect(jobZone["@timestamp"] == "2024-01-15T13:00:00.000000Z")
        let noYear = try event(#"t: {field: "@timestamp", format: "%b %e %T"}"#, regex: #"^at (?<t>\w+ +\d+ \S+)"#,
                               line: "at Mar  5 07:08:09", year: 2019)
        #expect(noYear["@timestamp"] == "2019-03-05T07:08:09.000000Z")
        let epoch = try event(#"t: {field: "@timestamp", format: "%s"}"#, regex: #"^ts=(?<t>\S+)"#, line: "ts=1700000000.5")
        #expect(epoch["@timestamp"] == "2023-11-14T22:13:20.500000Z")
        let twelve = try event(#"t: {field: "@timestamp", format: ["%m/%d/%Y %I:%M:%S %p", "%F %T"]}"#, regex: #"^at (?<t>.+)$"#,
                               line: "at 02/03/2024 11:04:05 PM")
        #expect(twelve["@timestamp"] == "2024-02-03T23:04:05.000000Z")
        // A stamp that reads in no format leaves the envelope's time.
        let unreadable = try event(#"t: {field: "@timestamp", format: "%F %T"}"#, regex: #"^at (?<t>.+)$"#, line: "at yesterday")
        #expect(unreadable["@timestamp"] == "2026-11-25T10:00:00.000000Z")
    }

    @Test func mapsToTheVocabularyWithADefault() throws {
        let fields = "r: {field: event.outcome, map: {OK: success, DENIED: failure}, default: unknown}, why: {field: event.reason, map: {badpw: bad_password, nouser: unknown_user}}"
        let regex = #"^result=(?<r>\S+)(?: why=(?<why>\S+))?"#
        let ok = try event(fields, regex: regex, line: "result=OK")
        #expect(ok["event.outcome"] == "success")
        let denied = try event(fields, regex: regex, line: "result=DENIED why=nouser")
        #expect(denied["event.outcome"] == "failure")
        #expect(denied["event.reason"] == "unknown_user")
        let other = try event(fields, regex: regex, line: "result=MAYBE why=other")
        #expect(other["event.outcome"] == "unknown")
        #expect(other["event.reason"] == nil)
    }

    @Test func lowerCaseConstantsAndLabels() throws {
        let e = try event("m: {field: auth.method, type: lower}, u: user.name", set: "event.category: authentication, network.protocol: ipsec, labels.vendor: acme",
                          regex: #"^(?<m>\S+) by (?<u>\S+)"#, line: "RADIUS-PAP by bob")
        #expect(e["auth.method"] == "radius-pap")
        #expect(e["event.category"] == "authentication")
        #expect(e["network.protocol"] == "ipsec")
        #expect(e.label("vendor") == "acme")
        #expect(e["event.dataset"] == "acme-vpn")
    }
}
