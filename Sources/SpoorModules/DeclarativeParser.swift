#if canImport(Glibc)
import Glibc
#endif
import SpoorKit

/// One pattern of a module: a cheap literal prefilter, a PCRE2 regex with named groups,
/// what its captures and constants set, and children tried on the rest of the message
/// after it (a Wazuh-like decoder tree).
final class PatternNode: Sendable {
    let id: String
    /// `file:line:column` of the pattern in its module, for `--explain` and test output.
    let origin: String
    /// The regex as the module writes it (before `%{…}` expansion), for `--explain`.
    let written: String
    let prefix: [UInt8]?
    let contains: [UInt8]?
    let pattern: Pattern
    let captures: [CaptureMapping]
    let constants: [Constant]
    let children: [PatternNode]

    init(id: String, origin: String, written: String, prefix: String?, contains: String?, pattern: Pattern,
         captures: [CaptureMapping], constants: [Constant], children: [PatternNode]) {
        self.id = id
        self.origin = origin
        self.written = written
        self.prefix = prefix.map { Array($0.utf8) }
        self.contains = contains.map { Array($0.utf8) }
        self.pattern = pattern
        self.captures = captures
        self.constants = constants
        self.children = children
    }

    /// Tries the pattern (and then its children on what follows its match); on a match
    /// sets its fields and returns true.
    /// `inherited` constants (the module's) are set before the pattern's own.
    func apply(_ message: Bytes, _ event: EventBuilder, _ input: ParserInput, depth: Int, inherited: [Constant] = []) -> Bool {
        let context = input.context
        if let prefix, !prefix.withUnsafeBytes({ p in
            message.count >= p.count && (p.count == 0 || memcmp(message.baseAddress!, p.baseAddress!, p.count) == 0)
        }) {
            context.note("\(indent(depth))pattern '\(id)': prefix '\(String(decoding: prefix, as: UTF8.self))' not there")
            return false
        }
        if let contains, contains.withUnsafeBytes({ message.firstIndex(of: $0) }) == nil {
            context.note("\(indent(depth))pattern '\(id)': '\(String(decoding: contains, as: UTF8.self))' not in the message")
            return false
        }
        guard let m = pattern.match(message, context.scratch) else {
            context.note("\(indent(depth))pattern '\(id)' (\(origin)): no match")
            return false
        }
        if context.trace != nil {
            context.note("\(indent(depth))pattern '\(id)' (\(origin)) matched: /\(written)/" + describe(m, depth: depth))
        }
        for constant in inherited { constant.target.store(constant: constant.value, event) }
        for constant in constants { constant.target.store(constant: constant.value, event) }
        for c in captures {
            guard let value = m[c.group], value.count > 0 else { continue }
            if !c.apply(value, event, context, input.input) {
                context.note("\(indent(depth))  capture '\(c.capture)' = '\(value.string)' did not convert for \(c.target.name): left unset")
            }
        }
        guard !children.isEmpty, let whole = m[0] else { return true }
        let rest = message.dropFirst(whole.baseAddress! - message.baseAddress! + whole.count)
        for child in children where child.apply(rest, event, input, depth: depth + 1) { break }
        return true
    }

    private func indent(_ depth: Int) -> String { String(repeating: "  ", count: depth) }

    /// `captures: user='bob' → user.name, user.email; ip='…' → source.ip` (for `--explain`).
    func describe(_ m: PatternMatch, depth: Int) -> String {
        var seen: [String] = []
        var parts: [String] = []
        for c in captures where !seen.contains(c.capture) {
            seen.append(c.capture)
            let targets = captures.filter { $0.capture == c.capture }.map(\.target.name).joined(separator: ", ")
            parts.append("\(c.capture)=\(m[c.group].map { "'\($0.string)'" } ?? "-") → \(targets)")
        }
        return parts.isEmpty ? "" : "\n\(indent(depth))  captures: " + parts.joined(separator: "; ")
    }
}

