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
///
/// The bundle is read with `JSONTree` (one pass over the bytes); per object only the fields
/// named below are looked at, and a `String` is made only for what is kept.
struct STIXBundleReader {
    let path: String
    let origin: String
    var errors: [ConfigError] = []

    init(path: String, origin: String) {
        self.path = path
        self.origin = origin
    }

    mutating func error(_ id: String?, _ message: String, hint: String? = nil) {
        errors.append(ConfigError(origin: id.map { "\(path) (\($0))" } ?? path, message: message, hint: hint))
    }

    static let bundleHint = "a bundle is {\"type\": \"bundle\", \"objects\": [...]}"

    /// The fields of one bundle object that the reader uses, found in one pass over its
    /// members (a repeated key: the last one, as JSONSerialization keeps it).
    struct BundleObject {
        enum Kind { case indicator, relationship, threatActor, intrusionSet, other }
        var node: JSONTree.Node
        var kind = Kind.other
        var id: JSONTree.Node?
        var pattern: JSONTree.Node?
        var patternType: JSONTree.Node?
        var validFrom: JSONTree.Node?
        var validUntil: JSONTree.Node?
        var relationshipType: JSONTree.Node?
        var sourceRef: JSONTree.Node?
        var targetRef: JSONTree.Node?

        init(_ node: JSONTree.Node, in tree: JSONTree) {
            self.node = node
            var type: JSONTree.Node?
            for (key, value) in tree.members(node) {
                // Keys compared as bytes, by length first: this runs for every member of every object.
                if let k = tree.text(key) {
                    switch k.count {
                    case 2 where k.equals("id"): id = value
                    case 4 where k.equals("type"): type = value
                    case 7 where k.equals("pattern"): pattern = value
                    case 10 where k.equals("valid_from"): validFrom = value
                    case 10 where k.equals("source_ref"): sourceRef = value
                    case 10 where k.equals("target_ref"): targetRef = value
                    case 11 where k.equals("valid_until"): validUntil = value
                    case 12 where k.equals("pattern_type"): patternType = value
                    case 17 where k.equals("relationship_type"): relationshipType = value
                    default: break
                    }
                }
            }
            // Compared as bytes: no other spelling of these ASCII words is canonically
            // equivalent to them, so this is what comparing Strings decided before.
            if let type, let t = tree.text(type) {
                if t.equals("indicator") { kind = .indicator }
                else if t.equals("relationship") { kind = .relationship }
                else if t.equals("threat-actor") { kind = .threatActor }
                else if t.equals("intrusion-set") { kind = .intrusionSet }
            }
        }
    }

