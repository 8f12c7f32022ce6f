import Foundation
import SpoorKit

/// One STIX indicator, resolved: what it matches, the actor it points at, when it holds.
struct TimedIndicator: Sendable {
    var stixID: String
    var ruleID: String
    var actor: String
    var confidence: String
    /// µs since the epoch; the indicator holds for events in [validFrom, validUntil).
    var validFrom: Int64
    var validUntil: Int64

    @inline(__always)
    func holds(at time: Int64) -> Bool { time >= validFrom && time < validUntil }
}

/// Indicators from STIX 2.1 bundles, indexed for lookups per event: addresses and CIDRs in
/// a trie, AS numbers, domains and mail addresses in hash tables.
struct STIXIndicators: Sendable {
    var entries: [TimedIndicator] = []
    var networks = CIDRTrie()
    var asns: [Int64: [Int]] = [:]
    /// Lower-cased domains; an event's domain matches itself or any parent.
    var domains: [String: [Int]] = [:]
    var emails: [String: [Int]] = [:]

    var isEmpty: Bool { entries.isEmpty }
}

/// Reads a STIX 2.1 bundle: `indicator` objects with patterns of the simple forms Spoor
/// matches, `threat-actor` / `intrusion-set` objects, and the `indicates` / `attributed-to`
/// relationships that link an indicator to its actor (directly, or through a campaign or an
/// intrusion set attributed to a threat actor). Everything it cannot use is reported with
/// the file and the object's id, never skipped silently.
struct STIXBundleReader {
    let path: String
    let origin: String
    var errors: [ConfigError] = []

    /// A STIX actor as the bundle describes it.
    struct BundleActor {
        var stixID: String
        var name: String
        var aliases: [String]
        var mitre: String?
    }

    /// A comparison of a pattern, of a form Spoor matches.
    enum Term: Equatable {
        case network(String)
        case asn(Int64)
        case domain(String)
        case email(String)
    }

    init(path: String, origin: String) {
        self.path = path
        self.origin = origin
    }

    mutating func error(_ id: String?, _ message: String, hint: String? = nil) {
        errors.append(ConfigError(origin: id.map { "\(path) (\($0))" } ?? path, message: message, hint: hint))
    }

