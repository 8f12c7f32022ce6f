import Foundation
import SpoorBuiltins
import SpoorKit

/// Runs text through exactly what `spoor ingest` runs on it: the built-in registry, every
/// framer, format sniffing per stream, the per-record fallback to the other formats.
public func makeTester(year: Int? = 2026, zone: String = "UTC", explain: Bool = false) -> RecordTester {
    let registry = builtinRegistry()
    var plan = JobPlan(source: try! registry.source("files"), framers: try! registry.makeFramers(),
                       parsers: try! registry.makeParsers(), workers: 1, zone: TimeZone(identifier: zone)!, pinnedYear: year)
    plan.keepOriginal = false
    return RecordTester(plan: plan, explain: explain)
}

/// One line in: its event's fields, or its dead letter's.
public struct Parsed {
    public var event: [String: Any]?
    public var deadLetter: [String: Any]?

    public subscript(_ key: String) -> String? {
        guard let v = event?[key] else { return nil }
        if let list = v as? [String] { return list.joined(separator: ",") }
        return v as? String ?? "\(v)"
    }

    /// A `labels` entry.
    public func label(_ key: String) -> String? { (event?["labels"] as? [String: String])?[key] }

    /// `email.to.address` as a list.
    public var to: [String] { event?["email.to.address"] as? [String] ?? [] }

    public var failed: Bool { self["event.outcome"] == "failure" }
}

public func parse(_ line: String, path: String = "-", with tester: RecordTester = makeTester()) -> Parsed {
    let outcome = tester.run(Array(line.utf8), path: path)
    func object(_ s: String?) -> [String: Any]? {
        s.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
    return Parsed(event: object(outcome.events.first), deadLetter: object(outcome.deadLetters.first))
}

/// Events and dead letters of `text` (several records), as JSON objects.
public func run(_ text: String, with tester: RecordTester = makeTester()) -> (events: [[String: Any]], dead: [[String: Any]]) {
    let outcome = tester.run(Array(text.utf8))
    func objects(_ list: [String]) -> [[String: Any]] {
        list.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
    return (objects(outcome.events), objects(outcome.deadLetters))
}

/// The shared corpora, beside the repository, when this checkout has them.
public enum Corpora {
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/corpora")
    public static var available: Bool { FileManager.default.fileExists(atPath: root.path) }
    /// Why a conformance suite did not run (each test target wraps it in a `Comment`).
    public static let missingReason = "../shared/corpora is not present: conformance against the public corpora was NOT run"

    public static func lines(_ relative: String) -> [String] {
        (try? String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8))?
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init) ?? []
    }

    public static func text(_ relative: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
    }

    /// The records of a JSON-lines file.
    public static func jsonLines(_ relative: String) -> [[String: Any]] {
        lines(relative).compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}

/// fail2ban's annotated samples (`fail2ban/fail2ban_cases.jsonl`) as the default filter mode
/// checks them.
public enum Fail2ban {
    public struct Case {
        public let filter: String
        public let line: String
        public let match: Bool
        public let host: String?
    }

    /// Cases that apply in the default mode: an option set without `mode`, and a
    /// constraint (a Python expression over `opts`/`name`) that holds there.
    public static func cases(_ filter: String) -> [Case] { select(filter).cases }

    /// Constraints of a shape `cases` does not understand (a test asserts there are none).
    public static func unhandledConstraints(_ filter: String) -> [String] { select(filter).unhandled }

    static func select(_ filter: String) -> (cases: [Case], unhandled: [String]) {
        var unhandled: [String] = []
        let cases = Corpora.jsonLines("fail2ban/fail2ban_cases.jsonl").compactMap { r -> Case? in
            guard r["filter"] as? String == filter, let line = r["line"] as? String,
                  let fail = r["fail"] as? [String: Any], let match = fail["match"] as? Bool else { return nil }
            let options = r["filter_options"] as? [[String: Any]] ?? [[:]]
            guard options.contains(where: { $0["mode"] == nil }) else { return nil }
            if let constraint = fail["constraint"] as? String {
                switch holdsInDefaultMode(constraint, filter: filter) {
                case true?: break
                case false?: return nil
                case nil: unhandled.append(constraint); return nil
                }
            }
            return Case(filter: filter, line: line, match: match, host: fail["host"] as? String)
        }
        return (cases, unhandled)
    }

    static func holdsInDefaultMode(_ constraint: String, filter: String) -> Bool? {
        let c = constraint.replacingOccurrences(of: " ", with: "")
        if c.hasPrefix("name==") { return c == "name=='\(filter)'" }
        if c.hasPrefix("opts.get('mode')!=") { return true }   // no mode in the default set
        if c.hasPrefix("opts.get('mode')==") { return false }
        return nil
    }
}

extension Fail2ban {
    /// How Spoor did on one filter's default-mode cases.
    public struct Score {
        public var hits = 0
        public var positives = 0
        /// `match: true` lines that did not become a failure from the annotated host.
        public var misses: [String] = []
        /// `match: false` lines Spoor calls failures, with the reason it gave.
        public var failedNonMatches: [(line: String, reason: String?)] = []
        /// `match: true` lines set aside by the caller (fail2ban context lines), with the outcome Spoor gave.
        public var setAside: [(line: String, outcome: String?)] = []

        public var recall: Double { Double(hits) / Double(max(positives, 1)) }

        /// The line every conformance test prints.
        public func summary(_ filter: String) -> String {
            "fail2ban \(filter): recall \(hits)/\(positives) = \(String(format: "%.1f", recall * 100))%"
        }
    }

    /// Scores a filter: a `match: true` line counts when it becomes a failure whose
    /// `source.ip` or `source.domain` is the annotated host. Lines ending with one of
    /// `setAside` are not counted; their outcome is returned for the caller to check.
    public static func score(_ filter: String, with tester: RecordTester, setAside: [String] = []) -> Score {
        var s = Score()
        for c in cases(filter) {
            let e = parse(c.line, with: tester)
            if c.match, setAside.contains(where: { c.line.hasSuffix($0) }) {
                s.setAside.append((c.line, e["event.outcome"]))
            } else if c.match {
                s.positives += 1
                if e.failed, e["source.ip"] == c.host || e["source.domain"] == c.host {
                    s.hits += 1
                } else {
                    s.misses.append("\(c.line)\n      → outcome \(e["event.outcome"] ?? "-"), source \(e["source.ip"] ?? e["source.domain"] ?? "-"), dataset \(e["event.dataset"] ?? "-")")
                }
            } else if e.failed {
                s.failedNonMatches.append((c.line, e["event.reason"]))
            }
        }
        return s
    }
}
