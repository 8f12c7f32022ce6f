import ArgumentParser
import Foundation
import SpoorKit
import SpoorRules

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Check attribution rules.",
        subcommands: [Lint.self])

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report every mistake in a rules directory, with file, line and column.",
            discussion: """
                Reads every *.yaml of DIR (actors and indicator rules) and prints each
                mistake: an unknown key, a bad CIDR or AS number, an indicator naming an
                unknown actor. Exit code 2 when there is any; nothing is ingested.

                Example:
                  spoor rules lint rules/
                """)

        @Argument(help: "The rules directory.")
        var directory: String

        func run() throws {
            let (rules, errors) = RuleSet.lint(directory: directory)
            for e in errors { FileHandle.standardError.write(Data("\(e)\n".utf8)) }
            if !errors.isEmpty { throw ExitCode(2) }
            print("\(rules.actors.count) actors, \(rules.indicators.count) indicator rules: no mistakes")
        }
    }
}
