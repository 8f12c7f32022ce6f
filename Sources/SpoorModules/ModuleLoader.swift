import Foundation
import SpoorKit
import Yams

/// One `tests:` entry of a module: a line and the fields its event must have, or a line the
/// module must not take (`match: false`).
public struct InlineTest: Sendable {
    public enum Expected: Sendable, Equatable, CustomStringConvertible {
        case value(String), list([String]), absent
        public var description: String {
            switch self {
            case .value(let s): s
            case .list(let l): "[" + l.joined(separator: ", ") + "]"
            case .absent: "(absent)"
            }
        }
    }

    /// `file:line:column` of the entry.
    public let origin: String
    public let line: String
    public let match: Bool
    public let fields: [(name: String, expected: Expected)]
    /// The year of year-less stamps (default: the current year) and the zone of stamps
    /// without an offset (default UTC).
    public let year: Int?
    public let timezone: String?
}

/// Reads parser module files (YAML) into `DeclarativeParser`s. Every mistake — an unknown
/// key, a bad regex, a capture mapped to an unknown field, a bad timestamp format, an unknown
/// `%{NAME}` — is a `ConfigError` naming file, line and column, before any input is read.
public enum ModuleLoader {
    static let topKeys = ["id", "version", "description", "applies_to", "format", "dataset", "definitions", "set", "patterns", "tests"]
    static let appliesKeys = ["programs", "program_prefixes", "any_program", "files", "contains"]
    static let formatKeys = ["name", "framer", "header", "fields", "sniff"]
    static let patternKeys = ["id", "prefix", "contains", "regex", "fields", "set", "children"]
    static let mappingKeys = ["field", "type", "format", "timezone", "map", "default"]
    static let testKeys = ["line", "fields", "match", "year", "timezone"]
    static let types = ["auto", "string", "int", "ip", "email", "timestamp", "map", "lower"]
    /// Fields the pipeline sets on every event: a module setting them is a mistake.
    static let provenance: Set<Field> = [.eventID, .eventOriginal, .logFilePath, .logFileMember, .logOffset, .logFileLine]

