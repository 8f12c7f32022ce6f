import Foundation
import SpoorKit

/// Runs a module's `tests:` through exactly what `spoor ingest` runs: the given registry (the
/// built-in plugins) with the module registered in it, the syslog envelope, routing,
/// sniffing. A test passes when the module takes the line and every listed field has the
/// expected value (or, with `match: false`, when the module does not take the line).
public enum InlineTestRunner {
    public struct Result: Sendable {
        public let test: InlineTest
        /// What differs, one line each (`- expected`, `+ produced`); empty when it passed.
        public let problems: [String]
        public var passed: Bool { problems.isEmpty }
    }

    /// - Parameter makeRegistry: a fresh registry of the plugins the module runs beside.
    public static func run(_ module: DeclarativeParser, others: [DeclarativeParser] = [],
                           makeRegistry: () -> Registry) -> [Result] {
        var testers: [String: RecordTester] = [:]
        let currentYear = Calendar(identifier: .gregorian).component(.year, from: Date())
        return module.tests.map { test in
            let year = test.year ?? currentYear
            let zoneName = test.timezone ?? "UTC"
            let key = "\(year)|\(zoneName)"
            let tester: RecordTester
            if let t = testers[key] {
                tester = t
            } else {
                do {
                    let registry = makeRegistry()
                    for other in others where other.id != module.id { registry.register(parser: other.moduleManifest) { _ in other } }
                    registry.register(parser: module.moduleManifest) { _ in module }
                    guard let zone = TimeZone(identifier: zoneName) else {
                        return Result(test: test, problems: ["unknown time zone '\(zoneName)'"])
                    }
                    var plan = JobPlan(source: try registry.source("files"), framers: try registry.makeFramers(),
                                       parsers: try registry.makeParsers(), workers: 1, zone: zone, pinnedYear: year)
                    plan.keepOriginal = false
                    tester = RecordTester(plan: plan, explain: true)
                    testers[key] = tester
                } catch {
                    return Result(test: test, problems: ["cannot set up the test: \(error)"])
                }
            }
            return Result(test: test, problems: check(test, module: module, tester: tester))
        }
    }

    static func check(_ test: InlineTest, module: DeclarativeParser, tester: RecordTester) -> [String] {
        let outcome = tester.run(Array(test.line.utf8))
        let took = outcome.trace.contains { $0.hasPrefix("module '\(module.id)': event by") }
        let event = outcome.events.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        if !test.match {
            guard took else { return [] }
            let by = outcome.trace.first { $0.hasPrefix("module '\(module.id)': event by") } ?? ""
            return ["the module took a line it must not match (\(by.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""))"]
        }
        guard took else {
            var problems = ["the module did not take the line"]
            if let dead = outcome.deadLetters.first { problems.append("it became a dead letter: \(dead)") }
            else if let e = event { problems.append("parser of event.dataset '\(e["event.dataset"] as? String ?? "?")' took it") }
            problems += outcome.trace.filter { $0.hasPrefix("  ") || $0.contains("module '\(module.id)'") }.map { "  · " + $0.trimmingCharacters(in: .whitespaces) }
            return problems
        }
        guard let event else { return ["the module took the line but no event came out: \(outcome.deadLetters.first ?? "")"] }
        var problems: [String] = []
        for (name, expected) in test.fields {
            let produced = value(of: name, in: event)
            guard produced != expected else { continue }
            problems.append("- \(name): \(expected)")
            problems.append("+ \(name): \(produced)")
        }
        return problems
    }

    /// A field of an event as JSON: its text (numbers written in decimal), list, or absent.
    static func value(of name: String, in event: [String: Any]) -> InlineTest.Expected {
        let raw: Any?
        if name.hasPrefix("labels.") {
            raw = (event["labels"] as? [String: Any])?[String(name.dropFirst(7))]
        } else {
            raw = event[name]
        }
        switch raw {
        case nil: return .absent
        case let s as String: return .value(s)
        case let list as [Any]: return .list(list.map { "\($0)" })
        case let n as NSNumber: return .value(n.stringValue)
        default: return .value("\(raw!)")
        }
    }
}
