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
    var domains = DomainSuffixes()
    /// Domain suffixes of the envelope sender.
    var senderDomains = DomainSuffixes()
    var userAgents: [IndicatorText] = []
    var subjects: [IndicatorText] = []
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
    /// Sigma detection rules, in file order: evaluated on every event by the attribution stage.
    public private(set) var selections: [SelectionRule] = []
    /// Behaviour rules (Sigma v2 correlations): run by the correlator.
    public private(set) var correlations: [CorrelationRule] = []
    /// Behaviour rules that did not load (their mistakes are reported), by the rules they
    /// name: those are checked too, so that one lint run reports every mistake.
    private var unloaded: [(id: String, references: [String], origin: String)] = []
    /// Indicators from STIX 2.1 bundles.
    var stix = STIXIndicators()
    /// The `tests:` written inside rule files.
    public private(set) var tests: [RuleTestCase] = []
    /// The correlator's allowed lateness (µs of event time) and window cap (`correlator:`).
    public var lateness: Int64 = 24 * 3_600_000_000
    public var maxOpenWindows = 100_000

    public init() {}

    /// Whether any rule needs the correlator.
    public var hasBehaviour: Bool { !correlations.isEmpty }

    /// The behaviour rules as the pipeline runs them.
    public var behaviour: BehaviourEngine { BehaviourEngine(rules: self) }

    private struct PendingBundle {
        var path: String
        var origin: String
        var ruleID: String
        var actor: String?
        var confidence: String
    }

    /// Loads every rule file of `directory` (sorted by name); throws the first mistake.
    public static func load(directory: String) throws -> RuleSet {
        let (rules, errors) = lint(directory: directory)
        if let first = errors.first { throw first }
        return rules
    }

    /// Loads what it can and returns every mistake (for `spoor rules lint`).
    public static func lint(directory: String) -> (RuleSet, [ConfigError]) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        guard !names.isEmpty else {
            return (RuleSet(), [ConfigError(origin: directory, message: "no rule files (*.yaml) here", hint: "give the directory that holds the rules")])
        }
        return lint(files: names.map { directory + "/" + $0 })
    }

    /// The same for some rule files (a directory that also holds parser modules: `spoor test`).
    public static func lint(files: [String]) -> (RuleSet, [ConfigError]) {
        var set = RuleSet()
        var errors: [ConfigError] = []
        var pendingActors: [(IndicatorRule, String)] = []
        var bundles: [PendingBundle] = []
        for path in files {
            do {
                try set.read(path, pending: &pendingActors, bundles: &bundles, errors: &errors)
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
        for b in bundles {
            if let actor = b.actor, set.actors[actor] == nil {
                errors.append(ConfigError(origin: b.origin, message: "indicator rule '\(b.ruleID)' names an unknown actor '\(actor)'",
                                          hint: suggestion(for: actor, among: Array(set.actors.keys)).map { "did you mean '\($0)'?" }))
                continue
            }
            var reader = STIXBundleReader(path: b.path, origin: b.origin)
            reader.read(into: &set.stix, actors: &set.actors, ruleID: b.ruleID, fallbackActor: b.actor, confidence: b.confidence)
            errors += reader.errors
        }
        set.resolveReferences(&errors)
        set.numberFieldTests()
        return (set, errors)
    }

    /// The distinct field tests of the detection rules, by number.
    var fieldTests: [FieldTest] = []

    /// Numbers the distinct field tests: a test that several rules share (`event.category:
    /// authentication`) is evaluated once per event.
    private mutating func numberFieldTests() {
        var seen: [String: Int] = [:]
        for rule in selections {
            for selection in rule.selections {
                for map in selection.alternatives {
                    for t in map {
                        if let i = seen[t.signature] { t.index = i } else {
                            t.index = seen.count
                            seen[t.signature] = seen.count
                            fieldTests.append(t)
                        }
                    }
                }
            }
        }
        for rule in selections {
            for selection in rule.selections { selection.numbered() }
            rule.compile()
        }
        var shapes: [String: Int] = [:]
        shapeOf = selections.map { rule in
            let shape = rule.shape
            if let i = shapes[shape] { return i }
            shapes[shape] = shapes.count
            return shapes.count - 1
        }
        distinctShapes = shapes.count
    }

    /// Per detection rule, the number of its shape (`SelectionRule.shape`): rules of equal
    /// shape are evaluated once per event.
    var shapeOf: [Int] = []
    var distinctShapes = 0

    /// Ties selection rules to actors and correlation rules to the selection rules they name.
    private mutating func resolveReferences(_ errors: inout [ConfigError]) {
        var seen: [String: String] = [:]
        for r in selections {
            if let first = seen[r.id] { errors.append(ConfigError(origin: r.origin, message: "rule id '\(r.id)' is used twice", hint: "first at \(first)")) }
            seen[r.id] = r.origin
            if let a = r.actor, actors[a] == nil {
                errors.append(ConfigError(origin: r.origin, message: "rule '\(r.id)' names an unknown actor '\(a)'",
                                          hint: suggestion(for: a, among: Array(actors.keys)).map { "did you mean '\($0)'?" } ?? "define it under actors:"))
            }
        }
        let names = selections.map(\.id) + selections.compactMap(\.name)
        for c in unloaded {
            for ref in c.references where !names.contains(ref) { errors.append(Self.dangling(c.id, ref, c.origin, names)) }
        }
        for i in correlations.indices {
            let c = correlations[i]
            if let first = seen[c.id] { errors.append(ConfigError(origin: c.origin, message: "rule id '\(c.id)' is used twice", hint: "first at \(first)")) }
            seen[c.id] = c.origin
            if let a = c.actor, actors[a] == nil {
                errors.append(ConfigError(origin: c.origin, message: "rule '\(c.id)' names an unknown actor '\(a)'",
                                          hint: suggestion(for: a, among: Array(actors.keys)).map { "did you mean '\($0)'?" }))
            }
            if c.references.count > 32 { errors.append(ConfigError(origin: c.origin, message: "a behaviour rule refers to at most 32 rules")) }
            correlations[i].referenced = c.references.compactMap { ref in
                if let j = selections.firstIndex(where: { $0.id == ref || $0.name == ref }) { return j }
                errors.append(Self.dangling(c.id, ref, c.origin, names))
                return nil
            }
        }
    }

    private static func dangling(_ id: String, _ ref: String, _ origin: String, _ names: [String]) -> ConfigError {
        ConfigError(origin: origin, message: "behaviour rule '\(id)' refers to no rule named '\(ref)'",
                    hint: suggestion(for: ref, among: names).map { "did you mean '\($0)'?" } ?? "rules: lists the id or name of Sigma detection rules")
    }

    private mutating func read(_ path: String, pending: inout [(IndicatorRule, String)], bundles: inout [PendingBundle],
                               errors: inout [ConfigError]) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var documents: [Node] = []
        var sequence = try Yams.compose_all(yaml: text)
        while let document = sequence.next() { documents.append(document) }
        if let e = sequence.error { throw ConfigError(origin: path, message: "not valid YAML: \(e)") }
        for root in documents {
            guard let top = root.mapping else {
                throw ConfigError(origin: "\(path):\(root.mark?.line ?? 0):\(root.mark?.column ?? 0)",
                                  message: "a rule document is a mapping: actors:/indicators:, a Sigma rule (detection:) or a correlation rule (correlation:)")
            }
            if top["detection"] != nil || top["correlation"] != nil {
                var loader = SigmaLoader(path: path)
                let owner: String?
                if top["correlation"] != nil {
                    let rule = loader.correlationRule(top)
                    if let rule { correlations.append(rule) } else { unloaded.append(SigmaLoader.references(top, loader)) }
                    owner = rule?.id
                } else {
                    let rule = loader.selectionRule(top)
                    if let rule { selections.append(rule) }
                    owner = rule?.id
                }
                if let owner, let t = top["tests"] { tests += RuleTestCase.read(t, rule: owner, loader: &loader) }
                errors += loader.errors
                continue
            }
            try readIndicators(top, path, pending: &pending, bundles: &bundles, errors: &errors)
        }
    }

    private mutating func readIndicators(_ top: Node.Mapping, _ path: String, pending: inout [(IndicatorRule, String)],
                                         bundles: inout [PendingBundle], errors: inout [ConfigError]) throws {
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
                    let stixFile = item.mapping?["file"]?.string.map { (path as NSString).deletingLastPathComponent + "/" + $0 }
                        .flatMap { file in Self.isJSON(file) ? file : nil }
                    guard let m = item.mapping, let id = m["id"]?.string, stixFile != nil || m["actor"]?.string != nil else {
                        errors.append(ConfigError(origin: at(item), message: "an indicator rule needs an id and an actor",
                                                  hint: "a rule whose file: is a STIX bundle may leave the actor to the bundle")); continue
                    }
                    let actor = m["actor"]?.string ?? ""
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
                        case "domain": for d in strings(v) { rule.domains.append(d.lowercased()) }
                        case "sender_domain": for d in strings(v) { rule.senderDomains.append(d.lowercased()) }
                        case "user_agent": rule.userAgents += strings(v).map(IndicatorText.init)
                        case "subject": rule.subjects += strings(v).map(IndicatorText.init)
                        case "file" where stixFile != nil:
                            bundles.append(PendingBundle(path: stixFile!, origin: at(v), ruleID: id, actor: m["actor"]?.string,
                                                         confidence: rule.confidence))
                        case "file":
                            let file = (path as NSString).deletingLastPathComponent + "/" + (v.string ?? "")
                            let readable = IndicatorList.forEachEntry(inFile: file) { entry in
                                if !rule.networks.insert(cidr: entry, label: id) { rule.domains.append(entry.string.lowercased()) }
                            }
                            guard readable else {
                                errors.append(ConfigError(origin: at(v), message: "cannot read indicator file \(file)")); continue
                            }
                        default:
                            errors.append(ConfigError(origin: at(k), message: "unknown indicator key '\(name)'",
                                                      hint: suggestion(for: name, among: ["ip", "asn", "domain", "sender_domain", "user_agent", "subject", "file", "confidence"]).map { "did you mean '\($0)'?" }))
                        }
                    }
                    if stixFile != nil && actor.isEmpty { continue }   // the bundle names the actors
                    pending.append((rule, at(item)))
                    indicators.append(rule)
                }
            case "correlator":
                for (k, v) in value.mapping ?? [:] {
                    switch k.string ?? "" {
                    case "lateness":
                        if let d = SigmaLoader.duration(v.string ?? "") { lateness = d }
                        else { errors.append(ConfigError(origin: at(v), message: "lateness must be a duration such as 30m, 6h, 2d")) }
                    case "max_open_windows":
                        if let n = v.int, n > 0 { maxOpenWindows = n }
                        else { errors.append(ConfigError(origin: at(v), message: "max_open_windows must be a positive number")) }
                    default:
                        errors.append(ConfigError(origin: at(k), message: "unknown correlator key '\(k.string ?? "")'", hint: "lateness, max_open_windows"))
                    }
                }
            default:
                errors.append(ConfigError(origin: at(key), message: "unknown top-level key '\(key.string ?? "")'",
                                          hint: "actors, indicators or correlator; a Sigma rule has detection:, a behaviour rule correlation:"))
            }
        }
    }

    /// Whether an indicator file is JSON (a STIX bundle) rather than a list.
    static func isJSON(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = handle.readData(ofLength: 256)
        return head.first(where: { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }) == UInt8(ascii: "{")
    }
}
