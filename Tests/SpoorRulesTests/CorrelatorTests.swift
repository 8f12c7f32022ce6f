import Foundation
@testable import SpoorRules
import SpoorKit
import SpoorTestSupport
import Testing

@Suite struct CorrelatorTests {
    @Test func theShippedRulesPassTheirOwnTests() throws {
        let (rules, errors) = RuleSet.lint(directory: shippedRules)
        #expect(errors.isEmpty, "\(errors)")
        #expect(rules.selections.map(\.id) == ["probe", "attack", "attack-failure", "compromise", "suspicious-sign-in", "mailbox-change"])
        #expect(Set(rules.correlations.map(\.technique)) == ["T1589.002", "T1110.003", "T1110.001", "T1078", "T1114.003"])
        let (passed, failures) = RuleTests.run(rules, plan: makeTester().plan)
        #expect(failures.isEmpty, "\(failures.map(\.description).joined(separator: "\n"))")
        #expect(passed == rules.tests.count && passed >= 16)
    }

    func probes(from ip: String, count: Int, start: Int64, step: Int64 = minute / 2) -> [(Int64, [String: String])] {
        (0..<count).map { i in
            (start + Int64(i) * step, ["source.ip": ip, "event.action": "recipient-check", "event.reason": "unknown_user",
                                       "user.email": "user\(i)@example.net"])
        }
    }

