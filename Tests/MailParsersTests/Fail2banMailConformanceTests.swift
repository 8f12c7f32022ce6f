import Foundation
import SpoorTestSupport
import Testing

/// fail2ban's annotated mail samples: every line marked `match: true` in the default filter
/// mode must become a failure event whose source (`source.ip` or `source.domain`) is the
/// annotated host. The files mix syslog, TAI64N-stamped and Exim mainlog lines; the tester
/// sniffs each line's format and falls back to the other formats per record, as ingest does.
@Suite(.enabled(if: Corpora.available, Corpora.missing))
struct Fail2banMailConformanceTests {
    /// `match: false` lines (not worth a ban) that Spoor does classify as failures, each with
    /// why; the test fails if this list and the parsers disagree in either direction.
    static let failuresNotWorthABan: [String: String] = [
        ">... User unknown":
            "a recipient refused as non-existent is a probe (recipient-check, unknown_user); this line carries no client "
            + "address, so fail2ban bans on the from= line of the same queue id instead",
        ">... No such user here":
            "a recipient refused as non-existent is a probe (recipient-check, unknown_user); the line names no client, "
            + "so fail2ban bans on the from= line of the same queue id instead",
        "rA37ZTSC026255: from=<anton@domain.com>, size=0, class=0, nrcpts=0":
            "a transaction whose every recipient was refused (nrcpts=0) delivered nothing: Spoor marks it failed; "
            + "fail2ban counts it only after a rejection of the same queue id, which this one lacks",
    ]

    @Test func postfix() { check("postfix", minimumRecall: 0.95) }
    @Test func dovecot() { check("dovecot", minimumRecall: 0.95) }
    @Test func exim() { check("exim", minimumRecall: 0.95) }
    @Test func sendmailAuth() { check("sendmail-auth", minimumRecall: nil) }
    @Test func sendmailReject() { check("sendmail-reject", minimumRecall: nil) }
    @Test func courierAuth() { check("courier-auth", minimumRecall: nil) }
    @Test func roundcubeAuth() { check("roundcube-auth", minimumRecall: nil) }
    @Test func courierSMTP() { check("courier-smtp", minimumRecall: nil) }
    @Test func eximSpam() { check("exim-spam", minimumRecall: nil) }

    static let filters = ["postfix", "dovecot", "exim", "sendmail-auth", "sendmail-reject", "courier-auth", "roundcube-auth",
                          "courier-smtp", "exim-spam"]

    @Test func everyListedReasonIsNeeded() {
        let tester = makeTester(year: 2005)
        var used = Set<String>()
        for filter in Self.filters {
            for c in Fail2ban.cases(filter) where !c.match && parse(c.line, with: tester).failed {
                used.formUnion(Self.failuresNotWorthABan.keys.filter { c.line.contains($0) })
            }
        }
        let stale = Set(Self.failuresNotWorthABan.keys).subtracting(used)
        #expect(stale.isEmpty, "listed but never classified as a failure: \(stale)")
    }

    func check(_ filter: String, minimumRecall: Double?) {
        #expect(!Fail2ban.cases(filter).isEmpty)
        #expect(Fail2ban.unhandledConstraints(filter).isEmpty)
        let score = Fail2ban.score(filter, with: makeTester(year: 2005))
        for (line, reason) in score.failedNonMatches {
            let listed = Self.failuresNotWorthABan.keys.filter { line.contains($0) }
            #expect(!listed.isEmpty, "match:false line classified as a failure without a listed reason: \(line) (reason \(reason ?? "-"))")
        }
        let recall = score.recall
        print(score.summary(filter))
        for m in score.misses { print("  missed: \(m)") }
        if let minimumRecall {
            #expect(recall >= minimumRecall, "fail2ban \(filter) recall \(recall) is below \(minimumRecall)")
        }
    }
}
