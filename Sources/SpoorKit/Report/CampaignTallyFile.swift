import Foundation

/// `_campaign.json`: the tally as compact JSON, written and read by hand. The tally keeps
/// every source address and account (tens of thousands for a month of a provider's logs),
/// and Foundation's JSON coders spent seconds and hundreds of MB on it; these run at the
/// speed of the bytes. The layout is the one `Codable` gives (same keys), so older files load.
public enum CampaignTallyFile {
    public static func encode(_ tally: CampaignTally) -> [UInt8] {
        var all: [UInt8] = []
        encode(tally) { all.append(contentsOf: $0) }
        return all
    }

    /// The same, handed to `write` a megabyte or so at a time: a month's tally is tens of MB,
    /// and one buffer of all of it, grown by doubling, held up to twice that at the job's end.
    public static func encode(_ tally: CampaignTally, _ write: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var w = Writer()
        func drain(atLeast: Int) throws {
            guard w.out.count >= atLeast else { return }
            try write(w.out.bytes)
            w.out.removeAll()
        }
        w.byte(0x7B)
        for (name, entries) in [("actors", tally.actors), ("sources", tally.sources)] {
            w.key(name, first: name == "actors")
            w.byte(0x7B)
            for (i, k) in entries.keys.sorted().enumerated() {
                w.key(k, first: i == 0)
                w.counts(entries[k]!)
                try drain(atLeast: 1 << 20)
            }
            w.byte(0x7D)
        }
        if !tally.findings.isEmpty {
            w.key("findings")
            w.map(tally.findings) { w, g in w.findingGroup(g) }
        }
        w.byte(0x7D)
        w.byte(0x0A)
        try drain(atLeast: 1)
    }

    public static func decode(_ bytes: [UInt8]) throws -> CampaignTally {
        try bytes.withUnsafeBufferPointer { buffer in
            var r = Reader(b: buffer)
            var tally = CampaignTally()
            try r.object { r, key in
                switch key {
                case "actors": try r.object { r, id in tally.actors[id] = try r.counts() }
                case "sources": try r.object { r, ip in tally.sources[ip] = try r.counts() }
                case "findings": try r.object { r, key in tally.findings[key] = try r.findingGroup() }
                default: try r.skip()
                }
            }
            // Before per-source tallies, the unattributed rest was one pseudo-actor.
            if let rest = tally.actors.removeValue(forKey: "unattributed") { tally.sources["", default: .init(id: "")].merge(rest) }
            return tally
        }
    }

    public struct Malformed: Error, CustomStringConvertible {
        public let offset: Int
        public var description: String { "malformed campaign tally at byte \(offset)" }
    }

    /// Strings and numbers are written as the events' JSON writes them (`JSONWriter`).
    struct Writer: ~Copyable {
        var out = ByteBuffer(capacity: 1 << 20)

        mutating func byte(_ b: UInt8) { out.append(b) }

        mutating func key(_ k: String, first: Bool = false) {
            if !first { out.append(0x2C) }
            string(k)
            out.append(0x3A)
        }

        mutating func string(_ s: String) {
            var s = s
            s.withUTF8 { JSONWriter.appendString(Bytes($0), &out) }
        }

        mutating func int<I: BinaryInteger>(_ n: I) { JSONWriter.appendInt(Int64(n), &out) }

        mutating func strings<S: Sequence<String>>(_ s: S) {
            out.append(0x5B)
            var first = true
            for x in s.sorted() {
                if !first { out.append(0x2C) }
                first = false
                string(x)
            }
            out.append(0x5D)
        }

        mutating func map<V>(_ m: [String: V], _ value: (inout Writer, V) -> Void) {
            out.append(0x7B)
            var first = true
            for k in m.keys.sorted() {
                key(k, first: first)
                first = false
                value(&self, m[k]!)
            }
            out.append(0x7D)
        }

        mutating func findingGroup(_ g: CampaignFindingGroup) {
            out.append(0x7B)
            key("rule", first: true); string(g.rule)
            if let t = g.technique { key("technique"); string(t) }
            key("group"); string(g.group)
            if let a = g.actor { key("actor"); string(a) }
            key("findings"); int(g.findings)
            key("events"); int(g.events)
            key("first"); int(g.first)
            key("last"); int(g.last)
            key("ids"); strings(g.ids)
            key("sources"); strings(g.sources)
            out.append(0x7D)
        }

