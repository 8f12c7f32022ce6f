import ArgumentParser
import Foundation
import SpoorKit
import SpoorModules

/// `--parsers DIR`: declarative parser modules to load beside the built-in parsers (shared by
/// `ingest`, `parse` and `plugins`).
struct ParserModuleOptions: ParsableArguments {
    @Option(name: .customLong("parsers"),
            help: ArgumentHelp("A parser module (*.yaml) or a directory of them, loaded beside the built-in parsers (repeatable). A module with a built-in parser's id replaces it.",
                               valueName: "DIR"))
    var paths: [String] = []
}

/// The user's parser modules, registered into a registry.
struct UserModules {
    struct Loaded {
        let module: DeclarativeParser
        /// The built-in parser it took the place of, if any.
        let replaced: PluginManifest?
    }

    var loaded: [Loaded] = []

    /// Loads the modules of `paths` (files or directories) and registers them; a module with
    /// the id of a registered parser replaces it, in its place in routing and sniffing.
    static func register(_ paths: [String], into registry: Registry) throws(ConfigError) -> UserModules {
        var result = UserModules()
        for module in try ModuleLoader.load(paths: paths) {
            let replaced = registry.register(parser: module.moduleManifest) { _ in module }
            result.loaded.append(Loaded(module: module, replaced: replaced))
        }
        return result
    }

    var modules: [DeclarativeParser] { loaded.map(\.module) }

    /// File globs of the modules' own formats (read as that format without sniffing).
    var formatGlobs: [(glob: String, format: String)] { modules.flatMap(\.formatGlobs) }

    /// One line per module, for the job summary and `spoor plugins`.
    var lines: [String] {
        loaded.map { l in
            "\(l.module.id) \(l.module.moduleManifest.version) from \(l.module.file)"
                + (l.replaced.map { " (replaces the built-in '\($0.id)' \($0.version))" } ?? "")
        }
    }
}
