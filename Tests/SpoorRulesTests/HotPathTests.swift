import Foundation
@testable import SpoorRules
import SpoorKit
import Testing

/// The per-event shortcuts of the attribution stage and the behaviour signals: each must
/// give what the plain evaluation gives.
@Suite struct HotPathTests {
    /// `labels.rules` of each event (or the value of `field`), run one after another through
    /// one worker's attribution stage (so that what it remembers from event to event is in play).
    func matches(_ rules: String, _ events: [[String: String]], field: Field? = nil) throws -> [String?] {
        let dir = try rulesDirectory(["r.yaml": rules])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let attributor = IndicatorAttributor(rules: try RuleSet.load(directory: dir))
        let context = ParseContext(zone: TimeZone(identifier: "UTC")!, router: ProgramRouter(parsers: []))
        let builder = EventBuilder()
        var out: [String?] = []
        for fields in events {
            withBytes(of: "") { empty in
                builder.begin(record: empty)
                builder.set(.timestamp, int: day0)
                builder.set(.eventDataset, "test")
                for (k, v) in fields.sorted(by: { $0.key < $1.key }) { RuleTests.set(k, .scalar(v), builder) }
                attributor.enrich(builder, context: context)
                out.append(field.map { builder.value(of: $0)?.string } ?? withBytes(of: "rules") { builder.label($0)?.string })
                builder.commit()
            }
        }
        return out
    }

    @Test func wildcardsMatchLikeTheirRegularExpressions() throws {
        let rule = """
            title: globs
            id: g
            detection:
              sel: {host.name: ['mx?', 'imap*', '*-gw-*', 'lit\\*eral', 'a*b*c']}
              condition: sel
            """
        let hosts = ["mx1", "MX9", "mx10", "mx", "imap", "IMAP-2", "edge-gw-1", "gw-1", "lit*eral", "litteral", "abc", "aXbYc", "acb", "ab"]
        let got = try matches(rule, hosts.map { ["host.name": $0] })
        #expect(got.map { $0 != nil } == [true, true, false, false, true, true, true, false, true, false, true, true, false, false])
    }

    /// `contains` (filtered sixteen positions at a time by the needle's first and last
    /// bytes) answers as a plain search, for needles placed at every position of values of
    /// every length, among decoys of their first and last bytes, in both cases.
    @Test func containsAnswersAsAPlainSearch() {
        let scratch = MatchScratch()
        for needle in ["ssh2", "failed", "x", "a.b", "9-z", "pam_unix(sshd:auth)"] {
            let lower = Array(needle.utf8)
            let test = ValueTest.contains(lower, cased: false), cased = ValueTest.contains(lower, cased: true)
            let decoys = String(needle.prefix(1)) + " " + String(needle.suffix(1)) + String(needle.dropLast())
            for length in 0...70 {
                for at in stride(from: -1, through: length - needle.utf8.count, by: 1) {
                    var text = String(String(repeating: decoys, count: 80).prefix(length))
                    if at >= 0 {
                        let chars = Array(text.utf8)
                        let placed = at % 3 == 0 ? needle.uppercased() : needle
                        text = String(decoding: chars[..<at], as: UTF8.self) + placed
                            + String(decoding: chars[(at + needle.utf8.count)...], as: UTF8.self)
                    }
                    withBytes(of: text) { v in
                        #expect(test.matches(v, scratch) == text.lowercased().contains(needle), "\(needle) in \(text)")
                        #expect(cased.matches(v, scratch) == text.contains(needle), "cased \(needle) in \(text)")
                    }
                }
            }
        }
    }

    @Test func containsFindsTheNeedleAnywhereInLongValues() throws {
        let rule = """
            title: contains
            id: c
            detection:
              sel: {event.original|contains: 'failed'}
              caseSensitive: {event.original|contains|cased: 'X9'}
              condition: sel or caseSensitive
            """
        let pad = String(repeating: "f", count: 37)   // candidates for the first byte everywhere
        let lines = ["FAILED", pad + "Failed" + pad, pad + "faile" + pad, String(repeating: "y", count: 64) + "failed",
                     "fail" + String(repeating: "e", count: 40), pad + "x9", pad + "X9", "failed at the very start of a long line of text"]
        let got = try matches(rule, lines.map { ["event.original": $0] })
        #expect(got.map { $0 != nil } == [true, true, false, true, false, false, true, true])
    }

