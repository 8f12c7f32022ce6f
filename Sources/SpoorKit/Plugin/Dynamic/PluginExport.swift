#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The plugin side of the run-time boundary: what a plugin's entry point calls to export its
/// parsers and enrichers. The plugin author writes one function and never sees the table:
///
///     import SpoorKit
///
///     @_cdecl("spoor_plugin_entry")
///     public func spoorPluginEntry(_ table: UnsafeMutableRawPointer?) -> Int32 {
///         PluginExport.fill(table, name: "acme-vpn", version: "1.0.0", parsers: [AcmeVPNParser.self])
///     }
///
/// Each instance the host asks for is one parser made from its configuration, with its own
/// `ParseContext` and `EventBuilder`, used by one thread at a time. The host makes one per
/// worker thread; for a parser that conforms to `StreamOrdered`, one per stream instead, and
/// it then hands that instance the stream's records in order. Either way a parser keeps its
/// state in `input.context.state(for:make:)`, as built-in parsers keep caches. To learn its
/// routes, `fill` makes each parser once with its default options.
public enum PluginExport {
    /// Fills the host's table. Returns 0, or 1 when the host speaks another ABI version (the
    /// table then holds only this plugin's version, which the host reports).
    public static func fill(_ table: UnsafeMutableRawPointer?, name: String, version: String,
                            parsers: [any Parser.Type], enrichers: [any Enricher.Type] = []) -> Int32 {
        guard let table else { return 2 }
        let hostVersion = table.load(as: UInt32.self)
        let hostSize = table.load(fromByteOffset: 4, as: UInt32.self)
        table.storeBytes(of: PluginABI.version, as: UInt32.self)
        guard hostVersion == PluginABI.version, Int(hostSize) >= MemoryLayout<PluginTable>.size else { return 1 }

        let manifest = PluginWireManifest(
            name: name, version: version, abi: PluginABI.version,
            fields: Field.allCases.map { .init(name: $0.name, type: $0.spec.type.rawValue) },
            parsers: parsers.map { type in
                let m = type.manifest
                let probe = try? type.init(config: PluginConfig().validated(for: m))
                return .init(id: m.id, version: m.version, summary: m.summary,
                             routes: probe?.routes.map(\.wire) ?? [], framer: probe?.framer ?? "lines",
                             options: wire(m.options), ordered: type is any StreamOrdered.Type)
            },
            enrichers: enrichers.map { type in
                let m = type.manifest
                return .init(id: m.id, version: m.version, summary: m.summary, options: wire(m.options))
            })
        let json = (try? JSONEncoder().encode(manifest)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        Exported.shared.set(parsers: parsers, enrichers: enrichers, manifest: strdup(json))

        var filled = PluginTable()
        filled.abiVersion = PluginABI.version
        filled.tableSize = UInt32(MemoryLayout<PluginTable>.size)
        filled.manifest = UnsafePointer(Exported.shared.manifest)
        filled.create = { index, config, error in Exported.create(index, config, error) }
        filled.sniff = { instance, head, count in
            guard let instance else { return 0 }
            let i = Unmanaged<ExportedInstance>.fromOpaque(instance).takeUnretainedValue()
            return Int32(clamping: i.parser.sniff(Bytes(start: head, count: count)))
        }
        filled.parse = { instance, record, emit, host in
            guard let instance, let record, let emit else { return PluginResult.broken.rawValue }
            return Unmanaged<ExportedInstance>.fromOpaque(instance).takeUnretainedValue()
                .parse(record.load(as: PluginRecord.self), emit: emit, host: host).rawValue
        }
        filled.destroy = { instance in
            if let instance { Unmanaged<ExportedInstance>.fromOpaque(instance).release() }
        }
        filled.freeString = { free($0) }
        filled.createEnricher = { index, config, error in Exported.createEnricher(index, config, error) }
        filled.enrich = { instance, values, count, emit, host in
            guard let instance, let emit else { return PluginResult.broken.rawValue }
            let i = Unmanaged<ExportedEnricher>.fromOpaque(instance).takeUnretainedValue()
            let list = UnsafeBufferPointer(start: values?.assumingMemoryBound(to: PluginValue.self), count: values == nil ? 0 : count)
            i.enrich(list, emit: emit, host: host)
            return PluginResult.event.rawValue
        }
        table.bindMemory(to: PluginTable.self, capacity: 1).pointee = filled
        return 0
    }

    private static func wire(_ options: [OptionSpec]) -> [PluginWireManifest.WireOption] {
        options.map { .init(name: $0.name, type: $0.type.rawValue, defaultValue: $0.defaultValue.map(WireValue.init), doc: $0.doc) }
    }
}

/// The parser types a plugin exported; set once by `fill`, before the host makes instances.
private final class Exported: @unchecked Sendable {
    static let shared = Exported()
    private let lock = NSLock()
    private var parsers: [any Parser.Type] = []
    private var enrichers: [any Enricher.Type] = []
    private(set) var manifest: UnsafeMutablePointer<CChar>?

