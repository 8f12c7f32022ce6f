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

    func run() throws {
        let manifests = builtinRegistry().manifests
        let idWidth = manifests.map(\.id.count).max() ?? 0
        for kind in PluginManifest.Kind.allCases {
            let ofKind = manifests.filter { $0.kind == kind }
            print("\(kind.rawValue)s:")
            if ofKind.isEmpty { print("  (none built in)") }
            for m in ofKind {
                print("  \(m.id.padding(toLength: idWidth, withPad: " ", startingAt: 0))  \(m.version)  \(m.summary)")
                if verbose {
                    for o in m.options {
                        print("      \(o.name) (\(o.type.rawValue)\(o.defaultValue.map { ", default \($0)" } ?? "")): \(o.doc)")
                    }
                }
            }
        }
    }
}
