#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A plugin loaded at run time: its file, what it exports, and the table to call it through.
///
/// Never unloaded: `dlclose` of a Swift library crashes the next protocol lookup, so a
/// loaded plugin stays mapped until the process ends.
public final class LoadedPlugin: @unchecked Sendable {
    /// The shared library as named on the command line (or "in-process" for a linked entry point).
    public let file: String
    public let name: String
    public let version: String
    /// The manifests of the parsers it exports, in its order.
    public let parsers: [PluginManifest]
    /// The manifests of the enrichers it exports, in its order.
    public let enrichers: [PluginManifest]
    let routes: [[Route]]
    /// Per parser: whether it is `StreamOrdered` (one instance per stream, records in order).
    let ordered: [Bool]
    let framers: [String]
    let table: PluginTable
    /// The host column of each of the plugin's field indexes; nil when this host has no
    /// column of that name (a newer plugin): such values become labels under `fieldNames`.
    let fields: [Field?]
    let fieldNames: [[UInt8]]
    /// The plugin's index of each host column (by `Field.rawValue`), nil when it lacks it.
    let pluginIndex: [UInt32?]

    /// A new instance of its parser or enricher `index` with `options` (what the plugin's
    /// own `init(config:)` makes), or why the plugin refused.
    func makeInstance(of kind: PluginManifest.Kind, index: UInt32, options: [String: WireValue], zone: String)
        -> (handle: UnsafeMutableRawPointer?, error: String) {
        let json = (try? JSONEncoder().encode(WireConfig(zone: zone, options: options))).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        var error: UnsafeMutablePointer<CChar>?
        let handle = json.withCString { kind == .enricher ? table.createEnricher!(index, $0, &error) : table.create!(index, $0, &error) }
        let message = error.map { String(cString: $0) } ?? "unknown error"
        if let error { table.freeString!(error) }
        return (handle, message)
    }

