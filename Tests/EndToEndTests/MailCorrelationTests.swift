import Foundation
import Testing

/// `--correlate-mail`: one email event per Postfix message, in whatever order its lines are read.
@Suite struct MailCorrelationTests {
    @Test func postfixLinesBecomeOneEventPerMessage() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        // 300 messages; each one's lines are spread over two files, so different workers see them.
        var a = "", b = ""
        for i in 0..<300 {
            let q = String(format: "4B%08X", 0xAB0000 + i), t = String(format: "10:%02d:%02d", i / 60 % 60, i % 60)
            a += "Jan  5 \(t) mx1 postfix/cleanup[1]: \(q): message-id=<m\(i)@example.org>\n"
            a += "Jan  5 \(t) mx1 postfix/qmgr[2]: \(q): from=<s\(i)@example.org>, size=100, nrcpt=2 (queue active)\n"
            b += "Jan  5 \(t) mx1 postfix/local[3]: \(q): to=<a\(i)@example.net>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered)\n"
            let bounced = i % 10 == 0
            b += "Jan  5 \(t) mx1 postfix/local[3]: \(q): to=<b\(i)@example.net>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=\(bounced ? "5.1.1" : "2.0.0"), status=\(bounced ? "bounced" : "sent") (x)\n"
            if i < 290 { b += "Jan  5 \(t) mx1 postfix/qmgr[2]: \(q): removed\n" }   // 10 still queued at the end
        }
        try fx.write("logs/mail.log.1", a)
        try fx.write("logs/mail.log", b)
        // One worker reads the larger file first: every removal comes before the message's
        // other lines — the order that must not split a message.
        let r = try fx.spoor(["ingest", fx.url("logs").path, "--out", fx.url("out").path, "--format", "ndjson", "--year", "2026",
                              "--correlate-mail", "--workers", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("derived     300 email events"))
        #expect(r.stderr.contains("✓"))
        var messages: [[String: Any]] = []
        for file in try fx.files(under: fx.url("out/events/event.dataset=postfix.message").path) where file.hasSuffix(".lz4") {
            for row in try decodeLZ4Frames(Data(contentsOf: URL(fileURLWithPath: file))).split(separator: 0x0A) {
                messages.append(try #require(try JSONSerialization.jsonObject(with: Data(row)) as? [String: Any]))
            }
        }
        #expect(messages.count == 300)
        let first = try #require(messages.first { $0["email.local_id"] as? String == String(format: "4B%08X", 0xAB0001) })
        #expect(first["email.from.address"] as? String == "s1@example.org")
        #expect(Set(first["email.to.address"] as? [String] ?? []) == ["a1@example.net", "b1@example.net"])
        #expect(first["email.message_id"] as? String == "m1@example.org")
        #expect(first["event.outcome"] as? String == "success")
        let outcomes = messages.map { $0["event.outcome"] as? String ?? "" }
        #expect(outcomes.filter { $0 == "failure" }.count == 29)   // every tenth bounced, of the 290 removed
        #expect(outcomes.filter { $0 == "unknown" }.count == 10)   // still queued: incomplete
    }
}
