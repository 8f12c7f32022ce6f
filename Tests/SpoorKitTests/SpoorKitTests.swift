import Foundation
import Testing
import SpoorKit

// MARK: - Pattern

@Suite("Pattern")
struct PatternTests {
    @Test("A bad pattern throws PatternError with the offset and the pattern in its description")
    func badPattern() {
        do {
            _ = try Pattern("a(b")
            Issue.record("'a(b' compiled")
        } catch {
            #expect(error.pattern == "a(b")
            #expect(error.offset == 3)
            #expect(!error.message.isEmpty)
            let text = error.description
            #expect(text.contains("offset 3"))
            #expect(text.contains("a(b"))
            #expect(text.contains(error.message))
            // The caret sits under the offset.
            #expect(text.hasSuffix("\n  " + String(repeating: " ", count: 3) + "^"))
        }
    }

    @Test("Named groups are resolved to their numbers and give the matched slices")
    func namedGroups() throws {
        let p = try Pattern(#"^Failed password for (?<user>\S+) from (?<ip>[0-9.]+) port (?<port>\d+)"#)
        #expect(p.group("user") == 1)
        #expect(p.group("ip") == 2)
        #expect(p.group("port") == 3)
        #expect(p.group("nope") == nil)
        #expect(p.groups == ["user": 1, "ip": 2, "port": 3])
        let scratch = MatchScratch()
        withBytes(of: "Failed password for root from 10.0.0.7 port 5022 ssh2") { subject in
            guard let m = p.match(subject, scratch) else {
                Issue.record("no match")
                return
            }
            #expect(m[p.group("user")!]?.string == "root")
            #expect(m[p.group("ip")!]?.string == "10.0.0.7")
            #expect(m[p.group("port")!]?.string == "5022")
            #expect(m[0]?.string == "Failed password for root from 10.0.0.7 port 5022")
            #expect(m[10] == nil)
        }
        withBytes(of: "Accepted password for root") { #expect(p.match($0, scratch) == nil) }
        #expect(scratch.errors == 0)
    }

    @Test("An optional group that did not take part is nil")
    func unsetGroup() throws {
        let p = try Pattern(#"^user (?<name>\w+)(?: uid=(?<uid>\d+))?(?<end>!)"#)
        let scratch = MatchScratch()
        withBytes(of: "user bob!") { subject in
            let m = p.match(subject, scratch)
            #expect(m?[p.group("name")!]?.string == "bob")
            #expect(m?[p.group("uid")!] == nil)
            #expect(m?[p.group("end")!]?.string == "!")
        }
    }

    @Test("Subjects with invalid UTF-8 bytes are matched as bytes")
    func invalidUTF8Subject() throws {
        let p = try Pattern(#"user (?<name>\S+) from (?<ip>\S+)$"#)
        let subject: [UInt8] = Array("invalid user ".utf8) + [0xFF, 0xC3, 0x28, 0x80] + Array(" from 1.2.3.4".utf8)
        let scratch = MatchScratch()
        subject.withUnsafeBytes { b in
            let m = p.match(b, scratch)
            #expect(m != nil)
            #expect(m?[p.group("name")!].map { Array($0) } == [0xFF, 0xC3, 0x28, 0x80])
            #expect(m?[p.group("ip")!]?.string == "1.2.3.4")
        }
        #expect(scratch.errors == 0)
    }

    @Test("Caseless option")
    func caseless() throws {
        let p = try Pattern("error", options: .caseless)
        let scratch = MatchScratch()
        withBytes(of: "An ERROR happened") { #expect(p.match($0, scratch)?[0]?.string == "ERROR") }
        let strict = try Pattern("error")
        withBytes(of: "An ERROR happened") { #expect(strict.match($0, scratch) == nil) }
    }

    @Test("A catastrophic pattern hits the match limit and fails the record instead of hanging", .timeLimit(.minutes(1)))
    func catastrophicPattern() throws {
        let p = try Pattern("^(a+)+$")
        let scratch = MatchScratch()
        let subject = String(repeating: "a", count: 30) + "b"
        let clock = ContinuousClock()
        let start = clock.now
        let result = withBytes(of: subject) { p.match($0, scratch) != nil }
        let elapsed = clock.now - start
        #expect(result == false)
        #expect(scratch.errors == 1, "the failure is counted as a limit hit, not as a plain non-match")
        #expect(elapsed < .seconds(3))
        // The scratch is still usable afterwards.
        withBytes(of: "aaaa") { #expect(p.match($0, scratch)?[1]?.string == "aaaa") }
    }

    @Test("The scratch's match limit is the one applied")
    func matchLimitIsHonoured() throws {
        let p = try Pattern("^(a+)+$")
        // 12 'a's and a 'b': a few thousand backtracks, a plain non-match under the default limit...
        let subject = String(repeating: "a", count: 12) + "b"
        let roomy = MatchScratch()
        withBytes(of: subject) { #expect(p.match($0, roomy) == nil) }
        #expect(roomy.errors == 0)
        // ...and a limit hit under a limit of 100.
        let tight = MatchScratch(matchLimit: 100)
        withBytes(of: subject) { #expect(p.match($0, tight) == nil) }
        #expect(tight.errors == 1)
        withBytes(of: "aaa") { #expect(p.match($0, tight) != nil) }
    }
}

// MARK: - CivilTime

@Suite("CivilTime")
struct CivilTimeTests {
    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }
    static func monthLength(_ y: Int, _ m: Int) -> Int {
        [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
    }

    @Test("days(year:month:day:) and date(days:) agree with a day-by-day calendar over 1900...2100")
    func roundTrip() {
        var day = CivilTime.days(year: 1900, month: 1, day: 1)
        // 1900-01-01 is 25567 days before the epoch.
        #expect(day == -25_567)
        #expect(CivilTime.days(year: 1970, month: 1, day: 1) == 0)
        var mismatches = 0
        for y in 1900...2100 {
            for m in 1...12 {
                for d in 1...Self.monthLength(y, m) {
                    if CivilTime.days(year: y, month: m, day: d) != day || CivilTime.date(days: day) != (y, m, d) {
                        mismatches += 1
                        if mismatches < 5 { Issue.record("mismatch at \(y)-\(m)-\(d) (day \(day))") }
                    }
                    day += 1
                }
            }
        }
        #expect(mismatches == 0)
        #expect(CivilTime.date(days: day) == (2101, 1, 1))
    }

    @Test("Leap days: 2000-02-29 exists, 1900 and 2100 have none")
    func leapDays() {
        let feb29 = CivilTime.days(year: 2000, month: 2, day: 29)
        #expect(feb29 == 11_016)
        #expect(CivilTime.date(days: feb29) == (2000, 2, 29))
        #expect(CivilTime.date(days: feb29 + 1) == (2000, 3, 1))
        #expect(CivilTime.date(days: CivilTime.days(year: 1900, month: 2, day: 28) + 1) == (1900, 3, 1))
        #expect(CivilTime.date(days: CivilTime.days(year: 2100, month: 2, day: 28) + 1) == (2100, 3, 1))
    }

    @Test("appendISO8601 of negative and positive µs values")
    func iso8601() {
        var out = Array("x=".utf8)
        CivilTime.appendISO8601(micros: -1, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "x=1969-12-31T23:59:59.999999Z")

        #expect(CivilTime.iso8601(micros: -1_500_000) == "1969-12-31T23:59:58.500000Z")
        #expect(CivilTime.iso8601(micros: -86_400_000_000) == "1969-12-31T00:00:00.000000Z")
        #expect(CivilTime.iso8601(micros: -86_400_000_001) == "1969-12-30T23:59:59.999999Z")
        #expect(CivilTime.iso8601(micros: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(CivilTime.iso8601(micros: 1_700_000_000_123_456) == "2023-11-14T22:13:20.123456Z")
        #expect(CivilTime.iso8601(micros: 951_782_400_000_001) == "2000-02-29T00:00:00.000001Z")
    }
}

// MARK: - Timestamps

@Suite("Timestamps")
struct TimestampTests {
    /// Seconds since the epoch by Foundation's calendar (an independent oracle).
    static func epoch(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int, zone: String = "UTC") -> Int64 {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: zone)!
        let date = cal.date(from: DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: s))!
        return Int64(date.timeIntervalSince1970)
    }

    @Test("rfc3164: space-padded and zero-padded days, fractions, junk refused")
    func rfc3164() {
        withBytes(of: "Sep  3 14:02:11 host sshd[1]: x") { b in
            let t = Timestamps.rfc3164(b)
            #expect(t?.month == 9)
            #expect(t?.day == 3)
            #expect(t?.secondOfDay == 14 * 3600 + 2 * 60 + 11)
            #expect(t?.micros == 0)
            #expect(t?.length == 15)
        }
        withBytes(of: "Sep  3 14:02:11") { #expect(Timestamps.rfc3164($0)?.length == 15) }
        withBytes(of: "Sep 03 14:02:11.123456 host") { b in
            let t = Timestamps.rfc3164(b)
            #expect(t?.month == 9)
            #expect(t?.day == 3)
            #expect(t?.secondOfDay == 50_531)
            #expect(t?.micros == 123_456)
            #expect(t?.length == 22)
        }
        withBytes(of: "Dec 31 23:59:59.5") { #expect(Timestamps.rfc3164($0)?.micros == 500_000) }
        withBytes(of: "jan 13 00:00:00") { #expect(Timestamps.rfc3164($0)?.month == 1) }
        for bad in ["Foo 3 14:02:11", "Foo  3 14:02:11 host", "Sep 32 14:02:11", "Sep  3 24:02:11",
                    "Sep  3 14:61:11", "Sep  3 14-02-11", "Sep  0 14:02:11", ""] {
            withBytes(of: bad) { #expect(Timestamps.rfc3164($0) == nil, "\(bad)") }
        }
    }

    @Test("iso8601: Z, +02:00, -0400, fractions")
    func iso8601WithOffsets() {
        let utc = ZoneClock(zone: TimeZone(identifier: "UTC")!)
        let base = Self.epoch(2024, 3, 10, 12, 34, 56)
        withBytes(of: "2024-03-10T12:34:56Z rest") { b in
            let t = Timestamps.iso8601(b, clock: utc)
            #expect(t?.micros == base * 1_000_000)
            #expect(t?.length == 20)
        }
        withBytes(of: "2024-03-10T12:34:56.250Z") { b in
            #expect(Timestamps.iso8601(b, clock: utc)?.micros == base * 1_000_000 + 250_000)
        }
        withBytes(of: "2024-03-10T12:34:56+02:00 rest") { b in
            let t = Timestamps.iso8601(b, clock: utc)
            #expect(t?.micros == (base - 7200) * 1_000_000)
            #expect(t?.length == 25)
        }
        withBytes(of: "2024-03-10 12:34:56.123456-0400") { b in
            let t = Timestamps.iso8601(b, clock: utc)
            #expect(t?.micros == (base + 4 * 3600) * 1_000_000 + 123_456)
            #expect(t?.length == 31)
        }
        withBytes(of: "2024-03-10T12:34:56+0530") { b in
            #expect(Timestamps.iso8601(b, clock: utc)?.micros == (base - 5 * 3600 - 30 * 60) * 1_000_000)
        }
        for bad in ["2024-13-10T12:34:56Z", "2024-03-10X12:34:56Z", "2024/03/10T12:34:56Z", "2024-03-10T12:34", "x"] {
            withBytes(of: bad) { #expect(Timestamps.iso8601($0, clock: utc) == nil, "\(bad)") }
        }
    }

    @Test("iso8601 without offset is read in the clock's zone (Europe/Berlin, summer and winter)")
    func iso8601LocalZone() {
        let berlin = ZoneClock(zone: TimeZone(identifier: "Europe/Berlin")!)
        withBytes(of: "2024-07-01T12:00:00 message") { b in
            let t = Timestamps.iso8601(b, clock: berlin)
            #expect(t?.micros == Self.epoch(2024, 7, 1, 10, 0, 0) * 1_000_000)   // CEST, +02:00
            #expect(t?.length == 19)
        }
        withBytes(of: "2024-01-15 12:00:00.5") { b in
            #expect(Timestamps.iso8601(b, clock: berlin)?.micros == Self.epoch(2024, 1, 15, 11, 0, 0) * 1_000_000 + 500_000)
        }
        #expect(Self.epoch(2024, 7, 1, 12, 0, 0, zone: "Europe/Berlin") == Self.epoch(2024, 7, 1, 10, 0, 0))
        // An explicit offset wins over the clock's zone.
        withBytes(of: "2024-07-01T12:00:00Z") { b in
            #expect(Timestamps.iso8601(b, clock: berlin)?.micros == Self.epoch(2024, 7, 1, 12, 0, 0) * 1_000_000)
        }
    }
}

// MARK: - YearResolver

@Suite("YearResolver")
struct YearResolverTests {
    @Test("Reference 2026-01-03: December goes to the old year, early January to the new one")
    func aroundNewYear() {
        let r = YearResolver(referenceYear: 2026, month: 1, day: 3)
        #expect(r.year(month: 12, day: 31) == 2025)
        #expect(r.year(month: 6, day: 15) == 2025)
        #expect(r.year(month: 1, day: 1) == 2026)
        #expect(r.year(month: 1, day: 2) == 2026)
        #expect(r.year(month: 1, day: 3) == 2026)
        #expect(r.year(month: 1, day: 4) == 2026)   // a day of slack
        #expect(r.year(month: 1, day: 5) == 2025)
    }

    @Test("A pinned year is always that year")
    func pinned() {
        let r = YearResolver(pinnedYear: 2019)
        for month in 1...12 {
            #expect(r.year(month: month, day: 1) == 2019)
            #expect(r.year(month: month, day: 31) == 2019)
        }
    }
}

// MARK: - JSONWriter and Base64

@Suite("JSON output")
struct JSONOutputTests {
    /// `JSONWriter.appendString` of `bytes`, as bytes.
    static func json(_ bytes: [UInt8]) -> [UInt8] {
        var out = ByteBuffer(capacity: 16)
        bytes.withUnsafeBytes { SpoorKit.JSONWriter.appendString($0, &out) }
        return out.array
    }

    @Test("appendString escapes quotes, backslash and control characters")
    func escapes() {
        let out = Self.json(Array("say \"hi\" \\ a\nb\rc\td".utf8) + [0x00, 0x01, 0x1F, 0x7F])
        #expect(String(decoding: out, as: UTF8.self) == #""say \"hi\" \\ a\nb\rc\td\u0000\u0001\u001f"# + "\u{7F}\"")
    }

    @Test("appendString keeps valid multi-byte UTF-8 and turns each invalid byte into U+FFFD")
    func utf8Repair() throws {
        let valid = Array("é € 😀 ü".utf8)
        #expect(Self.json(valid) == [0x22] + valid + [0x22])

        let input: [UInt8] = Array("a".utf8)
            + [0xFF]                     // never valid
            + Array("b".utf8)
            + [0xE2, 0x82, 0x41]         // truncated 3-byte sequence, then 'A'
            + [0xC0, 0x80]               // overlong NUL
            + [0xED, 0xA0, 0x80]         // UTF-16 surrogate
            + [0xF4, 0x90, 0x80, 0x80]   // above U+10FFFF
            + Array("é".utf8)
            + [0xC3]                     // lead byte cut at the end
        let out = Self.json(input)
        let r = "\u{FFFD}"
        let expected = "a" + r + "b" + r + r + "A" + r + r + r + r + r + r + r + r + r + "é" + r
        #expect(String(decoding: out, as: UTF8.self) == "\"" + expected + "\"")

        // The output is valid UTF-8 and valid JSON that decodes to the repaired text.
        #expect(Array(String(decoding: out, as: UTF8.self).utf8) == out)   // nothing needed repair
        let array = try JSONSerialization.jsonObject(with: Data([0x5B] + out + [0x5D])) as? [String]
        #expect(array == [expected])
    }

    @Test("appendString output round-trips through JSONSerialization for every byte value")
    func everyByte() throws {
        let input = (0...255).map { UInt8($0) }
        let out = Self.json(input)
        let array = try JSONSerialization.jsonObject(with: Data([0x5B] + out + [0x5D])) as? [String]
        let expected = String(decoding: Array(input[0..<128]), as: UTF8.self) + String(repeating: "\u{FFFD}", count: 128)
        #expect(array == [expected])
    }

    @Test("A character needing an escape is found at every position of an ASCII run of every length")
    func escapeAtEveryPosition() throws {
        // Short values and the tails of long ones are read as words or sixteen-byte vectors of
        // overlapping loads.
        for special: UInt8 in [0x22, 0x5C, 0x0A, 0x01, 0x1F, 0x7F, 0xFF] {
            for length in 1...40 {
                for position in 0..<length {
                    var input = [UInt8](repeating: 0x61, count: length)
                    input[position] = special
                    let out = Self.json(input)
                    let array = try JSONSerialization.jsonObject(with: Data([0x5B] + out + [0x5D])) as? [String]
                    let replaced = special == 0xFF ? "\u{FFFD}" : String(UnicodeScalar(special))
                    let expected = String(repeating: "a", count: position) + replaced + String(repeating: "a", count: length - 1 - position)
                    #expect(array == [expected], "byte \(special) at \(position) of \(length)")
                }
            }
        }
        // Plain ASCII of every length is copied as it is.
        for length in 0..<33 {
            let input = Array("The quick brown fox jumps over the lazy dog".utf8.prefix(length))
            #expect(Self.json(input) == [0x22] + input + [0x22])
        }
        // A run of bytes 0x20...0x7F with no specials, across the eight- and sixteen-byte boundaries.
        let printable = (0x20...0x7E).map { UInt8($0) }.filter { $0 != 0x22 && $0 != 0x5C }
        #expect(Self.json(printable) == [0x22] + printable + [0x22])
    }

    @Test("Base64.append equals Foundation's base64 for every length 0...40 and a large buffer")
    func base64() {
        var generator = SystemRandomNumberGenerator()
        var lengths = Array(0...40)
        lengths.append(10_000)
        for n in lengths {
            let data = (0..<n).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var out = Array("prefix:".utf8)
            Base64.append(data, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == "prefix:" + Data(data).base64EncodedString(), "length \(n)")
        }
        var out: [UInt8] = []
        Base64.append(Array("Man".utf8) + Array("Ma".utf8), to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "TWFuTWE=")
    }
}

// MARK: - PluginConfig

@Suite("PluginConfig")
struct PluginConfigTests {
    static let manifest = PluginManifest(
        id: "demo", kind: .parser, version: "1.0.0", summary: "test",
        options: [
            OptionSpec("paths", .list, default: .list(["-"]), "Files to read."),
            OptionSpec("workers", .int, default: .int(4), "Worker threads."),
            OptionSpec("strict", .bool, "Refuse unknown lines."),
            OptionSpec("zone", .string, default: .string("UTC"), "Time zone."),
        ])

    @Test("An unknown key near a known one is refused with a 'did you mean' hint")
    func unknownKeyNearMiss() {
        let config = PluginConfig(["pathz": .list(["a"])], origin: "job.yaml:12")
        let error = #expect(throws: ConfigError.self) { try config.validated(for: Self.manifest) }
        #expect(error?.origin == "job.yaml:12")
        #expect(error?.message.contains("'pathz'") == true)
        #expect(error?.hint == "did you mean 'paths'?")
        #expect(error?.description.contains("job.yaml:12") == true)
        #expect(error?.description.contains("did you mean 'paths'?") == true)

        let other = #expect(throws: ConfigError.self) { try PluginConfig(["worker": .int(2)]).validated(for: Self.manifest) }
        #expect(other?.hint == "did you mean 'workers'?")
    }

    @Test("An unknown key far from every option lists the options instead")
    func unknownKeyFarOff() {
        do {
            _ = try PluginConfig(["completelydifferent": .bool(true)]).validated(for: Self.manifest)
            Issue.record("accepted")
        } catch {
            #expect(error.hint?.contains("did you mean") == false)
            #expect(error.hint == "its options: paths, workers, strict, zone")
        }
        let none = PluginManifest(id: "bare", kind: .framer, version: "1", summary: "no options")
        do {
            _ = try PluginConfig(["x": .int(1)]).validated(for: none)
            Issue.record("accepted")
        } catch {
            #expect(error.hint == "it takes no options")
        }
    }

    @Test("A value of the wrong type is refused, naming the key and both types")
    func wrongType() {
        do {
            _ = try PluginConfig(["workers": .string("four")]).validated(for: Self.manifest)
            Issue.record("accepted")
        } catch {
            #expect(error.message.contains("'workers'"))
            #expect(error.message.contains("int"))
            #expect(error.message.contains("string"))
            #expect(error.message.contains("four"))
            #expect(error.hint == "Worker threads.")
        }
        #expect(throws: ConfigError.self) { try PluginConfig(["paths": .string("a.log")]).validated(for: Self.manifest) }
    }

    @Test("Defaults are filled for absent keys; given values are kept")
    func defaults() throws {
        let v = try PluginConfig(["workers": .int(8), "strict": .bool(true)], origin: "cli").validated(for: Self.manifest)
        #expect(v.int("workers") == 8)
        #expect(v.bool("strict") == true)
        #expect(v.list("paths") == ["-"])
        #expect(v.string("zone") == "UTC")
        #expect(v.origin == "cli")
        let empty = try PluginConfig().validated(for: Self.manifest)
        #expect(empty.values == ["paths": .list(["-"]), "workers": .int(4), "zone": .string("UTC")])
        #expect(empty.bool("strict") == nil)
        // Typed getters refuse the other kinds.
        #expect(empty.string("workers") == nil)
        #expect(empty.int("zone") == nil)
    }
}

// MARK: - Schema

@Suite("Schema")
struct SchemaTests {
    @Test("field(named:) finds every field by its name, and names are unique")
    func names() {
        for field in Field.allCases {
            #expect(Schema.field(named: field.name) == field, "\(field)")
        }
        let names = Field.allCases.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(Schema.field(named: "@timestamp") == .timestamp)
        #expect(Schema.field(named: "user.name") == .userName)
        #expect(Schema.field(named: "source.ip") == .sourceIP)
        #expect(Schema.field(named: "no.such.field") == nil)
        #expect(Schema.field(named: "") == nil)
        #expect(Schema.types.count == Field.allCases.count)
        #expect(Schema.listFields == Field.allCases.filter { $0.spec.type == .stringList })
        #expect(Schema.listFields.contains(.emailTo))
    }
}

@Suite("EventBuilder")
struct EventBuilderTests {
    @Test("A rollback restores values a parser overwrote, and removes the ones it added")
    func rollbackRestoresOverwrittenValues() {
        let builder = EventBuilder()
        withBytes(of: "record") { record in
            builder.begin(record: record)
            builder.set(.eventDataset, "syslog")
            builder.set(.timestamp, int: 1)
            let mark = builder.mark()
            builder.set(.eventDataset, "postfix.smtpd")
            builder.set(.userName, "alice")
            builder.rollback(to: mark)
            #expect(builder.value(of: .eventDataset)?.string == "syslog")
            #expect(builder.value(of: .userName) == nil)
            #expect(builder.commit())
        }
        #expect(builder.batch.events.count == 1)
    }

    @Test("A label given as one entry, key then value, reads as one given as key and value")
    func aLabelEntryIsItsKeyAndValue() {
        let builder = EventBuilder()
        withBytes(of: "record") { record in
            builder.begin(record: record)
            withBytes(of: "rulesattack,probe") { builder.label(entry: $0, keyLength: 5) }
            withBytes(of: "tty") { key in withBytes(of: "pts/1") { builder.label(key, $0) } }
            builder.label("target_user", string: "root")
            withBytes(of: "rules") { #expect(builder.label($0)?.string == "attack,probe") }
            withBytes(of: "tty") { #expect(builder.label($0)?.string == "pts/1") }
            withBytes(of: "target_user") { #expect(builder.label($0)?.string == "root") }
            withBytes(of: "rulesattack") { #expect(builder.label($0) == nil) }
        }
    }
}

@Suite("ParseContext")
struct ParseContextTests {
    final class Counter { var n = 0 }
    final class Names { var seen: [String] = [] }

    @Test("A plugin's state is its own per key, asked for in turn with others, and made once")
    func eachKeyKeepsItsState() {
        let context = ParseContext(zone: TimeZone(identifier: "UTC")!, router: ProgramRouter(parsers: []))
        var made = 0
        for i in 0..<5 {
            context.state(for: "a") { made += 1; return Counter() }.n += 1
            context.state(for: "a") { made += 1; return Counter() }.n += 10
            context.state(for: "b") { made += 1; return Names() }.seen.append("x\(i)")
        }
        #expect(made == 2)
        #expect(context.existingState(for: "b", as: Names.self)?.seen.count == 5)
        #expect(context.state(for: "a") { Counter() }.n == 55)
        // The same key asked for as another type, right after its own: not the state made for it.
        #expect(context.existingState(for: "a", as: Names.self) == nil)
        #expect(context.state(for: "a") { Names() }.seen.isEmpty)
    }

    @Test("A state lent per event is the one state(for:) keeps, made once, and its own per key and type")
    func aLentStateIsTheKeptOne() {
        let context = ParseContext(zone: TimeZone(identifier: "UTC")!, router: ProgramRouter(parsers: []))
        var made = 0
        for _ in 0..<5 {
            context.withState(for: "a", make: { made += 1; return Counter() }) { $0.n += 1 }
            context.withState(for: "b", make: { made += 1; return Names() }) { $0.seen.append("x") }
            context.withState(for: "a", make: { made += 1; return Counter() }) { $0.n += 10 }
        }
        #expect(made == 2)
        #expect(context.state(for: "a") { Counter() }.n == 55)
        #expect(context.withState(for: "b", make: { Names() }) { $0.seen.count } == 5)
        // Right after "b" as Names, "b" as a Counter is another state (made now), not the Names.
        #expect(context.withState(for: "b", make: { made += 1; return Counter() }) { $0.n } == 0)
        #expect(made == 3)
    }
}

@Suite("File system sync")
struct FileSystemSyncTests {
    @Test("A sync of a directory that is not there fails and names it")
    func missingDirectory() {
        let error = #expect(throws: JobError.self) { try syncFileSystem(of: "/nonexistent-spoor-dir/out") }
        #expect(error?.description.contains("/nonexistent-spoor-dir/out") == true)
        #expect(throws: Never.self) { try syncFileSystem(of: FileManager.default.temporaryDirectory.path) }
    }
}
