import ArgumentParser
import DeclarativeParsers
import Foundation
import SpoorBuiltins
import SpoorKit
import SpoorModules
import SpoorRules

struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the inline tests of parser modules and rule files.",
        discussion: """
            Runs every `tests:` entry of the given parser modules (files, or directories of
            *.yaml) through what `spoor ingest` runs: the syslog envelope, routing by program,
            format sniffing, beside the built-in parsers. Other YAML files there are rule files
            (actors, indicators, Sigma and behaviour rules): their tests run as `spoor rules
            test` runs them, the files of one directory together. Without a path, the modules
            shipped in this binary are tested.

            A failed test prints its file:line:column, the line, and what differs:
              - event.outcome: failure      (expected)
              + event.outcome: success      (produced)
            Exit code 1 when a test fails, 2 when a module does not load.

            Examples:
              spoor test parsers/ rules/
              spoor test parsers/acme-vpn.yaml
            """)

    @Argument(help: "Parser modules and rule files (*.yaml) or directories of them; default: the shipped modules.")
    var paths: [String] = []

    @Flag(name: .shortAndLong, help: "List every test, not only the failed ones.")
    var verbose = false

    func run() throws {
        let modules: [DeclarativeParser]
        var ruleFiles: [[String]] = []
        do {
            if paths.isEmpty {
                modules = ShippedModules.load()
            } else {
                let files = try TestFiles.collect(paths)
                ruleFiles = files.ruleFilesByDirectory
                modules = try ModuleLoader.load(paths: files.parserModules)
            }
        } catch {
            FileHandle.standardError.write("spoor: \(error)\n")
            throw ExitCode(2)
        }
        var failed = false
        if !modules.isEmpty || ruleFiles.isEmpty {
            let report = ModuleTestReport.run(modules)
            print(report.text(verbose: verbose), terminator: "")
            failed = report.failed > 0
        }
        for files in ruleFiles {
            let rules = try RulesCommand.checked(RuleSet.lint(files: files))
            let directory = (files[0] as NSString).deletingLastPathComponent
            let (passed, failures) = RuleTests.run(rules, plan: RulesCommand.Test.plan())
            for f in failures { print(f) }
            print("rules in \(directory) (\(files.count) file\(files.count == 1 ? "" : "s")), \(passed + failures.count) tests: \(passed) passed, \(failures.count) failed")
            failed = failed || !failures.isEmpty
        }
        if failed { throw ExitCode(1) }
    }
}

/// The test files under some paths, by kind: parser modules, and rule files (any other
/// YAML), which load together per directory as a rules directory does.
struct TestFiles {
    var parserModules: [String] = []
    var ruleFiles: [String] = []

    /// The rule files grouped by directory, in the order they were named.
    var ruleFilesByDirectory: [[String]] {
        var order: [String] = []
        var groups: [String: [String]] = [:]
        for file in ruleFiles {
            let directory = (file as NSString).deletingLastPathComponent
            if groups[directory] == nil { order.append(directory) }
            groups[directory, default: []].append(file)
        }
        return order.map { groups[$0]! }
    }

    static func collect(_ paths: [String]) throws(ConfigError) -> TestFiles {
        var files = TestFiles()
        for path in paths {
            let named = try ModuleLoader.files(at: path)
            for file in named {
                if isParserModule(file) { files.parserModules.append(file) } else { files.ruleFiles.append(file) }
            }
        }
        return files
    }

    /// A parser module is a mapping with `patterns:` (what the loader requires of one).
    static func isParserModule(_ file: String) -> Bool {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return true }   // the loader says why
        return text.split(separator: "\n").contains { $0.hasPrefix("patterns:") || $0.hasPrefix("applies_to:") }
    }
}

/// The outcome of the inline tests of some modules, as `spoor test` prints it.
struct ModuleTestReport {
    var results: [(module: DeclarativeParser, results: [InlineTestRunner.Result])] = []

    static func run(_ modules: [DeclarativeParser]) -> ModuleTestReport {
        var report = ModuleTestReport()
        for module in modules {
            report.results.append((module, InlineTestRunner.run(module, others: modules, makeRegistry: builtinRegistry)))
        }
        return report
    }

    var total: Int { results.reduce(0) { $0 + $1.results.count } }
    var failed: Int { results.reduce(0) { $0 + $1.results.filter { !$0.passed }.count } }

    func text(verbose: Bool) -> String {
        var out = ""
        for (module, results) in results {
            let bad = results.filter { !$0.passed }.count
            let verdict = results.isEmpty ? "no tests" : bad == 0 ? "\(results.count) passed" : "\(bad) of \(results.count) FAILED"
            out += "\(module.id) (\(module.file)): \(verdict)\n"
            for r in results where verbose || !r.passed {
                out += "  \(r.passed ? "ok  " : "FAIL") \(r.test.origin)  \(r.test.line)\n"
                for p in r.problems { out += "       \(p)\n" }
            }
        }
        out += "\(results.count) module\(results.count == 1 ? "" : "s"), \(total) tests: \(total - failed) passed, \(failed) failed\n"
        return out
    }
}
