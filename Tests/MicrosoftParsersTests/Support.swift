import Foundation
import SpoorKit
import Testing
@testable import spoor

/// Runs text through the same framers, sniffing and parsers as `spoor ingest`.
func makeTester(year: Int? = 2026) -> RecordTester {
    let registry = builtinRegistry()
    var plan = JobPlan(source: try! registry.source("files"), framers: try! registry.makeFramers(),
                       parsers: try! registry.makeParsers(), workers: 1, zone: TimeZone(identifier: "UTC")!, pinnedYear: year)
    plan.keepOriginal = false
    return RecordTester(plan: plan)
}

/// Events and dead letters of `text`, as JSON objects.
func run(_ text: String, with tester: RecordTester = makeTester()) -> (events: [[String: Any]], dead: [[String: Any]]) {
    let outcome = tester.run(Array(text.utf8))
    func objects(_ list: [String]) -> [[String: Any]] {
        list.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
    return (objects(outcome.events), objects(outcome.deadLetters))
}

enum Corpora {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/corpora")
    static var available: Bool { FileManager.default.fileExists(atPath: root.path) }
    static let missing: Comment = "../shared/corpora is not present: conformance against the public corpora was NOT run"

    static func text(_ relative: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
    }
}
