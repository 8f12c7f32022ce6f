import Foundation
import SpoorTestSupport
import Testing

/// loghub's OpenSSH and Linux samples: every sshd and PAM line becomes a specific event
/// (sshd, pam, su), not the generic syslog one.
@Suite(.enabled(if: Corpora.available, Corpora.missing))
struct LoghubConformanceTests {
    @Test func openSSH() {
        check("loghub/OpenSSH/OpenSSH_2k.log", programs: ["sshd"], minimum: 0.98)
    }

    @Test func linuxPAM() {
        check("loghub/Linux/Linux_2k.log", programs: ["sshd(pam_unix)", "su(pam_unix)"], minimum: 0.98)
    }

    func check(_ path: String, programs: [String], minimum: Double) {
        let tester = makeTester(year: 2005)
        var total = 0, specific = 0
        var generic: [String: Int] = [:]
        for line in Corpora.lines(path) where programs.contains(where: { line.contains(" \($0)[") }) {
            total += 1
            let e = parse(line, with: tester)
            if let ds = e["event.dataset"], ds != "syslog" {
                specific += 1
            } else {
                let message = line.components(separatedBy: "]: ").dropFirst().joined(separator: "]: ")
                generic[String(message.prefix(60)), default: 0] += 1
            }
        }
        let share = Double(specific) / Double(max(total, 1))
        print("loghub \(path): \(specific)/\(total) = \(String(format: "%.2f", share * 100))% specific events")
        for (m, n) in generic.sorted(by: { $0.value > $1.value }).prefix(10) { print("  generic \(n)×: \(m)") }
        #expect(total > 0)
        #expect(share >= minimum)
    }
}
