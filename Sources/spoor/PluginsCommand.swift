import ArgumentParser
import SpoorBuiltins
import SpoorKit

struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List every registered source, framer, parser, enricher and sink.",
        discussion: """
            With --verbose, also each plugin's configuration options with their types and defaults.
            With --plugin, the plugins loaded at run time are listed first, each with its file,
            and their parsers are listed with the built-in ones.
            """)

    @OptionGroup var pluginOptions: PluginOptions

    @Flag(name: .shortAndLong, help: "Show each plugin's options.")
    var verbose = false

    @OptionGroup var modules: ParserModuleOptions

    func run() throws {
        let registry = builtinRegistry()
        let userModules = try UserModules.register(modules.paths, into: registry)
        try exitingOnConfigError { try pluginOptions.load(into: registry) }
        if !registry.loadedPlugins.isEmpty {
            print("loaded plugins (ABI version \(PluginABI.version)):")
            for plugin in registry.loadedPlugins {
                let enrichers = plugin.enrichers.isEmpty ? "" : "  enrichers: " + plugin.enrichers.map(\.id).joined(separator: ", ")
                print("  \(plugin.name) \(plugin.version)  \(plugin.file)  parsers: \(plugin.parsers.map(\.id).joined(separator: ", "))\(enrichers)")
            }
        }
        let fromPlugin = Dictionary(registry.loadedPlugins.flatMap { p in (p.parsers + p.enrichers).map { ("\($0.kind) \($0.id)", p.name) } },
                                    uniquingKeysWith: { a, _ in a })
        let manifests = registry.manifests
        let idWidth = manifests.map(\.id.count).max() ?? 0
        for kind in PluginManifest.Kind.allCases {
            let ofKind = manifests.filter { $0.kind == kind }
            print("\(kind.rawValue)s:")
            if ofKind.isEmpty { print("  (none built in)") }
            for m in ofKind {
                let replaces = userModules.loaded.first { $0.module.id == m.id }?.replaced.map { " [user module, replaces the built-in \($0.version)]" }
                    ?? (userModules.loaded.contains { $0.module.id == m.id } ? " [user module]" : "")
                let origin = fromPlugin["\(m.kind) \(m.id)"].map { "  (plugin \($0))" } ?? ""
                print("  \(m.id.padding(toLength: idWidth, withPad: " ", startingAt: 0))  \(m.version)  \(m.summary)\(replaces)\(origin)")
                if verbose {
                    for o in m.options {
                        print("      \(o.name) (\(o.type.rawValue)\(o.defaultValue.map { ", default \($0)" } ?? "")): \(o.doc)")
                    }
                }
            }
        }
    }
}
