import SpoorTestSupport
import Testing

@Suite struct SendmailParserTests {
    let tester = makeTester()

    @Test func userUnknownIsAProbe() {
        let e = parse("Jun 17 14:37:39 mx2 sm-mta[2794]: 55HIbcGI002794: <baduser@corp.example>... User unknown", with: tester)
        #expect(e["event.dataset"] == "sendmail")
        #expect(e["event.action"] == "recipient-check")
        #expect(e["event.category"] == "email")
        #expect(e["event.outcome"] == "failure")
        #expect(e["event.reason"] == "unknown_user")
        #expect(e["user.email"] == "baduser@corp.example")
        #expect(e["email.local_id"] == "55HIbcGI002794")
        #expect(e.campaignClass == .probe)
    }

    @Test func checkRcptRejects() {
        let unknown = parse("Feb 27 15:49:02 mx2 sm-mta[88377]: s1REn1un088377: ruleset=check_rcpt, arg1=<non-existing@corp.example>, relay=dsl.example.br [189.30.205.74], reject=550 5.1.1 <non-existing@corp.example>... User unknown", with: tester)
        #expect(unknown["event.reason"] == "unknown_user")
        #expect(unknown["user.email"] == "non-existing@corp.example")
        #expect(unknown["source.ip"] == "189.30.205.74")
        #expect(unknown["source.domain"] == "dsl.example.br")
        #expect(unknown.label("smtp_code") == "550")
        #expect(unknown.label("dsn") == "5.1.1")
        let relay = parse("Feb 25 03:01:10 mx2 sm-mta[27713]: s1P819mk027713: ruleset=check_rcpt, arg1=<x@freemail.example>, relay=bb.example.ru [128.68.136.133] (may be forged), reject=550 5.7.1 <x@freemail.example>... Relaying denied. Proper authentication required.", with: tester)
        #expect(relay["event.reason"] == "relay_denied")
        #expect(relay["source.ip"] == "128.68.136.133")
        #expect(relay.campaignClass == .none)
        let sender = parse("Feb 23 07:57:28 mx2 sm-mta[6519]: s1N7vR47006519: ruleset=check_rcpt, arg1=<camila@corp.example>, relay=[2.180.185.27], reject=553 5.1.8 <camila@corp.example>... Domain of sender address c@nowhere.example does not exist", with: tester)
        #expect(sender["event.reason"] == "policy")
        let rate = parse("Feb 24 01:46:44 mx2 sm-mta[24422]: ruleset=check_relay, arg1=leased.example.by, arg2=217.21.54.82, relay=leased.example.by [217.21.54.82], reject=421 4.3.2 Connection rate limit exceeded.", with: tester)
        #expect(rate["event.action"] == "client-check")
        #expect(rate["event.outcome"] == "failure")
        #expect(rate["source.ip"] == "217.21.54.82")
    }

    @Test func authFailureIsAnAttack() {
        let e = parse("Feb 25 04:02:28 mx2 sendmail[16665]: 06I02CNi016765: AUTH failure (LOGIN): authentication failure (-13) SASL(-13): authentication failure: checkpass failed, user=criminal, relay=[192.0.2.100], relay=[192.0.2.4] (may be forged)", with: tester)
        #expect(e["event.category"] == "authentication")
        #expect(e["event.action"] == "login")
        #expect(e["event.outcome"] == "failure")
        #expect(e["event.reason"] == "bad_password")
        #expect(e["auth.method"] == "LOGIN")
        #expect(e["user.name"] == "criminal")
        #expect(e["source.ip"] == "192.0.2.4")   // the last relay=, which a user name cannot forge
        #expect(e.campaignClass == .attack)
        let email = parse("Feb 25 04:02:27 mx2 sendmail[16664]: 06I02CNi016764: AUTH failure (login): authentication failure (-13) SASL(-13): authentication failure: checkpass failed, user=user@corp.example, relay=example.com [192.0.2.3] (may be forged)", with: tester)
        #expect(email["user.email"] == "user@corp.example")
        #expect(email["auth.method"] == "LOGIN")
        let notFound = parse("May 24 01:58:40 mx2 sm-mta[65696]: 14NNwaRl065696: AUTH failure (DIGEST-MD5): user not found (-20) SASL(-13): user not found: unable to canonify user and get auxprops, user=scanner, relay=[192.0.2.5]", with: tester)
        #expect(notFound["event.reason"] == "unknown_user")
        #expect(notFound.campaignClass == .probe)
    }

