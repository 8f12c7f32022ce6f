import ArgumentParser
import Foundation

/// `spoor new parser NAME --swift`: in this build only the compiled-plugin scaffold; the
/// declarative module template comes with the parser-module work.
struct NewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Start a new module from a template.",
        subcommands: [Parser.self])

    struct Parser: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "parser",
            abstract: "Write a parser to edit: with --swift, a compiled plugin package whose tests pass.",
            discussion: """
                With --swift, writes DIR/NAME/: Package.swift (a .dynamic library on SpoorKit),
                the parser, the spoor_plugin_entry function, a test target and a README. It
                builds as written; `swift build` in it makes the lib*.so that --plugin loads.

                Examples:
                  spoor new parser acme-sso --swift --dir plugins
                  (cd plugins/acme-sso && swift test && swift build)
                  spoor ingest logs/ --plugin plugins/acme-sso/.build/debug/libAcmeSso.so --out out/
                """)

        @Argument(help: "The parser's id, also the syslog program it reads (letters, digits, '-', '_', '.').")
        var name: String

        @Option(help: ArgumentHelp("Where to write it (created if missing).", valueName: "DIR"))
        var dir: String = "."

        @Flag(help: "A Swift plugin package instead of a YAML module.")
        var swift = false

        func run() throws {
            guard swift else {
                FileHandle.standardError.write("spoor new parser: this build writes only Swift plugins: add --swift\n")
                throw ExitCode(2)
            }
            do {
                let written = try SwiftPluginScaffold.write(name: name, into: dir)
                for path in written { print("wrote \(path)") }
                let package = URL(fileURLWithPath: dir).appendingPathComponent(name).path
                print("next: cd \(package) && swift test && swift build, then spoor … --plugin \(package)/.build/debug/lib\(SwiftPluginScaffold.moduleName(name)).so")
            } catch let refusal as SwiftPluginScaffold.Refusal {
                FileHandle.standardError.write("spoor: \(refusal)\n")
                throw ExitCode(2)
            }
        }
    }
}
