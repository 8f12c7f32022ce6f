import ArgumentParser
import Foundation
import SpoorBuiltins
import SpoorKit
import SpoorRules

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Check and test attribution and behaviour rules.",
        subcommands: [Lint.self, Test.self])

    /// The rules, or every mistake on stderr and exit code 2.
    static func checked(_ lint: (RuleSet, [ConfigError])) throws -> RuleSet {
        for e in lint.1 { FileHandle.standardError.write(Data("\(e)\n".utf8)) }
        if !lint.1.isEmpty { throw ExitCode(2) }
        return lint.0
    }

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report every mistake in a rules directory, with file, line and column.",
            discussion: """
                Reads every *.yaml of DIR (actors, indicator rules, STIX bundles they
                name, Sigma detection rules, behaviour rules, tests) and prints each
                mistake: an unknown key or field, a bad CIDR, AS number, modifier,
                condition or regular expression, an unsupported STIX pattern, a rule
                naming an unknown actor or rule. Exit code 2 when there is any;
                nothing is ingested.

                Example:
                  spoor rules lint rules/
                """)

        @Argument(help: "The rules directory.")
        var directory: String

        func run() throws {
            let rules = try RulesCommand.checked(RuleSet.lint(directory: directory))
            print("\(rules.actors.count) actors, \(rules.indicators.count) indicator rules, \(rules.selections.count) detection rules, "
                  + "\(rules.correlations.count) behaviour rules, \(rules.tests.count) tests: no mistakes")
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the tests written inside rule files.",
            discussion: """
                Each rule may carry tests: events given as field maps or as raw log
                lines (parsed exactly as ingest parses them), and what to expect: that
                the rule matches or not, fields of the matching event, or the number of
                findings of a behaviour rule. A failing test prints the difference
                (- expected, + actual). Exit code 1 when a test fails, 2 when the rules
                have mistakes.

                Example:
                  spoor rules test rules/
                """)

        @Argument(help: "The rules directory.")
        var directory: String

        func run() throws {
            let rules = try RulesCommand.checked(RuleSet.lint(directory: directory))
            let (passed, failures) = RuleTests.run(rules, plan: Self.plan())
            for f in failures { print(f) }
            print("\(passed) passed, \(failures.count) failed")
            if !failures.isEmpty { throw ExitCode(1) }
        }

        /// What parses the tests' log lines: the built-in parsers, as ingest runs them.
        static func plan() -> JobPlan? {
            let registry = builtinRegistry()
            guard let source = try? registry.source("files"), let framers = try? registry.makeFramers(),
                  let parsers = try? registry.makeParsers() else { return nil }
            var plan = JobPlan(source: source, framers: framers, parsers: parsers, workers: 1, zone: TimeZone(identifier: "UTC")!)
            plan.keepOriginal = false
            return plan
        }
    }
}
