import Foundation
import SpoorTestSupport
import Testing

@Suite struct EntraSignInTests {
    let graph = """
        {"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns","value":[
          {"id":"a1","createdDateTime":"2026-01-05T10:00:00Z","userPrincipalName":"alice@example.net","appDisplayName":"Office 365 Exchange Online","ipAddress":"203.0.113.5","clientAppUsed":"IMAP4","status":{"errorCode":50126,"failureReason":"Invalid username or password."},"location":{"city":"Tehran","countryOrRegion":"IR"}},
          {"id":"a2","createdDateTime":"2026-01-05T10:00:01Z","userPrincipalName":"nobody@example.net","ipAddress":"203.0.113.5","status":{"errorCode":50034}},
          {"id":"a3","createdDateTime":"2026-01-05T10:00:02Z","userPrincipalName":"bob@example.net","ipAddress":"198.51.100.7","status":{"errorCode":0}},
          {"id":"a4","createdDateTime":"2026-01-05T10:00:03Z","userPrincipalName":"carol@example.net","ipAddress":"203.0.113.5","status":{"errorCode":50076}},
          {"id":"a5","createdDateTime":"2026-01-05T10:00:04Z","userPrincipalName":"dave@example.net","ipAddress":"203.0.113.5","status":{"errorCode":99999}}
        ]}
        """

    @Test func graphExportMapsCodesToOutcomeAndReason() {
        let (events, dead) = run(graph)
        #expect(dead.isEmpty)
        #expect(events.count == 5)
        func at(_ i: Int, _ key: String) -> String? { events[i][key] as? String }
        #expect(at(0, "event.reason") == "bad_password" && at(0, "event.outcome") == "failure")
        #expect(at(0, "user.email") == "alice@example.net" && at(0, "source.ip") == "203.0.113.5")
        #expect(at(0, "source.geo.country_iso_code") == "IR")
        #expect(at(0, "event.category") == "authentication")
        #expect(at(1, "event.reason") == "unknown_user")
        #expect(at(2, "event.outcome") == "success" && at(2, "event.reason") == nil)
        #expect(at(3, "event.reason") == "mfa_required")
        // An unknown code: outcome unknown, the code kept.
        #expect(at(4, "event.outcome") == "unknown")
        #expect((events[4]["labels"] as? [String: String])?["error_code"] == "99999")
    }

    @Test func eventHubRecordsAndNDJSON() {
        let hub = #"{"records":[{"time":"2026-01-05T10:00:00Z","resultType":"50053","callerIpAddress":"203.0.113.9","category":"SignInLogs","properties":{"createdDateTime":"2026-01-05T10:00:00.1234567+00:00","userPrincipalName":"erin@example.net","ipAddress":"203.0.113.9","status":{"errorCode":50053}}}]}"#
        let (events, _) = run(hub)
        #expect(events.count == 1)
        #expect(events.first?["event.reason"] as? String == "locked")
        #expect(events.first?["@timestamp"] as? String == "2026-01-05T10:00:00.123456Z")
        let ndjson = """
            {"createdDateTime":"2026-01-05T10:00:00Z","userPrincipalName":"a@example.net","ipAddress":"192.0.2.1","status":{"errorCode":0}}
            {"createdDateTime":"2026-01-05T10:00:01Z","userPrincipalName":"b@example.net","ipAddress":"192.0.2.2","status":{"errorCode":50057}}
            """
        let two = run(ndjson).events
        #expect(two.map { $0["event.reason"] as? String } == [nil, "disabled"])
    }

    @Test func malformedRecordCostsOneDeadLetterAndNoNeighbour() {
        let text = """
            {"createdDateTime":"2026-01-05T10:00:00Z","userPrincipalName":"a@example.net","status":{"errorCode":0}}
            {"createdDateTime":"2026-01-05T10:00:01Z","userPrincipalName": broken }
            {"createdDateTime":"2026-01-05T10:00:02Z","userPrincipalName":"c@example.net","status":{"errorCode":50126}}
            """
        let (events, dead) = run(text)
        #expect(events.count == 2)
        #expect(dead.count == 1)
        #expect((dead.first?["event.original"] as? String)?.contains("broken") == true)
    }
}

/// Elastic's expected output for two Event Hub sign-in records: the ECS fields it names.
@Suite(.enabled(if: Corpora.available, Corpora.missing))
struct EntraElasticConformanceTests {
    @Test func ecsFieldsMatchElastic() throws {
        let base = "elastic/integrations/azure_signinlogs/"
        let input = try Corpora.text(base + "test-signinlogs-raw.log")
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(Corpora.text(base + "test-signinlogs-raw.log-expected.json").utf8)) as? [String: Any])
        let records = try #require(expected["expected"] as? [[String: Any]])
        let events = run(input).events
        #expect(events.count == records.count)
        var checked = 0, equal = 0
        for (event, want) in zip(events, records) {
            func ecs(_ path: String) -> Any? {
                path.split(separator: ".").reduce(want as Any?) { ($0 as? [String: Any])?[String($1)] }
            }
            let pairs: [(String, Any?)] = [
                ("event.category", (ecs("event.category") as? [String])?.first), ("event.kind", ecs("event.kind")),
                ("event.outcome", ecs("event.outcome")), ("event.type", (ecs("event.type") as? [String])?.first),
                ("event.action", ecs("event.action")), ("source.ip", ecs("source.ip")),
                ("user.name", ecs("user.name")), ("user.domain", ecs("user.domain")),
            ]
            for (field, value) in pairs where value != nil {
                checked += 1
                let got = event[field] as? String
                if got == "\(value!)" { equal += 1 } else { Issue.record("\(field): Spoor \(got ?? "nil"), Elastic \(value!)") }
            }
            // Elastic keeps milliseconds; Spoor keeps microseconds.
            let stamp = try #require(want["@timestamp"] as? String)
            #expect((event["@timestamp"] as? String)?.hasPrefix(String(stamp.dropLast())) == true)
        }
        print("elastic Entra sign-ins: \(equal)/\(checked) ECS fields equal")
    }
}