    @Test func authSuccessAndAttackCount() {
        let ok = parse("Mar  4 10:00:00 mx2 sm-mta[100]: 24DA0AA1000100: AUTH=server, relay=dsl.example.net [198.51.100.7], authid=alice@corp.example, mech=PLAIN, bits=0", with: tester)
        #expect(ok["event.outcome"] == "success")
        #expect(ok["user.email"] == "alice@corp.example")
        #expect(ok["auth.method"] == "PLAIN")
        #expect(ok["source.ip"] == "198.51.100.7")
        #expect(ok.campaignClass == .compromise)
        let attack = parse("Feb 24 13:00:17 mx2 sm-mta[1499]: s1OHxxSn001499: 192.241.70.95.dsl.example.net [95.70.241.192] (may be forged): possible SMTP attack: command=AUTH, count=6", with: tester)
        #expect(attack["event.outcome"] == "failure")
        #expect(attack["event.reason"] == "too_many_attempts")
        #expect(attack["event.action"] == "max-auth-tries")
        #expect(attack["source.ip"] == "95.70.241.192")
        #expect(attack.campaignClass == .none)
    }

    @Test func envelopesByQueueID() {
        let from = parse("Mar  4 10:00:00 mx2 sm-mta[100]: 24DA0AA1000100: from=<alice@corp.example>, size=1234, class=0, nrcpts=1, msgid=<m1@corp.example>, proto=ESMTPA, daemon=MTA, relay=dsl.example.net [198.51.100.7]", with: tester)
        #expect(from["event.action"] == "receive")
        #expect(from["email.from.address"] == "alice@corp.example")
        #expect(from["email.message_id"] == "m1@corp.example")
        #expect(from["email.local_id"] == "24DA0AA1000100")
        #expect(from["source.ip"] == "198.51.100.7")
        #expect(from["event.outcome"] == nil)
        let to = parse("Mar  4 10:00:01 mx2 sm-mta[101]: 24DA0AA1000100: to=<bob@example.org>, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=121234, relay=mx.example.org. [192.0.2.80], dsn=2.0.0, stat=Sent (Ok: queued as 1234)", with: tester)
        #expect(to["event.outcome"] == "success")
        #expect(to.to == ["bob@example.org"])
        #expect(to["destination.ip"] == "192.0.2.80")
        #expect(to.label("dsn") == "2.0.0")
        let quiet = parse("Mar  6 16:55:28 mx2 sm-mta[20949]: v26LtRA0020949: some-host.example.org [192.0.2.194] did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA", with: tester)
        #expect(quiet["event.outcome"] == nil)
        #expect(quiet["source.ip"] == "192.0.2.194")
        let v6 = parse("Mar 29 22:51:46 mx2 sm-mta[50438]: 06QDQnNf050438: example.com [IPv6:2001:DB8::1] did not issue MAIL/EXPN/VRFY/ETRN during connection to IPv6", with: tester)
        #expect(v6["source.ip"] == "2001:DB8::1")
        let lost = parse("Jul 31 13:03:43 mx2 sm-mta[24291]: 56VFYCxS024291: lost input channel from mail.example.org [139.162.120.196] to MTA-v4 after rcpt", with: tester)
        #expect(lost["event.action"] == "lost-connection")
        #expect(lost["source.ip"] == "139.162.120.196")
    }
}

@Suite struct CourierAndRoundcubeTests {
    let tester = makeTester()

