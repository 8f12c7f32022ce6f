import ArgumentParser
import Foundation
import SpoorKit

/// `--plugin PATH`: plugins loaded at run time, shared by the commands that parse.
struct PluginOptions: ParsableArguments {
    @Option(name: .customLong("plugin"),
            help: ArgumentHelp("A plugin to load: a shared library (lib*.so), or a directory whose lib*.so are all loaded (repeatable).",
                               discussion: "A plugin is a Swift package built as a .dynamic library against this spoor's SpoorKit; its parsers are routed and sniffed like the built-in ones, its enrichers run when the job file names them under enrichers:. A plugin of another ABI version, or a file that is no plugin, is refused with exit code 2.",
                               valueName: "PATH"))
    var plugins: [String] = []

    /// Loads the plugins named here and in `more` (a job file's `plugins:`) into `registry`.
    func load(into registry: Registry, more: [String] = []) throws(ConfigError) {
        try PluginLoader.load(more + plugins, into: registry)
    }
}

/// Runs a command's body; a configuration mistake (a bad plugin among them) is printed and
/// exits with code 2, as `ingest` does.
func exitingOnConfigError(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ConfigError {
        FileHandle.standardError.write("spoor: \(error)\n")
        throw ExitCode(2)
    }
}