    /// Adds the bundle's indicators to `index`; actors come from `actors` (matched by name,
    /// alias or MITRE id) or are added to it from the bundle. `fallbackActor` takes
    /// indicators the bundle attributes to no actor.
    mutating func read(into index: inout STIXIndicators, actors: inout [String: Actor], ruleID: String,
                       fallbackActor: String?, confidence: String) {
        guard let data = FileManager.default.contents(atPath: path),
              let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            error(nil, "not a JSON STIX bundle", hint: "a bundle is {\"type\": \"bundle\", \"objects\": [...]}"); return
        }
        guard root["type"] as? String == "bundle", let objects = root["objects"] as? [[String: Any]] else {
            error(root["id"] as? String, "not a STIX bundle: no type 'bundle' with objects"); return
        }
        var byID: [String: [String: Any]] = [:]
        for o in objects { if let id = o["id"] as? String { byID[id] = o } }
        // Edges toward actors: indicator -indicates-> X, X -attributed-to-> Y.
        var edges: [String: [String]] = [:]
        for o in objects where o["type"] as? String == "relationship" {
            guard let kind = o["relationship_type"] as? String, let s = o["source_ref"] as? String, let t = o["target_ref"] as? String else { continue }
            if kind == "indicates" || kind == "attributed-to" { edges[s, default: []].append(t) }
        }
        func actorObject(from start: String) -> [String: Any]? {
            var queue = edges[start] ?? [], seen: Set<String> = []
            var fallback: [String: Any]?
            while !queue.isEmpty {
                let id = queue.removeFirst()
                guard seen.insert(id).inserted, let o = byID[id] else { continue }
                let type = o["type"] as? String
                if type == "threat-actor" { return o }
                if type == "intrusion-set", fallback == nil { fallback = o }
                queue += edges[id] ?? []
            }
            return fallback
        }
        for o in objects where o["type"] as? String == "indicator" {
            let id = o["id"] as? String ?? "?"
            guard let pattern = o["pattern"] as? String else { error(id, "indicator without a pattern"); continue }
            if let type = o["pattern_type"] as? String, type != "stix" {
                error(id, "pattern_type '\(type)' is not supported", hint: "only STIX patterns"); continue
            }
            let terms: [Term]
            do {
                terms = try Self.parse(pattern)
            } catch {
                self.error(id, "unsupported pattern \(pattern): \(error.message)",
                           hint: "Spoor matches [ipv4-addr:value = '…'], ipv6-addr, domain-name, email-addr, autonomous-system:number, network-traffic:src_ref.value, joined by OR, with = or ISSUBSET")
                continue
            }
            var actorID = fallbackActor
            if let a = actorObject(from: id) { actorID = resolve(a, actors: &actors) }
            guard let actor = actorID else {
                error(id, "indicator is linked to no threat-actor or intrusion-set",
                      hint: "add an 'indicates' relationship in the bundle, or give the indicator rule an actor:"); continue
            }
            let from = (o["valid_from"] as? String).flatMap(Self.time) ?? .min
            let until = (o["valid_until"] as? String).flatMap(Self.time) ?? .max
            if (o["valid_from"] as? String).map({ Self.time($0) == nil }) == true { error(id, "valid_from is not a timestamp") }
            let entry = index.entries.count
            index.entries.append(TimedIndicator(stixID: id, ruleID: ruleID, actor: actor, confidence: confidence,
                                                validFrom: from, validUntil: until))
            for term in terms {
                switch term {
                case .network(let cidr): _ = index.networks.insert(cidr: cidr, label: String(entry))
                case .asn(let n): index.asns[n, default: []].append(entry)
                case .domain(let d): index.domains[d.lowercased(), default: []].append(entry)
                case .email(let e): index.emails[e.lowercased(), default: []].append(entry)
                }
            }
        }
    }

    /// The Spoor actor of a bundle's threat-actor / intrusion-set: a known one with the same
    /// name, alias or MITRE id, else a new one made from the object.
    func resolve(_ o: [String: Any], actors: inout [String: Actor]) -> String {
        let name = o["name"] as? String ?? (o["id"] as? String ?? "unknown")
        let aliases = o["aliases"] as? [String] ?? []
        let mitre = (o["external_references"] as? [[String: Any]])?
            .first { ($0["source_name"] as? String)?.hasPrefix("mitre") == true && $0["external_id"] is String }?["external_id"] as? String
        let names = Set(([name] + aliases + (mitre.map { [$0] } ?? [])).map { $0.lowercased() })
        for (id, a) in actors.sorted(by: { $0.key < $1.key }) {
            let known = Set(([a.id, a.name] + a.aliases + (a.mitre.map { [$0] } ?? [])).map { $0.lowercased() })
            if !known.isDisjoint(with: names) { return id }
        }
        let id = name.lowercased().replacingOccurrences(of: " ", with: "-")
        actors[id] = Actor(id: id, name: name, aliases: aliases, mitre: mitre, description: o["description"] as? String, references: [])
        return id
    }

    /// `2026-01-01T00:00:00Z`, with or without fractions or an offset, in µs.
    static func time(_ text: String) -> Int64? {
        withBytes(of: text) { Timestamps.iso8601($0, clock: utc)?.micros }
    }

    nonisolated(unsafe) static let utc = ZoneClock(zone: TimeZone(identifier: "UTC")!)

    struct PatternFailure: Error { let message: String }

    /// Parses the pattern forms Spoor matches: observations `[…]` joined by OR, each holding
    /// comparisons joined by OR of `object:path = 'value'` or `… ISSUBSET 'cidr'`.
    static func parse(_ pattern: String) throws(PatternFailure) -> [Term] {
        var tokens: [String] = []
        var i = pattern.startIndex
        while i < pattern.endIndex {
            let c = pattern[i]
            if c.isWhitespace { i = pattern.index(after: i); continue }
            if c == "[" || c == "]" || c == "(" || c == ")" { tokens.append(String(c)); i = pattern.index(after: i); continue }
            if c == "'" {
                var s = "'", j = pattern.index(after: i), closed = false
                while j < pattern.endIndex {
                    let d = pattern[j]
                    if d == "\\", pattern.index(after: j) < pattern.endIndex {
                        s.append(pattern[pattern.index(after: j)]); j = pattern.index(j, offsetBy: 2); continue
                    }
                    if d == "'" { closed = true; j = pattern.index(after: j); break }
                    s.append(d); j = pattern.index(after: j)
                }
                guard closed else { throw PatternFailure(message: "an unterminated string") }
                tokens.append(s); i = j; continue
            }
            var s = "", j = i
            while j < pattern.endIndex, !pattern[j].isWhitespace, !"[]()'".contains(pattern[j]) { s.append(pattern[j]); j = pattern.index(after: j) }
            tokens.append(s); i = j
        }
        var terms: [Term] = []
        var p = 0
        func next() -> String? { p < tokens.count ? tokens[p] : nil }
        while p < tokens.count {
            guard next() == "[" else { throw PatternFailure(message: "expected '[' but found '\(next()!)'") }
            p += 1
            while true {
                guard p + 2 < tokens.count else { throw PatternFailure(message: "a comparison is cut short") }
                let path = tokens[p], op = tokens[p + 1].uppercased(), value = tokens[p + 2]
                p += 3
                guard op == "=" || op == "ISSUBSET" else { throw PatternFailure(message: "the operator \(tokens[p - 2]) is not supported") }
                let text = value.hasPrefix("'") ? String(value.dropFirst()) : nil
                switch path {
                case "ipv4-addr:value", "ipv6-addr:value", "network-traffic:src_ref.value", "network-traffic:src_ref.value[*]":
                    guard let text, CIDRTrie.parse(String(text.split(separator: "/").first ?? "")) != nil else {
                        throw PatternFailure(message: "'\(value)' is not an address or CIDR")
                    }
                    terms.append(.network(text))
                case "domain-name:value":
                    guard let text, op == "=" else { throw PatternFailure(message: "domain-name takes = 'name'") }
                    terms.append(.domain(text))
                case "email-addr:value", "email-message:from_ref.value", "email-message:sender_ref.value":
                    guard let text, op == "=" else { throw PatternFailure(message: "email-addr takes = 'address'") }
                    terms.append(.email(text))
                case "autonomous-system:number":
                    guard let n = Int64(value), op == "=" else { throw PatternFailure(message: "autonomous-system:number takes = N") }
                    terms.append(.asn(n))
                default:
                    throw PatternFailure(message: "the object path \(path) is not supported")
                }
                guard let t = next() else { throw PatternFailure(message: "missing ']'") }
                p += 1
                if t == "]" { break }
                guard t.uppercased() == "OR" else { throw PatternFailure(message: "\(t) is not supported inside an observation (only OR)") }
            }
            if let t = next() {
                guard t.uppercased() == "OR" else { throw PatternFailure(message: "\(t) between observations is not supported (only OR)") }
                p += 1
                guard p < tokens.count else { throw PatternFailure(message: "the pattern ends after OR") }
            }
        }
        guard !terms.isEmpty else { throw PatternFailure(message: "an empty pattern") }
        return terms
    }
}