    init(file: String, table: PluginTable) throws(ConfigError) {
        self.file = file
        self.table = table
        func refuse(_ message: String, _ hint: String) -> ConfigError {
            ConfigError(origin: "plugin \(file)", message: message, hint: hint + " (this spoor loads plugins of ABI version \(PluginABI.version))")
        }
        guard table.create != nil, table.sniff != nil, table.parse != nil, table.destroy != nil, table.freeString != nil,
              let text = table.manifest else {
            throw refuse("its entry point left the function table incomplete", "export it with PluginExport.fill")
        }
        let manifest: PluginWireManifest
        do {
            manifest = try JSONDecoder().decode(PluginWireManifest.self, from: Data(String(cString: text).utf8))
        } catch {
            throw refuse("its manifest is not valid: \(error)", "rebuild it against this spoor's SpoorKit")
        }
        guard manifest.abi == PluginABI.version else {
            throw refuse("its manifest says ABI version \(manifest.abi)", "rebuild it against this spoor's SpoorKit")
        }
        guard !manifest.name.isEmpty else { throw refuse("its manifest has no plugin name", "pass name: to PluginExport.fill") }
        guard !manifest.parsers.isEmpty || !(manifest.enrichers ?? []).isEmpty else {
            throw refuse("it exports no parser and no enricher", "pass parsers: [YourParser.self] to PluginExport.fill")
        }
        name = manifest.name
        version = manifest.version
        var fields: [Field?] = []
        for f in manifest.fields {
            let host = Schema.field(named: f.name)
            if let host, host.spec.type.rawValue != f.type {
                throw refuse("its column '\(f.name)' is a \(f.type), this spoor's is a \(host.spec.type.rawValue)",
                             "rebuild it against this spoor's SpoorKit")
            }
            fields.append(host)
        }
        self.fields = fields
        fieldNames = manifest.fields.map { Array($0.name.utf8) }
        var pluginIndex = [UInt32?](repeating: nil, count: Field.allCases.count)
        for (i, f) in fields.enumerated() { if let f { pluginIndex[Int(f.rawValue)] = UInt32(i) } }
        self.pluginIndex = pluginIndex
        /// A parser's or an enricher's options as the registry declares them.
        func optionSpecs(_ wire: [PluginWireManifest.WireOption], of owner: String) throws(ConfigError) -> [OptionSpec] {
            var options: [OptionSpec] = []
            for o in wire {
                guard let kind = ConfigValue.Kind(rawValue: o.type) else {
                    throw refuse("option '\(o.name)' of \(owner) has the unknown type '\(o.type)'", "string, int, bool or list")
                }
                options.append(OptionSpec(o.name, kind, default: o.defaultValue?.value, o.doc))
            }
            return options
        }
        var manifests: [PluginManifest] = [], routes: [[Route]] = [], framers: [String] = [], ordered: [Bool] = []
        for p in manifest.parsers {
            guard !p.id.isEmpty, !p.id.contains(where: { $0 == " " || $0 == "/" }) else {
                throw refuse("a parser has the id '\(p.id)'", "an id is one word: acme.vpn, acme-sso")
            }
            let parsed = p.routes.compactMap(Route.init(wire:))
            guard parsed.count == p.routes.count, !parsed.isEmpty else {
                throw refuse("parser '\(p.id)' has no usable route (\(p.routes.joined(separator: ", ")))",
                             "its routes must name a program, a program prefix, any program or a format, and its init(config:) must succeed with default options")
            }
            manifests.append(PluginManifest(id: p.id, kind: .parser, version: p.version, summary: p.summary,
                                            options: try optionSpecs(p.options, of: "parser '\(p.id)'")))
            routes.append(parsed)
            framers.append(p.framer)
            ordered.append(p.ordered == true)
        }
        parsers = manifests
        self.routes = routes
        self.framers = framers
        self.ordered = ordered
        var enrichers: [PluginManifest] = []
        for e in manifest.enrichers ?? [] {
            guard !e.id.isEmpty, !e.id.contains(where: { $0 == " " || $0 == "/" }) else {
                throw refuse("an enricher has the id '\(e.id)'", "an id is one word: acme.sites")
            }
            guard table.createEnricher != nil, table.enrich != nil else {
                throw refuse("it exports enrichers but its table has no enricher functions", "export it with PluginExport.fill")
            }
            enrichers.append(PluginManifest(id: e.id, kind: .enricher, version: e.version, summary: e.summary,
                                            options: try optionSpecs(e.options, of: "enricher '\(e.id)'")))
        }
        self.enrichers = enrichers
    }
}

