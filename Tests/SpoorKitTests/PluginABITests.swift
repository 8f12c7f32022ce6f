import Foundation
import SpoorKit
import Testing

/// A parser that counts the records it saw: state that must stay per instance (per worker).
struct CountingParser: Parser {
    static let manifest = PluginManifest(id: "test.count", kind: .parser, version: "1.0.0", summary: "counts records",
                                         options: [OptionSpec("start", .int, default: .int(0), "first number")])
    final class Count { var n = 0 }
    let start: Int
    init(config: PluginConfig) throws { start = config.int("start") ?? 0 }
    var routes: [Route] { [.program("counter")] }

    func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        if input.message.equals("boom") { throw ParseFailure("boom is not a record") }
        if input.message.equals("skip") { return .filtered }
        let count = input.context.state(for: "count") { Count() }
        count.n += 1
        event.set(.eventDataset, "count")
        event.set(.processPID, int: Int64(start + count.n))
        event.set(.userExists, bool: true)
        event.append(.emailTo, input.message)
        event.append(.emailTo, input.message)
        event.label("seen", string: "\(count.n)")
        return .event
    }
}

/// A manifest written by hand, as a plugin built against another schema would send it.
nonisolated(unsafe) private let foreignManifest = strdup("""
    {"name":"foreign","version":"1","abi":1,"fields":[{"name":"event.dataset","type":"string"},{"name":"acme.future","type":"string"}],
     "parsers":[{"id":"foreign","version":"1","summary":"s","routes":["program:foreign"],"framer":"lines","options":[]}]}
    """)!
nonisolated(unsafe) private let retypedManifest = strdup("""
    {"name":"retyped","version":"1","abi":1,"fields":[{"name":"source.port","type":"string"}],
     "parsers":[{"id":"retyped","version":"1","summary":"s","routes":["any"],"framer":"lines","options":[]}]}
    """)!

/// Fills a table whose parse emits `event.dataset` and a column this host does not have.
private func foreignEntry(_ manifest: UnsafeMutablePointer<CChar>) -> (UnsafeMutableRawPointer?) -> Int32 {
    { raw in
        let table = raw!.bindMemory(to: PluginTable.self, capacity: 1)
        table.pointee.abiVersion = PluginABI.version
        table.pointee.manifest = UnsafePointer(manifest)
        table.pointee.create = { _, _, _ in UnsafeMutableRawPointer(bitPattern: 1) }
        table.pointee.sniff = { _, _, _ in 0 }
        table.pointee.parse = { _, _, emit, host in
            "x".withCString { emit!(host, 0, PluginValueKind.bytes.rawValue, $0, 1, 0) }
            "hello".withCString { emit!(host, 1, PluginValueKind.bytes.rawValue, $0, 5, 0) }
            return PluginResult.event.rawValue
        }
        table.pointee.destroy = { _ in }
        table.pointee.freeString = { free($0) }
        return 0
    }
}

@Suite("Plugin ABI")
struct PluginABITests {
    @Test("A parser exported through the table gives the host its values, results and failures")
    func exportedParser() throws {
        let harness = try PluginHarness(entry: { PluginExport.fill($0, name: "test", version: "1.0.0", parsers: [CountingParser.self]) })
        #expect(harness.plugin.parsers.map(\.id) == ["test.count"])
        #expect(harness.routes(of: "test.count") == [.program("counter")])
        #expect(harness.parse("a@example.com", parser: "test.count", program: "counter") == .event([
            "event.dataset": "count", "process.pid": "1", "user.exists": "true",
            "email.to.address": "a@example.com,a@example.com", "labels.seen": "1",
        ]))
        #expect(harness.parse("skip", parser: "test.count") == .filtered)
        #expect(harness.parse("boom", parser: "test.count") == .failure("boom is not a record"))
        guard case .event(let second) = harness.parse("b", parser: "test.count") else { Issue.record("no event"); return }
        #expect(second["process.pid"] == "2")
    }

    @Test("Each instance (each worker) keeps its own state")
    func statePerInstance() throws {
        let entry: (UnsafeMutableRawPointer?) -> Int32 = { PluginExport.fill($0, name: "test", version: "1.0.0", parsers: [CountingParser.self]) }
        let a = try PluginHarness(entry: entry), b = try PluginHarness(entry: entry)
        _ = a.parse("x", parser: "test.count")
        _ = a.parse("x", parser: "test.count")
        guard case .event(let fromB) = b.parse("x", parser: "test.count") else { Issue.record("no event"); return }
        #expect(fromB["process.pid"] == "1")
    }

    @Test("Another ABI version is refused with both versions named")
    func otherVersion() {
        do {
            _ = try PluginLoader.load(entry: { raw in raw!.storeBytes(of: UInt32(7), as: UInt32.self); return 1 }, file: "libseven.so")
            Issue.record("a plugin of ABI 7 loaded")
        } catch {
            #expect(error.description.contains("plugin libseven.so: speaks plugin ABI version 7, this spoor expects ABI version \(PluginABI.version)"))
        }
    }

    @Test("A column this host does not have arrives as a label under its name")
    func unknownColumnBecomesALabel() throws {
        let harness = try PluginHarness(entry: foreignEntry(foreignManifest))
        #expect(harness.parse("anything", parser: "foreign") == .event(["event.dataset": "x", "labels.acme.future": "hello"]))
    }

    @Test("A column of another type is refused at load")
    func retypedColumn() {
        do {
            _ = try PluginLoader.load(entry: foreignEntry(retypedManifest), file: "libretyped.so")
            Issue.record("a plugin with a retyped column loaded")
        } catch {
            #expect(error.description.contains("its column 'source.port' is a string, this spoor's is a int64"))
        }
    }
}