    func set(parsers: [any Parser.Type], enrichers: [any Enricher.Type], manifest: UnsafeMutablePointer<CChar>?) {
        lock.lock(); defer { lock.unlock() }
        self.parsers = parsers
        self.enrichers = enrichers
        if self.manifest == nil { self.manifest = manifest } else { free(manifest) }
    }

    func parser(_ index: Int) -> (any Parser.Type)? {
        lock.lock(); defer { lock.unlock() }
        return parsers.indices.contains(index) ? parsers[index] : nil
    }

    func enricher(_ index: Int) -> (any Enricher.Type)? {
        lock.lock(); defer { lock.unlock() }
        return enrichers.indices.contains(index) ? enrichers[index] : nil
    }

    /// The options and zone of a `create` call, or why they cannot be read.
    private static func config(_ json: UnsafePointer<CChar>?, for manifest: PluginManifest) throws -> (PluginConfig, TimeZone) {
        guard let json, let wire = try? JSONDecoder().decode(WireConfig.self, from: Data(String(cString: json).utf8)) else {
            throw ConfigError(origin: "plugin", message: "the configuration is not the JSON this plugin's SpoorKit expects")
        }
        var values: [String: ConfigValue] = [:]
        for (key, value) in wire.options { values[key] = value.value }
        return (try PluginConfig(values, origin: "job").validated(for: manifest), try ZoneClock.zone(named: wire.zone))
    }

