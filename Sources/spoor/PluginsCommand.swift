import ArgumentParser
import SpoorBuiltins
import SpoorKit

struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List every registered source, framer, parser, enricher and sink.",
        discussion: "With --verbose, also each plugin's configuration options with their types and defaults.")

    @Flag(name: .shortAndLong, help: "Show each plugin's options.")
    var verbose = false

    @OptionGroup var modules: ParserModuleOptions

    func run() throws {
        let registry = builtinRegistry()
        let userModules = try UserModules.register(modules.paths, into: registry)
        let manifests = registry.manifests
        let idWidth = manifests.map(\.id.count).max() ?? 0
        for kind in PluginManifest.Kind.allCases {
            let ofKind = manifests.filter { $0.kind == kind }
            print("\(kind.rawValue)s:")
            if ofKind.isEmpty { print("  (none built in)") }
            for m in ofKind {
                let replaces = userModules.loaded.first { $0.module.id == m.id }?.replaced.map { " [user module, replaces the built-in \($0.version)]" }
                    ?? (userModules.loaded.contains { $0.module.id == m.id } ? " [user module]" : "")
                print("  \(m.id.padding(toLength: idWidth, withPad: " ", startingAt: 0))  \(m.version)  \(m.summary)\(replaces)")
                if verbose {
                    for o in m.options {
                        print("      \(o.name) (\(o.type.rawValue)\(o.defaultValue.map { ", default \($0)" } ?? "")): \(o.doc)")
                    }
                }
            }
        }
    }
}