    /// Adds the bundle's indicators to `index`; actors come from `actors` (matched by name,
    /// alias or MITRE id) or are added to it from the bundle. `fallbackActor` takes
    /// indicators the bundle attributes to no actor.
    mutating func read(into index: inout STIXIndicators, actors: inout [String: Actor], ruleID: String,
                       fallbackActor: String?, confidence: String) {
        let tree: JSONTree
        do {
            guard let parsed = try JSONTree.read(contentsOfFile: path) else {
                error(nil, "not a JSON STIX bundle", hint: Self.bundleHint); return
            }
            tree = parsed
        } catch {
            errors.append(ConfigError(origin: "\(path):\(error.line):\(error.column)", message: "not a JSON STIX bundle: \(error.reason)",
                                      hint: Self.bundleHint))
            return
        }
        let root = tree.root
        guard tree.kind(root) == .object else { error(nil, "not a JSON STIX bundle", hint: Self.bundleHint); return }
        let list = tree.member(root, "objects")
        guard tree.member(root, "type").map({ tree.equals($0, "bundle") }) == true, let list, tree.kind(list) == .array,
              tree.elements(list).allSatisfy({ tree.kind($0) == .object }) else {
            error(tree.member(root, "id").flatMap(tree.string), "not a STIX bundle: no type 'bundle' with objects"); return
        }
        var objects: [BundleObject] = []
        objects.reserveCapacity(tree.count(list))
        for node in tree.elements(list) { objects.append(BundleObject(node, in: tree)) }
        var graph = STIXActorGraph(objects, tree)
        // Resolving an actor object depends only on it and on `actors`: remember the answer
        // until `actors` changes.
        var resolved: [Int: String] = [:]
        var tokens: [STIXPattern.Token] = []
        for (i, o) in objects.enumerated() where o.kind == .indicator {
            let id = o.id.flatMap(tree.string) ?? "?"
            guard let pattern = o.pattern, tree.kind(pattern) == .string else { error(id, "indicator without a pattern"); continue }
            if let typeNode = o.patternType, let type = tree.string(typeNode), type != "stix" {
                error(id, "pattern_type '\(type)' is not supported", hint: "only STIX patterns"); continue
            }
            let terms: [STIXPattern.Term]
            do {
                terms = try STIXPattern.parse(tree.text(pattern)!, tokens: &tokens)
            } catch let failure {
                error(id, "unsupported pattern \(tree.string(pattern)!): \(failure.message)",
                      hint: "Spoor matches [ipv4-addr:value = '…'], ipv6-addr, domain-name, email-addr, autonomous-system:number, network-traffic:src_ref.value, joined by OR, with = or ISSUBSET")
                continue
            }
            var actorID = fallbackActor
            if let a = graph.actorObject(fromIndicator: i) {
                if let known = resolved[a] { actorID = known } else {
                    let r = resolve(objects[a].node, in: tree, actors: &actors)
                    if r.added { resolved.removeAll() }
                    resolved[a] = r.id
                    actorID = r.id
                }
            }
            guard let actor = actorID else {
                error(id, "indicator is linked to no threat-actor or intrusion-set",
                      hint: "add an 'indicates' relationship in the bundle, or give the indicator rule an actor:"); continue
            }
            let from = o.validFrom.flatMap { Self.time($0, in: tree) } ?? .min
            let until = o.validUntil.flatMap { Self.time($0, in: tree) } ?? .max
            if let v = o.validFrom, tree.kind(v) == .string, Self.time(v, in: tree) == nil { error(id, "valid_from is not a timestamp") }
            let entry = index.entries.count
            index.entries.append(TimedIndicator(stixID: id, ruleID: ruleID, actor: actor, confidence: confidence,
                                                validFrom: from, validUntil: until))
            let label = String(entry)
            for term in terms {
                switch term {
                case .network(let cidr): _ = index.networks.insert(cidr: cidr, label: label)
                case .asn(let n): index.asns[n, default: []].append(entry)
                case .domain(let d): index.domains[d.lowercased(), default: []].append(entry)
                case .email(let e): index.emails[e.lowercased(), default: []].append(entry)
                }
            }
        }
    }

    /// The Spoor actor of a bundle's threat-actor / intrusion-set: a known one with the same
    /// name, alias or MITRE id, else a new one made from the object (`added`).
    func resolve(_ o: JSONTree.Node, in tree: JSONTree, actors: inout [String: Actor]) -> (id: String, added: Bool) {
        let name = tree.member(o, "name").flatMap(tree.string) ?? (tree.member(o, "id").flatMap(tree.string) ?? "unknown")
        let aliases = tree.member(o, "aliases").flatMap(tree.strings) ?? []
        var mitre: String?
        if let refs = tree.member(o, "external_references"), tree.kind(refs) == .array,
           tree.elements(refs).allSatisfy({ tree.kind($0) == .object }) {
            for r in tree.elements(refs) {
                guard let source = tree.member(r, "source_name").flatMap(tree.string), source.hasPrefix("mitre"),
                      let external = tree.member(r, "external_id").flatMap(tree.string) else { continue }
                mitre = external
                break
            }
        }
        let names = Set(([name] + aliases + (mitre.map { [$0] } ?? [])).map { $0.lowercased() })
        for (id, a) in actors.sorted(by: { $0.key < $1.key }) {
            let known = Set(([a.id, a.name] + a.aliases + (a.mitre.map { [$0] } ?? [])).map { $0.lowercased() })
            if !known.isDisjoint(with: names) { return (id, false) }
        }
        let id = name.lowercased().replacingOccurrences(of: " ", with: "-")
        actors[id] = Actor(id: id, name: name, aliases: aliases, mitre: mitre,
                           description: tree.member(o, "description").flatMap(tree.string), references: [])
        return (id, true)
    }

    /// `2026-01-01T00:00:00Z`, with or without fractions or an offset, in µs; nil for a
    /// value that is not such a string.
    static func time(_ node: JSONTree.Node, in tree: JSONTree) -> Int64? {
        tree.text(node).flatMap { Timestamps.iso8601($0, clock: utc)?.micros }
    }

    nonisolated(unsafe) static let utc = ZoneClock(zone: TimeZone(identifier: "UTC")!)
}
