import Foundation

/// An enricher a plugin exports, as the host runs it: after the parser, on the worker's
/// thread, through the plugin's function table.
///
/// Each worker gets its own plugin instance. The event's values so far cross as an array of
/// `PluginValue` (copied first into the instance's scratch, so nothing points into a batch
/// that the answer grows); what the enricher added or changed comes back like a parser's
/// values.
final class LoadedEnricher: Enricher, @unchecked Sendable {
    static var manifest: PluginManifest {
        PluginManifest(id: "loaded-plugin-enricher", kind: .enricher, version: "0", summary: "an enricher of a plugin loaded at run time")
    }

    init(config: PluginConfig) throws {
        throw ConfigError(origin: "plugin", message: "a plugin's enricher is made by PluginLoader")
    }

    let plugin: LoadedPlugin
    let index: UInt32
    let id: String
    private let options: [String: WireValue]

    init(plugin: LoadedPlugin, index: Int, config: PluginConfig) throws(ConfigError) {
        self.plugin = plugin
        self.index = UInt32(index)
        id = plugin.enrichers[index].id
        options = config.values.mapValues(WireValue.init)
        // Made once here so a configuration the plugin refuses stops the job before input is read.
        let made = plugin.makeInstance(of: .enricher, index: self.index, options: options, zone: "UTC")
        guard let handle = made.handle else {
            throw ConfigError(origin: config.origin, message: "enricher '\(id)' of plugin \(plugin.file) refused its configuration: \(made.error)")
        }
        plugin.table.destroy!(handle)
    }

    func enrich(_ event: EventBuilder, context: ParseContext) {
        let instance = context.instance(for: self) {
            PluginInstance(plugin: plugin, handle: plugin.makeInstance(of: .enricher, index: index, options: options,
                                                                          zone: context.clock.zone.identifier))
        }
        guard let handle = instance.handle else {
            context.note("enricher '\(id)' of plugin \(plugin.file) could not start: \(instance.error)")
            return
        }
        // The values so far, their bytes copied into the instance's scratch.
        instance.scratch.removeAll(keepingCapacity: true)
        instance.pending.removeAll(keepingCapacity: true)
        event.forEachOpenValue { slot, bytes in
            guard let field = plugin.pluginIndex[Int(slot.field.rawValue)] else { return }
            let kind: PluginValueKind = slot.kind == .number ? .number : slot.kind == .label ? .label : .bytes
            instance.pending.append((field, kind, instance.scratch.count, bytes.count,
                                     slot.kind == .label ? Int64(slot.keyLength) : slot.value))
            instance.scratch.append(contentsOf: bytes)
        }
        instance.values.removeAll(keepingCapacity: true)
        instance.scratch.withUnsafeBytes { scratch in
            for v in instance.pending {
                instance.values.append(PluginValue(field: v.field, kind: v.kind.rawValue,
                                                   bytes: v.kind == .number ? nil : scratch.baseAddress.map { UnsafeRawPointer($0 + v.offset) },
                                                   length: v.length, number: v.number))
            }
            instance.values.withUnsafeBytes { values in
                instance.builder = event
                _ = plugin.table.enrich!(handle, values.baseAddress, instance.pending.count, receivePluginValue,
                                         Unmanaged.passUnretained(instance).toOpaque())
                instance.builder = nil
            }
        }
    }
}
