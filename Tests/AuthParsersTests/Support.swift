import Foundation
import Testing
import SpoorKit
@testable import spoor

/// Parses lines exactly as `spoor ingest` does (the built-in registry, the line framer).
func makeTester(year: Int? = 2026, zone: String = "UTC", explain: Bool = false) -> RecordTester {
    let registry = builtinRegistry()
    var plan = JobPlan(source: try! registry.source("files"), framers: try! registry.makeFramers(),
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
        return v as? String ?? "\(v)"
    }
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
}
