import Foundation
import SpoorKit
import Yams

/// A test written inside a rule file (`tests:`): events in, expected matches, fields or
/// findings out.
///
///     tests:
///       - name: a spray from one address
///         events:                    # field maps (@timestamp and event.dataset optional)
///           - {source.ip: 203.0.113.9, user.email: a@example.net, event.category: authentication, …}
///           - {source.ip: 203.0.113.9, user.email: "u{n}@example.net", …, repeat: 50}   # 50 events, n = 1…50
///         logs: ["Jan  5 10:00:00 mx1 postfix/smtpd[1]: …"]   # raw lines, parsed as ingest does
///         expect:
///           match: true              # the rule matched an event (detection rules) / made a finding
///           fields: {threat.technique.id: T1110.003}           # of the first matching event
///           findings: 1              # findings of this rule (behaviour rules)
public struct RuleTestCase: Sendable {
    public enum Value: Sendable, Equatable {
        case scalar(String)
        case list([String])
        case map([String: String])

        /// The value with `{n}` replaced by `n` (a repeated event's number).
        func numbered(_ n: Int) -> Value {
            func f(_ s: String) -> String { s.replacingOccurrences(of: "{n}", with: String(n)) }
            switch self {
            case .scalar(let s): return .scalar(f(s))
            case .list(let l): return .list(l.map(f))
            case .map(let m): return .map(m.mapValues(f))
            }
        }
    }

    public enum Input: Sendable {
        case fields([(String, Value)])
        case log(String)
    }

    public var rule: String
    public var name: String
    public var origin: String
    public var inputs: [Input]
    public var expectMatch: Bool?
    /// Expected values; nil expects the field absent (`field: null`).
    public var expectFields: [(String, String?)]
    public var expectFindings: Int?

    static func read(_ node: Node, rule: String, loader: inout SigmaLoader) -> [RuleTestCase] {
        guard let list = node.sequence else { loader.error(node, "tests: is a list of tests"); return [] }
        var out: [RuleTestCase] = []
        for (n, item) in list.enumerated() {
            guard let m = item.mapping else { loader.error(item, "a test is a mapping with events:/logs: and expect:"); continue }
            let known = ["name", "event", "events", "log", "logs", "expect"]
            for (k, _) in m where !known.contains(k.string ?? "") {
                loader.error(k, "unknown test key '\(k.string ?? "")'",
                             hint: suggestion(for: k.string ?? "", among: known).map { "did you mean '\($0)'?" } ?? known.joined(separator: ", "))
            }
            var test = RuleTestCase(rule: rule, name: m["name"]?.string ?? "test \(n + 1)", origin: loader.at(item), inputs: [],
                                    expectMatch: nil, expectFields: [], expectFindings: nil)
            let events = (m["event"].map { [$0] } ?? []) + (m["events"]?.sequence.map(Array.init) ?? [])
            for e in events {
                guard let fields = e.mapping else { loader.error(e, "an event is a map of fields"); continue }
                var values: [(String, Value)] = []
                var copies = 1
                for (k, v) in fields {
                    let name = k.string ?? ""
                    if name == "repeat" {
                        if let n = v.int, (1...10_000).contains(n) { copies = n } else { loader.error(v, "repeat: is a number of copies, 1 to 10000") }
                        continue
                    }
                    if Schema.field(named: name) == nil && !name.hasPrefix("labels.") {
                        loader.error(k, "unknown field '\(name)'", hint: suggestion(for: name, among: Field.allCases.map(\.name)).map { "did you mean '\($0)'?" })
                        continue
                    }
                    if let seq = v.sequence { values.append((name, .list(seq.compactMap(\.string)))) }
                    else if let map = v.mapping { values.append((name, .map(Dictionary(map.compactMap { k, v in k.string.flatMap { k in v.string.map { (k, $0) } } }, uniquingKeysWith: { $1 })))) }
                    else if let s = v.string { values.append((name, .scalar(s))) }
                }
                // `repeat: N` makes N events, `{n}` in a value counting 1…N: a threshold of
                // fifty distinct accounts needs no fifty lines.
                for n in 1...copies {
                    test.inputs.append(.fields(copies == 1 ? values : values.map { ($0.0, $0.1.numbered(n)) }))
                }
            }
            for l in (m["log"].map { [$0] } ?? []) + (m["logs"]?.sequence.map(Array.init) ?? []) {
                if let s = l.string { test.inputs.append(.log(s)) } else { loader.error(l, "a log is one raw line") }
            }
            if test.inputs.isEmpty { loader.error(item, "a test needs events: or logs:") }
            guard let expect = m["expect"]?.mapping else { loader.error(item, "a test needs expect:"); continue }
            for (k, v) in expect {
                switch k.string ?? "" {
                case "match": test.expectMatch = v.bool
                case "findings": test.expectFindings = v.int
                case "fields":
                    for (fk, fv) in v.mapping ?? [:] {
                        let value = fv.null != nil ? nil : fv.sequence.map { $0.compactMap(\.string).joined(separator: ",") } ?? fv.string
                        test.expectFields.append((fk.string ?? "", value))
                    }
                default:
                    loader.error(k, "unknown expectation '\(k.string ?? "")'", hint: "match, fields, findings")
                }
            }
            out.append(test)
        }
        return out
    }
}

/// A rule test that did not hold: where, which, and the difference.
public struct RuleTestFailure: Sendable, CustomStringConvertible {
    public var origin: String
    public var rule: String
    public var name: String
    /// `- expected` / `+ actual` lines.
    public var diff: [String]

    public var description: String {
        "FAIL \(rule): \(name) (\(origin))\n" + diff.map { "    " + $0 }.joined(separator: "\n")
    }
}