/// Finds, opens and checks plugins, and registers what they export.
public enum PluginLoader {
    /// Loads every file named, and every `lib*.so` in a directory named (in name order), into
    /// `registry`. A plugin named twice is loaded once. Errors name the file and the ABI
    /// version this host expects; nothing is half-registered when one fails.
    @discardableResult
    public static func load(_ paths: [String], into registry: Registry) throws(ConfigError) -> [LoadedPlugin] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ConfigError(origin: "plugin \(path)", message: "no such file or directory",
                                  hint: "name a plugin's .so or a directory of lib*.so (this spoor loads plugins of ABI version \(PluginABI.version))")
            }
            if isDirectory.boolValue {
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
                    .filter { $0.hasPrefix("lib") && $0.hasSuffix(".so") }.sorted()
                guard !names.isEmpty else {
                    throw ConfigError(origin: "plugin \(path)", message: "the directory holds no lib*.so",
                                      hint: "copy the plugins' .so files into it, or name a .so (this spoor loads plugins of ABI version \(PluginABI.version))")
                }
                files += names.map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        var seen = Set<String>(), loaded: [LoadedPlugin] = []
        for file in files where seen.insert(URL(fileURLWithPath: file).resolvingSymlinksInPath().path).inserted {
            loaded.append(try load(file: file))
        }
        for plugin in loaded { try register(plugin, into: registry) }
        return loaded
    }

    /// Opens one shared library and checks its entry point, ABI version and manifest.
    public static func load(file: String) throws(ConfigError) -> LoadedPlugin {
        let hint = "a plugin is the .so of a Swift package whose library product is .dynamic and whose entry point calls PluginExport.fill (this spoor loads plugins of ABI version \(PluginABI.version))"
        // Loaded for good (see LoadedPlugin): never dlclose'd, even when refused below.
        guard let handle = dlopen(file.contains("/") ? file : "./" + file, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown error"
            throw ConfigError(origin: "plugin \(file)", message: "not a loadable shared library: \(reason)", hint: hint)
        }
        guard let symbol = dlsym(handle, PluginABI.entrySymbol) else {
            throw ConfigError(origin: "plugin \(file)", message: "has no entry point '\(PluginABI.entrySymbol)'",
                              hint: "add @_cdecl(\"\(PluginABI.entrySymbol)\") to the function that calls PluginExport.fill; " + hint)
        }
        let entry = unsafeBitCast(symbol, to: PluginEntry.self)
        return try load(entry: { entry($0) }, file: file)
    }

    /// Runs an entry point already in the process (a plugin's own tests link it) and checks it.
    /// It is taken as a Swift function: converting a `@_cdecl` function to a C pointer in
    /// another module emits a second `spoor_plugin_entry` there, which fails to link.
    public static func load(entry: (UnsafeMutableRawPointer?) -> Int32, file: String = "in-process") throws(ConfigError) -> LoadedPlugin {
        let table = UnsafeMutablePointer<PluginTable>.allocate(capacity: 1)
        table.initialize(to: PluginTable())
        table.pointee.abiVersion = PluginABI.version
        table.pointee.tableSize = UInt32(MemoryLayout<PluginTable>.size)
        let status = entry(UnsafeMutableRawPointer(table))
        let theirs = table.pointee.abiVersion
        guard theirs == PluginABI.version else {
            throw ConfigError(origin: "plugin \(file)", message: "speaks plugin ABI version \(theirs), this spoor expects ABI version \(PluginABI.version)",
                              hint: "rebuild the plugin against the SpoorKit of this spoor (swift build in its package)")
        }
        guard status == 0 else {
            throw ConfigError(origin: "plugin \(file)", message: "its entry point failed (status \(status))",
                              hint: "this spoor expects ABI version \(PluginABI.version)")
        }
        // The table stays allocated: the plugin is never unloaded either.
        return try LoadedPlugin(file: file, table: table.pointee)
    }

    /// Adds a plugin's parsers and enrichers to `registry`; an id already taken or a framer
    /// the host does not have is refused before anything is registered.
    public static func register(_ plugin: LoadedPlugin, into registry: Registry) throws(ConfigError) {
        let taken = Set(registry.parsers.map(\.manifest.id))
        let takenEnrichers = Set(registry.enrichers.map(\.manifest.id))
        let framers = Set(registry.framers.map(\.manifest.id))
        func clash(_ what: String, _ id: String) -> ConfigError {
            ConfigError(origin: "plugin \(plugin.file)", message: "its \(what) '\(id)' has the id of \(what == "parser" ? "a" : "an") \(what) already registered",
                        hint: "give it another id (see `spoor plugins`)")
        }
        for (i, manifest) in plugin.parsers.enumerated() {
            guard !taken.contains(manifest.id) else { throw clash("parser", manifest.id) }
            guard framers.isEmpty || framers.contains(plugin.framers[i]) else {
                throw ConfigError(origin: "plugin \(plugin.file)", message: "its parser '\(manifest.id)' reads records of framer '\(plugin.framers[i])', which this spoor does not have",
                                  hint: "known framers: " + framers.sorted().joined(separator: ", "))
            }
        }
        for manifest in plugin.enrichers where takenEnrichers.contains(manifest.id) { throw clash("enricher", manifest.id) }
        for (i, manifest) in plugin.parsers.enumerated() {
            registry.register(parser: manifest) { config in try LoadedParser(plugin: plugin, index: i, config: config) }
        }
        for (i, manifest) in plugin.enrichers.enumerated() {
            registry.register(enricher: manifest) { config in try LoadedEnricher(plugin: plugin, index: i, config: config) }
        }
        registry.noteOrigin(of: plugin)
    }
}
