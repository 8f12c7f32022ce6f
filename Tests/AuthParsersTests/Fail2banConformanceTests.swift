import Foundation
import SpoorTestSupport
import Testing

/// fail2ban's annotated samples: every line marked `match: true` in the default filter mode
/// must become a failure event whose source is the annotated host.
@Suite(.enabled(if: Corpora.available, Corpora.missing))
struct Fail2banConformanceTests {
    /// `match: false` lines (not worth a ban) that Spoor does classify as failures, each
    /// with why; the test fails if this list and the parser disagree in either direction.
    static let failuresNotWorthABan: [String: String] = [
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.112":
            "a PAM authentication failure from a remote host is a failed login; fail2ban skips it only because sshd logs the same attempt again",
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=":
            "same: the PAM half of failed password logins that sshd also logs",
        "pop(pam_unix)[4920]: authentication failure; logname= uid=0 euid=0 tty= ruser= rhost=192.168.10.3 user=mailuser":
            "a failed POP3 login through PAM; fail2ban's pam-generic leaves the pop service out by configuration",
        "User root not allowed because account is locked":
            "a login refused by policy (locked account) is a failed login (reason not_permitted); fail2ban bans on the line that follows",
        "input_userauth_request: invalid user root [preauth]":
            "an attempt on an account sshd says does not exist (reason unknown_user); fail2ban counts the 'Invalid user' line instead",
        "Disconnected from authenticating user admin 192.0.2.6 port 33553 [preauth]":
            "the client left before authentication completed (reason preauth)",
        "Connection closed by 192.0.2.111 [preauth]":
            "the client left before authentication completed (reason preauth)",
        "Too many authentication failures":
            "sshd ended the connection for too many failed attempts (reason too_many_attempts)",
        "Failed publickey for git from":
            "a rejected key is a failed authentication (reason bad_key); fail2ban does not ban key probing in normal mode",
    ]

    /// `match: true` lines that are not failures: fail2ban matches them as `F-NOFAIL`
    /// context for its multi-line rules. Spoor reports them as what they are.
    static let matchedButNotFailures: [String: String] = [
        "Accepted password for known from 192.0.2.114 port 52100 ssh2":
            "a successful login (fail2ban's NOFAIL context line); Spoor: event.outcome=success",
        "Accepted password for known from 192.0.2.116 port 52100 ssh2":
            "same",
    ]

    @Test func sshd() { check("sshd", minimumRecall: 0.95) }
    @Test func pamGeneric() { check("pam-generic", minimumRecall: 0.95) }

    func check(_ filter: String, minimumRecall: Double) {
        #expect(!Fail2ban.cases(filter).isEmpty)
        #expect(Fail2ban.unhandledConstraints(filter).isEmpty)
        let score = Fail2ban.score(filter, with: makeTester(year: 2005), setAside: Array(Self.matchedButNotFailures.keys))
        for (line, outcome) in score.setAside {
            #expect(outcome == "success", "\(line): \(Self.matchedButNotFailures.first { line.hasSuffix($0.key) }?.value ?? "")")
        }
        var listedUsed = Set<String>()
        for (line, _) in score.failedNonMatches {
            let listed = Self.failuresNotWorthABan.keys.filter { line.contains($0) }
            listedUsed.formUnion(listed)
            #expect(!listed.isEmpty, "match:false line classified as a failure without a listed reason: \(line)")
        }
        if filter == "sshd" {
            // Every reason listed is needed by sshd's or pam-generic's lines: no stale entries.
            let stale = Set(Self.failuresNotWorthABan.keys).subtracting(listedUsed)
                .filter { key in !Fail2ban.cases("pam-generic").contains { $0.line.contains(key) } }
            #expect(stale.isEmpty, "listed but never classified as a failure: \(stale)")
        }
        let recall = score.recall
        print(score.summary(filter))
        for m in score.misses { print("  missed: \(m)") }
        #expect(recall >= minimumRecall, "fail2ban \(filter) recall \(recall) is below \(minimumRecall)")
    }
}
