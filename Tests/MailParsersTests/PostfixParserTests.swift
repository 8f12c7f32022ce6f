import SpoorTestSupport
import Testing

@Suite struct PostfixParserTests {
    let tester = makeTester()

    @Test func unknownRecipientIsAProbe() {
        let e = parse("Mar  4 10:12:01 mx1 postfix/smtpd[4410]: NOQUEUE: reject: RCPT from scan.example.net[198.51.100.23]: 550 5.1.1 <ceo@corp.example>: Recipient address rejected: User unknown in local recipient table; from=<x@spam.example> to=<ceo@corp.example> proto=ESMTP helo=<scan.example.net>", with: tester)
        #expect(e["event.dataset"] == "postfix.smtpd")
        #expect(e["event.category"] == "email")
        #expect(e["event.action"] == "recipient-check")
        #expect(e["event.outcome"] == "failure")
        #expect(e["event.reason"] == "unknown_user")
        #expect(e["user.email"] == "ceo@corp.example")
        #expect(e.to == ["ceo@corp.example"])
        #expect(e["email.from.address"] == "x@spam.example")
        #expect(e["email.local_id"] == nil)   // NOQUEUE is no queue id
        #expect(e["source.ip"] == "198.51.100.23")
        #expect(e["source.domain"] == "scan.example.net")
        #expect(e.label("smtp_code") == "550")
        #expect(e.label("dsn") == "5.1.1")
        #expect(e.label("helo") == "scan.example.net")
        #expect(e["network.protocol"] == "smtp")
        #expect(e["@timestamp"] == "2026-03-04T10:12:01.000000Z")
        #expect(e.campaignClass == .probe)
    }

    @Test func virtualMailboxUnknownWithQueueID() {
        let e = parse("Mar  4 10:12:01 mx1 postfix/smtpd[4410]: 3F2A81C02B7: reject: RCPT from unknown[203.0.113.9]: 550 5.1.1 <nobody@corp.example>: Recipient address rejected: User unknown in virtual mailbox table; from=<> to=<nobody@corp.example> proto=ESMTP helo=<x>", with: tester)
        #expect(e["email.local_id"] == "3F2A81C02B7")
        #expect(e["event.reason"] == "unknown_user")
        #expect(e["source.domain"] == nil)   // "unknown" is no name
        #expect(e["email.from.address"] == nil)
    }

    @Test func relayDeniedIsNotAProbe() {
        let e = parse("Jul 12 07:47:48 mx1 postfix/smtpd[8738]: NOQUEUE: reject: RCPT from relay-test.example[192.0.2.44]: 554 5.7.1 <victim@elsewhere.example>: Relay access denied; from=<a@b.example> to=<victim@elsewhere.example> proto=SMTP helo=<x>", with: tester)
        #expect(e["event.action"] == "recipient-check")
        #expect(e["event.outcome"] == "failure")
        #expect(e["event.reason"] == "relay_denied")
        #expect(e.campaignClass == .none)
    }

    @Test func blocklistAndHeloRejectsArePolicy() {
        let rbl = parse("Dec 30 18:19:15 mx1 postfix/smtpd[1574]: NOQUEUE: reject: RCPT from bad.example[93.184.216.34]: 554 5.7.1 Service unavailable; Client host [93.184.216.34] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/93.184.216.34; from=<s@x.example> to=<user@corp.example> proto=ESMTP helo=<bad.example>", with: tester)
        #expect(rbl["event.reason"] == "policy")
        #expect(rbl.label("reply_object") == "93.184.216.34")
        #expect(rbl.to == ["user@corp.example"])
        let helo = parse("Apr  6 13:05:01 mx1 postfix/smtpd[20589]: NOQUEUE: reject: RCPT from unknown[192.0.2.116]: 504 5.5.2 <WIN-6A0KEE6QVP5>: Helo command rejected: need fully-qualified hostname; from=<s@x.example> to=<s@x.example> proto=ESMTP helo=<WIN-6A0KEE6QVP5>", with: tester)
        #expect(helo["event.reason"] == "policy")
        let ehlo = parse("Jan 31 13:55:24 mx1 postfix/smtpd[3462]: NOQUEUE: reject: EHLO from s1.example.ru[78.107.251.238]: 504 5.5.2 <User>: Helo command rejected: need fully-qualified hostname; proto=SMTP helo=<User>", with: tester)
        #expect(ehlo["event.action"] == "helo-check")
        #expect(ehlo["event.outcome"] == "failure")
        #expect(ehlo.campaignClass == .none)
    }

