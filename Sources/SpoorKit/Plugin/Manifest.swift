/// What every plugin says about itself: shown by `spoor plugins`, used to validate its
/// configuration before any input is read.
public struct PluginManifest: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case source, framer, parser, enricher, sink
    }

    public let id: String
    public let kind: Kind
    public let version: String
    /// One line: what it reads or writes.
    public let summary: String
    /// The configuration it accepts; anything else is an error at load.
    public let options: [OptionSpec]

    public init(id: String, kind: Kind, version: String, summary: String, options: [OptionSpec] = []) {
        self.id = id
        self.kind = kind
        self.version = version
        self.summary = summary
        self.options = options
    }
}

/// One configuration key of a plugin: its type, default and meaning.
public struct OptionSpec: Sendable {
    public let name: String
    public let type: ConfigValue.Kind
    public let defaultValue: ConfigValue?
    public let doc: String

    public init(_ name: String, _ type: ConfigValue.Kind, default defaultValue: ConfigValue? = nil, _ doc: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.doc = doc
    }
}

public enum ConfigValue: Sendable, Equatable, CustomStringConvertible {
    case string(String), int(Int), bool(Bool), list([String])

    public enum Kind: String, Sendable { case string, int, bool, list }

    public var kind: Kind {
        switch self {
        case .string: .string
        case .int: .int
        case .bool: .bool
        case .list: .list
        }
    }

    public var description: String {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        case .bool(let b): String(b)
        case .list(let l): "[" + l.joined(separator: ", ") + "]"
        }
    }
}

/// A plugin's configuration, validated against its manifest: unknown keys and wrong types
/// are refused with the place they came from and what was meant.
public struct PluginConfig: Sendable {
    public private(set) var values: [String: ConfigValue]
    /// Where the configuration came from ("job.yaml:12"), for error messages.
    public let origin: String

    public init(_ values: [String: ConfigValue] = [:], origin: String = "command line") {
        self.values = values
        self.origin = origin
    }

    /// Checks every key against `manifest.options`.
    public func validated(for manifest: PluginManifest) throws(ConfigError) -> PluginConfig {
        for (key, value) in values {
            guard let spec = manifest.options.first(where: { $0.name == key }) else {
                let known = manifest.options.map(\.name)
                throw ConfigError(origin: origin, message: "\(manifest.kind) '\(manifest.id)' has no option '\(key)'",
                                  hint: suggestion(for: key, among: known).map { "did you mean '\($0)'?" }
                                      ?? (known.isEmpty ? "it takes no options" : "its options: " + known.joined(separator: ", ")))
            }
            guard value.kind == spec.type else {
                throw ConfigError(origin: origin, message: "option '\(key)' of \(manifest.kind) '\(manifest.id)' is a \(spec.type.rawValue), got \(value.kind.rawValue) '\(value)'",
                                  hint: spec.doc)
            }
        }
        var filled = self
        for spec in manifest.options where values[spec.name] == nil {
            if let d = spec.defaultValue { filled.values[spec.name] = d }
        }
        return filled
    }

    public func string(_ key: String) -> String? {
        if case .string(let s) = values[key] { return s }
        return nil
    }

    public func int(_ key: String) -> Int? {
        if case .int(let i) = values[key] { return i }
        return nil
    }

    public func bool(_ key: String) -> Bool? {
        if case .bool(let b) = values[key] { return b }
        return nil
    }

    public func list(_ key: String) -> [String]? {
        if case .list(let l) = values[key] { return l }
        return nil
    }
}

/// A configuration mistake, found before any input is read.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let origin: String
    public let message: String
    public let hint: String?

    public init(origin: String, message: String, hint: String? = nil) {
        self.origin = origin
        self.message = message
        self.hint = hint
    }

    public var description: String {
        "\(origin): \(message)" + (hint.map { "\n  hint: \($0)" } ?? "")
    }
}

/// The closest of `candidates` to `word` by edit distance, when close enough to be a typo.
public func suggestion(for word: String, among candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let saved = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = saved
            }
        }
        return row[b.count]
    }
    let w = Array(word)
    return candidates
        .map { ($0, distance(w, Array($0))) }
        .filter { $0.1 <= max(2, word.count / 3) }
        .min { $0.1 < $1.1 }?.0
}
