import JSONFramer
import MicrosoftParsers
import SpoorKit
import SpoorTestSupport
import Testing
import XMLEventFramer

/// The JSON and XML framers on their own: where they cut a stream, what they skip.
@Suite struct JSONFramerTests {
    let framer = try! JSONFramer(config: PluginConfig())

    func records(_ text: String) -> [String] {
        var out: [String] = []
        withBytes(of: text) { b in framer.forEachRecord(in: b) { r, _ in out.append(r.string) } }
        return out
    }

    @Test func envelopesAreSkippedAtTheStreamStart() {
        #expect(withBytes(of: #"  [ {"a":1}"#) { framer.streamStart($0) } == 3)
        #expect(withBytes(of: #"{"@odata.context":"x","value":[{"a":1}"#) { framer.streamStart($0) } == 31)
        #expect(withBytes(of: #"{"records": [ {"a":1}"#) { framer.streamStart($0) } == 13)
        #expect(withBytes(of: #"{"a":1}"#) { framer.streamStart($0) } == 0)   // NDJSON: nothing to skip
    }

    @Test func chunksEndOnObjectBoundariesEvenWithBracesInStrings() {
        let text = #"{"a":"}{\"x"},{"b":[1,{"c":2}]},{"d":"#
        let cut = withBytes(of: text) { framer.completeLength($0, atEnd: false) }
        #expect(String(text.utf8.prefix(cut))! == #"{"a":"}{\"x"},{"b":[1,{"c":2}]}"#)
        #expect(records(#"{"a":1}, {"b":2}]}"#) == [#"{"a":1}"#, #"{"b":2}"#])   // the envelope's tail is no record
    }

    @Test func junkBetweenObjectsIsHandedOnNotLost() {
        #expect(records("{\"a\":1}\nnot json\n{\"b\":2}\n") == [#"{"a":1}"#, "not json", #"{"b":2}"#])
    }
}

@Suite struct XMLEventFramerTests {
    let framer = try! XMLEventFramer(config: PluginConfig())

    @Test func eventsAreCutAndTheWrapperSkipped() {
        let text = "<?xml version=\"1.0\"?>\n<Events>\n<Event a=\"1\"><EventData/></Event>\n<Event><x/></Event></Events>"
        var out: [String] = []
        withBytes(of: text) { b in framer.forEachRecord(in: b) { r, _ in out.append(r.string) } }
        #expect(out == ["<Event a=\"1\"><EventData/></Event>", "<Event><x/></Event>"])
        let cut = withBytes(of: "<Event>1</Event><Event>2") { framer.completeLength($0, atEnd: false) }
        #expect(cut == 16)
    }
}

@Suite struct JSONFramerLineModeTests {
    let framer = try! JSONFramer(config: PluginConfig())

    @Test func ndjsonAndAnArrayWithOneElementPerLine() {
        func records(_ text: String) -> [String] {
            var out: [String] = []
            withBytes(of: text) { b in framer.forEachRecord(in: b) { r, _ in out.append(r.string) } }
            return out
        }
        #expect(records("{\"a\":1}\n{\"b\":\"x\\ny\"}\n") == [#"{"a":1}"#, #"{"b":"x\ny"}"#])
        // After the envelope's `[`: elements with trailing commas, the last one closing the array.
        #expect(records("{\"a\":1},\n{\"b\":2}]}\n") == [#"{"a":1}"#, #"{"b":2}"#])
        // A pretty-printed array is not line-delimited: objects are found by scanning.
        #expect(records("{\n \"a\": 1\n},\n{\n \"b\": 2\n}\n]") == ["{\n \"a\": 1\n}", "{\n \"b\": 2\n}"])
    }
}