    @Test func pendingVerificationIsNotAnUnknownUser() {
        let e = parse("Mar  4 10:12:01 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from example.com[93.184.216.34]: 450 4.1.1 <maybe@corp.example>: Recipient address rejected: unverified address: Address verification in progress; from=<a@example.com> to=<maybe@corp.example> proto=ESMTP helo=<example.com>", with: tester)
        #expect(e["event.outcome"] == "failure")
        #expect(e["event.reason"] == "policy")
        #expect(e.campaignClass == .none)
    }

    @Test func rejectWarningIsNotAFailure() {
        let e = parse("Mar  4 10:12:01 mx1 postfix/smtpd[1]: NOQUEUE: reject_warning: RCPT from example.com[93.184.216.34]: 550 5.1.1 <gone@corp.example>: Recipient address rejected: User unknown in local recipient table; from=<a@example.com> to=<gone@corp.example> proto=ESMTP helo=<example.com>", with: tester)
        #expect(e["event.outcome"] == nil)
        #expect(e.label("action") == "reject_warning")
        #expect(e["event.reason"] == "unknown_user")
    }

    @Test func saslFailureIsAnAttack() {
        let e = parse("Nov  4 09:11:01 mx1 postfix/submission/smtpd[1234]: warning: unknown[192.0.2.152]:58812: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=alice@corp.example", with: tester)
        #expect(e["event.category"] == "authentication")
        #expect(e["event.action"] == "login")
        #expect(e["event.outcome"] == "failure")
        #expect(e["event.reason"] == "bad_password")
        #expect(e["auth.method"] == "LOGIN")
        #expect(e["user.name"] == "alice@corp.example")
        #expect(e["user.email"] == "alice@corp.example")
        #expect(e["source.ip"] == "192.0.2.152")
        #expect(e["source.port"] == "58812")
        #expect(e["network.protocol"] == "submission")
        #expect(e.label("level") == "warning")
        #expect(e.campaignClass == .attack)
    }

    @Test func saslFailureWithoutUserAndLowerCaseMechanism() {
        let e = parse("Sep  6 00:44:57 mx1 postfix/smtpd[11538]: warning: host.example[82.221.106.233]: SASL login authentication failed: UGFzc3dvcmQ6", with: tester)
        #expect(e["auth.method"] == "LOGIN")
        #expect(e["user.name"] == nil)
        #expect(e["source.ip"] == "82.221.106.233")
        #expect(e["source.domain"] == "host.example")
    }

    @Test func saslServiceDownChecksNoPassword() {
        let e = parse("Feb  3 08:29:28 mx1 postfix/smtpd[21022]: warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: Connection lost to authentication server", with: tester)
        #expect(e["event.outcome"] == "failure")
        #expect(e["event.reason"] == nil)
        #expect(e.campaignClass == .none)
    }

