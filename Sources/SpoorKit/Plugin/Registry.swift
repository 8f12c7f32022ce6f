/// Every plugin a `spoor` binary knows, by kind and id.
///
/// The CLI registers the built-in plugins at start; a third-party plugin registers itself
/// the same way (compiled into a custom build). Nothing in SpoorKit knows any plugin.
public final class Registry {
    public private(set) var parsers: [(manifest: PluginManifest, make: (PluginConfig) throws -> any Parser)] = []
    public private(set) var framers: [(manifest: PluginManifest, make: (PluginConfig) throws -> any Framer)] = []
    public private(set) var sources: [(manifest: PluginManifest, make: (PluginConfig) throws -> any Source)] = []
    public private(set) var enrichers: [(manifest: PluginManifest, make: (PluginConfig) throws -> any Enricher)] = []
    public private(set) var sinks: [(manifest: PluginManifest, type: any Sink.Type)] = []

    public init() {}

    public func register<P: Parser>(parser: P.Type) {
        parsers.append((P.manifest, { try P(config: $0.validated(for: P.manifest)) }))
    }

    /// Registers a parser made at run time (a declarative module loaded from a file). One with
    /// the id of a parser already registered takes its place (and its turn in routing and
    /// format sniffing); returns the manifest it replaced, if any.
    @discardableResult
    public func register(parser manifest: PluginManifest, make: @escaping (PluginConfig) throws -> any Parser) -> PluginManifest? {
        let entry = (manifest: manifest, make: { (config: PluginConfig) throws -> any Parser in try make(config.validated(for: manifest)) })
        if let i = parsers.firstIndex(where: { $0.manifest.id == manifest.id }) {
            let replaced = parsers[i].manifest
            parsers[i] = entry
            return replaced
        }
        parsers.append(entry)
        return nil
    }

    public func register<F: Framer>(framer: F.Type) {
        framers.append((F.manifest, { try F(config: $0.validated(for: F.manifest)) }))
    }

    public func register<S: Source>(source: S.Type) {
        sources.append((S.manifest, { try S(config: $0.validated(for: S.manifest)) }))
    }

    public func register<E: Enricher>(enricher: E.Type) {
        enrichers.append((E.manifest, { try E(config: $0.validated(for: E.manifest)) }))
    }

    public func register<S: Sink>(sink: S.Type) {
        sinks.append((S.manifest, S.self))
    }

    /// Every manifest, by kind then id: what `spoor plugins` lists.
    public var manifests: [PluginManifest] {
        let all = parsers.map(\.manifest) + framers.map(\.manifest) + sources.map(\.manifest)
            + enrichers.map(\.manifest) + sinks.map(\.manifest)
        let order = PluginManifest.Kind.allCases
        return all.sorted {
            (order.firstIndex(of: $0.kind)!, $0.id) < (order.firstIndex(of: $1.kind)!, $1.id)
        }
    }

    /// Builds every registered parser; `configs` holds per-parser configuration by id.
    public func makeParsers(configs: [String: PluginConfig] = [:]) throws -> [(id: String, parser: any Parser)] {
        if let unknown = configs.keys.first(where: { id in !parsers.contains { $0.manifest.id == id } }) {
            throw ConfigError(origin: configs[unknown]!.origin, message: "no parser named '\(unknown)'",
                              hint: suggestion(for: unknown, among: parsers.map(\.manifest.id)).map { "did you mean '\($0)'?" })
        }
        return try parsers.map { ($0.manifest.id, try $0.make(configs[$0.manifest.id] ?? PluginConfig())) }
    }

    /// Every registered framer, by id (each stream uses the one its format names).
    public func makeFramers() throws -> [String: any Framer] {
        Dictionary(uniqueKeysWithValues: try framers.map { ($0.manifest.id, try $0.make(PluginConfig())) })
    }

    /// The enrichers a job configured, in registration order (enrichers run only when asked for).
    public func makeEnrichers(configs: [String: PluginConfig]) throws -> [any Enricher] {
        if let unknown = configs.keys.first(where: { id in !enrichers.contains { $0.manifest.id == id } }) {
            throw ConfigError(origin: configs[unknown]!.origin, message: "no enricher named '\(unknown)'",
                              hint: suggestion(for: unknown, among: enrichers.map(\.manifest.id)).map { "did you mean '\($0)'?" }
                                  ?? "known: " + enrichers.map(\.manifest.id).joined(separator: ", "))
        }
        return try enrichers.compactMap { entry in try configs[entry.manifest.id].map { try entry.make($0) } }
    }

    public func framer(_ id: String, config: PluginConfig = PluginConfig()) throws -> any Framer {
        try find(id, in: framers.map { ($0.manifest, $0.make) }, kind: "framer")(config)
    }

    public func source(_ id: String, config: PluginConfig = PluginConfig()) throws -> any Source {
        try find(id, in: sources.map { ($0.manifest, $0.make) }, kind: "source")(config)
    }

    public func sink(_ id: String) throws -> any Sink.Type {
        try find(id, in: sinks.map { ($0.manifest, $0.type) }, kind: "sink")
    }

    private func find<T>(_ id: String, in list: [(PluginManifest, T)], kind: String) throws -> T {
        guard let hit = list.first(where: { $0.0.id == id }) else {
            throw ConfigError(origin: kind, message: "no \(kind) named '\(id)'",
                              hint: "known: " + list.map(\.0.id).joined(separator: ", "))
        }
        return hit.1
    }
}