    /// Loads one module file.
    public static func load(path: String) throws(ConfigError) -> DeclarativeParser {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(origin: path, message: "cannot read the parser module", hint: "check the path")
        }
        return try load(text: text, path: path)
    }

    /// The module files of `path`: the file itself, or every `*.yaml`/`*.yml` of a directory
    /// (recursively, sorted).
    public static func files(at path: String) throws(ConfigError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError(origin: path, message: "no such file or directory", hint: "give a parser module (*.yaml) or a directory of them")
        }
        guard isDirectory.boolValue else { return [path] }
        // Paths stay as the user wrote them (relative stays relative) in messages.
        let base = path.hasSuffix("/") ? path : path + "/"
        let found = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
            .sorted()
        return found.map { base + $0 }
    }

    /// Loads every module of the files and directories given; two modules with one id are an error.
    public static func load(paths: [String]) throws(ConfigError) -> [DeclarativeParser] {
        var modules: [DeclarativeParser] = []
        for path in paths {
            for file in try files(at: path) {
                let module = try load(path: file)
                if let other = modules.first(where: { $0.id == module.id }) {
                    throw ConfigError(origin: file, message: "parser id '\(module.id)' is already used by \(other.file)",
                                      hint: "give each module its own id")
                }
                modules.append(module)
            }
        }
        return modules
    }

    /// Loads a module from its text; `path` names it in errors.
    public static func load(text: String, path: String) throws(ConfigError) -> DeclarativeParser {
        let source = YAMLSource(path: path, text: text)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigError(origin: path, message: "not valid YAML: \(error)")
        }
        guard let root, case .mapping = root else {
            throw ConfigError(origin: path, message: "a parser module is a YAML mapping (id:, applies_to:, patterns:, tests:)",
                              hint: "see docs/writing-parsers.md, or start from `spoor new parser NAME`")
        }
        var builder = Builder(source: source)
        return try builder.module(root)
    }

    /// Reads one module's nodes; keeps the `definitions:` for the patterns that follow.
    struct Builder {
        let source: YAMLSource
        var definitions: [String: String] = [:]

        init(source: YAMLSource) { self.source = source }

        mutating func module(_ root: Node) throws(ConfigError) -> DeclarativeParser {
            let entries = try source.mapping(root, "a parser module", known: ModuleLoader.topKeys)
            func value(_ key: String) -> Node? { entries.first { $0.key == key }?.value }
            guard let idNode = value("id") else {
                throw source.error(root, "the module has no id", hint: "add  id: my-parser  (the name `spoor plugins` lists)")
            }
            let id = try source.string(idNode, "id")
            guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw source.error(idNode, "id '\(id)' must be letters, digits, '-', '_' or '.'")
            }
            let version = try value("version").map { node throws(ConfigError) in try source.string(node, "version") } ?? "1.0.0"
            let description = try value("description").map { node throws(ConfigError) in try source.string(node, "description") } ?? ""
            if let defs = value("definitions") {
                for entry in try source.mapping(defs, "definitions") {
                    guard SubPatterns.isGroupName(entry.key), entry.key.uppercased() == entry.key else {
                        throw source.error(entry.keyNode, "sub-pattern name '\(entry.key)' must be upper case letters, digits and _")
                    }
                    definitions[entry.key] = try source.string(entry.value, "a definition")
                }
                for (name, node) in try source.mapping(defs, "definitions").map({ ($0.key, $0.value) }) {
                    do throws(SubPatterns.Failure) {
                        _ = try SubPatterns.expand("%{\(name)}", definitions: definitions)
                    } catch {
                        throw source.error(node, error.message)
                    }
                }
            }

            // Routing: programs, and/or whole files of a format.
            var routes: [Route] = []
            var anyOf: [String] = []
            var files: [String] = []
            if let applies = value("applies_to") {
                for entry in try source.mapping(applies, "applies_to", known: ModuleLoader.appliesKeys) {
                    switch entry.key {
                    case "programs": routes += try source.strings(entry.value, "programs").map { .program($0) }
                    case "program_prefixes": routes += try source.strings(entry.value, "program_prefixes").map { .programPrefix($0) }
                    case "any_program": if try source.bool(entry.value, "any_program") { routes.append(.anyProgram) }
                    case "files": files = try source.strings(entry.value, "files")
                    default: anyOf = try source.strings(entry.value, "contains")
                    }
                }
            }
            var format: RecordFormat?
            if let f = value("format") {
                format = try recordFormat(f, id: id, files: files)
                routes.append(.format(format!.name))
            } else if !files.isEmpty {
                throw source.error(value("applies_to")!, "applies_to: files: needs a format: section",
                                   hint: "say how a record of those files starts (format: {header: ...})")
            }
            guard !routes.isEmpty else {
                throw source.error(value("applies_to") ?? root, "the module applies to nothing",
                                   hint: "add  applies_to: {programs: [NAME]}  (syslog program) or a format: section (whole files)")
            }

            var constants: [Constant] = []
            let dataset = try value("dataset").map { node throws(ConfigError) in try source.string(node, "dataset") } ?? id
            constants.append(Constant(target: .field(.eventDataset), value: StableText(dataset)))
            if let set = value("set") { constants += try self.constants(set) }

            guard let patternsNode = value("patterns"), case .sequence(let list) = patternsNode, !list.isEmpty else {
                throw source.error(value("patterns") ?? root, "the module has no patterns", hint: "add  patterns:  with at least one  - id: … regex: …")
            }
            var patterns: [PatternNode] = []
            for node in list { patterns.append(try pattern(node)) }
            let ids = patterns.map(\.id)
            if let dup = ids.first(where: { id in ids.filter { $0 == id }.count > 1 }) {
                throw source.error(patternsNode, "two patterns are named '\(dup)'")
            }

            var tests: [InlineTest] = []
            if let t = value("tests") {
                guard case .sequence(let entries) = t else { throw source.error(t, "tests: is a list of  - line: …  entries") }
                for entry in entries { tests.append(try test(entry)) }
            }
            let manifest = PluginManifest(id: id, kind: .parser, version: version,
                                          summary: description.isEmpty ? "declarative module \(URL(fileURLWithPath: source.path).lastPathComponent)" : description)
            return DeclarativeParser(manifest: manifest, file: source.path, routes: routes, format: format, anyOf: anyOf,
                                     constants: constants, patterns: patterns, tests: tests)
        }

        func recordFormat(_ node: Node, id: String, files: [String]) throws(ConfigError) -> RecordFormat {
            let entries = try source.mapping(node, "format", known: ModuleLoader.formatKeys)
            func value(_ key: String) -> Node? { entries.first { $0.key == key }?.value }
            guard let headerNode = value("header") else {
                throw source.error(node, "format: has no header", hint: "give the regex every record of the file starts with, e.g. its timestamp")
            }
            let pattern = try compile(headerNode)
            let captures = try value("fields").map { f throws(ConfigError) in try mappings(f, pattern: pattern) } ?? []
            let header = PatternNode(id: "header", origin: source.origin(headerNode), written: headerNode.string ?? "", prefix: nil, contains: nil, pattern: pattern,
                                     captures: captures, constants: [], children: [])
            return RecordFormat(name: try value("name").map { n throws(ConfigError) in try source.string(n, "name") } ?? id,
                                framer: try value("framer").map { n throws(ConfigError) in try source.string(n, "framer") } ?? "lines",
                                header: header, files: files,
                                sniff: try value("sniff").map { n throws(ConfigError) in try source.bool(n, "sniff") } ?? true)
        }

        func pattern(_ node: Node) throws(ConfigError) -> PatternNode {
            let entries = try source.mapping(node, "a pattern", known: ModuleLoader.patternKeys)
            func value(_ key: String) -> Node? { entries.first { $0.key == key }?.value }
            guard let regexNode = value("regex") else { throw source.error(node, "the pattern has no regex") }
            let compiled = try compile(regexNode)
            let id = try value("id").map { n throws(ConfigError) in try source.string(n, "id") } ?? "pattern@\(node.mark?.line ?? 0)"
            var children: [PatternNode] = []
            if let c = value("children") {
                guard case .sequence(let list) = c else { throw source.error(c, "children: is a list of patterns") }
                for child in list { children.append(try pattern(child)) }
            }
            return PatternNode(
                id: id, origin: source.origin(node), written: regexNode.string ?? "",
                prefix: try value("prefix").map { n throws(ConfigError) in try source.string(n, "prefix") },
                contains: try value("contains").map { n throws(ConfigError) in try source.string(n, "contains") },
                pattern: compiled,
                captures: try value("fields").map { f throws(ConfigError) in try mappings(f, pattern: compiled) } ?? [],
                constants: try value("set").map { s throws(ConfigError) in try constants(s) } ?? [],
                children: children)
        }

        /// Expands `%{…}` and compiles with PCRE2 (JIT); an error points into the YAML.
        func compile(_ node: Node) throws(ConfigError) -> Pattern {
            let text = try source.string(node, "regex")
            let expansion: SubPatterns.Expansion
            do throws(SubPatterns.Failure) {
                expansion = try SubPatterns.expand(text, definitions: definitions)
            } catch {
                throw ConfigError(origin: source.origin(node, offset: error.offset), message: error.message,
                                  hint: "known sub-patterns: " + (Array(definitions.keys) + SubPatterns.library.keys).sorted().joined(separator: " "))
            }
            do throws(PatternError) {
                return try Pattern(expansion.pattern)
            } catch {
                let offset = expansion.sourceOffset(error.offset)
                throw ConfigError(origin: source.origin(node, offset: offset), message: "bad regex: \(error.message)",
                                  hint: "at offset \(offset) of  \(text)")
            }
        }

        /// A field name of the schema, or `labels.KEY`.
        func target(_ node: Node) throws(ConfigError) -> Target {
            let name = try source.string(node, "a field name")
            if name.hasPrefix("labels.") {
                let key = String(name.dropFirst(7))
                guard !key.isEmpty else { throw source.error(node, "'labels.' needs a key: labels.NAME") }
                return .label(key)
            }
            guard let field = Schema.field(named: name) else {
                throw source.error(node, "unknown field '\(name)'",
                                   hint: suggestion(for: name, among: Field.allCases.map(\.name)).map { "did you mean '\($0)'? (`spoor schema` lists every field; labels.NAME for anything else)" }
                                       ?? "`spoor schema` lists every field; use labels.NAME for anything else")
            }
            guard !ModuleLoader.provenance.contains(field) else {
                throw source.error(node, "'\(name)' is set by the pipeline, not by parsers")
            }
            return .field(field)
        }

        /// The words `event.outcome` / `event.reason` may take.
        func checkVocabulary(_ target: Target, _ value: String, _ node: Node) throws(ConfigError) {
            guard case .field(let f) = target else { return }
            let words: [String]
            switch f {
            case .eventOutcome: words = Outcome.allCases.map { $0.text.description }
            case .eventReason: words = Reason.allCases.map { $0.text.description }
            default: return
            }
            guard words.contains(value) else {
                throw source.error(node, "'\(value)' is not a value of \(f.name)",
                                   hint: (suggestion(for: value, among: words).map { "did you mean '\($0)'? " } ?? "") + "it takes: " + words.joined(separator: ", "))
            }
        }

        func constants(_ node: Node) throws(ConfigError) -> [Constant] {
            var out: [Constant] = []
            for entry in try source.mapping(node, "set") {
                let t = try target(entry.keyNode)
                let text = try source.string(entry.value, "the value of \(entry.key)")
                try checkVocabulary(t, text, entry.value)
                if case .field(let f) = t {
                    switch Schema.types[Int(f.rawValue)] {
                    case .int64 where Int64(text) == nil: throw source.error(entry.value, "\(f.name) is a whole number, got '\(text)'")
                    case .timestamp: throw source.error(entry.keyNode, "@timestamp cannot be a constant")
                    case .bool where !["true", "false", "yes", "no", "1", "0"].contains(text):
                        throw source.error(entry.value, "\(f.name) is true or false, got '\(text)'")
                    default: break
                    }
                }
                out.append(Constant(target: t, value: StableText(text)))
            }
            return out
        }

        /// `fields:` of a pattern: capture → field, `{field:, type:, …}`, or a list of them.
        func mappings(_ node: Node, pattern: Pattern) throws(ConfigError) -> [CaptureMapping] {
            var out: [CaptureMapping] = []
            for entry in try source.mapping(node, "fields") {
                guard let group = pattern.group(entry.key) else {
                    throw source.error(entry.keyNode, "the regex has no capture named '\(entry.key)'",
                                       hint: pattern.groups.isEmpty ? "name a group: (?<\(entry.key)>…) or %{NAME:\(entry.key)}"
                                           : "its captures: " + pattern.groups.keys.sorted().joined(separator: ", "))
                }
                let specs: [Node]
                if case .sequence(let list) = entry.value { specs = Array(list) } else { specs = [entry.value] }
                for spec in specs {
                    let (t, conversion) = try mapping(spec, capture: entry.key)
                    out.append(CaptureMapping(group: group, capture: entry.key, target: t, conversion: conversion))
                }
            }
            return out
        }

        func mapping(_ node: Node, capture: String) throws(ConfigError) -> (Target, Conversion) {
            if case .scalar = node {
                let t = try target(node)
                try checkAuto(t, node, capture: capture)
                return (t, .auto)
            }
            let entries = try source.mapping(node, "the mapping of '\(capture)'", known: ModuleLoader.mappingKeys)
            func value(_ key: String) -> Node? { entries.first { $0.key == key }?.value }
            guard let fieldNode = value("field") else { throw source.error(node, "the mapping of '\(capture)' has no field:") }
            let t = try target(fieldNode)
            var type = try value("type").map { n throws(ConfigError) in try source.string(n, "type") }
            if type == nil { type = value("map") != nil ? "map" : value("format") != nil ? "timestamp" : "auto" }
            if let typeNode = value("type"), !ModuleLoader.types.contains(type!) {
                throw source.error(typeNode, "unknown type '\(type!)'", hint: "types: " + ModuleLoader.types.joined(separator: ", "))
            }
            switch type! {
            case "timestamp":
                guard let formatNode = value("format") else {
                    throw source.error(node, "a timestamp needs format:", hint: "for example  format: \"%d/%b/%Y:%H:%M:%S %z\"")
                }
                var formats: [TimestampFormat] = []
                let formatNodes: [Node]
                if case .sequence(let list) = formatNode { formatNodes = Array(list) } else { formatNodes = [formatNode] }
                for f in formatNodes {
                    let text = try source.string(f, "format")
                    do throws(TimestampFormat.Failure) {
                        formats.append(try TimestampFormat(text))
                    } catch {
                        throw ConfigError(origin: source.origin(f, offset: error.offset), message: "bad timestamp format: \(error.message)")
                    }
                }
                var zone: TimeZone?
                if let z = value("timezone") {
                    let name = try source.string(z, "timezone")
                    guard let tz = TimeZone(identifier: name) else {
                        throw source.error(z, "unknown time zone '\(name)'", hint: "use an IANA name such as UTC or Europe/Berlin")
                    }
                    zone = tz
                }
                if case .field(let f) = t, f != .timestamp {
                    throw source.error(fieldNode, "a timestamp goes to @timestamp or to labels.NAME, not \(f.name)")
                }
                return (t, .timestamp(formats, zone: zone.map { ($0, "spoor-modules.zone:" + $0.identifier) }))
            case "map":
                guard let mapNode = value("map") else { throw source.error(node, "type map needs map: {word: value, …}") }
                var table: [(key: [UInt8], value: StableText)] = []
                for entry in try source.mapping(mapNode, "map") {
                    let v = try source.string(entry.value, "a map value")
                    try checkVocabulary(t, v, entry.value)
                    table.append((Array(entry.key.utf8), StableText(v)))
                }
                let fallback = try value("default").map { d throws(ConfigError) -> StableText in
                    let v = try source.string(d, "default")
                    try checkVocabulary(t, v, d)
                    return StableText(v)
                }
                return (t, .map(table, default: fallback))
            case "int":
                return (t, .int)
            case "ip":
                return (t, .ip)
            case "email":
                return (t, .email)
            case "lower":
                try checkAuto(t, fieldNode, capture: capture)
                return (t, .lower)
            default:
                try checkAuto(t, fieldNode, capture: capture)
                return (t, .auto)
            }
        }

        /// A capture stored as is must fit its column without further words.
        func checkAuto(_ t: Target, _ node: Node, capture: String) throws(ConfigError) {
            guard case .field(let f) = t else { return }
            if f == .timestamp {
                throw source.error(node, "'\(capture)' → @timestamp needs a format",
                                   hint: "write  \(capture): {field: \"@timestamp\", format: \"%Y-%m-%dT%H:%M:%S%z\"}")
            }
            if f == .eventOutcome || f == .eventReason {
                let words = f == .eventOutcome ? Outcome.allCases.map { $0.text.description } : Reason.allCases.map { $0.text.description }
                throw source.error(node, "'\(capture)' → \(f.name) must map the log's words to the vocabulary",
                                   hint: "write  \(capture): {field: \(f.name), map: {WORD: \(words[0]), …}}  (values: \(words.joined(separator: ", ")))")
            }
        }

        func test(_ node: Node) throws(ConfigError) -> InlineTest {
            let entries = try source.mapping(node, "a test", known: ModuleLoader.testKeys)
            func value(_ key: String) -> Node? { entries.first { $0.key == key }?.value }
            guard let lineNode = value("line") else { throw source.error(node, "the test has no line:") }
            let line = try source.string(lineNode, "line")
            let match = try value("match").map { n throws(ConfigError) in try source.bool(n, "match") } ?? true
            var fields: [(String, InlineTest.Expected)] = []
            if let f = value("fields") {
                for entry in try source.mapping(f, "fields") {
                    _ = try target(entry.keyNode)   // an unknown field name is a mistake here too
                    switch entry.value {
                    case .sequence(let list):
                        var items: [String] = []
                        for item in list { items.append(try source.string(item, "a list item")) }
                        fields.append((entry.key, .list(items)))
                    case .scalar(let s) where s.style == .plain && ["~", "null", "Null", "NULL"].contains(s.string):
                        fields.append((entry.key, .absent))
                    default:
                        fields.append((entry.key, .value(try source.string(entry.value, "the value of \(entry.key)"))))
                    }
                }
            }
            if !match, !fields.isEmpty { throw source.error(value("fields")!, "a test with match: false checks no fields") }
            if match, fields.isEmpty { throw source.error(node, "the test checks no fields", hint: "add  fields: {event.outcome: success, …}  or  match: false") }
            return InlineTest(origin: source.origin(node), line: line, match: match, fields: fields,
                              year: try value("year").flatMap { n throws(ConfigError) -> Int? in
                                  guard let y = n.int else { throw source.error(n, "year is a whole number") }
                                  return y
                              },
                              timezone: try value("timezone").map { n throws(ConfigError) in try source.string(n, "timezone") })
        }
    }
}
