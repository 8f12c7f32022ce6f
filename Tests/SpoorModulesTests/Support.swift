import Foundation
import SpoorBuiltins
import SpoorKit
import SpoorModules
import SpoorTestSupport

/// A module from YAML text (named `test.yaml` in errors).
func module(_ yaml: String) throws -> DeclarativeParser {
    try ModuleLoader.load(text: yaml, path: "test.yaml")
}

/// The error a module's YAML gives, as printed.
func loadError(_ yaml: String) -> String? {
    do {
        _ = try ModuleLoader.load(text: yaml, path: "test.yaml")
        return nil
    } catch {
        return error.description
    }
}

/// The tester `spoor ingest` would be with these modules loaded beside the built-ins.
func tester(_ modules: [DeclarativeParser], year: Int = 2026, zone: String = "UTC", explain: Bool = false) -> RecordTester {
    let registry = builtinRegistry()
    for m in modules { registry.register(parser: m.moduleManifest) { _ in m } }
    var plan = JobPlan(source: try! registry.source("files"), framers: try! registry.makeFramers(),
                       parsers: try! registry.makeParsers(), workers: 1, zone: TimeZone(identifier: zone)!, pinnedYear: year)
    plan.keepOriginal = false
    plan.formatsByGlob = modules.flatMap(\.formatGlobs)
    return RecordTester(plan: plan, explain: explain)
}

/// A minimal module of program `acmevpn` around one pattern.
func vpnModule(regex: String, fields: String = "", set: String = "", extra: String = "") -> String {
    """
    id: acme-vpn
    version: 1.0.0
    applies_to:
      programs: [acmevpn]
    \(extra)
    patterns:
      - id: p
        regex: '\(regex)'
        fields: {\(fields)}
        set: {\(set)}
    """
}
