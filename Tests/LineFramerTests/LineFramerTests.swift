import Testing
import SpoorKit
import LineFramer

/// The records `forEachRecord` hands over for `input`: their bytes and their offsets.
private func records(_ input: [UInt8]) throws -> [(bytes: [UInt8], offset: Int)] {
    let framer = try LineFramer(config: PluginConfig())
    var out: [(bytes: [UInt8], offset: Int)] = []
    input.withUnsafeBytes { chunk in
        framer.forEachRecord(in: chunk) { record, offset in out.append((Array(record), offset)) }
    }
    return out
}

private func records(_ text: String) throws -> [String] {
    try records(Array(text.utf8)).map { String(decoding: $0.bytes, as: UTF8.self) }
}

private func completeLength(_ text: String, atEnd: Bool) throws -> Int {
    let framer = try LineFramer(config: PluginConfig())
    return Array(text.utf8).withUnsafeBytes { framer.completeLength($0, atEnd: atEnd) }
}

private func skipLength(_ text: String) throws -> Int? {
    let framer = try LineFramer(config: PluginConfig())
    return Array(text.utf8).withUnsafeBytes { framer.skipLength($0) }
}

@Suite("LineFramer")
struct LineFramerTests {
    @Test("LF-terminated lines are split, terminators dropped, offsets point at each line")
    func splitsOnLF() throws {
        let got = try records(Array("alpha\nbeta\ngamma\n".utf8))
        #expect(got.map { String(decoding: $0.bytes, as: UTF8.self) } == ["alpha", "beta", "gamma"])
        #expect(got.map(\.offset) == [0, 6, 11])
    }

    @Test("CRLF lines are split with the CR removed")
    func splitsOnCRLF() throws {
        let got = try records(Array("alpha\r\nbeta\r\n".utf8))
        #expect(got.map(\.bytes) == [Array("alpha".utf8), Array("beta".utf8)])
        #expect(got.map(\.offset) == [0, 7])
        // Mixed terminators in one chunk; a CR inside a line is kept.
        #expect(try records("a\r\nb\nc\rd\r\n") == ["a", "b", "c\rd"])
    }

    @Test("The last line without a terminator is a record")
    func lastUnterminatedLine() throws {
        #expect(try records("one\ntwo") == ["one", "two"])
        #expect(try records("only") == ["only"])
        #expect(try records("one\r\ntwo") == ["one", "two"])
    }

    @Test("Empty lines are kept as empty records; an empty chunk has none")
    func emptyLines() throws {
        #expect(try records("a\n\nb\n") == ["a", "", "b"])
        #expect(try records("\n") == [""])
        #expect(try records("\r\n\r\n") == ["", ""])
        #expect(try records("\n\nx") == ["", "", "x"])
        #expect(try records("") == [])
    }

    @Test("completeLength cuts after the last LF; atEnd takes the whole window")
    func completeLengthCuts() throws {
        #expect(try completeLength("a\nbb\nccc", atEnd: false) == 5)
        #expect(try completeLength("a\nbb\r\n", atEnd: false) == 6)
        #expect(try completeLength("no newline yet", atEnd: false) == 0)
        #expect(try completeLength("", atEnd: false) == 0)
        #expect(try completeLength("a\nbb\nccc", atEnd: true) == 8)
        #expect(try completeLength("no newline", atEnd: true) == 10)
    }

    @Test("skipLength steps just past the first LF, nil when there is none")
    func skipLengthSteps() throws {
        #expect(try skipLength("long record\nnext\n") == 12)
        #expect(try skipLength("\nx") == 1)
        #expect(try skipLength("no boundary") == nil)
        #expect(try skipLength("") == nil)
    }

    @Test("Invalid UTF-8 bytes are passed through unchanged")
    func invalidUTF8PassesThrough() throws {
        let first: [UInt8] = [0x75, 0x73, 0x65, 0x72, 0x20, 0xFF, 0xFE, 0xC3]   // "user " + invalid bytes
        let second: [UInt8] = [0xE2, 0x82, 0x0D]   // truncated sequence, then CR (removed before LF)
        let third: [UInt8] = [0x80, 0x00, 0x41]    // lone continuation byte and a NUL
        let input = first + [0x0A] + second + [0x0A] + third
        let got = try records(input)
        #expect(got.map(\.bytes) == [first, [0xE2, 0x82], third])
        #expect(got.map(\.offset) == [0, 9, 13])
    }

    @Test("Records cover the chunk: completeLength then forEachRecord reproduce every line")
    func chunkingRoundTrip() throws {
        let framer = try LineFramer(config: PluginConfig())
        let lines = (0..<500).map { "line \($0) " + String(repeating: "x", count: $0 % 37) }
        let text = Array(lines.joined(separator: "\n").utf8)
        var got: [String] = []
        var start = 0
        // Feed windows of at most 1000 bytes, as the chunker does.
        while start < text.count {
            let end = min(text.count, start + 1000)
            let atEnd = end == text.count
            let n = text[start..<end].withUnsafeBytes { framer.completeLength($0, atEnd: atEnd) }
            #expect(n > 0)
            if n == 0 { break }
            text[start..<(start + n)].withUnsafeBytes { chunk in
                framer.forEachRecord(in: chunk) { record, _ in got.append(record.string) }
            }
            start += n
        }
        #expect(got == lines)
    }
}