    @Test func courierLoginFailedAndLogin() {
        let e = parse("Apr 23 21:59:01 dns2 imapd: LOGIN FAILED, user=sales@corp.example, ip=[::ffff:198.51.100.4]", with: tester)
        #expect(e["event.dataset"] == "courier")
        #expect(e["event.outcome"] == "failure")
        #expect(e["event.reason"] == "bad_password")
        #expect(e["user.email"] == "sales@corp.example")
        #expect(e["source.ip"] == "198.51.100.4")
        #expect(e["network.protocol"] == "imap")
        #expect(e.campaignClass == .attack)
        let ok = parse("Apr 23 22:00:01 dns2 pop3d-ssl: LOGIN, user=sales@corp.example, ip=[::ffff:198.51.100.4], port=[41234], protocol=POP3", with: tester)
        #expect(ok["event.outcome"] == "success")
        #expect(ok["network.protocol"] == "pop3")
        #expect(ok["source.port"] == "41234")
        let other = parse("Apr 23 22:00:01 dns2 imapd: some other message", with: tester)
        #expect(other["event.dataset"] == "syslog")
    }

    @Test func courierSMTP() {
        let rcpt = parse("Aug 14 12:51:04 mx3 courieresmtpd: error,relay=::ffff:192.0.2.14,from=<f@example.org>,to=<BOGUS@corp.example>: 550 User unknown.", with: tester)
        #expect(rcpt["event.dataset"] == "courier")
        #expect(rcpt["event.action"] == "recipient-check")
        #expect(rcpt["event.reason"] == "unknown_user")
        #expect(rcpt["user.email"] == "BOGUS@corp.example")
        #expect(rcpt["source.ip"] == "192.0.2.14")
        #expect(rcpt.campaignClass == .probe)
        let auth = parse("Aug 14 12:51:05 mx3 courieresmtpd[425070]: error,relay=::ffff:192.0.2.3,port=43632,msg=\"535 Authentication failed.\",cmd: AUTH LOGIN PlcmSpIp", with: tester)
        #expect(auth["event.category"] == "authentication")
        #expect(auth["event.reason"] == "bad_password")
        #expect(auth["auth.method"] == "LOGIN")
        #expect(auth["source.port"] == "43632")
    }

    @Test func roundcubeSyslog() {
        let e = parse("Jul 11 03:06:37 web1 roundcube: IMAP Error: Login failed for admin from 127.0.0.1. from 1.2.3.4. AUTHENTICATE PLAIN: A0002 NO Login failed. in /usr/share/roundcube/program/include/rcube_imap.php on line 205 (POST /?_task=login&_action=login)", with: tester)
        #expect(e["event.dataset"] == "roundcube")
        #expect(e["event.outcome"] == "failure")
        #expect(e["source.ip"] == "1.2.3.4")
        let plain = parse("May 26 07:12:40 web1 roundcube: IMAP Error: Login failed for sales@corp.example from 10.1.1.47", with: tester)
        #expect(plain["user.email"] == "sales@corp.example")
        #expect(plain["source.ip"] == "10.1.1.47")
        #expect(plain.campaignClass == .attack)
    }

    @Test func roundcubeOwnLog() {
        let e = parse("[22-Jan-2013 22:28:21 +0200]: FAILED login for user1 from 192.0.43.10", with: tester)
        #expect(e["event.dataset"] == "roundcube")
        #expect(e["@timestamp"] == "2013-01-22T20:28:21.000000Z")
        #expect(e["user.name"] == "user1")
        #expect(e["source.ip"] == "192.0.43.10")
        let ok = parse("[10-May-2015 13:02:52 -0400]: <4z506z6r> Successful login for admin@corp.example (ID: 1) from 1.2.3.4 in session 4z506z6rvddstv6k7jz08hxo27", with: tester)
        #expect(ok["event.outcome"] == "success")
        #expect(ok["user.email"] == "admin@corp.example")
        #expect(ok["@timestamp"] == "2015-05-10T17:02:52.000000Z")
        #expect(ok.label("session") == "4z506z6r")
    }
}
