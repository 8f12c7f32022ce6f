import SpoorKit
import SpoorModules
import Testing

/// Every mistake in a module file is found at load, with file, line and column.
@Suite struct LoaderErrorTests {
    @Test func badRegexPointsAtTheCharacterInTheYAML() throws {
        // Line 8 is `    regex: '…'`: the value starts at column 13. The mistake is the group
        // name starting with a digit, 13 characters into the regex as written (after a %{} that
        // expands to far more): column 26.
        let error = try #require(loadError(vpnModule(regex: #"^%{IP:ip} (?<1bad>x)"#)))
        #expect(error.hasPrefix("test.yaml:8:26: bad regex: "), "\(error)")
    }

    @Test func badRegexInABlockScalar() throws {
        let yaml = """
            id: x
            applies_to: {programs: [x]}
            patterns:
              - id: p
                regex: |-
                  ^ok (?<user>\\S+)
                  (unclosed
            """
        let error = try #require(loadError(yaml))
        // PCRE2 reports a missing `)` at the end of the pattern: line 7, after `(unclosed`.
        #expect(error.hasPrefix("test.yaml:7:16: bad regex: missing closing parenthesis"), "\(error)")
    }

    @Test func unknownSubPatternNamesItsPlace() throws {
        let error = try #require(loadError(vpnModule(regex: #"^user %{USERNAME:user}"#)))
        #expect(error.hasPrefix("test.yaml:8:19: unknown sub-pattern %{USERNAME}"), "\(error)")
    }

    @Test func captureMappedToAnUnknownField() throws {
        let error = try #require(loadError(vpnModule(regex: #"^user (?<user>\S+)"#, fields: "user: user.nmae")))
        #expect(error.hasPrefix("test.yaml:9:20: unknown field 'user.nmae'"), "\(error)")
        #expect(error.contains("did you mean 'user.name'?"))
    }

    @Test func fieldsOfACaptureTheRegexDoesNotHave() throws {
        let error = try #require(loadError(vpnModule(regex: #"^user (?<user>\S+)"#, fields: "usr: user.name")))
        #expect(error.hasPrefix("test.yaml:9:14: the regex has no capture named 'usr'"), "\(error)")
        #expect(error.contains("its captures: user"))
    }

    @Test func badTimestampFormat() throws {
        let error = try #require(loadError(vpnModule(regex: #"^(?<t>\S+) x"#, fields: #"t: {field: "@timestamp", format: "%Y-%m-%d %Q"}"#)))
        #expect(error.hasPrefix("test.yaml:9:57: bad timestamp format: unknown directive '%Q'"), "\(error)")
    }

    @Test func timestampWithoutFormatAndOutcomeWithoutMap() throws {
        let ts = try #require(loadError(vpnModule(regex: #"^(?<t>\S+) x"#, fields: #"t: "@timestamp""#)))
        #expect(ts.contains("'t' → @timestamp needs a format"), "\(ts)")
        let outcome = try #require(loadError(vpnModule(regex: #"^(?<r>\S+) x"#, fields: "r: event.outcome")))
        #expect(outcome.contains("must map the log's words to the vocabulary"), "\(outcome)")
    }

    @Test func valuesOutsideTheVocabulary() throws {
        let constant = try #require(loadError(vpnModule(regex: "^x", set: "event.outcome: succes")))
        #expect(constant.hasPrefix("test.yaml:10:26: 'succes' is not a value of event.outcome"), "\(constant)")
        #expect(constant.contains("did you mean 'success'?"))
        let mapped = try #require(loadError(vpnModule(regex: "^(?<r>x)", fields: "r: {field: event.reason, map: {x: wrong_password}}")))
        #expect(mapped.contains("'wrong_password' is not a value of event.reason"), "\(mapped)")
    }

    @Test func unknownKeysAndMissingParts() throws {
        let typo = try #require(loadError("id: x\napplies_to: {programs: [x]}\npaterns: []\n"))
        #expect(typo.hasPrefix("test.yaml:3:1: unknown key 'paterns' in a parser module"), "\(typo)")
        #expect(typo.contains("did you mean 'patterns'?"))
        let nowhere = try #require(loadError("id: x\npatterns:\n  - regex: x\n"))
        #expect(nowhere.contains("the module applies to nothing"), "\(nowhere)")
        let pipeline = try #require(loadError(vpnModule(regex: "^x", set: "log.offset: 3")))
        #expect(pipeline.contains("'log.offset' is set by the pipeline"), "\(pipeline)")
    }

    @Test func aTestOfAnUnknownFieldIsAMistakeToo() throws {
        let yaml = vpnModule(regex: "^x") + "\ntests:\n  - line: 'a'\n    fields: {user.nam: x}\n"
        let error = try #require(loadError(yaml))
        #expect(error.hasPrefix("test.yaml:13:14: unknown field 'user.nam'"), "\(error)")
    }
}