/// Runs the tests written in rule files: what `spoor rules test` and `spoor test` call.
public enum RuleTests {
    /// Runs every test of `rules`. `plan` parses the tests' raw log lines exactly as ingest
    /// does (the caller's parsers); its enrichers and behaviour are replaced by the rules'.
    public static func run(_ rules: RuleSet, plan: JobPlan?) -> (passed: Int, failures: [RuleTestFailure]) {
        var passed = 0
        var failures: [RuleTestFailure] = []
        let attributor = IndicatorAttributor(rules: rules)
        let engine = rules.behaviour
        for test in rules.tests {
            let (events, findings) = runInputs(test, attributor: attributor, engine: engine, plan: plan)
            var diff: [String] = []
            let isBehaviour = rules.correlations.contains { $0.id == test.rule }
            let ruleFindings = findings.filter { $0.ruleID == test.rule }
            let matching = events.filter { ($0["labels"] as? [String: String])?["rules"]?.split(separator: ",").contains(Substring(test.rule)) == true }
            if let want = test.expectMatch {
                let got = isBehaviour ? !ruleFindings.isEmpty : !matching.isEmpty
                if got != want { diff += ["- match: \(want)", "+ match: \(got)"] }
            }
            if let want = test.expectFindings, ruleFindings.count != want {
                diff += ["- findings: \(want)", "+ findings: \(ruleFindings.count)"]
                for f in findings { diff.append("+   \(f.ruleID) [\(f.groupKey)] events \(f.eventCount), values \(f.valueCount)") }
            }
            if !test.expectFields.isEmpty {
                let event = matching.first ?? events.first ?? [:]
                for (key, want) in test.expectFields {
                    let got = value(event, key)
                    if got != want { diff += ["- \(key): \(want ?? "(absent)")", "+ \(key): \(got ?? "(absent)")"] }
                }
            }
            if diff.isEmpty { passed += 1 } else { failures.append(RuleTestFailure(origin: test.origin, rule: test.rule, name: test.name, diff: diff)) }
        }
        return (passed, failures)
    }

    static func value(_ event: [String: Any], _ key: String) -> String? {
        if key.hasPrefix("labels.") { return (event["labels"] as? [String: String])?[String(key.dropFirst(7))] }
        guard let v = event[key] else { return nil }
        if let list = v as? [String] { return list.joined(separator: ",") }
        if let b = v as? Bool { return b ? "true" : "false" }
        return v as? String ?? "\(v)"
    }

    /// The test's events (as JSON objects) after the attribution stage, and the findings of
    /// a fresh correlator fed with them.
    static func runInputs(_ test: RuleTestCase, attributor: IndicatorAttributor, engine: BehaviourEngine,
                          plan: JobPlan?) -> ([[String: Any]], [Finding]) {
        let correlator = engine.makeCorrelator()
        var events: [[String: Any]] = []
        var findings: [Finding] = []
        let context = ParseContext(zone: TimeZone(identifier: "UTC")!, router: ProgramRouter(parsers: []))
        let builder = EventBuilder()
        var n = 0
        for input in test.inputs {
            guard case .fields(let values) = input else { continue }
            n += 1
            withBytes(of: "") { empty in
                builder.begin(record: empty)
                builder.set(.timestamp, int: 1_767_225_600_000_000 + Int64(n) * 1_000_000)   // 2026-01-01, a second apart
                builder.set(.eventDataset, "test")
                builder.set(.eventID, string: "test-\(n)")
                for (name, value) in values { set(name, value, builder) }
                attributor.enrich(builder, context: context)
                builder.commit()
            }
        }
        if n > 0 {
            builder.batch.withReader { r in
                for e in r.events {
                    var out = ByteBuffer()
                    JSONWriter.appendEvent(e, r, to: &out)
                    if let o = try? JSONSerialization.jsonObject(with: Data(out.array)) as? [String: Any] { events.append(o) }
                }
            }
            findings += correlator.add(engine.signals(of: builder.batch, context: context))
        }
        let lines = test.inputs.compactMap { if case .log(let l) = $0 { l } else { nil } }
        if !lines.isEmpty, var plan {
            plan.enrichers = plan.enrichers.filter { !($0 is IndicatorAttributor) } + [attributor]
            plan.behaviour = engine
            let outcome = RecordTester(plan: plan).run(Array((lines.joined(separator: "\n") + "\n").utf8))
            events += outcome.events.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            if let s = outcome.signals { findings += correlator.add(s) }
        }
        findings += correlator.finish()
        return (events, findings)
    }

    /// Sets one field of a test event from its YAML value, by the column's type.
    static func set(_ name: String, _ value: RuleTestCase.Value, _ b: EventBuilder) {
        if name.hasPrefix("labels."), case .scalar(let s) = value { b.label(String(name.dropFirst(7)), string: s); return }
        guard let field = Schema.field(named: name) else { return }
        switch (field.spec.type, value) {
        case (.timestamp, .scalar(let s)):
            if let t = withBytes(of: s, { Timestamps.iso8601($0, clock: ZoneClock(zone: TimeZone(identifier: "UTC")!)) }) { b.set(.timestamp, int: t.micros) }
        case (.int64, .scalar(let s)): if let n = Int64(s) { b.set(field, int: n) }
        case (.bool, .scalar(let s)): b.set(field, bool: s == "true")
        case (.stringList, .list(let items)): for i in items { b.append(field, string: i) }
        case (.stringList, .scalar(let s)): b.append(field, string: s)
        case (.stringMap, .map(let m)): for (k, v) in m.sorted(by: { $0.key < $1.key }) { b.label(k, string: v) }
        case (_, .scalar(let s)): b.set(field, string: s)
        default: break
        }
    }
}