/// How a module reads whole records of its own files (when it names a format): a header
/// pattern that every record starts with (its stamp, usually), whose captures are mapped
/// like any pattern's; the rest of the record is the message the patterns see.
struct RecordFormat: Sendable {
    let name: String
    let framer: String
    let header: PatternNode
    let files: [String]
    let sniff: Bool
}

/// A declarative parser module loaded from YAML: routed and sniffed like a built-in parser.
///
/// Immutable after loading and shared by every worker; per-worker state (match scratch, a
/// zone clock) comes from the `ParseContext`.
public final class DeclarativeParser: Parser {
    public static let manifest = PluginManifest(
        id: "declarative", kind: .parser, version: "1.0.0",
        summary: "a parser module written in YAML (see docs/writing-parsers.md)")

    /// Declarative parsers are made by `ModuleLoader`, never from configuration alone.
    public init(config: PluginConfig) throws {
        throw ConfigError(origin: config.origin, message: "a declarative parser is loaded from its YAML file",
                          hint: "use --parsers DIR or parsers: in the job file")
    }

    /// What the module says about itself (id, version, description).
    public let moduleManifest: PluginManifest
    /// The file it came from (`(built in) sudo.yaml` for shipped ones).
    public let file: String
    public let routes: [Route]
    let format: RecordFormat?
    /// Literals of which the message must hold at least one (the module's prefilter).
    let anyOf: [[UInt8]]
    let constants: [Constant]
    let patterns: [PatternNode]
    /// The inline tests, run by `spoor test`.
    public let tests: [InlineTest]

    init(manifest: PluginManifest, file: String, routes: [Route], format: RecordFormat?, anyOf: [String],
         constants: [Constant], patterns: [PatternNode], tests: [InlineTest]) {
        moduleManifest = manifest
        self.file = file
        self.routes = routes
        self.format = format
        self.anyOf = anyOf.map { Array($0.utf8) }
        self.constants = constants
        self.patterns = patterns
        self.tests = tests
    }

    public var id: String { moduleManifest.id }
    public var framer: String { format?.framer ?? "lines" }

    /// File globs whose inputs are read as this module's format without sniffing.
    public var formatGlobs: [(glob: String, format: String)] {
        guard let format else { return [] }
        return format.files.map { ($0, format.name) }
    }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        let context = input.context
        var message = input.message
        if input.program.count == 0, let format {
            // A whole record of the module's own files: the header first.
            guard let header = format.header.pattern.match(message, context.scratch), let whole = header[0] else {
                context.note("module '\(id)': the record does not start with the \(format.name) header")
                return .notMine
            }
            let end = whole.baseAddress! - message.baseAddress! + whole.count
            if context.trace != nil {
                context.note("module '\(id)': \(format.name) header (\(format.header.origin)) matched: /\(format.header.written)/"
                             + format.header.describe(header, depth: 0))
            }
            for c in format.header.captures {
                guard let value = header[c.group], value.count > 0 else { continue }
                if !c.apply(value, event, context, input.input) {
                    context.note("  capture '\(c.capture)' = '\(value.string)' did not convert for \(c.target.name)")
                }
            }
            message = message.dropFirst(end)
        }
        if !anyOf.isEmpty, !anyOf.contains(where: { literal in literal.withUnsafeBytes { message.firstIndex(of: $0) } != nil }) {
            context.note("module '\(id)': none of its literals is in the message")
            return .notMine
        }
        for node in patterns where node.apply(message, event, input, depth: 1, inherited: constants) {
            context.note("module '\(id)': event by pattern '\(node.id)'")
            return .event
        }
        context.note("module '\(id)': no pattern matched (\(patterns.count) tried)")
        return .notMine
    }

    public func sniff(_ head: Bytes) -> Int {
        guard let format, format.sniff else { return 0 }
        let scratch = MatchScratch()
        return sniffLines(head) { format.header.pattern.match($0, scratch) != nil }
    }
}