        mutating func counts(_ c: CampaignTally.Counts) {
            out.append(0x7B)
            key("id", first: true); string(c.id)
            if let n = c.name { key("name"); string(n) }
            if !c.aliases.isEmpty {
                key("aliases")
                out.append(0x5B)
                for (i, a) in c.aliases.enumerated() { if i > 0 { out.append(0x2C) }; string(a) }
                out.append(0x5D)
            }
            if c.probeAttempts != 0 { key("probeAttempts"); int(c.probeAttempts) }
            if c.attackAttempts != 0 { key("attackAttempts"); int(c.attackAttempts) }
            if c.failedAttacks != 0 { key("failedAttacks"); int(c.failedAttacks) }
            if !c.probed.isEmpty { key("probed"); strings(c.probed) }
            if !c.attacked.isEmpty { key("attacked"); strings(c.attacked) }
            if !c.compromised.isEmpty { key("compromised"); strings(c.compromised) }
            if !c.compromises.isEmpty {
                key("compromises")
                map(c.compromises) { w, x in
                    w.byte(0x7B)
                    w.key("time", first: true); w.int(x.time)
                    w.key("source"); w.string(x.source)
                    w.key("event"); w.string(x.event)
                    w.byte(0x7D)
                }
            }
            if c.firstSeen != .max { key("firstSeen"); int(c.firstSeen) }
            if c.lastSeen != .min { key("lastSeen"); int(c.lastSeen) }
            if !c.sources.isEmpty {
                key("sources")
                map(c.sources) { w, s in
                    w.byte(0x7B)
                    w.key("events", first: true); w.int(s.events)
                    if let a = s.asn { w.key("asn"); w.int(a) }
                    if let k = s.country { w.key("country"); w.string(k) }
                    if let r = s.rule { w.key("rule"); w.string(r) }
                    w.byte(0x7D)
                }
            }
            if !c.asNames.isEmpty { key("asNames"); map(c.asNames) { w, v in w.string(v) } }
            if !c.userAgents.isEmpty { key("userAgents"); map(c.userAgents) { w, v in w.int(v) } }
            if !c.rules.isEmpty { key("rules"); map(c.rules) { w, v in w.int(v) } }
            if !c.days.isEmpty {
                // As Codable writes an Int-keyed dictionary: an object with the numbers as keys.
                key("days")
                out.append(0x7B)
                for (i, day) in c.days.keys.sorted().enumerated() {
                    key(String(day), first: i == 0)
                    let d = c.days[day]!
                    out.append(0x7B)
                    key("probes", first: true); int(d.probes)
                    key("attacks"); int(d.attacks)
                    key("compromises"); int(d.compromises)
                    out.append(0x7D)
                }
                out.append(0x7D)
            }
            out.append(0x7D)
        }
    }

    /// A strict reader of the JSON the writer makes (and of any JSON: unknown keys are skipped).
    struct Reader {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0

        func fail() -> Malformed { Malformed(offset: i) }

        mutating func space() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        }

        mutating func expect(_ c: UInt8) throws {
            space()
            guard i < b.count, b[i] == c else { throw fail() }
            i += 1
        }

        mutating func peek() -> UInt8? {
            space()
            return i < b.count ? b[i] : nil
        }

        mutating func object(_ body: (inout Reader, String) throws -> Void) throws {
            try expect(0x7B)
            if peek() == 0x7D { i += 1; return }
            while true {
                let k = try string()
                try expect(0x3A)
                try body(&self, k)
                guard let c = peek() else { throw fail() }
                i += 1
                if c == 0x7D { return }
                guard c == 0x2C else { throw fail() }
            }
        }

        mutating func array(_ body: (inout Reader) throws -> Void) throws {
            try expect(0x5B)
            if peek() == 0x5D { i += 1; return }
            while true {
                try body(&self)
                guard let c = peek() else { throw fail() }
                i += 1
                if c == 0x5D { return }
                guard c == 0x2C else { throw fail() }
            }
        }

