import Foundation
import Testing
import SpoorKit
@testable import spoor

/// Parses lines exactly as `spoor ingest` does (the built-in registry, the line framer,
/// format sniffing per stream and the per-record fallback to the other formats).
func makeTester(year: Int? = 2026, zone: String = "UTC", explain: Bool = false) -> RecordTester {
    let registry = builtinRegistry()
    var plan = JobPlan(source: try! registry.source("files"), framer: try! registry.framer("lines"),
                       parsers: try! registry.makeParsers(), workers: 1, zone: TimeZone(identifier: zone)!, pinnedYear: year)
    plan.keepOriginal = false
    return RecordTester(plan: plan, explain: explain)
}

/// One line in: its event's fields, or its dead letter's.
struct Parsed {
    var event: [String: Any]?
    var deadLetter: [String: Any]?

    subscript(_ key: String) -> String? {
        guard let v = event?[key] else { return nil }
        if let list = v as? [String] { return list.joined(separator: ",") }
        return v as? String ?? "\(v)"
    }

    /// A `labels` entry.
    func label(_ key: String) -> String? { (event?["labels"] as? [String: String])?[key] }

    /// `email.to.address` as a list.
    var to: [String] { event?["email.to.address"] as? [String] ?? [] }

    var failed: Bool { self["event.outcome"] == "failure" }
}

func parse(_ line: String, with tester: RecordTester = makeTester()) -> Parsed {
    let outcome = tester.run(Array(line.utf8))
    func object(_ s: String?) -> [String: Any]? {
        s.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
    return Parsed(event: object(outcome.events.first), deadLetter: object(outcome.deadLetters.first))
}

/// The shared corpora, beside the repository, when this checkout has them.
enum Corpora {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/corpora")
    static var available: Bool { FileManager.default.fileExists(atPath: root.path) }
    static let missing: Comment = "../shared/corpora is not present: conformance against the public corpora was NOT run"

    static func lines(_ relative: String) -> [String] {
        (try? String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8))?
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init) ?? []
    }

    /// The records of a JSON-lines file.
    static func jsonLines(_ relative: String) -> [[String: Any]] {
        lines(relative).compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}

/// fail2ban's annotated samples (`fail2ban/fail2ban_cases.jsonl`), as the default filter mode
/// checks them — the same selection as Tests/AuthParsersTests/Fail2banConformanceTests.
enum Fail2ban {
    struct Case {
        let filter: String
        let line: String
        let match: Bool
        let host: String?
    }

    /// Cases that apply in the default mode: an option set without `mode`, and a
    /// constraint (a Python expression over `opts`/`name`) that holds there.
    static func cases(_ filter: String) -> [Case] {
        Corpora.jsonLines("fail2ban/fail2ban_cases.jsonl").compactMap { r -> Case? in
            guard r["filter"] as? String == filter, let line = r["line"] as? String,
                  let fail = r["fail"] as? [String: Any], let match = fail["match"] as? Bool else { return nil }
            let options = r["filter_options"] as? [[String: Any]] ?? [[:]]
            guard options.contains(where: { $0["mode"] == nil }) else { return nil }
            if let constraint = fail["constraint"] as? String, !holdsInDefaultMode(constraint, filter: filter) { return nil }
            return Case(filter: filter, line: line, match: match, host: fail["host"] as? String)
        }
    }

    static func holdsInDefaultMode(_ constraint: String, filter: String) -> Bool {
        let c = constraint.replacingOccurrences(of: " ", with: "")
        if c.hasPrefix("name==") { return c == "name=='\(filter)'" }
        if c.hasPrefix("opts.get('mode')!=") { return true }   // no mode in the default set
        if c.hasPrefix("opts.get('mode')==") { return false }
        Issue.record("unhandled fail2ban constraint: \(constraint)")
        return false
    }
}
