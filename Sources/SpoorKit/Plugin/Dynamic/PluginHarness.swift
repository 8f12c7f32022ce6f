/// Runs a plugin's parsers through its function table exactly as `spoor` does, one record
/// at a time, and shows each event as `field name → text`: what a plugin's own tests use.
///
///     let harness = try PluginHarness(entry: spoorPluginEntry)
///     #expect(harness.parse("sess=7f3a auth result=accept", parser: "acme.vpn", program: "acmevpn")
///             == .event(["event.outcome": "success", ...]))
///
/// One harness is one worker: records given to it in a row share the plugin's state (for a
/// `StreamOrdered` parser, records of the same `path`).
public final class PluginHarness {
    public enum Outcome: Equatable, Sendable {
        /// The event's values: numbers in decimal, `@timestamp` in ISO 8601, list values
        /// joined with ",", labels as `labels.KEY`.
        case event([String: String])
        case filtered, notMine
        case failure(String)
    }

    public let plugin: LoadedPlugin
    private var parsers: [String: LoadedParser] = [:]
    private let context: ParseContext
    private let builder = EventBuilder(capacity: 64)
    private let years: YearResolver
    /// One stream per path: records of one path share a `StreamOrdered` parser's instance.
    private var inputs: [String: InputFile] = [:]

    public init(entry: (UnsafeMutableRawPointer?) -> Int32, zone: String = "UTC", year: Int = 2026) throws {
        plugin = try PluginLoader.load(entry: entry)
        context = ParseContext(zone: try ZoneClock.zone(named: zone), router: ProgramRouter(parsers: []))
        years = YearResolver(pinnedYear: year)
        for (i, manifest) in plugin.parsers.enumerated() {
            parsers[manifest.id] = try LoadedParser(plugin: plugin, index: i, config: PluginConfig().validated(for: manifest))
        }
    }

    /// The routes a parser declared (what the router would send it).
    public func routes(of parser: String) -> [Route] { parsers[parser]?.routes ?? [] }

    /// How sure the parser is that a stream starting with `head` is its format.
    public func sniff(_ head: String, parser: String) -> Int {
        guard let p = parsers[parser] else { return 0 }
        return withBytes(of: head) { p.sniff($0) }
    }

    /// Parses one record; `program` is the syslog program when the record came through the
    /// syslog envelope (then `message` is the message part).
    public func parse(_ message: String, parser id: String, program: String = "", path: String = "test.log") -> Outcome {
        guard let parser = parsers[id] else { return .failure("no parser '\(id)' in plugin \(plugin.name)") }
        let input = inputs[path] ?? InputFile(path: path, memberPath: nil, encoding: "plain", years: years,
                                              fingerprint: withBytes(of: path) { (Hash.fnv1a($0), Hash.fnv1a($0, seed: 7)) }, format: id)
        inputs[path] = input
        return withBytes(of: message) { record in
            withBytes(of: program) { programBytes in
                builder.reset()
                builder.begin(record: record)
                defer { builder.reset() }
                do throws(ParseFailure) {
                    let result = try parser.parse(ParserInput(message: record, record: record, program: programBytes,
                                                              input: input, context: context), into: builder)
                    switch result {
                    case .filtered: return .filtered
                    case .notMine: return .notMine
                    case .event: return .event(fields())
                    }
                } catch {
                    return .failure(error.reason)
                }
            }
        }
    }

    /// Runs an enricher on an event given as `field name → text` (`labels.KEY` for labels)
    /// and returns the event after it.
    public func enrich(_ event: [String: String], enricher id: String, options: [String: ConfigValue] = [:]) throws -> [String: String] {
        guard let index = plugin.enrichers.firstIndex(where: { $0.id == id }) else {
            throw ConfigError(origin: "harness", message: "no enricher '\(id)' in plugin \(plugin.name)")
        }
        let enricher = try LoadedEnricher(plugin: plugin, index: index,
                                          config: PluginConfig(options).validated(for: plugin.enrichers[index]))
        builder.reset()
        builder.begin(record: Bytes(start: nil, count: 0))
        defer { builder.reset() }
        for (name, text) in event.sorted(by: { $0.key < $1.key }) {
            if name.hasPrefix("labels.") {
                builder.label(String(name.dropFirst(7)), string: text)
                continue
            }
            guard let field = Schema.field(named: name) else { continue }
            switch field.spec.type {
            case .int64, .timestamp: builder.set(field, int: Int64(text) ?? 0)
            case .bool: builder.set(field, bool: text == "true")
            case .stringList: for item in text.split(separator: ",") { builder.append(field, string: String(item)) }
            case .string, .stringMap: builder.set(field, string: text)
            }
        }
        enricher.enrich(builder, context: context)
        return fields()
    }

    private func fields() -> [String: String] {
        var out: [String: String] = [:]
        builder.forEachOpenValue { slot, bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            switch slot.kind {
            case .label:
                let key = String(decoding: bytes.slice(0, Int(slot.keyLength)), as: UTF8.self)
                out["labels." + key] = String(decoding: bytes.slice(Int(slot.keyLength), bytes.count), as: UTF8.self)
            case .number:
                out[slot.field.name] = slot.field == .timestamp ? CivilTime.iso8601(micros: slot.value)
                    : slot.field.spec.type == .bool ? (slot.value != 0 ? "true" : "false") : String(slot.value)
            case .external, .arena:
                if slot.field.spec.type == .stringList, let earlier = out[slot.field.name] {
                    out[slot.field.name] = earlier + "," + text
                } else {
                    out[slot.field.name] = text
                }
            }
        }
        return out
    }
}