    @Test func saslLoginSuccessIsACompromiseCandidate() {
        let e = parse("Mar  4 10:12:01 mx1 postfix/submission/smtpd[2231]: 4C1D21C0A2F: client=dsl-7.example.net[198.51.100.7]:52211, sasl_method=PLAIN, sasl_username=bob@corp.example", with: tester)
        #expect(e["event.category"] == "authentication")
        #expect(e["event.action"] == "login")
        #expect(e["event.outcome"] == "success")
        #expect(e["auth.method"] == "PLAIN")
        #expect(e["user.name"] == "bob@corp.example")
        #expect(e["user.email"] == "bob@corp.example")
        #expect(e["email.local_id"] == "4C1D21C0A2F")
        #expect(e["source.ip"] == "198.51.100.7")
        #expect(e["source.port"] == "52211")
        #expect(e.campaignClass == .compromise)
        let plain = parse("Mar  4 10:12:01 mx1 postfix/smtpd[2231]: 4C1D21C0A2F: client=mail.example.org[192.0.2.10]", with: tester)
        #expect(plain["event.category"] == "email")
        #expect(plain["event.outcome"] == nil)
        #expect(plain.campaignClass == .none)
    }

    @Test func connectionsAndTheirEnds() {
        let c = parse("Mar  4 10:12:01 mx1 postfix/smtpd[1]: connect from unknown[2001:db8::25]", with: tester)
        #expect(c["event.action"] == "connect")
        #expect(c["source.ip"] == "2001:db8::25")
        let d = parse("Mar  4 10:12:01 mx1 postfix/smtpd[1]: disconnect from unknown[192.0.2.23] ehlo=1 auth=0/1 rset=1 commands=2/3", with: tester)
        #expect(d["event.action"] == "disconnect")
        #expect(d["event.outcome"] == nil)
        #expect(d.label("counters") == "ehlo=1 auth=0/1 rset=1 commands=2/3")
        let lost = parse("Mar  4 10:12:01 mx1 postfix/smtpd[1]: lost connection after AUTH from unknown[192.0.2.23]", with: tester)
        #expect(lost["event.action"] == "lost-connection")
        #expect(lost.label("smtp_stage") == "AUTH")
        #expect(lost["event.outcome"] == nil)
        let errors = parse("Jun  3 06:25:43 mx1 postfix/smtpd[29306]: too many errors after RCPT from example.com[192.0.2.11]", with: tester)
        #expect(errors["event.outcome"] == "failure")
        #expect(errors["event.reason"] == "too_many_attempts")
    }

    @Test func deliveries() {
        let sent = parse("Mar  4 10:12:03 mx1 postfix/smtp[5001]: 4C1D21C0A2F: to=<ext@example.org>, orig_to=<alias@corp.example>, relay=mx.example.org[192.0.2.80]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9AB12)", with: tester)
        #expect(sent["event.dataset"] == "postfix.smtp")
        #expect(sent["event.action"] == "delivery")
        #expect(sent["event.outcome"] == "success")
        #expect(sent.to == ["ext@example.org"])
        #expect(sent.label("orig_to") == "alias@corp.example")
        #expect(sent["destination.ip"] == "192.0.2.80")
        #expect(sent["destination.port"] == "25")
        #expect(sent.label("relay_host") == "mx.example.org")
        #expect(sent.label("dsn") == "2.0.0")
        #expect(sent.label("status") == "sent")
        #expect(sent.label("response") == "250 2.0.0 Ok: queued as 9AB12")
        #expect(sent["email.local_id"] == "4C1D21C0A2F")
        #expect(sent.campaignClass == .none)
        let deferred = parse("Mar  4 10:12:03 mx1 postfix/lmtp[5002]: 4C1D21C0A2F: to=<u@corp.example>, relay=mail.corp.example[private/dovecot-lmtp], delay=0.15, delays=0.04/0/0.02/0.08, dsn=4.2.0, status=deferred (host said: 451 4.2.0 try later)", with: tester)
        #expect(deferred["event.dataset"] == "postfix.lmtp")
        #expect(deferred["event.outcome"] == "failure")
        #expect(deferred.label("relay_service") == "private/dovecot-lmtp")
        let bounced = parse("Mar  4 10:12:03 mx1 postfix/local[5003]: 892A0205B6: to=<ghost@mx1.corp.example>, relay=local, delay=0.05, delays=0.02/0/0/0.02, dsn=5.1.1, status=bounced (unknown user: \"ghost\")", with: tester)
        #expect(bounced["event.dataset"] == "postfix.local")
        #expect(bounced["event.outcome"] == "failure")
        #expect(bounced["event.reason"] == nil)
    }

