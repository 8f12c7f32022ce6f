import Foundation

/// A parser a plugin exports, as the host runs it: routed, sniffed and called like a
/// built-in parser, through the plugin's function table.
///
/// Each worker gets its own plugin instance (made on the worker's first record, destroyed
/// with the worker's context), or, for a `StreamOrdered` parser, each stream (destroyed with
/// the stream), so the plugin may keep state across records; the instance
/// made here, at job set-up, checks the configuration before any input is read and answers
/// `sniff`. Values come back as (field, kind, bytes, number) and go into the host's builder:
/// bytes inside the record stay references, others are copied.
final class LoadedParser: Parser, @unchecked Sendable {
    static var manifest: PluginManifest {
        PluginManifest(id: "loaded-plugin-parser", kind: .parser, version: "0", summary: "a parser of a plugin loaded at run time")
    }

    init(config: PluginConfig) throws {
        throw ConfigError(origin: "plugin", message: "a plugin's parser is made by PluginLoader")
    }

    let plugin: LoadedPlugin
    let index: UInt32
    let id: String
    let routes: [Route]
    let framer: String
    /// One instance per stream, records in order (the plugin's parser is `StreamOrdered`).
    let ordered: Bool
    private let options: [String: WireValue]
    /// For `sniff` (any thread): the plugin promises its parsers' `sniff` keeps no state.
    private let prototype: UnsafeMutableRawPointer

    init(plugin: LoadedPlugin, index: Int, config: PluginConfig) throws(ConfigError) {
        self.plugin = plugin
        self.index = UInt32(index)
        id = plugin.parsers[index].id
        routes = plugin.routes[index]
        framer = plugin.framers[index]
        ordered = plugin.ordered[index]
        options = config.values.mapValues(WireValue.init)
        let made = plugin.makeInstance(of: .parser, index: self.index, options: options, zone: "UTC")
        guard let handle = made.handle else {
            throw ConfigError(origin: config.origin, message: "parser '\(id)' of plugin \(plugin.file) refused its configuration: \(made.error)")
        }
        prototype = handle
    }

    deinit { plugin.table.destroy!(prototype) }

    func sniff(_ head: Bytes) -> Int {
        Int(plugin.table.sniff!(prototype, head.baseAddress, head.count))
    }

    func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        let context = input.context
        let make = {
            PluginInstance(plugin: self.plugin, handle: self.plugin.makeInstance(of: .parser, index: self.index, options: self.options,
                                                                              zone: context.clock.zone.identifier))
        }
        let instance = ordered ? input.input.order.companion(for: self, make: make) : context.instance(for: self, make: make)
        guard let handle = instance.handle else {
            throw ParseFailure("parser '\(id)' of plugin \(plugin.file) could not start: \(instance.error)")
        }
        let file = input.input
        let member = file.memberBytes
        var record = PluginRecord(
            message: input.message.baseAddress, messageLength: input.message.count,
            record: input.record.baseAddress, recordLength: input.record.count,
            program: input.program.baseAddress, programLength: input.program.count,
            path: file.pathBytes.baseAddress, pathLength: file.pathBytes.count,
            member: member?.baseAddress, memberLength: member?.count ?? 0,
            fingerprint0: file.fingerprint.0, fingerprint1: file.fingerprint.1,
            year: Int64(file.years.year), yearOrdinal: Int64(file.years.ordinal),
            explain: context.trace == nil ? 0 : 1)
        instance.builder = event
        instance.failure = nil
        let code = plugin.table.parse!(handle, &record, receivePluginValue, Unmanaged.passUnretained(instance).toOpaque())
        instance.builder = nil
        for note in instance.notes { context.note(note) }
        instance.notes.removeAll()
        switch PluginResult(rawValue: code) {
        case .event: return .event
        case .filtered: return .filtered
        case .notMine: return .notMine
        case .failure: throw ParseFailure(instance.failure ?? "parser '\(id)' failed without a reason")
        case .broken, nil: throw ParseFailure("parser '\(id)' of plugin \(plugin.file) answered code \(code)")
        }
    }
}

/// One worker's instance of a plugin parser or enricher, and where its values go during a call.
final class PluginInstance {
    let plugin: LoadedPlugin
    let handle: UnsafeMutableRawPointer?
    let error: String
    var builder: EventBuilder?
    var failure: String?
    var notes: [String] = []
    /// An enricher's copy of the event it is handed: bytes, then values pointing into them.
    var scratch: [UInt8] = []
    var pending: [(field: UInt32, kind: PluginValueKind, offset: Int, length: Int, number: Int64)] = []
    var values: [PluginValue] = []

    init(plugin: LoadedPlugin, handle: (handle: UnsafeMutableRawPointer?, error: String)) {
        self.plugin = plugin
        self.handle = handle.handle
        error = handle.error
    }

    deinit { if let handle { plugin.table.destroy!(handle) } }

    @inline(__always)
    func receive(_ index: UInt32, _ kind: UInt32, _ bytes: Bytes, _ number: Int64) {
        guard let builder else { return }
        switch PluginValueKind(rawValue: kind) {
        case .number:
            guard Int(index) < plugin.fields.count else { return }
            if let field = plugin.fields[Int(index)] {
                if field.spec.type == .bool { builder.set(field, bool: number != 0) } else { builder.set(field, int: number) }
            } else {
                let text = Array(String(number).utf8)
                plugin.fieldNames[Int(index)].withUnsafeBytes { key in text.withUnsafeBytes { builder.label(key, $0) } }
            }
        case .bytes:
            guard Int(index) < plugin.fields.count else { return }
            if let field = plugin.fields[Int(index)] {
                if field.spec.type == .stringList { builder.append(field, bytes) } else { builder.set(field, bytes) }
            } else {
                plugin.fieldNames[Int(index)].withUnsafeBytes { builder.label($0, bytes) }
            }
        case .label:
            let k = max(0, min(Int(number), bytes.count))
            builder.label(bytes.slice(0, k), bytes.slice(k, bytes.count))
        case .failure:
            failure = String(decoding: bytes, as: UTF8.self)
        case .note:
            notes.append(String(decoding: bytes, as: UTF8.self))
        case nil:
            break
        }
    }
}

/// The host's end of `PluginEmit`: a plain function, its context the `PluginInstance`.
func receivePluginValue(_ host: UnsafeMutableRawPointer?, _ index: UInt32, _ kind: UInt32,
                                _ bytes: UnsafeRawPointer?, _ count: Int, _ number: Int64) {
    guard let host else { return }
    Unmanaged<PluginInstance>.fromOpaque(host).takeUnretainedValue().receive(index, kind, Bytes(start: bytes, count: count), number)
}
