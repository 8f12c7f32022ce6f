import Foundation
import SpoorTestSupport
import Testing

@Suite struct IISTests {
    let log = """
        #Software: Microsoft Internet Information Services 10.0
        #Version: 1.0
        #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken
        2026-01-05 10:00:00 10.0.0.5 GET /autodiscover/autodiscover.json Email=alice%40example.net&Protocol=Autodiscoverv1 443 - 203.0.113.5 python-requests/2.31 302 0 0 5
        2026-01-05 10:00:01 10.0.0.5 GET /autodiscover/autodiscover.json/v1.0/Bob@Example.net Protocol=EWS 443 - 203.0.113.5 python-requests/2.31 200 0 0 5
        2026-01-05 10:00:02 10.0.0.5 POST /owa/auth.owa - 443 - 203.0.113.5 Mozilla/5.0+(Windows+NT+10.0) 302 0 0 5
        2026-01-05 10:00:03 10.0.0.5 POST /Microsoft-Server-ActiveSync/default.eas Cmd=Sync&User=carol 443 EXAMPLE\\carol 198.51.100.7 Apple-iPhone 200 0 0 9
        #Fields: date time c-ip cs-method cs-uri-stem sc-status cs(X-Forwarded-For)
        2026-01-05 10:00:04 10.0.0.9 GET /owa/ 200 203.0.113.77,+10.0.0.9
        2026-01-05 10:00:05 10.0.0.5 GET /owa/ 200 0 0
        """

    @Test func exchangeURLsBecomeActions() {
        let (events, dead) = run(log)
        #expect(events.map { $0["event.action"] as? String } == ["account-lookup", "account-lookup", "owa-logon", "activesync", "owa"])
        #expect(events[0]["user.email"] as? String == "alice@example.net")
        #expect(events[1]["user.email"] as? String == "Bob@Example.net")
        #expect(events[0]["source.ip"] as? String == "203.0.113.5")
        #expect(events[2]["event.outcome"] as? String == "unknown")       // OWA: evidence, not a verdict
        #expect(events[2]["user_agent.original"] as? String == "Mozilla/5.0 (Windows NT 10.0)")
        #expect(events[3]["user.name"] as? String == "carol" && events[3]["user.domain"] as? String == "EXAMPLE")
        // The second header (mid-file) is honoured; X-Forwarded-For wins over c-ip.
        #expect(events[4]["source.ip"] as? String == "203.0.113.77")
        // A row that does not fit its header is one dead letter that says so.
        #expect(dead.count == 1)
        #expect((dead.first?["error.message"] as? String)?.contains("#Fields: header names 7") == true)
    }
}

@Suite struct ExchangeTrackingTests {
    @Test func trackingRowsBecomeEmailEvents() {
        let log = """
            #Software: Microsoft Exchange Server
            #Version: 15.02.1118.007
            #Log-type: Message Tracking Log
            #Date: 2026-01-05T10:00:00.000Z
            #Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data
            2026-01-05T10:00:00.123Z,203.0.113.5,mail.example.org,10.0.0.5,EX01,"08DC;250 2.0.0 OK, queued",EX01\\Default,SMTP,RECEIVE,1234,<m1@example.org>,0b70-aa,alice@example.net;bob@example.net,,4096,2,,,"Invoice, January",x@example.org,x@example.org,,Incoming,,,,
            2026-01-05T10:00:01.000Z,,,10.0.0.5,EX01,,,STOREDRIVER,FAIL,1234,<m1@example.org>,0b70-aa,nobody@example.net,550 5.1.1 RESOLVER.ADR.RecipientNotFound,4096,1,,,"Invoice, January",x@example.org,x@example.org,,Incoming,,,,
            """
        let (events, dead) = run(log)
        #expect(dead.isEmpty)
        #expect(events.count == 2)
        #expect(events[0]["event.action"] as? String == "receive")
        #expect(events[0]["email.to.address"] as? [String] == ["alice@example.net", "bob@example.net"])
        #expect(events[0]["email.subject"] as? String == "Invoice, January")
        #expect(events[0]["email.from.address"] as? String == "x@example.org")
        #expect((events[0]["labels"] as? [String: String])?["source-context"] == "08DC;250 2.0.0 OK, queued")
        #expect(events[1]["event.outcome"] as? String == "failure")
    }

    @Test func wrongColumnCountIsADeadLetterNotALostNeighbour() {
        let log = """
            #Fields: date-time,event-id,message-id,sender-address
            2026-01-05T10:00:00.000Z,SEND,<a@x>,a@x
            2026-01-05T10:00:01.000Z,SEND,<b@x>
            2026-01-05T10:00:02.000Z,SEND,<c@x>,c@x
            """
        let (events, dead) = run(log)
        #expect(events.count == 2)
        #expect(dead.count == 1)
    }
}

