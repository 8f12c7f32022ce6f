import ArgumentParser
import Foundation
import SpoorBuiltins
import SpoorKit
import SpoorModules
import SpoorRules

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a job file, its parser modules, rules and inputs without reading any input.",
        discussion: """
            Reads JOB.yaml as `spoor ingest --job` would and reports every mistake it can
            find, each with file:line:column: unknown keys, wrong types, a bad time zone,
            parser modules that do not load (bad regex, unknown field, bad timestamp format,
            unknown %{NAME}), options of unknown parsers, unknown formats, mistakes in the
            attribution rules, inputs that do not exist. No input is opened.
            Exit code 2 when there is any mistake.

            Example:
              spoor validate samples/job.yaml
            """)

    @Argument(help: "The job file.")
    var job: String

    func run() throws {
        let problems = Self.check(job)
        for p in problems.errors { FileHandle.standardError.write("\(p)\n") }
        if !problems.errors.isEmpty {
            FileHandle.standardError.write("\(job): \(problems.errors.count) mistake\(problems.errors.count == 1 ? "" : "s")\n")
            throw ExitCode(2)
        }
        print("\(job): ok — " + problems.facts.joined(separator: ", "))
    }

    /// Every mistake found (each a ConfigError with its place) and what was checked.
    static func check(_ path: String) -> (errors: [ConfigError], facts: [String]) {
        let file: JobFile
        do {
            file = try JobFile(path: path)
        } catch let error as ConfigError {
            return ([error], [])
        } catch {
            return ([ConfigError(origin: path, message: "\(error)")], [])
        }
        var errors: [ConfigError] = []
        var facts: [String] = []
        func origin(_ p: String) -> String { file.origins[p] ?? path }

        // Inputs: they must exist; none is opened.
        for input in file.inputs where input != "-" && !FileManager.default.fileExists(atPath: input) {
            errors.append(ConfigError(origin: origin(input), message: "input '\(input)' does not exist", hint: "paths are relative to the job file"))
        }
        facts.append("\(file.inputs.count) input\(file.inputs.count == 1 ? "" : "s")")

        if let zone = file.timezone, TimeZone(identifier: zone) == nil {
            errors.append(ConfigError(origin: path, message: "unknown time zone '\(zone)'", hint: "use an IANA name such as UTC or Europe/Berlin"))
        }

        // Parser modules, then parser options and formats against the registry they make.
        let registry = builtinRegistry()
        var modules = UserModules()
        for p in file.parserModules {
            do {
                let loaded = try UserModules.register([p], into: registry)
                modules.loaded += loaded.loaded
            } catch {
                errors.append(FileManager.default.fileExists(atPath: p) ? error
                              : ConfigError(origin: origin(p), message: "parser modules '\(p)' do not exist", hint: "paths are relative to the job file"))
            }
        }
        if !modules.loaded.isEmpty {
            facts.append("parser modules: " + modules.loaded.map { $0.module.id + ($0.replaced != nil ? " (replaces the built-in)" : "") }.joined(separator: ", "))
        }
        var formats: Set<String> = []
        do {
            let parsers = try registry.makeParsers(configs: file.parserConfigs)
            for (_, parser) in parsers { for case .format(let name) in parser.routes { formats.insert(name) } }
        } catch let error as ConfigError {
            errors.append(error)
        } catch {
            errors.append(ConfigError(origin: path, message: "\(error)"))
        }
        for (glob, format) in file.formats where !formats.isEmpty && !formats.contains(format) {
            errors.append(ConfigError(origin: path, message: "formats: '\(glob)' names an unknown format '\(format)'",
                                      hint: suggestion(for: format, among: Array(formats)).map { "did you mean '\($0)'?" }))
        }

        // Attribution rules.
        if let rules = file.rules {
            if FileManager.default.fileExists(atPath: rules) {
                let (set, ruleErrors) = RuleSet.lint(directory: rules)
                errors += ruleErrors
                facts.append("\(set.actors.count) actors, \(set.indicators.count) indicator rules")
            } else {
                errors.append(ConfigError(origin: path, message: "rules directory '\(rules)' does not exist"))
            }
        }
        // Enrichers: only that each one exists (their files are read when the job starts).
        let known = Set(registry.manifests.filter { $0.kind == .enricher }.map(\.id))
        for (id, config) in file.enricherConfigs where !known.contains(id) {
            errors.append(ConfigError(origin: config.origin, message: "no enricher named '\(id)'",
                                      hint: suggestion(for: id, among: Array(known)).map { "did you mean '\($0)'?" }))
        }
        return (errors, facts)
    }
}
