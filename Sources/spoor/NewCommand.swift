import ArgumentParser
import Foundation

struct NewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Start a new module from a template.",
        subcommands: [Parser.self])

    struct Parser: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "parser",
            abstract: "Write a declarative parser module with a passing test, to edit.",
            discussion: """
                Writes DIR/NAME.yaml: a module for lines of the syslog program NAME with one
                pattern and two inline tests that `spoor test` passes. Edit the pattern and
                the tests for your log; docs/writing-parsers.md walks through it.

                Examples:
                  spoor new parser acme-vpn --dir parsers
                  spoor test parsers/acme-vpn.yaml
                """)

        @Argument(help: "The module's id, also the syslog program it reads (letters, digits, '-', '_', '.').")
        var name: String

        @Option(help: ArgumentHelp("Where to write NAME.yaml (created if missing).", valueName: "DIR"))
        var dir: String = "."

        @Flag(help: "A Swift plugin package instead of a YAML module.")
        var swift = false

        func run() throws {
            if swift {
                FileHandle.standardError.write("spoor new parser --swift: the Swift plugin scaffold is not built in this branch\n")
                throw ExitCode(1)
            }
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                FileHandle.standardError.write("spoor: '\(name)' is not a module name: use letters, digits, '-', '_' or '.'\n")
                throw ExitCode(2)
            }
            let url = URL(fileURLWithPath: dir).appendingPathComponent("\(name).yaml")
            guard !FileManager.default.fileExists(atPath: url.path) else {
                FileHandle.standardError.write("spoor: \(url.path) exists; not overwritten\n")
                throw ExitCode(2)
            }
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Data(Self.template(name).utf8).write(to: url)
            print("wrote \(url.relativePath)")
            print("next: edit its patterns and tests, then run  spoor test \(url.relativePath)")
        }

        static func template(_ name: String) -> String {
            """
            # \(name): a parser module. Edit the patterns and the tests for your log, then run
            #   spoor test \(name).yaml
            # The format of this file: docs/writing-parsers.md
            id: \(name)
            version: 0.1.0
            description: "\(name): logins (edit me)"
            applies_to:
              programs: [\(name)]       # the syslog program (tag) that writes the lines
            dataset: \(name)
            patterns:
              # Tried in order; the first that matches makes the event.
              - id: login-failed
                contains: "login failed"     # cheap test before the regex runs
                regex: '^login failed for user %{USER:user} from %{IP:ip}'
                fields:
                  user: user.name
                  ip: source.ip
                set:
                  event.category: authentication
                  event.action: login
                  event.type: start
                  event.outcome: failure
                  event.reason: bad_password
            tests:
              - line: "Nov 25 10:00:00 host1 \(name)[42]: login failed for user alice from 192.0.2.10"
                fields:
                  event.dataset: \(name)
                  event.outcome: failure
                  user.name: alice
                  source.ip: 192.0.2.10
              - line: "Nov 25 10:00:01 host1 \(name)[42]: something else entirely"
                match: false

            """
        }
    }
}