        mutating func string() throws -> String {
            try expect(0x22)
            let start = i
            var plain = true
            while i < b.count, b[i] != 0x22 {
                if b[i] == 0x5C { plain = false; i += 1 }
                i += 1
            }
            guard i < b.count else { throw fail() }
            defer { i += 1 }
            if plain { return String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self) }
            var out: [UInt8] = []
            JSONIndex.unescape(Bytes(rebasing: UnsafeRawBufferPointer(b)[start..<i]), into: &out)
            return String(decoding: out, as: UTF8.self)
        }

        mutating func int() throws -> Int64 {
            space()
            var n: Int64 = 0, negative = false, digits = 0
            if i < b.count, b[i] == 0x2D { negative = true; i += 1 }
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                n = n &* 10 &+ Int64(b[i] - 0x30)
                i += 1
                digits += 1
            }
            guard digits > 0 else { throw fail() }
            return negative ? -n : n
        }

        mutating func skip() throws {
            switch peek() {
            case 0x7B: try object { r, _ in try r.skip() }
            case 0x5B: try array { r in try r.skip() }
            case 0x22: _ = try string()
            case 0x74, 0x66, 0x6E:
                while i < b.count, b[i] >= 0x61, b[i] <= 0x7A { i += 1 }
            default:
                while i < b.count, b[i] == 0x2D || b[i] == 0x2B || b[i] == 0x2E || b[i] == 0x45 || b[i] == 0x65 || (b[i] >= 0x30 && b[i] <= 0x39) { i += 1 }
            }
        }

        mutating func stringSet() throws -> Set<String> {
            var s = Set<String>()
            try array { r in s.insert(try r.string()) }
            return s
        }

        mutating func findingGroup() throws -> CampaignFindingGroup {
            var g = CampaignFindingGroup(rule: "", technique: nil, group: "", actor: nil)
            try object { r, key in
                switch key {
                case "rule": g.rule = try r.string()
                case "technique": g.technique = try r.string()
                case "group": g.group = try r.string()
                case "actor": g.actor = try r.string()
                case "findings": g.findings = Int(try r.int())
                case "events": g.events = Int(try r.int())
                case "first": g.first = try r.int()
                case "last": g.last = try r.int()
                case "ids": try r.array { r in g.ids.append(try r.string()) }
                case "sources": try r.array { r in g.sources.append(try r.string()) }
                default: try r.skip()
                }
            }
            return g
        }

        mutating func counts() throws -> CampaignTally.Counts {
            var c = CampaignTally.Counts(id: "")
            try object { r, key in
                switch key {
                case "id": c.id = try r.string()
                case "name": c.name = try r.string()
                case "aliases": try r.array { r in c.aliases.append(try r.string()) }
                case "probeAttempts": c.probeAttempts = Int(try r.int())
                case "attackAttempts": c.attackAttempts = Int(try r.int())
                case "failedAttacks": c.failedAttacks = Int(try r.int())
                case "probed": c.probed = try r.stringSet()
                case "attacked": c.attacked = try r.stringSet()
                case "compromised": c.compromised = try r.stringSet()
                case "compromises":
                    try r.object { r, account in
                        var x = CampaignTally.Counts.Compromise(time: 0, source: "", event: "")
                        try r.object { r, k in
                            switch k {
                            case "time": x.time = try r.int()
                            case "source": x.source = try r.string()
                            case "event": x.event = try r.string()
                            default: try r.skip()
                            }
                        }
                        c.compromises[account] = x
                    }
                case "firstSeen": c.firstSeen = try r.int()
                case "lastSeen": c.lastSeen = try r.int()
                case "sources":
                    try r.object { r, ip in
                        var s = CampaignTally.Counts.Source()
                        try r.object { r, k in
                            switch k {
                            case "events": s.events = Int(try r.int())
                            case "asn": s.asn = try r.int()
                            case "country": s.country = try r.string()
                            case "rule": s.rule = try r.string()
                            default: try r.skip()
                            }
                        }
                        c.sources[ip] = s
                    }
                case "asNames": try r.object { r, k in c.asNames[k] = try r.string() }
                case "userAgents": try r.object { r, k in c.userAgents[k] = Int(try r.int()) }
                case "rules": try r.object { r, k in c.rules[k] = Int(try r.int()) }
                case "days":
                    try r.object { r, k in
                        guard let day = Int(k) else { throw r.fail() }
                        var d = CampaignTally.Counts.Day()
                        try r.object { r, k in
                            switch k {
                            case "probes": d.probes = Int(try r.int())
                            case "attacks": d.attacks = Int(try r.int())
                            case "compromises": d.compromises = Int(try r.int())
                            default: try r.skip()
                            }
                        }
                        c.days[day] = d
                    }
                default: try r.skip()
                }
            }
            return c
        }
    }
}
