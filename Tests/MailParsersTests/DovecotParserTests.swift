import SpoorTestSupport
import Testing

@Suite struct DovecotParserTests {
    let tester = makeTester()

    @Test func loginIsASuccess() {
        let e = parse("Mar  4 10:20:00 mx1 dovecot: imap-login: Login: user=<carol@corp.example>, method=PLAIN, rip=::ffff:198.51.100.40, lip=192.0.2.10, mpid=4242, TLS, session=<abcDEF123>", with: tester)
        #expect(e["event.dataset"] == "dovecot")
        #expect(e["event.category"] == "authentication")
        #expect(e["event.action"] == "login")
        #expect(e["event.outcome"] == "success")
        #expect(e["user.name"] == "carol@corp.example")
        #expect(e["user.email"] == "carol@corp.example")
        #expect(e["auth.method"] == "PLAIN")
        #expect(e["source.ip"] == "198.51.100.40")   // IPv4-mapped, normalised
        #expect(e["destination.ip"] == "192.0.2.10")
        #expect(e["network.protocol"] == "imap")
        #expect(e.label("session") == "abcDEF123")
        #expect(e.campaignClass == .compromise)
    }

    @Test func authFailedAttemptsAreBadPasswords() {
        let e = parse("Mar  4 10:20:00 mx1 dovecot: pop3-login: Aborted login (auth failed, 3 attempts in 12 secs): user=<dave>, method=PLAIN, rip=203.0.113.5, lip=192.0.2.10, rport=40112, lport=995, TLS, session=<x>", with: tester)
        #expect(e["event.outcome"] == "failure")
        #expect(e["event.reason"] == "bad_password")
        #expect(e.label("attempts") == "3")
        #expect(e["user.name"] == "dave")
        #expect(e["user.email"] == nil)
        #expect(e["source.ip"] == "203.0.113.5")
        #expect(e["source.port"] == "40112")
        #expect(e["destination.port"] == "995")
        #expect(e["network.protocol"] == "pop3")
        #expect(e.campaignClass == .attack)
        let dis = parse("Jun 13 16:30:54 mx1 dovecot: imap-login: Disconnected (auth failed, 2 attempts): user=<bob>, method=PLAIN, rip=49.176.98.87, lip=113.212.99.194, TLS", with: tester)
        #expect(dis["event.reason"] == "bad_password")
        #expect(dis.label("attempts") == "2")
    }

    @Test func noAuthAttemptsIsNoOutcome() {
        let e = parse("Jun 13 20:48:11 mx1 dovecot: pop3-login: Disconnected (no auth attempts in 10 secs): user=<>, rip=121.44.24.254, lip=113.212.99.194, TLS: Disconnected", with: tester)
        #expect(e["event.dataset"] == "dovecot")
        #expect(e["event.category"] == "network")
        #expect(e["event.outcome"] == nil)
        #expect(e["user.name"] == nil)
        #expect(e["source.ip"] == "121.44.24.254")
    }

    @Test func passdbUnknownUserIsAProbe() {
        let e = parse("Jan 29 05:13:50 mx1 dovecot: auth: passwd-file(ghost@corp.example,192.0.2.77): unknown user", with: tester)
        #expect(e["event.category"] == "authentication")
        #expect(e["event.outcome"] == "failure")
        #expect(e["event.reason"] == "unknown_user")
        #expect(e["user.email"] == "ghost@corp.example")
        #expect(e["source.ip"] == "192.0.2.77")
        #expect(e.campaignClass == .probe)
        let sql = parse("Jan 29 13:54:06 auth-worker(22401): Info: sql(admin@example.de,192.0.2.5,<n4JLdHNVngZGpV2j>): unknown user", with: tester)
        #expect(sql["event.reason"] == "unknown_user")
        #expect(sql["user.name"] == "admin@example.de")
        #expect(sql.label("level") == "Info")
    }

    @Test func passwordMismatchIsAnAttack() {
        let pam = parse("Jan 29 05:32:50 mx1 dovecot: auth-worker(304): pam(erin,192.0.2.31): pam_authenticate() failed: Authentication failure (password mismatch?)", with: tester)
        #expect(pam["event.reason"] == "bad_password")
        #expect(pam["user.name"] == "erin")
        #expect(pam["source.ip"] == "192.0.2.31")
        #expect(pam.campaignClass == .attack)
        let sql = parse("Jun 11 13:57:17 mx1 dovecot: auth: sql(admin@example.ru,192.168.144.226,<6rXunFtu493AqJDi>): Password mismatch", with: tester)
        #expect(sql["event.reason"] == "bad_password")
        #expect(sql.label("passdb") == "sql")
        let worker = parse("Jun 12 23:06:05 auth-worker(57065): Info: conn unix:auth-worker (uid=143): auth-worker<225622>: sql(user@domain.com,192.0.2.7,<Yx7+W8+Io>): Password mismatch", with: tester)
        #expect(worker["event.reason"] == "bad_password")
        #expect(worker["user.email"] == "user@domain.com")
    }

    @Test func dovecot24AuthLinesNameTheUserInTheService() {
        let e = parse("Aug 30 00:10:57 auth(info@example.com,192.0.2.110,sasl:login)<CvN+E95Uf4e7eEnj>: Info: sql: Password mismatch (given password: Xx)", with: tester)
        #expect(e["event.reason"] == "bad_password")
        #expect(e["user.email"] == "info@example.com")
        #expect(e["source.ip"] == "192.0.2.110")
    }

