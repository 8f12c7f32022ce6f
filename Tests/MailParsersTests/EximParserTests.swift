import SpoorTestSupport
import Testing

@Suite struct EximParserTests {
    let tester = makeTester()

    @Test func rejectedRcptUnknownUserIsAProbe() {
        let e = parse("2013-06-15 16:36:49 H=altmx.example.com [111.67.203.116] F=<kadr@mail.example> rejected RCPT <oksana@corp.example>: Unknown user", with: tester)
        #expect(e["event.dataset"] == "exim")
        #expect(e["event.action"] == "recipient-check")
        #expect(e["event.category"] == "email")
        #expect(e["event.outcome"] == "failure")
        #expect(e["event.reason"] == "unknown_user")
        #expect(e["user.email"] == "oksana@corp.example")
        #expect(e.to == ["oksana@corp.example"])
        #expect(e["email.from.address"] == "kadr@mail.example")
        #expect(e["source.ip"] == "111.67.203.116")
        #expect(e["source.domain"] == "altmx.example.com")
        #expect(e["@timestamp"] == "2013-06-15T16:36:49.000000Z")
        #expect(e.campaignClass == .probe)
    }

    @Test func relayNotPermitted() {
        let e = parse("2013-06-10 18:33:32 [10099] H=(yakult.com.tw) [202.132.70.178]:3755 I=[1.2.3.4]:25 F=menacedsj04@listserv.example rejected RCPT dir@ml3.example: relay not permitted", with: tester)
        #expect(e["event.reason"] == "relay_denied")
        #expect(e["source.ip"] == "202.132.70.178")
        #expect(e["source.port"] == "3755")
        #expect(e.label("helo") == "yakult.com.tw")
        #expect(e["process.pid"] == "10099")
        #expect(e.campaignClass == .none)
    }

    @Test func authenticatorFailedIsAnAttack() {
        let e = parse("2017-04-23 22:45:59 fixed_login authenticator failed for bad.host.example.com [192.0.2.2]:54412 I=[172.89.0.6]:587: 535 Incorrect authentication data (set_id=user@corp.example)", with: tester)
        #expect(e["event.category"] == "authentication")
        #expect(e["event.action"] == "login")
        #expect(e["event.outcome"] == "failure")
        #expect(e["event.reason"] == "bad_password")
        #expect(e["user.email"] == "user@corp.example")
        #expect(e["auth.method"] == "LOGIN")
        #expect(e.label("authenticator") == "fixed_login")
        #expect(e["source.ip"] == "192.0.2.2")
        #expect(e.campaignClass == .attack)
        let noUser = parse("2013-06-12 03:57:58 login authenticator failed for (ylmf-pc) [120.196.140.45]: 535 Incorrect authentication data: 1 Time(s)", with: tester)
        #expect(noUser["event.reason"] == "bad_password")
        #expect(noUser["user.name"] == nil)
        #expect(noUser.label("helo") == "ylmf-pc")
    }

    @Test func authenticatedArrivalIsALogin() {
        let e = parse("2024-03-21 09:00:01 1rnGx2-000abc-Qx <= alice@corp.example H=(laptop) [198.51.100.7]:50122 I=[192.0.2.10]:587 P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no A=dovecot_plain:alice@corp.example S=2210 id=abc123@corp.example T=\"Quarterly numbers\"", with: tester)
        #expect(e["event.category"] == "authentication")
        #expect(e["event.action"] == "login")
        #expect(e["event.outcome"] == "success")
        #expect(e["user.email"] == "alice@corp.example")
        #expect(e["auth.method"] == "PLAIN")
        #expect(e["email.local_id"] == "1rnGx2-000abc-Qx")
        #expect(e["email.from.address"] == "alice@corp.example")
        #expect(e["email.message_id"] == "abc123@corp.example")
        #expect(e["email.subject"] == "Quarterly numbers")
        #expect(e.label("size") == "2210")
        #expect(e["source.ip"] == "198.51.100.7")
        #expect(e.campaignClass == .compromise)
        let plain = parse("2024-03-21 09:00:01 1rnGx2-000abd-Qx <= news@list.example H=mx.list.example [192.0.2.99] P=esmtp S=9000 id=x@list.example", with: tester)
        #expect(plain["event.action"] == "receive")
        #expect(plain["event.outcome"] == nil)
        #expect(plain["source.domain"] == "mx.list.example")
    }

