import Foundation
import SpoorKit
import Yams

/// A threat actor: who indicator rules attribute events to.
public struct Actor: Sendable, Equatable {
    public var id: String
    public var name: String
    public var aliases: [String]
    /// The MITRE ATT&CK group id (G0059), written to `threat.group.id`.
    public var mitre: String?
    public var description: String?
    public var references: [String]
}

/// A stateless rule: an event that matches any of its indicators belongs to its actor.
public struct IndicatorRule: Sendable {
    public var id: String
    public var actor: String
    public var confidence: String
    var networks = CIDRTrie()
    var asns: Set<Int64> = []
    /// Domain suffixes, lower-cased, of the source's host name or the account's domain.
    var domains: [String] = []
    /// Domain suffixes of the envelope sender.
    var senderDomains: [String] = []
    var userAgents: [String] = []
    var subjects: [String] = []
}

/// Actors and indicator rules, loaded from a rules directory (`*.yaml`, `*.yml`).
///
///     actors:
///       - id: phosphorus
///         name: PHOSPHORUS
///         aliases: [APT35, Charming Kitten, Magic Hound]
///         mitre: G0059
///     indicators:
///       - id: phosphorus-infrastructure
///         actor: phosphorus
///         confidence: high
///         ip: [203.0.113.0/24, 198.51.100.7]
///         asn: [64500]
///         domain: [evil.example]
///         sender_domain: [mail.evil.example]
///         user_agent: ["python-requests/"]
///         subject: ["Your mailbox is full"]
///         file: more-indicators.txt   # one IP, CIDR or domain per line
///
/// Every mistake (an unknown key, a bad CIDR, an unknown actor) is reported with file, line
/// and column, before any input is read.
public struct RuleSet: Sendable {
    public private(set) var actors: [String: Actor] = [:]
    public private(set) var indicators: [IndicatorRule] = []

    public init() {}

    /// Loads every rule file of `directory` (sorted by name); throws the first mistake.
    public static func load(directory: String) throws -> RuleSet {
        let (rules, errors) = lint(directory: directory)
        if let first = errors.first { throw first }
        return rules
    }

    /// Loads what it can and returns every mistake (for `spoor rules lint`).
    public static func lint(directory: String) -> (RuleSet, [ConfigError]) {
        var set = RuleSet()
        var errors: [ConfigError] = []
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        if names.isEmpty {
            errors.append(ConfigError(origin: directory, message: "no rule files (*.yaml) here", hint: "give the directory that holds the rules"))
        }
        var pendingActors: [(IndicatorRule, String)] = []
        for name in names {
            let path = directory + "/" + name
            do {
                try set.read(path, pending: &pendingActors, errors: &errors)
            } catch let e as ConfigError {
                errors.append(e)
            } catch {
                errors.append(ConfigError(origin: path, message: "\(error)"))
            }
        }
        for (rule, origin) in pendingActors where set.actors[rule.actor] == nil {
            errors.append(ConfigError(origin: origin, message: "indicator rule '\(rule.id)' names an unknown actor '\(rule.actor)'",
                                      hint: suggestion(for: rule.actor, among: Array(set.actors.keys)).map { "did you mean '\($0)'?" }
                                          ?? "define it under actors:"))
        }
        return (set, errors)
    }

    private mutating func read(_ path: String, pending: inout [(IndicatorRule, String)], errors: inout [ConfigError]) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let root = try Yams.compose(yaml: text), let top = root.mapping else {
            throw ConfigError(origin: path, message: "a rule file is a mapping with actors: and/or indicators:")
        }
        func at(_ node: Node) -> String { "\(path):\(node.mark?.line ?? 0):\(node.mark?.column ?? 0)" }   // Yams marks are 1-based
        func strings(_ node: Node) -> [String] {
            node.sequence?.compactMap(\.string) ?? node.string.map { [$0] } ?? []
        }
        for (key, value) in top {
            switch key.string {
            case "actors":
                for item in value.sequence ?? [] {
                    guard let m = item.mapping, let id = m["id"]?.string, let name = m["name"]?.string else {
                        errors.append(ConfigError(origin: at(item), message: "an actor needs an id and a name")); continue
                    }
                    for (k, _) in m where !["id", "name", "aliases", "mitre", "description", "references"].contains(k.string ?? "") {
                        errors.append(ConfigError(origin: at(k), message: "unknown actor key '\(k.string ?? "")'",
                                                  hint: "id, name, aliases, mitre, description, references"))
                    }
                    actors[id] = Actor(id: id, name: name, aliases: m["aliases"].map(strings) ?? [], mitre: m["mitre"]?.string,
                                       description: m["description"]?.string, references: m["references"].map(strings) ?? [])
                }
            case "indicators":
                for item in value.sequence ?? [] {
                    guard let m = item.mapping, let id = m["id"]?.string, let actor = m["actor"]?.string else {
                        errors.append(ConfigError(origin: at(item), message: "an indicator rule needs an id and an actor")); continue
                    }
                    var rule = IndicatorRule(id: id, actor: actor, confidence: m["confidence"]?.string ?? "medium")
                    for (k, v) in m {
                        let name = k.string ?? ""
                        switch name {
                        case "id", "actor", "confidence": break
                        case "ip":
                            for cidr in strings(v) where !rule.networks.insert(cidr: cidr, label: id) {
                                errors.append(ConfigError(origin: at(v), message: "'\(cidr)' is not an IP address or CIDR"))
                            }
                        case "asn":
                            for a in strings(v) {
                                let digits = a.uppercased().hasPrefix("AS") ? String(a.dropFirst(2)) : a
                                if let n = Int64(digits) { rule.asns.insert(n) } else {
                                    errors.append(ConfigError(origin: at(v), message: "'\(a)' is not an AS number"))
                                }
                            }
                        case "domain": rule.domains += strings(v).map { $0.lowercased() }
                        case "sender_domain": rule.senderDomains += strings(v).map { $0.lowercased() }
                        case "user_agent": rule.userAgents += strings(v)
                        case "subject": rule.subjects += strings(v)
                        case "file":
                            let file = (path as NSString).deletingLastPathComponent + "/" + (v.string ?? "")
                            guard let list = try? String(contentsOfFile: file, encoding: .utf8) else {
                                errors.append(ConfigError(origin: at(v), message: "cannot read indicator file \(file)")); continue
                            }
                            for entry in list.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) })
                            where !entry.isEmpty && !entry.hasPrefix("#") {
                                if !rule.networks.insert(cidr: entry, label: id) { rule.domains.append(entry.lowercased()) }
                            }
                        default:
                            errors.append(ConfigError(origin: at(k), message: "unknown indicator key '\(name)'",
                                                      hint: suggestion(for: name, among: ["ip", "asn", "domain", "sender_domain", "user_agent", "subject", "file", "confidence"]).map { "did you mean '\($0)'?" }))
                        }
                    }
                    pending.append((rule, at(item)))
                    indicators.append(rule)
                }
            default:
                errors.append(ConfigError(origin: at(key), message: "unknown top-level key '\(key.string ?? "")'", hint: "actors or indicators"))
            }
        }
    }
}
