import SpoorTestSupport
import Testing

@Suite struct SudoSuPAMParserTests {
    let tester = makeTester()

    @Test func sudoCommand() {
        let e = parse("Jan  7 08:00:00 mx1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart postfix", with: tester)
        #expect(e["event.dataset"] == "sudo")
        #expect(e["event.outcome"] == "success")
        #expect(e["user.name"] == "alice")
        let labels = e.event?["labels"] as? [String: String]
        #expect(labels?["target_user"] == "root")
        #expect(labels?["command"] == "/usr/bin/systemctl restart postfix")
    }

    @Test func sudoWrongPasswordAndNotInSudoers() {
        let bad = parse("Jan  7 08:00:00 mx1 sudo:    alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash", with: tester)
        #expect(bad["event.reason"] == "bad_password")
        #expect((bad.event?["labels"] as? [String: String])?["attempts"] == "3")
        let denied = parse("Jan  7 08:00:00 mx1 sudo:      bob : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/cat /etc/shadow", with: tester)
        #expect(denied["event.reason"] == "not_permitted")
        #expect(denied["user.name"] == "bob")
    }

    @Test func suSuccessAndFailure() {
        let ok = parse("Jan  7 08:00:00 mx1 su[123]: (to root) alice on pts/1", with: tester)
        #expect(ok["event.dataset"] == "su")
        #expect(ok["event.outcome"] == "success")
        let failed = parse("Jan  7 08:00:00 mx1 su[123]: FAILED SU (to root) alice on pts/1", with: tester)
        #expect(failed["event.outcome"] == "failure")
        #expect(failed["user.name"] == "alice")
    }

    @Test func pamOfAnyProgram() {
        let e = parse("Jul 19 18:11:26 srv2 vsftpd: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=an8767 rhost=www.google.com", with: tester)
        #expect(e["event.dataset"] == "pam")
        #expect(e["source.domain"] == "www.google.com")
        let old = parse("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown", with: tester)
        #expect(old["event.reason"] == "unknown_user")
    }

    @Test func lastRhostBeforeUserWins() {
        let e = parse("Jul 19 18:11:50 srv2 daemon: pam_unix(auth): authentication failure; logname= uid=0 euid=0 tty=xxx ruser=test rhost=192.0.2.151 rhost=192.0.2.1", with: tester)
        #expect(e["source.ip"] == "192.0.2.1")
    }

    @Test func pamLineThatIsNotAFailureIsNotClaimed() {
        let e = parse("Jan  7 08:00:00 mx1 CRON[5]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)", with: tester)
        #expect(e["event.action"] == "session-open")
        #expect(e["event.outcome"] == "success")
    }
}

@Suite struct SyslogEnvelopeTests {
    @Test func rfc5424WithStructuredData() {
        let e = parse(#"<38>1 2019-07-08T17:40:17.954167-04:00 hostname.example.com sshd 55555 - [timeQuality tzKnown="1" isSynced="0"] Failed password for root from 192.0.2.5 port 22 ssh2"#)
        #expect(e["@timestamp"] == "2019-07-08T21:40:17.954167Z")
        #expect(e["host.name"] == "hostname.example.com")
        #expect(e["event.reason"] == "bad_password")
    }

    @Test func yearFromReferenceAndZone() {
        let tester = makeTester(year: nil, zone: "Europe/Berlin")
        // A file last written on 2026-01-03: December lines belong to 2025.
        let reference: Int64 = 1_767_434_400  // 2026-01-03T10:00:00Z
        let dec = tester.run(Array("Dec 31 23:30:00 h CRON[1]: tick".utf8), reference: reference).events.first ?? ""
        let jan = tester.run(Array("Jan  2 00:30:00 h CRON[1]: tick".utf8), reference: reference).events.first ?? ""
        #expect(dec.contains(#""@timestamp":"2025-12-31T22:30:00.000000Z""#))
        #expect(jan.contains(#""@timestamp":"2026-01-01T23:30:00.000000Z""#))
    }

    @Test func unknownProgramIsAGenericEventNotADeadLetter() {
        let e = parse("Jan  3 14:02:11 mx1 systemd-logind[412]: New session 7 of user alice.")
        #expect(e["event.dataset"] == "syslog")
        #expect(e["process.name"] == "systemd-logind")
        #expect(e.deadLetter == nil)
    }

    @Test func lineWithoutTimestampIsADeadLetterWithReason() {
        let e = parse("this is not syslog at all")
        #expect(e.event == nil)
        #expect((e.deadLetter?["error.message"] as? String)?.contains("no syslog timestamp") == true)
    }

    @Test func repeatedMessageIsUnfolded() {
        let e = parse("Dec 10 06:55:46 LabSZ sshd[24200]: message repeated 5 times: [ Failed password for root from 183.62.140.253 port 50006 ssh2]")
        #expect(e["event.reason"] == "bad_password")
        #expect((e.event?["labels"] as? [String: String])?["repeated"] == "5")
    }
}