    @Test func deliveriesAndFailures() {
        let ok = parse("2024-03-21 09:00:02 1rnGx2-000abc-Qx => bob@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.80] X=TLS1.3:x:256 CV=yes C=\"250 OK id=1\"", with: tester)
        #expect(ok["event.action"] == "delivery")
        #expect(ok["event.outcome"] == "success")
        #expect(ok.to == ["bob@example.org"])
        #expect(ok["destination.ip"] == "192.0.2.80")
        #expect(ok.label("router") == "dnslookup")
        let bounce = parse("2024-03-21 09:00:02 1rnGx2-000abc-Qx ** nobody@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.80]: SMTP error from remote mail server after RCPT TO:<nobody@example.org>: 550 5.1.1 User unknown", with: tester)
        #expect(bounce["event.outcome"] == "failure")
        #expect(bounce.campaignClass == .none)
        let done = parse("2024-03-21 09:00:03 1rnGx2-000abc-Qx Completed", with: tester)
        #expect(done["event.action"] == "completed")
        #expect(done["email.local_id"] == "1rnGx2-000abc-Qx")
    }

    @Test func protocolErrorsAreFailuresAndLookupsAreNot() {
        let sync = parse("2013-06-02 06:54:20 [13314] SMTP protocol synchronization error (input sent without waiting for greeting): rejected connection from H=[211.148.195.192]:25936 I=[1.2.3.4]:25 input=\"GET / HTTP/1.1\\r\\n\\r\\n\"", with: tester)
        #expect(sync["event.outcome"] == "failure")
        #expect(sync["source.ip"] == "211.148.195.192")
        let noName = parse("2017-12-03 08:32:00 no host name found for IP address 192.0.2.8", with: tester)
        #expect(noName["event.dataset"] == "exim")
        #expect(noName["event.outcome"] == nil)
        #expect(noName["source.ip"] == "192.0.2.8")
    }

    @Test func timestampsWithOffsetOrInTheJobZone() {
        let offset = parse("2013-01-04 17:03:46.250 +0100 [42] 1Tr6Ao-0000Ab-Cd Completed", with: tester)
        #expect(offset["@timestamp"] == "2013-01-04T16:03:46.250000Z")
        #expect(offset["email.local_id"] == "1Tr6Ao-0000Ab-Cd")
        let zurich = parse("2013-07-04 17:03:46 1Tr6Ao-0000Ab-Cd Completed", with: makeTester(zone: "Europe/Zurich"))
        #expect(zurich["@timestamp"] == "2013-07-04T15:03:46.000000Z")
    }

    @Test func syslogAndJournalLayouts() {
        let s = parse("Mar  4 10:20:00 mx1 exim[2211]: 1rnGx2-000abc-Qx <= alice@corp.example H=(laptop) [198.51.100.7] P=esmtpa A=login:alice S=100", with: tester)
        #expect(s["event.dataset"] == "exim")
        #expect(s["@timestamp"] == "2026-03-04T10:20:00.000000Z")
        #expect(s["user.name"] == "alice")
        #expect(s["auth.method"] == "LOGIN")
        let j = parse("mail.example.com exim[3751842]: 2021-07-17 23:20:49 plain_server authenticator failed for ([192.0.2.17]) [192.0.2.27]: 535 Incorrect authentication data", with: tester)
        #expect(j["event.reason"] == "bad_password")
        #expect(j["source.ip"] == "192.0.2.27")
        #expect(j["auth.method"] == "PLAIN")
        let inner = parse("2019-10-22 03:39:17 mx1.fqdn.local exim[29786]: dovecot_login authenticator failed for (User) [192.0.2.37]: 535 Incorrect authentication data (set_id=test@domain.com)", with: tester)
        #expect(inner["user.email"] == "test@domain.com")
    }

    @Test func aMainlogIsSniffedAsExim() {
        let log = """
        2024-03-21 09:00:00 exim 4.97 daemon started: pid=100, -q30m, listening for SMTP on port 25
        2024-03-21 09:00:01 1rnGx2-000abc-Qx <= alice@corp.example H=(laptop) [198.51.100.7] P=esmtpa A=login:alice S=100
        2024-03-21 09:00:02 1rnGx2-000abc-Qx => bob@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.80]
        2024-03-21 09:00:03 1rnGx2-000abc-Qx Completed
        2024-03-21 09:00:04 H=(x) [203.0.113.9] F=<a@b.example> rejected RCPT <nobody@corp.example>: Unknown user

        """
        let outcome = tester.run(Array(log.utf8), path: "mainlog")
        #expect(outcome.deadLetters.isEmpty)
        #expect(outcome.events.count == 5)
        #expect(outcome.events.allSatisfy { $0.contains("\"event.dataset\":\"exim\"") })
    }
}