    @Test func dovecotLogFileLayout() {
        let e = parse("Jan 29 09:34:17 pop3-login: Info: Aborted login (auth failed, 1 attempts in 62 secs): user=<carl@corp.example>, method=PLAIN, rip=1.2.3.4, TLS", with: tester)
        #expect(e["event.dataset"] == "dovecot")
        #expect(e["event.reason"] == "bad_password")
        #expect(e.label("level") == "Info")
        #expect(e["source.ip"] == "1.2.3.4")
    }

    @Test func plaintextRefusedChecksNoPassword() {
        let e = parse("Dec 12 11:19:11 mx1 dovecot: pop3-login: Aborted login (tried to use disallowed plaintext auth): rip=190.210.136.21, lip=113.212.99.193, session=<LgDINsQCkttVIMPg>", with: tester)
        #expect(e["event.outcome"] == "failure")
        #expect(e["event.reason"] == "policy")
        #expect(e.campaignClass == .none)
    }

    @Test func pamUnixLinesGoToThePAMParser() {
        let e = parse("Apr 19 05:22:20 vm5 auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=informix rhost=80.255.3.104", with: tester)
        #expect(e["event.dataset"] == "pam")
        #expect(e["source.ip"] == "80.255.3.104")
    }

    @Test func sessionEndAndForeignAuthPrograms() {
        let e = parse("Mar  4 10:40:00 mx1 dovecot: imap(carol@corp.example)<4242><abcDEF123>: Disconnected: Logged out in=120 out=4410", with: tester)
        #expect(e["event.action"] == "logout")
        #expect(e["user.name"] == "carol@corp.example")
        #expect(e["event.outcome"] == nil)
        // A program called `auth` that is not Dovecot stays generic.
        let other = parse("Mar  4 10:40:00 mx1 auth: something unrelated happened", with: tester)
        #expect(other["event.dataset"] == "syslog")
    }

    @Test func dovecot1LogFileWithTheLevelFirst() {
        let login = parse("Jun 23 15:04:05 Info: imap-login: Login: user=<frank>, method=PLAIN, rip=::ffff:192.0.2.4, lip=::ffff:192.0.2.5, secured", with: tester)
        #expect(login["event.dataset"] == "dovecot")
        #expect(login["event.outcome"] == "success")
        #expect(login["source.ip"] == "192.0.2.4")
        #expect(login.label("level") == "Info")
        let aborted = parse("May 31 09:43:57 Info: pop3-login: Aborted login (1 authentication attempts): user=<frank>, method=PLAIN, rip=::ffff:192.0.2.4, lip=::ffff:192.0.2.5, secured", with: tester)
        #expect(aborted["event.reason"] == "bad_password")
        #expect(aborted.label("attempts") == "1")
        let unknown = parse("Mar 13 15:25:07 Info: auth(default): passwd-file(ghost@corp.example,::ffff:192.0.2.4): unknown user", with: tester)
        #expect(unknown["event.reason"] == "unknown_user")
        #expect(unknown["source.ip"] == "192.0.2.4")
        let userdb = parse("Jan 07 14:46:28 Warn: auth(default): userdb(frank,::ffff:127.0.0.1): user not found from userdb", with: tester)
        #expect(userdb["event.dataset"] == "dovecot")
        #expect(userdb["event.outcome"] == nil)
        let logout = parse("Jun 23 15:04:06 Info: IMAP(frank): Disconnected: Logged out bytes=59/566", with: tester)
        #expect(logout["event.action"] == "logout")
        #expect(logout["user.name"] == "frank")
        let foreign = parse("Jun 23 15:04:06 Info: the backup finished", with: tester)
        #expect(foreign["event.dataset"] == "syslog")
        let fatal = parse("Jun 17 10:15:24 mx1 dovecot: Fatal: auth(default): Support not compiled in for passdb driver 'ldap'", with: tester)
        #expect(fatal["event.dataset"] == "dovecot")
        #expect(fatal.label("level") == "Fatal")
    }

    @Test func aUserNameCannotInjectAnAddress() {
        let login = parse("Mar  4 10:20:00 mx1 dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<x>, method=PLAIN, rip=6.6.6.6, lip=1.1.1.1>, method=PLAIN, rip=203.0.113.50, lip=192.0.2.10, TLS, session=<s1>", with: tester)
        #expect(login["source.ip"] == "203.0.113.50")
        #expect(login["destination.ip"] == "192.0.2.10")
        #expect(login["user.name"] == "x>, method=PLAIN, rip=6.6.6.6, lip=1.1.1.1")
        let passdb = parse("Jan 29 05:13:50 mx1 dovecot: auth: passwd-file(a,6.6.6.6,203.0.113.51): unknown user", with: tester)
        #expect(passdb["source.ip"] == "203.0.113.51")
        #expect(passdb["user.name"] == "a,6.6.6.6")
        let mapped = parse("Mar 13 15:25:07 mx1 dovecot: auth: passwd-file(bob,::ffff:192.0.2.4,<sess>): Password mismatch", with: tester)
        #expect(mapped["source.ip"] == "192.0.2.4")
        #expect(mapped["user.name"] == "bob")
    }
}
