import SpoorKit
import SpoorModules
import Testing

/// The %{NAME} library: each name matches what it says and not its look-alikes.
@Suite struct SubPatternTests {
    func matches(_ name: String, _ text: String) throws -> Bool {
        let expansion = try SubPatterns.expand("^%{\(name)}$")
        let pattern = try Pattern(expansion.pattern)
        let scratch = MatchScratch()
        return Array(text.utf8).withUnsafeBytes { pattern.match($0, scratch) != nil }
    }

    @Test(arguments: [
        ("IPV4", "192.0.2.255", "256.1.1.1"), ("IPV6", "2001:db8::1", "12:x"), ("IP", "::ffff:10.0.0.1", "10.0.0"),
        ("HOSTNAME", "mail-1.example.org", "-bad"), ("IPORHOST", "gw.example", "a b"),
        ("USER", "first.last+tag@corp", "a b"), ("EMAIL", "a.b@example.org", "a.b@"), ("INT", "-42", "4.2"),
        ("NUMBER", "4.25", "4..2"), ("PORT", "65535", "123456"), ("WORD", "Login", "two words"),
        ("NOTSPACE", "a=b;c", "a b"), ("DATA", "anything at all", "line\nbreak"), ("GREEDYDATA", "x y z", "line\nbreak"),
        ("QS", #""say \"hi\"""#, #""open"#), ("PATH", "/var/log/mail.log", "var/log"),
        ("UUID", "123e4567-e89b-12d3-a456-426614174000", "123e4567"), ("MAC", "00:1a:2b:3c:4d:5e", "00:1a:2b"),
        ("MONTH", "Sep", "Sept1"), ("TIME", "23:59:58.123", "23:59"), ("SYSLOGTIMESTAMP", "Sep  3 14:02:11", "2024-09-03"),
        ("TIMESTAMP_ISO8601", "2024-09-03T14:02:11.5+02:00", "Sep 3"), ("LOGLEVEL", "WARNING", "verbose"),
    ])
    func libraryName(_ name: String, _ good: String, _ bad: String) throws {
        #expect(try matches(name, good), "%{\(name)} should match '\(good)'")
        #expect(try !matches(name, bad), "%{\(name)} should not match '\(bad)'")
    }

    @Test func namedCaptureAndModuleDefinitions() throws {
        let e = try SubPatterns.expand("^%{TOKEN:t} %{INT}", definitions: ["TOKEN": "[A-Z]{2}%{INT}"])
        #expect(e.pattern == "^(?<t>[A-Z]{2}(?:[+-]?[0-9]+)) (?:[+-]?[0-9]+)")
        // Offsets after an expansion map back to the text as written.
        #expect(e.sourceOffset(e.pattern.utf8.count) == "^%{TOKEN:t} %{INT}".utf8.count)
        #expect(e.sourceOffset(0) == 0)
        #expect(e.sourceOffset(5) == 1)   // inside the first expansion: its `%{`
    }

    @Test func mistakesInReferences() {
        #expect(throws: SubPatterns.Failure.self) { try SubPatterns.expand("%{NOPE}") }
        #expect(throws: SubPatterns.Failure.self) { try SubPatterns.expand("%{IP:9x}") }
        #expect(throws: SubPatterns.Failure.self) { try SubPatterns.expand("%{IP") }
        #expect(throws: SubPatterns.Failure.self) { try SubPatterns.expand("%{A}", definitions: ["A": "%{A}"]) }
        // An escaped percent sign is a literal.
        #expect((try? SubPatterns.expand(#"100\%{x}"#))?.pattern == #"100\%{x}"#)
    }
}
