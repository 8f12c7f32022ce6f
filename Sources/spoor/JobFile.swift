import Foundation
import SpoorKit
import Yams

/// A job file (`spoor ingest --job job.yaml`): the same settings as the flags, plus
/// per-plugin configuration. Unknown keys and wrong types are errors with file and line,
/// found before any input is read.
///
///     inputs: [/var/log/archive]
///     include: ["*.log*"]
///     exclude: ["*.journal"]
///     out: out/
///     format: ndjson
///     partition_by: [event.dataset, date]   # or "date,host.name"
///     compression: zstd     # Parquet pages: lz4_raw (default), zstd, zstd:LEVEL, uncompressed
///     workers: 4
///     year: 2026
///     timezone: Europe/Berlin
///     strict: false
///     max_record_bytes: 1048576
///     keep_original: true
///     formats:              # force a format per glob (else sniffed per file)
///       "*/u_ex*.log": iis
///     parsers:
///       sshd: {}
///     parsers: [parsers/]   # or: parser modules (files or directories of *.yaml) to load
struct JobFile {
    var inputs: [String] = []
    var include: [String] = []
    var exclude: [String] = []
    var out: String?
    var format: String?
    var workers: Int?
    var year: Int?
    var timezone: String?
    var strict: Bool?
    var maxRecordBytes: Int?
    var keepOriginal: Bool?
    var correlateMail: Bool?
    var rules: String?
    var partitionBy: (spec: String, origin: String)?
    var compression: (value: String, origin: String)?
    var parserConfigs: [String: PluginConfig] = [:]
    var enricherConfigs: [String: PluginConfig] = [:]
    var formats: [(glob: String, format: String)] = []
    /// Parser modules to load (`parsers:` given as a path or a list of paths), relative to the file.
    var parserModules: [String] = []
    /// Where each input and parser module path was written (`job.yaml:3:10`), for `spoor validate`.
    var origins: [String: String] = [:]
    /// The job file's own path, when it came from one.
    var path: String?

    static let keys = ["inputs", "include", "exclude", "out", "format", "workers", "year", "timezone", "strict",
                       "max_record_bytes", "keep_original", "correlate_mail", "rules", "parsers", "enrichers", "formats",
                       "partition_by", "compression"]

    init() {}

    init(path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(origin: path, message: "cannot read the job file", hint: "check the path")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(origin: path, message: "not valid YAML: \(error)")
        }
        guard let root, case .mapping(let mapping) = root else {
            throw ConfigError(origin: path, message: "a job file is a YAML mapping of settings",
                              hint: "see `spoor ingest --help` for the keys")
        }
        func origin(_ node: Node) -> String { "\(path):\(node.mark?.line ?? 0):\(node.mark?.column ?? 0)" }   // Yams marks are 1-based
        func strings(_ node: Node, _ key: String) throws -> [String] {
            if let s = node.string, node.scalar != nil { return [s] }
            guard let seq = node.sequence else {
                throw ConfigError(origin: origin(node), message: "'\(key)' is a list of strings")
            }
            return try seq.map {
                guard let s = $0.string else { throw ConfigError(origin: origin($0), message: "'\(key)' holds strings only") }
                return s
            }
        }
        func int(_ node: Node, _ key: String) throws -> Int {
            guard let i = node.int else { throw ConfigError(origin: origin(node), message: "'\(key)' is a whole number, got '\(node.string ?? "?")'") }
            return i
        }
        func bool(_ node: Node, _ key: String) throws -> Bool {
            guard let b = node.bool else { throw ConfigError(origin: origin(node), message: "'\(key)' is true or false, got '\(node.string ?? "?")'") }
            return b
        }
        func string(_ node: Node, _ key: String) throws -> String {
            guard let s = node.string, node.scalar != nil else { throw ConfigError(origin: origin(node), message: "'\(key)' is a string") }
            return s
        }
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            switch key {
            case "inputs":
                inputs = try strings(value, key)
                for (item, node) in zip(inputs, value.sequence.map(Array.init) ?? [value]) { origins[item] = origin(node) }
            case "include": include = try strings(value, key)
            case "exclude": exclude = try strings(value, key)
            case "out": out = try string(value, key)
            case "format": format = try string(value, key)
            case "workers": workers = try int(value, key)
            case "year": year = try int(value, key)
            case "timezone": timezone = try string(value, key)
            case "strict": strict = try bool(value, key)
            case "max_record_bytes": maxRecordBytes = try int(value, key)
            case "keep_original": keepOriginal = try bool(value, key)
            case "correlate_mail": correlateMail = try bool(value, key)
            case "rules": rules = try string(value, key)
            case "compression": compression = (try string(value, key), origin(value))
            case "partition_by":
                let spec = try value.string ?? strings(value, key).joined(separator: ",")
                partitionBy = (spec, origin(value))
            case "formats":
                guard let globs = value.mapping else {
                    throw ConfigError(origin: origin(value), message: "'formats' maps file globs to format names",
                                      hint: "for example  formats: {\"*/u_ex*.log\": iis}")
                }
                for (glob, format) in globs {
                    formats.append((glob.string ?? "", try string(format, "formats")))
                }
            case "parsers" where value.mapping == nil:
                // A path or a list of paths: parser modules to load.
                guard let paths = try? strings(value, key) else {
                    throw ConfigError(origin: origin(value), message: "'parsers' is a directory of parser modules, a list of them, or a map of parser ids to options")
                }
                parserModules = paths.filter { !$0.isEmpty }
                for (item, node) in zip(paths, value.sequence.map(Array.init) ?? [value]) { origins[item] = origin(node) }
            case "parsers", "enrichers":
                guard let plugins = value.mapping else {
                    throw ConfigError(origin: origin(value), message: "'\(key)' maps plugin ids to their options")
                }
                for (idNode, options) in plugins {
                    var values: [String: ConfigValue] = [:]
                    for (k, v) in options.mapping ?? [:] {
                        let name = k.string ?? ""
                        if let i = v.int { values[name] = .int(i) }
                        else if let b = v.bool { values[name] = .bool(b) }
                        else if let seq = v.sequence { values[name] = .list(seq.compactMap(\.string)) }
                        else { values[name] = .string(v.string ?? "") }
                    }
                    let config = PluginConfig(values, origin: origin(idNode))
                    if key == "parsers" { parserConfigs[idNode.string ?? ""] = config } else { enricherConfigs[idNode.string ?? ""] = config }
                }
            default:
                throw ConfigError(origin: origin(keyNode), message: "unknown key '\(key)'",
                                  hint: suggestion(for: key, among: JobFile.keys).map { "did you mean '\($0)'?" }
                                      ?? "known keys: " + JobFile.keys.joined(separator: ", "))
            }
        }
        // Relative inputs and output are relative to the job file.
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        func resolve(_ p: String) -> String { p.hasPrefix("/") || p == "-" ? p : base.appendingPathComponent(p).path }
        origins = Dictionary(origins.map { (resolve($0.key), $0.value) }, uniquingKeysWith: { a, _ in a })
        inputs = inputs.map(resolve)
        parserModules = parserModules.map(resolve)
        self.path = path
        out = out.map { $0 == "-" ? $0 : resolve($0) }
        rules = rules.map(resolve)
        // An enricher's `file`/`files` are relative to the job file too.
        for (id, config) in enricherConfigs {
            var values = config.values
            if let f = config.string("file") { values["file"] = .string(resolve(f)) }
            if let fs = config.list("files") { values["files"] = .list(fs.map(resolve)) }
            enricherConfigs[id] = PluginConfig(values, origin: config.origin)
        }
    }
}
