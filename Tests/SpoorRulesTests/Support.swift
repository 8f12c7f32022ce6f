import Foundation
@testable import SpoorRules
import SpoorKit

/// A temporary rules directory holding `files`.
func rulesDirectory(_ files: [String: String]) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-rules-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
    return dir
}

/// The rules directory the repository ships.
let shippedRules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("rules").path

/// Events given as field maps, run through the attribution stage of `rules` as one chunk:
/// the batch's signals for the behaviour rules (what a worker hands the correlator).
final class SignalMaker {
    let rules: RuleSet
    let attributor: IndicatorAttributor
    let engine: BehaviourEngine
    let context = ParseContext(zone: TimeZone(identifier: "UTC")!, router: ProgramRouter(parsers: []))
    let builder = EventBuilder()
    private var next = 0

    init(_ rules: RuleSet) {
        self.rules = rules
        attributor = IndicatorAttributor(rules: rules)
        engine = rules.behaviour
    }

    /// `events`: (µs time, fields); each gets a fresh event.id `e<n>`.
    func chunk(_ events: [(Int64, [String: String])]) -> any Sendable {
        builder.reset()
        for (time, fields) in events {
            next += 1
            withBytes(of: "") { empty in
                builder.begin(record: empty)
                builder.set(.timestamp, int: time)
                builder.set(.eventDataset, "test")
                builder.set(.eventID, string: "e\(next)")
                for (k, v) in fields.sorted(by: { $0.key < $1.key }) { RuleTests.set(k, .scalar(v), builder) }
                attributor.enrich(builder, context: context)
                builder.commit()
            }
        }
        return engine.signals(of: builder.batch, context: context)
    }
}

let minute: Int64 = 60_000_000
/// 2026-01-05T00:00:00Z in µs.
let day0: Int64 = 1_767_571_200_000_000