    /// Two logs of two hours, fed as the pipeline merges them: chunks that overlap in time,
    /// a chunk of one log, then of the other. Each key's hits are applied in time order, so
    /// the windows are the ones a single log with all the events in order makes.
    @Test func chunksOfTwoLogsOfOnePeriodFillTheWindowsOfOneLog() throws {
        let rules = try RuleSet.load(directory: shippedRules)
        var events: [(Int64, [String: String])] = []
        var state: UInt64 = 12345
        for i in 0..<1_600 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            events.append((day0 + Int64(i) * 4_500_000, [
                "source.ip": "198.51.100.\(i % 3)", "event.category": "authentication", "event.outcome": "failure",
                "event.reason": "bad_password", "user.email": "u\(state >> 61)@example.net"]))
        }
        func findings(_ chunks: [ArraySlice<(Int64, [String: String])>]) -> [String] {
            let maker = SignalMaker(rules)
            let correlator = maker.engine.makeCorrelator()
            var found: [Finding] = []
            for c in chunks { found += correlator.add(maker.chunk(Array(c))) }
            found += correlator.finish()
            return found.map { "\($0.ruleID) \($0.groupKey) \($0.windowStart)-\($0.windowEnd) \($0.eventCount)/\($0.valueCount) \($0.accounts)" }.sorted()
        }
        let a = events.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        let b = events.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        let one = findings([events[...]])
        #expect(one.count > 20)
        #expect(findings([a[..<400], b[..<400], a[400...], b[400...]]) == one)
    }

    /// Probes without an AS number: the week-long enumeration rule groups by it and can find
    /// nothing, and says so instead of keeping quiet (the summary adds where it comes from).
    @Test func aRuleWhoseEventsNeverHaveItsGroupKeySaysSo() throws {
        let rules = try RuleSet.load(directory: shippedRules)
        func keyless(_ events: [(Int64, [String: String])]) -> [KeylessRule] {
            let maker = SignalMaker(rules)
            let correlator = maker.engine.makeCorrelator()
            _ = correlator.add(maker.chunk(events))
            _ = correlator.finish()
            return correlator.keylessRules
        }
        let bare = probes(from: "203.0.113.9", count: 60, start: day0)
        #expect(keyless(bare) == [KeylessRule(rule: "network-enumeration", events: 60, groupBy: ["source.as.number"])])
        var withASN = bare
        withASN[0].1["source.as.number"] = "64510"
        #expect(keyless(withASN) == [])
    }

    /// A number a rule groups by (an AS number) keys its windows, and names its finding, as
    /// the decimal text the events' JSON gives it.
    @Test func aNumberGroupedByIsItsDecimalText() throws {
        let maker = SignalMaker(try RuleSet.load(directory: shippedRules))
        let correlator = maker.engine.makeCorrelator()
        let events = probes(from: "203.0.113.9", count: 60, start: day0).map { ($0.0, $0.1.merging(["source.as.number": "4200000123"]) { $1 }) }
        let found = correlator.add(maker.chunk(events)) + correlator.finish()
        #expect(found.filter { $0.ruleID == "network-enumeration" }.map(\.groupKey) == ["source.as.number=4200000123"])
    }

    @Test func aFindingCarriesTheRuleTechniqueWindowCountsAccountsSourcesAndEvidence() throws {
        let rules = try RuleSet.load(directory: shippedRules)
        let maker = SignalMaker(rules)
        let correlator = maker.engine.makeCorrelator()
        var found = correlator.add(maker.chunk(probes(from: "203.0.113.9", count: 150, start: day0, step: 10_000_000)))
        found += correlator.finish()
        let f = try #require(found.first { $0.ruleID == "account-enumeration" })
        #expect(found.filter { $0.ruleID == "account-enumeration" }.count == 1)
        #expect(f.technique == "T1589.002" && f.title.hasPrefix("Account enumeration") && f.level == "medium")
        #expect(f.groupKey == "source.ip=203.0.113.9" && f.kind == "value_count")
        #expect(f.windowStart == day0 && f.windowEnd == day0 + 149 * 10_000_000)
        #expect(f.eventCount == 150 && f.valueCount == 150 && f.evidenceTotal == 150)
        // Every entry, in order, up to the cap (the window's lists grew many times to hold them).
        #expect(f.evidence == (1...Finding.listCap).map { "e\($0)" })
        #expect(f.accounts == (0..<Finding.listCap).map { "user\($0)@example.net" })
        #expect(f.sources == ["203.0.113.9"])
        #expect(f.id.count == 32)
    }

    /// Distinct accounts are counted in the window's account list up to its cap, then in a
    /// set seeded with the list: an account seen again on either side counts once.
    @Test func distinctAccountsCountOnceOnEitherSideOfTheListCap() throws {
        let maker = SignalMaker(try RuleSet.load(directory: shippedRules))
        let correlator = maker.engine.makeCorrelator()
        var events = probes(from: "203.0.113.9", count: 120, start: day0, step: 10_000_000)
        events += probes(from: "203.0.113.9", count: 20, start: day0 + 120 * 10_000_000, step: 10_000_000)
        // The same accounts in other cases: accounts compare lower-cased.
        for (i, account) in ["USER3@example.net", "User119@EXAMPLE.NET"].enumerated() {
            events.append((day0 + Int64(140 + i) * 10_000_000, ["source.ip": "203.0.113.9", "event.action": "recipient-check",
                                                                 "event.reason": "unknown_user", "user.email": account]))
        }
        let found = correlator.add(maker.chunk(events)) + correlator.finish()
        let f = try #require(found.first { $0.ruleID == "account-enumeration" })
        #expect(f.eventCount == 142 && f.valueCount == 120 && f.accounts.count == Finding.listCap)
    }

    /// A file read after another of later days comes late for every key: its probes, four a
    /// chunk over three chunks, still meet in one window (they were cut at each chunk's end).
    @Test func aLateFileSpreadOverChunksMakesOneWindow() throws {
        let maker = SignalMaker(try RuleSet.load(directory: shippedRules))
        let correlator = maker.engine.makeCorrelator()
        var found = correlator.add(maker.chunk(probes(from: "203.0.113.9", count: 1, start: day0 + 20 * 24 * 60 * minute)))
        let late = probes(from: "203.0.113.9", count: 12, start: day0, step: minute)
        for part in stride(from: 0, to: 12, by: 4) { found += correlator.add(maker.chunk(Array(late[part..<(part + 4)]))) }
        found += correlator.finish()
        let enumeration = found.filter { $0.ruleID == "account-enumeration" }
        #expect(enumeration.count == 1 && enumeration.first?.valueCount == 12, "\(enumeration.map(\.valueCount))")
    }

    /// Facts are copied as each event is classified, before it is committed: an event the
    /// worker then refuses (no `@timestamp`) must not count, and the next event takes its place.
    @Test func anEventThatIsNotCommittedFeedsNoWindow() throws {
        let dir = try rulesDirectory(["rules.yaml": """
            title: A failed sign-in
            id: failed
            detection:
              sel: {event.outcome: failure}
              condition: sel
            ---
            title: Three failures of one tenant
            id: tenant-failures
            correlation:
              type: event_count
              rules: [failed]
              group-by: [labels.tenant]
              timespan: 1h
              condition: {gte: 3}
            """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let maker = SignalMaker(try RuleSet.load(directory: dir))
        let correlator = maker.engine.makeCorrelator()
        // (tenant, committed): b has two committed failures and two that are not.
        let events: [(String, Bool)] = [("a", true), ("b", false), ("b", true), ("a", true), ("b", true), ("a", true), ("b", false)]
        maker.builder.reset()
        for (i, (tenant, committed)) in events.enumerated() {
            withBytes(of: "") { empty in
                maker.builder.begin(record: empty)
                if committed { maker.builder.set(.timestamp, int: day0 + Int64(i) * minute) }
                maker.builder.set(.eventDataset, "test")
                maker.builder.set(.eventID, string: "e\(i)")
                maker.builder.set(.eventOutcome, string: "failure")
                maker.builder.label("tenant", string: tenant)
                maker.attributor.enrich(maker.builder, context: maker.context)
                #expect(maker.builder.commit() == committed)
            }
        }
        #expect(maker.builder.batch.events.count == 5)
        let found = correlator.add(maker.engine.signals(of: maker.builder.batch, context: maker.context)) + correlator.finish()
        #expect(found.map { "\($0.groupKey) \($0.eventCount) \($0.evidence)" } == ["labels.tenant=a 3 [\"e0\", \"e3\", \"e5\"]"])
    }

    @Test func anAttributedEvidenceEventNamesTheActor() throws {
        let dir = try rulesDirectory(["indicators.yaml": """
            indicators:
              - id: phosphorus-net
                actor: phosphorus
                ip: [203.0.113.0/24]
            """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for f in try FileManager.default.contentsOfDirectory(atPath: shippedRules) {
            try FileManager.default.copyItem(atPath: shippedRules + "/" + f, toPath: dir + "/" + f)
        }
        let maker = SignalMaker(try RuleSet.load(directory: dir))
        let correlator = maker.engine.makeCorrelator()
        let found = correlator.add(maker.chunk(probes(from: "203.0.113.9", count: 12, start: day0))) + correlator.finish()
        #expect(found.map(\.actorID) == ["G0059"] && found.first?.actorName == "PHOSPHORUS")
    }

    /// Files interleave: the same events in reversed chunk order make the same findings.
    @Test func eventsOutOfTimeOrderMakeTheSameFindings() throws {
        let rules = try RuleSet.load(directory: shippedRules)
        var events = probes(from: "203.0.113.9", count: 40, start: day0)
        events += probes(from: "203.0.113.9", count: 40, start: day0 + 600 * minute)
        events += probes(from: "198.51.100.1", count: 5, start: day0 + 30 * minute)
        events += (0..<6).map { i in
            (day0 + 90 * minute + Int64(i) * minute, ["source.ip": "192.0.2.50", "event.category": "authentication", "event.outcome": "failure",
                                                      "event.reason": "bad_password", "user.email": "a\(i)@example.net"])
        }
        func run(_ chunks: [[(Int64, [String: String])]]) -> [String] {
            let maker = SignalMaker(rules)
            let c = maker.engine.makeCorrelator()
            var found: [Finding] = []
            for chunk in chunks { found += c.add(maker.chunk(chunk)) }
            found += c.finish()
            return found.map { "\($0.ruleID) \($0.groupKey) \($0.windowStart) \($0.windowEnd) \($0.eventCount) \($0.valueCount)" }.sorted()
        }
        let inOrder = run(stride(from: 0, to: events.count, by: 10).map { Array(events[$0..<min($0 + 10, events.count)]) })
        let reversed = run(stride(from: 0, to: events.count, by: 10).map { Array(events[$0..<min($0 + 10, events.count)]) }.reversed())
        let shuffled = run([Array(events[40..<80]), Array(events[80...]), Array(events[0..<40].reversed())])
        #expect(inOrder.count == 3, "\(inOrder)")   // two enumeration windows of the first source, one spray
        #expect(reversed == inOrder)
        #expect(shuffled == inOrder)
    }

    /// A long stream with few keys keeps a handful of windows, not its events: per key, the
    /// windows within the allowed lateness (here 1 h; 24 h by default) of its newest event.
    @Test func memoryIsBoundedByOpenWindowsNotEvents() throws {
        let rules = try RuleSet.load(directory: shippedRules)
        let maker = SignalMaker(rules)
        var engine = maker.engine
        engine.lateness = 60 * minute
        let correlator = engine.makeCorrelator()
        var peak = 0, findings = 0
        let ips = ["203.0.113.9", "198.51.100.1", "192.0.2.77"]
        for chunk in 0..<60 {
            let events = (0..<1000).map { i -> (Int64, [String: String]) in
                let n = chunk * 1000 + i
                return (day0 + Int64(n) * 2_000_000, ["source.ip": ips[n % 3], "event.action": "recipient-check",
                                                      "event.reason": "unknown_user", "user.email": "u\(n % 500)@example.net"])
            }
            findings += correlator.add(maker.chunk(events)).count
            peak = max(peak, correlator.openWindows)
        }
        findings += correlator.finish().count
        // 60,000 events over 33 hours: one enumeration finding per source and hour.
        #expect(findings >= 90)
        #expect(peak <= 3 * 3, "peak \(peak) open windows")
        // With the default lateness (24 h), at most 24 + 2 one-hour windows per source.
        let defaults = maker.engine.makeCorrelator()
        var peakDefault = 0
        for chunk in 0..<60 {
            let events = (0..<1000).map { i -> (Int64, [String: String]) in
                let n = chunk * 1000 + i
                return (day0 + Int64(n) * 2_000_000, ["source.ip": ips[n % 3], "event.action": "recipient-check",
                                                      "event.reason": "unknown_user", "user.email": "u\(n % 500)@example.net"])
            }
            _ = defaults.add(maker.chunk(events))
            peakDefault = max(peakDefault, defaults.openWindows)
        }
        #expect(peakDefault <= 3 * 26, "peak \(peakDefault) open windows")
        #expect(correlator.openWindows == 0)
    }

    /// Six days of probes, one every ten seconds from one source: its clock closes the
    /// oldest of its two dozen open one-hour windows about every hour (and the closed ones are
    /// dropped from the front in batches). Every window is evaluated once, in order, and
    /// together they hold every event.
    @Test func aKeysWindowsClosedOverDaysAreEachEvaluatedOnce() throws {
        let rules = try RuleSet.load(directory: shippedRules)
        let maker = SignalMaker(rules)
        let correlator = maker.engine.makeCorrelator()
        let events = probes(from: "203.0.113.9", count: 51_840, start: day0, step: minute / 6)
        var found: [Finding] = []
        var peak = 0
        for start in stride(from: 0, to: events.count, by: 2_000) {
            found += correlator.add(maker.chunk(Array(events[start..<min(start + 2_000, events.count)])))
            peak = max(peak, correlator.openWindows)
        }
        let beforeEnd = found.count
        found += correlator.finish()
        let windows = found.filter { $0.ruleID == "account-enumeration" }.sorted { $0.windowStart < $1.windowStart }
        // A window takes the probes of one hour (361, ten seconds apart); the next starts after.
        #expect(windows.count == 144, "\(windows.count) windows")
        #expect(windows.reduce(0) { $0 + $1.eventCount } == events.count)
        #expect(windows.dropLast().allSatisfy { $0.eventCount == 361 })
        #expect(zip(windows, windows.dropFirst()).allSatisfy { $0.windowEnd < $1.windowStart })
        #expect(beforeEnd > 50, "the clock closed \(beforeEnd) windows before the end")
        #expect(peak <= 27, "peak \(peak) open windows")
    }

    @Test func beyondTheCapTheLeastRecentlyUsedWindowsCloseAndAreStillEvaluated() throws {
        let rules = try RuleSet.load(directory: shippedRules)
        let maker = SignalMaker(rules)
        var engine = maker.engine
        engine.maxOpenWindows = 100
        let correlator = engine.makeCorrelator()
        var found: [Finding] = []
        var peak = 0
        for k in 0..<20 {
            // 50 sources per chunk, each probing 12 accounts at once: 1000 windows in all.
            let events = (0..<50).flatMap { s in probes(from: "10.0.\(k).\(s)", count: 12, start: day0 + Int64(k) * minute) }
            found += correlator.add(maker.chunk(events))
            peak = max(peak, correlator.openWindows)
        }
        found += correlator.finish()
        #expect(peak <= 150, "peak \(peak)")
        #expect(found.filter { $0.ruleID == "account-enumeration" }.count == 1000)
    }
}