    @Test func rememberedValuesGiveTheSameResultsAsFreshOnes() throws {
        let rule = """
            title: users
            id: u
            detection:
              sel: {user.name|re: '^(test|guest)[0-9]*$'}
              net: {source.ip|cidr: 198.51.100.0/25}
              condition: sel or net
            """
        // Short values repeat (remembered), long ones and near misses do not.
        let names = ["test1", "bob", "test1", "guest", "bob", "test1x", "guest12345678901", "guest123456789012", "guest12345678901"]
        #expect(try matches(rule, names.map { ["user.name": $0] }).map { $0 != nil }
                == [true, false, true, true, false, false, true, true, true])
        let ips = ["198.51.100.9", "198.51.100.200", "198.51.100.9", "198.51.100.127", "198.51.100.128"]
        #expect(try matches(rule, ips.map { ["source.ip": $0] }).map { $0 != nil } == [true, false, true, true, false])
    }

    /// A remembered result answers only for the exact bytes it was stored for: every byte of
    /// a value of up to sixteen counts, and so does its length.
    @Test func memoKnowsAValueByEveryByte() {
        let memo = ValueMemo(ways: [2])   // two entries: most values share one
        for n in 1...16 {
            let base = (0..<n).map { UInt8(0x61 + $0) }
            for i in 0...n {
                var other = base
                if i < n { other[i] ^= 0x01 } else { other.append(0x61 + UInt8(n)) }   // one byte changed, or one more
                base.withUnsafeBytes { v in memo.store(memo.probe(group: 0, v)!, UInt64(n)) }
                other.withUnsafeBytes { v in
                    #expect(memo.probe(group: 0, v).flatMap(memo.remembered) == nil, "byte \(i) of \(n)")
                }
                base.withUnsafeBytes { v in #expect(memo.probe(group: 0, v).flatMap(memo.remembered) == UInt64(n), "\(n) bytes") }
            }
        }
        // Longer values are not remembered: a compare of their sixteen first bytes would not be exact.
        withBytes(of: "abcdefghijklmnopq") { #expect(memo.probe(group: 0, $0) == nil) }
    }

    /// Each group of the memo has its own entries: a small group forgets, a large one keeps
    /// most of a thousand addresses, and neither answers for the other.
    @Test func memoGroupsKeepTheirOwnValues() {
        let memo = ValueMemo(ways: [2, 4096])
        let addresses = (0..<1000).map { "198.51.\($0 / 256).\($0 % 256)" }
        for (i, a) in addresses.enumerated() {
            withBytes(of: a) { v in
                memo.store(memo.probe(group: 0, v)!, UInt64(i))
                memo.store(memo.probe(group: 1, v)!, UInt64(i))
            }
        }
        func kept(_ group: Int) -> Int {
            addresses.enumerated().filter { i, a in
                withBytes(of: a) { v in
                    guard let known = memo.remembered(memo.probe(group: group, v)!) else { return false }
                    #expect(known == UInt64(i), "\(a) in group \(group)")
                    return true
                }
            }.count
        }
        #expect(kept(0) <= 2)
        #expect(kept(1) >= 700)
        // A value only group 1 holds is not known in group 0.
        withBytes(of: "203.0.113.77") { v in
            memo.store(memo.probe(group: 1, v)!, 7)
            #expect(memo.remembered(memo.probe(group: 0, v)!) == nil)
            #expect(memo.remembered(memo.probe(group: 1, v)!) == 7)
        }
    }

    @Test func hitsOfOneKeyComeTogetherInEventOrder() {
        let keys: [(Int32, UInt64)] = [(0, 7), (1, 7), (0, 9), (0, 7), (1, 7), (0, 9), (2, 1), (0, 7)]
        let hits = keys.enumerated().map { RuleHit(fact: Int32($0.offset), rule: $0.element.0, steps: 0, group: $0.element.1, value: 0) }
        let grouped = BehaviourEngine.groupedByKey(hits) { ($0.rule, $0.group) }
        #expect(grouped.map(\.fact) == [0, 3, 7, 1, 4, 2, 5, 6])
    }

    @Test func evidenceIDsComeBackAsTheyWere() {
        var last: (text: (UInt64, UInt64), value: UInt64) = ((.max, .max), 0)
        for id in ["905e65f406056f53-17633750", "905e65f406056f53-0", "905e65f406056f54-1", "ffffffffffffffff-9223372036854775807",
                   "0000000000000000-10"] {
            let e = withBytes(of: id) { EvidenceID(compact: $0, last: &last) }
            #expect(e?.text([]) == id)
        }
        for other in ["e1", "905E65F406056F53-1", "905e65f406056f53-01", "905e65f406056f53-", "905e65f406056f53-99999999999999999999"] {
            #expect(withBytes(of: other) { EvidenceID(compact: $0, last: &last) } == nil, "\(other)")
        }
    }

    /// Addresses, accounts and the raw record are read only when a rule still needs them
    /// after the cheap fields: the same early results must not carry a skipped test's answer
    /// over to the next event, and a rule that needs a late field must still get it.
    @Test func lateFieldsAreReadWhenARuleStillNeedsThem() throws {
        let rules = """
            title: failures of admin accounts
            id: admin-failure
            detection:
              sel: {user.name|startswith: adm}
              filter: {event.outcome: success}
              condition: sel and not filter
            ---
            title: accounts of one domain, whatever the outcome
            id: domain
            detection:
              sel: {user.email|endswith: .net}
              condition: sel
            ---
            title: failures from one network, or any event that names the raw word
            id: network
            detection:
              sel: {source.ip|cidr: 198.51.100.0/24, event.outcome: failure}
              word: {event.original|contains: spray}
              condition: sel or word
            """
        let events: [[String: String]] = [
            ["event.outcome": "success", "user.name": "adm", "user.email": "adm@x.net", "source.ip": "198.51.100.7"],
            ["event.outcome": "failure", "user.name": "adm", "user.email": "adm@x.net", "source.ip": "198.51.100.7"],
            ["event.outcome": "success", "user.name": "bob", "user.email": "bob@x.org", "source.ip": "203.0.113.1"],
            ["event.outcome": "failure", "user.name": "admin", "user.email": "admin@x.org", "source.ip": "203.0.113.1"],
            ["event.outcome": "failure", "user.email": "bob@x.org", "source.ip": "198.51.100.9"],
            ["event.outcome": "success", "user.email": "bob@x.org", "event.original": "a spray"],
        ]
        let got = try matches(rules, events)
        #expect(got == ["domain", "admin-failure,domain,network", nil, "admin-failure", "network", "network"])
    }

    /// Runs chunks of events through one worker's attribution stage, each event twice in its
    /// chunk (the second time its vector is looked up, after the tables grew), and expects
    /// each one's `labels.rules` ("" for none). `fields` and `expected` take an event's number.
    func expectRulesLabels(_ yaml: String, chunks: [Range<Int>], fields: (Int) -> [String: String],
                           expected: (Int) -> String) throws {
        let dir = try rulesDirectory(["rules.yaml": yaml])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let maker = SignalMaker(try RuleSet.load(directory: dir))
        for range in chunks {
            let twice = Array(range) + Array(range)
            _ = maker.chunk(twice.map { (day0, fields($0)) })
            let labels = maker.builder.batch.withReader { r in
                r.events.map { e in
                    r.slots(of: e).lazy.filter { $0.field == .labels }.map { r.label($0) }
                        .first { $0.key.elementsEqual("rules".utf8) }.map { String(decoding: $0.value, as: UTF8.self) } ?? ""
                }
            }
            #expect(labels == twice.map(expected), "chunk \(range)")
        }
    }

    /// The letters of `letters` that bit `k` of `i` selects, for `k` in `0..<letters.count`.
    func lettersOf(_ i: Int, _ letters: [Character]) -> [Character] { letters.indices.filter { i >> $0 & 1 == 1 }.map { letters[$0] } }

    /// A worker keeps at most 4,096 distinct outcomes: a chunk that makes more empties the
    /// table at the next chunk's start, and events before and after get exactly their rules,
    /// the first time and when their outcome is looked up again.
    @Test func aWorkerWithManyDistinctOutcomesStaysRight() throws {
        let letters = Array("abcdefghijklm")   // 13 tests: 8,192 possible outcomes
        let yaml = letters.map { c in
            "title: has \(c)\nid: has-\(c)\ndetection:\n  sel:\n    user.name|contains: \"\(c)\"\n  condition: sel\n"
        }.joined(separator: "---\n")
        try expectRulesLabels(yaml, chunks: [0..<5_000, 5_000..<8_192, 0..<3_000],
                              fields: { ["user.name": String(lettersOf($0, letters)) + "_x"] },
                              expected: { lettersOf($0, letters).map { "has-\($0)" }.joined(separator: ",") })
    }

    /// The same for the early fields' results, which decide the late fields read: a worker
    /// keeps at most 2,048 of them, and past that works each one out again. Every event of
    /// 4,096 distinct host names (an early field), each twice, gets exactly its rules, which
    /// also read a late field: before the table fills, after, and in the next chunks.
    @Test func aWorkerWithManyDistinctEarlyResultsStaysRight() throws {
        let letters = Array("abcdefghijkl")   // 12 early tests: 4,096 early results
        let yaml = letters.map { c in
            "title: on \(c)\nid: on-\(c)\ndetection:\n  host:\n    host.name|contains: \"\(c)\"\n"
                + "  user:\n    user.name|startswith: \"u\"\n  condition: host and user\n"
        }.joined(separator: "---\n")
        try expectRulesLabels(yaml, chunks: [0..<4_096, 0..<4_096, 1_000..<1_500],
                              fields: { ["host.name": String(lettersOf($0, letters)) + "_x", "user.name": $0 % 3 == 0 ? "root" : "u\($0)"] },
                              expected: { $0 % 3 == 0 ? "" : lettersOf($0, letters).map { "on-\($0)" }.joined(separator: ",") })
    }

    @Test func accountsFromBytesEqualAccountsFromStrings() {
        let cases: [(String, String, String)] = [("Alice@Example.NET", "", ""), ("", "Bob", "example.net"), ("", "bob@x.org", "example.net"),
                                                 ("", "carol", ""), ("j%2Esmith%40example.net", "", ""), ("", "Émile", "Example.net"), ("", "", "")]
        for (email, name, domain) in cases {
            let arena = SignalArena()
            let r = withBytes(of: email) { e in withBytes(of: name) { n in withBytes(of: domain) { d in
                BehaviourEngine.appendAccount(email: e, name: n, domain: d, arena) } } }
            #expect(String(decoding: arena.bytes(r), as: UTF8.self) == BehaviourEngine.account(email: email, name: name, domain: domain))
        }
        // Every ASCII byte, `%` and a non-ASCII letter, at every place of names and domains
        // of 1 to 20 bytes: what sends an account to the `String` path, and what is lower-cased.
        let arena = SignalArena()
        let bytes = (0x20...0x7E).map { String(UnicodeScalar(UInt8($0))) } + ["é"]
        for length in 1...20 {
            for (k, c) in bytes.enumerated() {
                let place = k % length
                let name = String(repeating: "Q", count: place) + c + String(repeating: "z", count: length - place - 1)
                let domain = String(repeating: "M", count: (k + length) % 12) + "x.NET"
                let r = withBytes(of: name) { n in withBytes(of: domain) { d in
                    BehaviourEngine.appendAccount(email: Bytes(start: nil, count: 0), name: n, domain: d, arena) } }
                #expect(String(decoding: arena.bytes(r), as: UTF8.self) == BehaviourEngine.account(email: "", name: name, domain: domain),
                        "\(name) @ \(domain)")
            }
        }
    }

    @Test func indicatorsMatchUserAgentsSubjectsAndDomains() throws {
        let rules = """
            actors: [{id: x, name: X}]
            indicators:
              - {id: agent, actor: x, user_agent: ["python-requests/"]}
              - {id: subject, actor: x, subject: ["Ihr Postfach ist voll"]}
              - {id: domain, actor: x, domain: [Evil.Example]}
            """
        let events: [[String: String]] = [
            ["user_agent.original": "python-requests/2.31"], ["user_agent.original": "Python-Requests/2.31"],
            ["email.subject": "Ihr Postfach ist voll – jetzt prüfen"], ["email.subject": "ihr postfach ist voll"],
            ["source.domain": "mx.EVIL.example"], ["user.domain": "evil.example"], ["source.domain": "notevil.example"],
        ]
        let got = try matches(rules, events, field: .ruleID)
        #expect(got == ["agent", nil, "subject", nil, "domain", "domain", nil])
    }

    @Test func indicatorTextOnBytesAnswersAsStringsDo() {
        let needles = ["python-requests/", "Mailbox", "", "évil", "\nX", "full\r"]
        let values = ["python-requests/2.31", "PYTHON-REQUESTS/2.31", "Your Mailbox is full", "mailbox", "", "xévil",
                      "Mozilla\r\nX", "a\nX", "full\r\n", "full\r", "e\u{301}vil"]
        for n in needles {
            let text = IndicatorText(n)
            for v in values {
                #expect(withBytes(of: v) { text.isContained(in: $0) } == v.contains(n), "\(v.debugDescription) contains \(n.debugDescription)")
            }
        }
        let suffixes = ["evil.example", "", "bücher.example", "x\r"]
        let domains = ["evil.example", "EVIL.Example", "a.evil.example", "notevil.example", "evil.example.org", "", ".",
                       "www.BÜCHER.example", "bücher.example", "x\r\n", "a.x\r"]
        func under(_ d: String, _ s: String) -> Bool { d.lowercased() == s || d.lowercased().hasSuffix("." + s) }
        for s in suffixes {
            let text = IndicatorText(s)
            for d in domains {
                #expect(withBytes(of: d) { text.isSuffix(ofDomain: $0) } == under(d, s), "\(d.debugDescription) under \(s.debugDescription)")
            }
        }
        // A rule's suffixes, looked up by hash, answer as the list compared one by one.
        let lists = [suffixes, ["evil.example"], ["example", "x\r"], (0..<5000).map { "host\($0).example.net" } + ["evil.example"], []]
        for list in lists {
            var table = DomainSuffixes()
            for s in list { table.append(s) }
            for d in domains + ["HOST4999.example.net", "a.host12.example.net", "host12.example.net.evil", "..evil.example"] {
                #expect(withBytes(of: d) { table.matches($0) } == list.contains { under(d, $0) }, "\(d.debugDescription) in \(list.prefix(4))")
            }
        }
    }
}