/// Elastic's expected message tracking records (a file with no header: the documented
/// Exchange 2013-2019 column list is used) and kinesis-agent-windows' W3C/Exchange assertions.
@Suite(.enabled(if: Corpora.available, Corpora.missing))
struct MicrosoftConformanceTests {
    @Test func elasticMessageTracking() throws {
        let base = "elastic/integrations/microsoft_exchange_server/messagetracking/"
        let events = run(try Corpora.text(base + "test-messagetracking.log")).events
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(Corpora.text(base + "test-messagetracking.log-expected.condensed.json").utf8)) as? [String: Any])
        let records = try #require(expected["expected"] as? [[String: Any]])
        #expect(events.count == records.count)
        // Elastic's name → Spoor's field.
        let mapping: [(String, String)] = [
            ("email.message_id", "email.message_id"), ("email.local_id", "email.local_id"), ("email.subject", "email.subject"),
            ("email.sender.address", "email.from.address"), ("client.ip", "source.ip"), ("server.ip", "destination.ip"),
            ("server.domain", "host.name"),
        ]
        var checked = 0, equal = 0
        for (event, want) in zip(events, records) {
            func ecs(_ path: String) -> Any? { path.split(separator: ".").reduce(want as Any?) { ($0 as? [String: Any])?[String($1)] } }
            for (theirs, ours) in mapping {
                guard let value = ecs(theirs) else { continue }
                checked += 1
                if "\(value)" == event[ours] as? String { equal += 1 } else { Issue.record("\(ours): \(event[ours] ?? "nil") ≠ \(value)") }
            }
            if let to = ecs("email.to.address") as? [String] {
                checked += 1
                if to == event["email.to.address"] as? [String] { equal += 1 } else { Issue.record("email.to.address differs") }
            }
            let stamp = try #require(ecs("@timestamp") as? String)
            checked += 1
            if (event["@timestamp"] as? String)?.hasPrefix(String(stamp.dropLast())) == true { equal += 1 } else { Issue.record("@timestamp") }
        }
        print("elastic Exchange message tracking: \(equal)/\(checked) fields equal")
    }

    @Test func kinesisRecordCountsAndFields() throws {
        let assertions = try #require(try JSONSerialization.jsonObject(with: Data(Corpora.text("kinesis-agent-windows/expected_assertions.json").utf8)) as? [String: Any])
        var files = 0
        for (file, value) in assertions where file.hasSuffix(".log") {
            guard let spec = value as? [String: Any], let count = spec["record_count"] as? Int else { continue }
            files += 1
            let events = run(try Corpora.text("kinesis-agent-windows/" + file)).events
            #expect(events.count == count, "\(file)")
            for record in spec["records"] as? [[String: Any]] ?? [] {
                let index = try #require(record["index"] as? Int)
                guard index < events.count else { continue }
                let event = events[index]
                if let line = record["line_no"] as? Int { #expect(event["log.file.line"] as? Int == line, "\(file) record \(index)") }
                if let stamp = record["timestamp_utc"] as? String {
                    #expect((event["@timestamp"] as? String)?.hasPrefix(String(stamp.dropLast())) == true, "\(file) record \(index)")
                }
                let labels = event["labels"] as? [String: String] ?? [:]
                for (name, want) in record["fields"] as? [String: String] ?? [:] {
                    let got = labels[name] ?? spoorField(name, event)
                    #expect(got == want || (want.isEmpty && got == nil), "\(file) record \(index) \(name): \(got ?? "nil") ≠ \(want)")
                }
            }
        }
        print("kinesis-agent-windows: \(files) files checked")
        #expect(files == 4)
    }

    /// Columns Spoor maps to schema fields rather than labels.
    func spoorField(_ column: String, _ event: [String: Any]) -> String? {
        switch column {
        case "date-time", "DateTime", "MyTimeStamp": (event["labels"] as? [String: String])?[column] ?? stampText(event)
        case "client-hostname": (event["labels"] as? [String: String])?["client-hostname"]
        case "date": (event["@timestamp"] as? String).map { String($0.prefix(10)) }
        case "time": (event["@timestamp"] as? String).map { String($0.dropFirst(11).prefix(8)) }
        case "time-taken": (event["labels"] as? [String: String])?["time-taken"]
        case "custom-data": (event["labels"] as? [String: String])?["custom-data"]
        default: nil
        }
    }

    func stampText(_ event: [String: Any]) -> String? {
        (event["@timestamp"] as? String).map { String($0.prefix(23)) + "Z" }
    }
}
