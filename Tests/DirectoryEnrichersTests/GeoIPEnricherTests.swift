import Foundation
import GeoIPEnricher
import SpoorKit
import SpoorTestSupport
import Testing

/// The Python that `make test` installs in `.venv` builds the .mmdb fixture (mmdb-writer).
enum FixturePython {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".venv/bin/python").path
    static var available: Bool { FileManager.default.isExecutableFile(atPath: path) }
}

@Suite(.enabled(if: FixturePython.available, ".venv/bin/python is missing: run `make test` (it installs mmdb-writer) — GeoIP NOT checked"))
struct GeoIPEnricherTests {
    @Test func countryAndAutonomousSystemFromAnMMDB() throws {
        let db = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-geo-\(UUID().uuidString).mmdb").path
        defer { try? FileManager.default.removeItem(atPath: db) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: FixturePython.path)
        p.arguments = ["-c", """
            import sys
            from netaddr import IPSet
            from mmdb_writer import MMDBWriter
            w = MMDBWriter(ip_version=6, database_type="Spoor-Test", ipv4_compatible=True)
            w.insert_network(IPSet(["203.0.113.0/24"]), {"country": {"iso_code": "IR"},
                             "autonomous_system_number": 64500, "autonomous_system_organization": "Example Hosting"})
            w.insert_network(IPSet(["2001:db8::/32"]), {"country": {"iso_code": "NL"}})
            w.to_db_file(sys.argv[1])
            """, db]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)

        var plan = makeTester().plan
        plan.enrichers = [try GeoIPEnricher(config: PluginConfig(["files": .list([db])]))]
        let tester = RecordTester(plan: plan)
        func event(_ ip: String) -> Parsed {
            parse("Jan  5 10:00:00 h sshd[1]: Failed password for root from \(ip) port 22 ssh2", with: tester)
        }
        let hit = event("203.0.113.5")
        #expect(hit["source.geo.country_iso_code"] == "IR")
        #expect(hit["source.as.number"] == "64500")
        #expect(hit["source.as.organization.name"] == "Example Hosting")
        #expect(event("2001:db8::7")["source.geo.country_iso_code"] == "NL")
        let miss = event("192.0.2.1")
        #expect(miss["source.geo.country_iso_code"] == nil && miss["source.as.number"] == nil)
        // A second lookup of the same address comes from the worker's cache: same answer.
        #expect(event("203.0.113.5")["source.as.number"] == "64500")
    }

    @Test func aFileThatIsNoMMDBIsALoadError() throws {
        let bogus = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-geo-\(UUID().uuidString).mmdb").path
        try "not a database".write(toFile: bogus, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: bogus) }
        let error = #expect(throws: ConfigError.self) { _ = try GeoIPEnricher(config: PluginConfig(["files": .list([bogus])])) }
        #expect(error?.description.contains(bogus) == true)
    }
}