    @Test func queueCleanupAndBounce() {
        let q = parse("Mar  4 10:12:02 mx1 postfix/qmgr[900]: 4C1D21C0A2F: from=<bob@corp.example>, size=5360, nrcpt=2 (queue active)", with: tester)
        #expect(q["event.dataset"] == "postfix.qmgr")
        #expect(q["email.from.address"] == "bob@corp.example")
        #expect(q.label("size") == "5360")
        #expect(q.label("nrcpt") == "2")
        let removed = parse("Mar  4 10:12:04 mx1 postfix/qmgr[900]: 4C1D21C0A2F: removed", with: tester)
        #expect(removed["event.action"] == "removed")
        let c = parse("Mar  4 10:12:02 mx1 postfix/cleanup[901]: 4C1D21C0A2F: message-id=<20260304101202.1234@corp.example>", with: tester)
        #expect(c["event.dataset"] == "postfix.cleanup")
        #expect(c["email.message_id"] == "20260304101202.1234@corp.example")
        #expect(c["email.local_id"] == "4C1D21C0A2F")
        let b = parse("Mar  4 10:12:05 mx1 postfix/bounce[902]: 17CCA8044: sender non-delivery notification: ADD2F8052", with: tester)
        #expect(b["event.dataset"] == "postfix.bounce")
        #expect(b.label("notification_id") == "ADD2F8052")
    }

    @Test func postscreenAndAnvil() {
        let pass = parse("Mar  4 10:12:00 mx1 postfix/postscreen[77]: PASS NEW [192.0.2.61]:53024", with: tester)
        #expect(pass["event.dataset"] == "postfix.postscreen")
        #expect(pass["event.outcome"] == "success")
        #expect(pass["source.port"] == "53024")
        let pregreet = parse("Dec 23 19:39:13 mx1 postfix/postscreen[21057]: PREGREET 14 after 0.08 from [192.0.2.2]:59415: EHLO ylmf-pc\\r\\n", with: tester)
        #expect(pregreet["event.outcome"] == "failure")
        #expect(pregreet["source.ip"] == "192.0.2.2")
        let rank = parse("Mar  4 10:12:00 mx1 postfix/postscreen[77]: DNSBL rank 3 for [111.73.45.149]:1038", with: tester)
        #expect(rank.label("dnsbl_rank") == "3")
        #expect(rank["event.outcome"] == nil)
        let anvil = parse("Mar  4 10:12:00 mx1 postfix/anvil[78]: statistics: max connection rate 12/60s for (smtpd:198.51.100.23) at Mar  4 10:11:00", with: tester)
        #expect(anvil["event.dataset"] == "postfix.anvil")
        #expect(anvil.label("rate") == "12")
        #expect(anvil["source.ip"] == "198.51.100.23")
    }

    @Test func instancesAndUnknownMessages() {
        let e = parse("Jan 29 08:11:45 mx1 postfix-incoming/smtpd[10752]: warning: unknown[1.1.1.1]: SASL LOGIN authentication failed: Password:", with: tester)
        #expect(e["event.dataset"] == "postfix.smtpd")
        #expect(e["event.reason"] == "bad_password")
        let other = parse("Mar  4 10:12:00 mx1 postfix/smtpd[1]: warning: TLS library problem: something new", with: tester)
        #expect(other["event.dataset"] == "postfix.smtpd")
        #expect(other["event.outcome"] == nil)
        #expect(other.label("level") == "warning")
        let master = parse("Mar  4 10:12:00 mx1 postfix/master[1]: daemon started -- version 3.8.1, configuration /etc/postfix", with: tester)
        #expect(master["event.dataset"] == "postfix.master")
        #expect(master.label("version") == "3.8.1")
    }
}
