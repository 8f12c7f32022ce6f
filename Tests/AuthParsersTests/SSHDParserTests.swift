import SpoorTestSupport
import Testing

@Suite struct SSHDParserTests {
    let tester = makeTester()

    @Test func failedPasswordForInvalidUserIsAnUnknownUserFailure() {
        let e = parse("Sep  3 14:02:11 mx1 sshd[2211]: Failed password for invalid user admin from 203.0.113.7 port 51234 ssh2", with: tester)
        #expect(e["event.dataset"] == "sshd")
        #expect(e["event.category"] == "authentication")
        #expect(e["event.action"] == "login")
        #expect(e["event.outcome"] == "failure")
        #expect(e["event.reason"] == "unknown_user")
        #expect(e["user.name"] == "admin")
        #expect(e["source.ip"] == "203.0.113.7")
        #expect(e["source.port"] == "51234")
        #expect(e["auth.method"] == "password")
        #expect(e["host.name"] == "mx1")
        #expect(e["process.pid"] == "2211")
        #expect(e["@timestamp"] == "2026-09-03T14:02:11.000000Z")
    }

    @Test func failedPasswordForRealUserIsABadPassword() {
        let e = parse("Jan  3 14:02:11 mx1 sshd[2211]: Failed password for root from 2001:db8::7 port 22 ssh2", with: tester)
        #expect(e["event.reason"] == "bad_password")
        #expect(e["user.name"] == "root")
        #expect(e["source.ip"] == "2001:db8::7")
    }

    @Test func acceptedPublickeyIsASuccess() {
        let e = parse("Jan  3 14:02:11 mx1 sshd[2211]: Accepted publickey for bob from 192.0.2.4 port 50022 ssh2: ED25519 SHA256:abcdef", with: tester)
        #expect(e["event.outcome"] == "success")
        #expect(e["auth.method"] == "publickey")
        #expect(e["user.name"] == "bob")
        #expect(e["event.reason"] == nil)
    }

    @Test func injectedFromInUserNameDoesNotFoolTheAddress() {
        let e = parse("Nov 11 08:04:52 h sshd[2737]: Failed password for invalid user test from 10.10.1.2 port 55555 ssh2 from 127.0.0.1 port 58946 ssh2", with: tester)
        #expect(e["source.ip"] == "127.0.0.1")
    }

    @Test func invalidUserAndMaxTries() {
        #expect(parse("Jan  3 14:02:11 h sshd[1]: Invalid user ftp from 192.0.2.2 port 37220", with: tester)["event.reason"] == "unknown_user")
        let e = parse("Jan  3 14:02:11 h sshd[1]: error: maximum authentication attempts exceeded for root from 61.0.0.1 port 49940 ssh2 [preauth]", with: tester)
        #expect(e["event.action"] == "max-auth-tries")
        #expect(e["event.reason"] == "too_many_attempts")
        #expect(e["source.ip"] == "61.0.0.1")
    }

    @Test func preauthCloseIsAFailedNetworkEvent() {
        let e = parse("Jan  3 14:02:11 h sshd[1]: Connection closed by authenticating user root 192.0.2.10 port 46038 [preauth]", with: tester)
        #expect(e["event.category"] == "network")
        #expect(e["event.action"] == "connection-closed")
        #expect(e["user.name"] == "root")
        #expect(e["event.outcome"] == "failure")
        #expect(e["event.reason"] == "preauth")
        let postponed = parse("Jan  3 14:02:11 h sshd[1]: Postponed publickey for git from 192.0.2.1 port 57904 ssh2 [preauth]", with: tester)
        #expect(postponed["event.outcome"] == nil)
    }

    @Test func pamLineInsideSSHD() {
        let e = parse("Jan  3 14:02:11 h sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.112  user=root", with: tester)
        #expect(e["event.dataset"] == "pam")
        #expect(e["event.outcome"] == "failure")
        #expect(e["source.ip"] == "192.0.2.112")
        #expect(e["user.name"] == "root")
    }

    @Test func hostNameInsteadOfAddressGoesToSourceDomain() {
        let e = parse("May 29 20:56:52 imago sshd[28732]: error: PAM: Authentication failure for stefanor from example.com", with: tester)
        #expect(e["source.ip"] == nil)
        #expect(e["source.domain"] == "example.com")
    }

    @Test func unknownSSHDMessageStaysAGenericSyslogEvent() {
        let e = parse("Jan  3 14:02:11 h sshd[1]: Server will do something new", with: tester)
        #expect(e["event.dataset"] == "syslog")
        #expect(e["process.name"] == "sshd")
    }
}