    static func createEnricher(_ index: UInt32, _ configJSON: UnsafePointer<CChar>?,
                               _ errorOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> UnsafeMutableRawPointer? {
        guard let type = shared.enricher(Int(index)) else {
            errorOut?.pointee = strdup("no enricher number \(index)")
            return nil
        }
        do {
            let (config, zone) = try config(configJSON, for: type.manifest)
            return Unmanaged.passRetained(ExportedEnricher(enricher: try type.init(config: config), zone: zone)).toOpaque()
        } catch {
            errorOut?.pointee = strdup("\(error)")
            return nil
        }
    }

    static func create(_ index: UInt32, _ configJSON: UnsafePointer<CChar>?,
                       _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> UnsafeMutableRawPointer? {
        func fail(_ message: String) -> UnsafeMutableRawPointer? {
            error?.pointee = strdup(message)
            return nil
        }
        guard let type = shared.parser(Int(index)) else { return fail("no parser number \(index)") }
        do {
            let (config, zone) = try config(configJSON, for: type.manifest)
            return Unmanaged.passRetained(ExportedInstance(parser: try type.init(config: config), zone: zone)).toOpaque()
        } catch {
            return fail("\(error)")
        }
    }
}

/// One parser with its own context and builder, used by one host worker at a time.
final class ExportedInstance {
    let parser: any Parser
    let context: ParseContext
    let builder = EventBuilder(capacity: 64)
    private var input: InputFile?

    init(parser: any Parser, zone: TimeZone) {
        self.parser = parser
        context = ParseContext(zone: zone, router: ProgramRouter(parsers: []))
    }

    /// The stream a record comes from, made once per stream (chunks of one stream arrive in a row).
    private func stream(_ r: PluginRecord) -> InputFile {
        if let input, input.fingerprint == (r.fingerprint0, r.fingerprint1) { return input }
        let path = String(decoding: Bytes(start: r.path, count: r.pathLength), as: UTF8.self)
        let member = r.member.map { String(decoding: Bytes(start: $0, count: r.memberLength), as: UTF8.self) }
        let made = InputFile(path: path, memberPath: member, encoding: "plugin",
                             years: YearResolver(year: Int(r.year), ordinal: Int(r.yearOrdinal)),
                             fingerprint: (r.fingerprint0, r.fingerprint1), format: "plugin")
        input = made
        return made
    }

    func parse(_ r: PluginRecord, emit: PluginEmit, host: UnsafeMutableRawPointer?) -> PluginResult {
        let record = Bytes(start: r.record, count: r.recordLength)
        let parserInput = ParserInput(message: Bytes(start: r.message, count: r.messageLength), record: record,
                                      program: Bytes(start: r.program, count: r.programLength),
                                      input: stream(r), context: context)
        context.trace = r.explain != 0 ? [] : nil
        builder.reset()
        builder.begin(record: record)
        defer { builder.reset() }
        let result: ParseResult
        do throws(ParseFailure) {
            result = try parser.parse(parserInput, into: builder)
        } catch {
            sendNotes(emit, host)
            var reason = error.reason
            reason.withUTF8 { emit(host, 0, PluginValueKind.failure.rawValue, $0.baseAddress, $0.count, 0) }
            return .failure
        }
        sendNotes(emit, host)
        switch result {
        case .filtered: return .filtered
        case .notMine: return .notMine
        case .event:
            builder.forEachOpenValue { slot, bytes in send(slot, bytes, emit, host) }
            return .event
        }
    }

    private func sendNotes(_ emit: PluginEmit, _ host: UnsafeMutableRawPointer?) {
        guard let trace = context.trace else { return }
        for var line in trace {
            line.withUTF8 { emit(host, 0, PluginValueKind.note.rawValue, $0.baseAddress, $0.count, 0) }
        }
    }
}

/// One enricher with its own context and builder, used by one host worker at a time.
final class ExportedEnricher {
    let enricher: any Enricher
    let context: ParseContext
    let builder = EventBuilder(capacity: 64)

    init(enricher: any Enricher, zone: TimeZone) {
        self.enricher = enricher
        context = ParseContext(zone: zone, router: ProgramRouter(parsers: []))
    }

    /// Rebuilds the host's event here, runs the enricher, and sends back what it added or changed.
    func enrich(_ values: UnsafeBufferPointer<PluginValue>, emit: PluginEmit, host: UnsafeMutableRawPointer?) {
        builder.reset()
        builder.begin(record: Bytes(start: nil, count: 0))
        defer { builder.reset() }
        for v in values {
            guard v.field <= UInt32(UInt8.max), let field = Field(rawValue: UInt8(v.field)) else { continue }
            let bytes = Bytes(start: v.bytes, count: v.length)
            switch PluginValueKind(rawValue: v.kind) {
            case .number:
                if field.spec.type == .bool { builder.set(field, bool: v.number != 0) } else { builder.set(field, int: v.number) }
            case .bytes:
                if field.spec.type == .stringList { builder.append(field, bytes) } else { builder.set(field, bytes) }
            case .label:
                let k = max(0, min(Int(v.number), bytes.count))
                builder.label(bytes.slice(0, k), bytes.slice(k, bytes.count))
            default:
                continue
            }
        }
        let mark = builder.mark()
        enricher.enrich(builder, context: context)
        builder.forEachValueChanged(since: mark) { slot, bytes in
            send(slot, bytes, emit, host)
        }
    }
}

/// One value of the plugin's builder through the host's callback.
@inline(__always)
private func send(_ slot: Slot, _ bytes: UnsafeRawBufferPointer, _ emit: PluginEmit, _ host: UnsafeMutableRawPointer?) {
    let kind: PluginValueKind = switch slot.kind {
    case .number: .number
    case .label: .label
    case .external, .arena: .bytes
    }
    let number = slot.kind == .label ? Int64(slot.keyLength) : slot.value
    emit(host, UInt32(slot.field.rawValue), kind.rawValue, bytes.baseAddress, bytes.count, number)
}

extension YearResolver {
    /// The resolver the host's stream uses, rebuilt on the plugin's side.
    init(year: Int, ordinal: Int) {
        self.year = year
        self.ordinal = ordinal
    }
}
