import Foundation
import SpoorTestSupport
import Testing

@Suite struct WindowsEventTests {
    let xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Events>
        <Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>4625</EventID><TimeCreated SystemTime="2026-01-05T10:00:00.1234567Z"/><Computer>DC01</Computer></System><EventData><Data Name="TargetUserName">alice</Data><Data Name="TargetDomainName">EXAMPLE</Data><Data Name="Status">0xc000006d</Data><Data Name="SubStatus">0xc000006a</Data><Data Name="IpAddress">203.0.113.5</Data><Data Name="IpPort">51234</Data></EventData></Event>
        <Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>4625</EventID><TimeCreated SystemTime="2026-01-05T10:00:01Z"/><Computer>DC01</Computer></System><EventData><Data Name="TargetUserName">ghost</Data><Data Name="SubStatus">0xC0000064</Data><Data Name="IpAddress">::ffff:203.0.113.6</Data></EventData></Event>
        <Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>4624</EventID><TimeCreated SystemTime="2026-01-05T10:00:02Z"/><Computer>DC01</Computer></System><EventData><Data Name="TargetUserName">bob &amp; co</Data><Data Name="IpAddress">-</Data></EventData></Event>
        <Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>4625</EventID><TimeCreated SystemTime="2026-01-05T10
        </Events>
        """

    @Test func xmlEventsMapSubStatusToReason() {
        let (events, dead) = run(xml)
        #expect(events.count == 3)
        #expect(events[0]["event.reason"] as? String == "bad_password")
        #expect(events[0]["source.ip"] as? String == "203.0.113.5" && events[0]["source.port"] as? Int == 51234)
        #expect(events[1]["event.reason"] as? String == "unknown_user")
        #expect(events[1]["source.ip"] as? String == "203.0.113.6")
        #expect(events[2]["event.outcome"] as? String == "success" && events[2]["user.name"] as? String == "bob & co")
        // The event cut in half is one dead letter; the XML declaration and <Events> are no records.
        #expect(dead.count == 1)
        #expect((dead.first?["error.message"] as? String)?.contains("<Event>") == true)
    }

    @Test func nxlogAndWinlogbeatJSON() {
        let nxlog = #"{"EventTime":"2026-01-05 10:00:00","Hostname":"DC01","SourceName":"Microsoft-Windows-Security-Auditing","EventID":4740,"TargetUserName":"carol","Channel":"Security"}"#
        #expect(run(nxlog).events.first?["event.action"] as? String == "locked-out")
        let beat = #"{"@timestamp":"2026-01-05T10:00:00Z","winlog":{"event_id":4771,"computer_name":"DC01","event_data":{"TargetUserName":"dave","Status":"0x18","IpAddress":"::ffff:192.0.2.4","IpPort":"50000"}}}"#
        let e = run(beat).events.first
        #expect(e?["event.reason"] as? String == "bad_password")
        #expect(e?["source.ip"] as? String == "192.0.2.4")
    }
}

@Suite struct Office365AuditTests {
    @Test func signInsAndMailboxChanges() {
        let log = """
            {"CreationTime":"2026-01-05T10:00:00","Id":"1","Operation":"UserLoginFailed","Workload":"AzureActiveDirectory","UserId":"alice@example.net","ClientIP":"203.0.113.5:50123","LogonError":"InvalidUserNameOrPassword","ResultStatus":"Failed"}
            {"CreationTime":"2026-01-05T10:00:01","Id":"2","Operation":"UserLoggedIn","Workload":"AzureActiveDirectory","UserId":"alice@example.net","ClientIP":"[2001:db8::5]:443","ResultStatus":"Success"}
            {"CreationTime":"2026-01-05T10:05:00","Id":"3","Operation":"New-InboxRule","Workload":"Exchange","UserId":"alice@example.net","ClientIP":"203.0.113.5","Parameters":[{"Name":"Name","Value":"x"},{"Name":"ForwardTo","Value":"drop@evil.example"}]}
            {"CreationTime":"2026-01-05T10:06:00","Id":"4","Operation":"Set-Mailbox","Workload":"Exchange","UserId":"alice@example.net","Parameters":[{"Name":"ForwardingSmtpAddress","Value":"smtp:drop@evil.example"}]}
            """
        let (events, dead) = run(log)
        #expect(dead.isEmpty)
        #expect(events.map { $0["event.action"] as? String } == ["login", "login", "inbox-rule", "mailbox-forwarding"])
        #expect(events[0]["event.reason"] as? String == "bad_password" && events[0]["source.ip"] as? String == "203.0.113.5")
        #expect(events[1]["source.ip"] as? String == "2001:db8::5")
        #expect((events[2]["labels"] as? [String: String])?["param.ForwardTo"] == "drop@evil.example")
    }

    @Test func csvExportWithAuditDataColumn() {
        let csv = """
            CreationDate,UserIds,Operations,AuditData
            2026-01-05T10:00:00.0000000Z,alice@example.net,UserLoginFailed,"{""CreationTime"":""2026-01-05T10:00:00"",""Operation"":""UserLoginFailed"",""Workload"":""AzureActiveDirectory"",""UserId"":""alice@example.net"",""ClientIP"":""203.0.113.5"",""LogonError"":""UserAccountNotFound""}"
            """
        let events = run(csv).events
        #expect(events.count == 1)
        #expect(events.first?["event.reason"] as? String == "unknown_user")
    }
}

/// Winlogbeat's golden 4771/4776 events: read as Winlogbeat JSON, the ECS fields Spoor
/// fills must equal Elastic's. (The goldens' event_data no longer holds IpAddress — Winlogbeat
/// moved it to source.ip — so source fields are not compared.)
@Suite(.enabled(if: Corpora.available, Corpora.missing))
struct WinlogbeatGoldenTests {
    @Test(arguments: ["4771", "4776"]) func golden(_ code: String) throws {
        let text = try Corpora.text("elastic/beats/winlogbeat_security_golden/security-windows2012_\(code).golden.json")
        let want = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        let events = run(text).events
        #expect(events.count == want.count)
        for (event, expected) in zip(events, want) {
            let e = expected["event"] as? [String: Any]
            #expect(event["event.action"] as? String == e?["action"] as? String)
            #expect(event["event.outcome"] as? String == e?["outcome"] as? String)
            #expect(event["event.category"] as? String == (e?["category"] as? [String])?.first)
            #expect(event["event.type"] as? String == (e?["type"] as? [String])?.first)
            #expect(event["user.name"] as? String == (expected["user"] as? [String: Any])?["name"] as? String)
        }
    }
}
