import Foundation
import SpoorKit
import Testing

@Suite("JSONTree")
struct JSONTreeTests {
    /// Documents at the edges of the grammar. JSONTree replaced JSONSerialization for STIX
    /// bundles, so it must take and refuse the same ones.
    static let documents: [String] = [
        #"{}"#, #"{"a": []}"#, #"{"a": [1, 2,]}"#, #"{"a": 1,}"#, #"{"a": [,1]}"#, #"{"a": [1,,2]}"#, #"{,}"#,
        #"{"a": 01}"#, #"{"a": 1.}"#, #"{"a": .5}"#, #"{"a": -}"#, #"{"a": +1}"#, #"{"a": 1e}"#, #"{"a": -0.5E+3}"#,
        #"{"a": 1e308}"#, #"{"a": 1e309}"#, #"{"a": -1e400}"#, #"{"a": 1e-400}"#, #"{"a": 123456789012345678901234567890}"#,
        #"{"a": tru}"#, #"{"a": null, "b": true, "c": false}"#, #"{a: 1}"#, #"{"a" 1}"#, #"{"a": 1} x"#, #"{"a": 1"#,
        #"{"a": "\u00e9\ud83d\ude00\/\"\\\b\f\n\r\t"}"#, #"{"a": "\x"}"#, #"{"a": "\ud800"}"#, #"{"a": "\udc00\ud800"}"#,
        #"{"a": "\ud800\u0041"}"#, #"{"a": "\u00G0"}"#, "{\"a\": \"tab\there\"}", "{\"a\": \"\u{7F}\"}", "{\u{0C}\"a\": 1}",
        "\u{FEFF}{\"a\": 1}", " \u{FEFF}{\"a\": 1}", "", " ", "[1, 2]", "\"text\"",
    ]

    @Test("Takes and refuses what JSONSerialization takes and refuses")
    func agreesWithJSONSerialization() {
        var bytes = Self.documents.map { Array($0.utf8) }
        bytes += [[0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D],            // not UTF-8
                  [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC0, 0xAF, 0x22, 0x7D],      // overlong
                  [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D], // a surrogate in UTF-8
                  Array("{\"a\": 1}\0".utf8), Array("{\"a\": \"x\0y\"}".utf8)]
        let wide = #"{"a": ["é", 1]}"#
        for encoding in [String.Encoding.utf16LittleEndian, .utf16BigEndian, .utf32LittleEndian, .utf32BigEndian, .utf16] {
            bytes.append(Array(wide.data(using: encoding)!))
        }
        bytes.append(Array(("{\"a\":" + String(repeating: "[", count: 511) + String(repeating: "]", count: 511) + "}").utf8))
        bytes.append(Array(("{\"a\":" + String(repeating: "[", count: 512) + String(repeating: "]", count: 512) + "}").utf8))
        for document in bytes {
            let foundation = (try? JSONSerialization.jsonObject(with: Data(document), options: [.fragmentsAllowed])) != nil
            let tree = (try? JSONTree(document)) != nil
            #expect(tree == foundation, "\(String(decoding: document.prefix(60), as: UTF8.self)): JSONTree \(tree), JSONSerialization \(foundation)")
        }
    }

    @Test("Members, repeated keys, escapes decoded, nesting skipped")
    func readsValues() throws {
        let tree = try JSONTree(Array(#"""
            {"id": "first", "nested": {"id": "inner", "list": [{"id": 1}]}, "name": "caf\u00e9 \"x\"", "id": "second",
             "tags": ["a", "b"], "mixed": ["a", 1]}
            """#.utf8))
        let root = tree.root
        #expect(tree.kind(root) == .object && tree.count(root) == 6)
        #expect(tree.member(root, "id").flatMap(tree.string) == "second")   // the last of a repeated key
        #expect(tree.member(root, "name").flatMap(tree.string) == "café \"x\"")
        #expect(tree.member(root, "nested").map { tree.kind($0) } == .object)
        #expect(tree.member(root, "tags").flatMap(tree.strings) == ["a", "b"])
        #expect(tree.member(root, "mixed").flatMap(tree.strings) == nil)
        #expect(tree.member(root, "missing") == nil)
        #expect(tree.members(root).map { tree.string($0.key)! } == ["id", "nested", "name", "id", "tags", "mixed"])
    }

    @Test("A mistake is placed by line and column (characters, not bytes)")
    func placesMistakes() {
        do {
            _ = try JSONTree(Array("{\"a\": \"é\",\n  \"b\": [1 2]}".utf8))
            Issue.record("a missing comma was taken")
        } catch {
            #expect(error.line == 2 && error.column == 11 && error.reason == "expected ',' or ']'")
        }
    }
}

@Suite("CIDRTrie")
struct CIDRTrieTests {
    @Test("insert takes the addresses inet_pton takes, and prefix lengths as Int() reads them")
    func insertAgreesWithInetPton() {
        let cases: [(String, Bool)] = [
            ("192.0.2.1", true), ("192.0.2.0/24", true), ("192.0.2.0/+24", true), ("192.0.2.0/-0", true), ("192.0.2.0/33", false),
            ("192.0.2.0/", true), ("/192.0.2.0", true), ("192.0.2.0//24", false), ("/", false), ("", false),
            ("192.0.2.01", false), ("192.0.2.256", false), ("192.0.2", false), ("192.0.2.1.", false), ("1.2.3.4.5", false),
            ("192.0.2.1 ", false), ("0.0.0.0/0", true), ("2001:db8::/32", true), ("::1", true), ("2001:db8::/129", false),
            ("::ffff:192.0.2.1", true), ("evil.example", false),
        ]
        for (text, valid) in cases {
            var trie = CIDRTrie()
            #expect(trie.insert(cidr: text, label: "x") == valid, "\(text)")
            if !text.contains("/") { #expect((CIDRTrie.parse(text) != nil) == valid, "inet_pton: \(text)") }
        }
    }

    @Test("An address read from an event is the number inet_pton makes of it, or refused")
    func eventAddressesParseAsInetPtonDoes() {
        let valid = ["192.0.2.1", "0.0.0.0", "255.255.255.255", "10.0.3.77", "198.51.100.127", "2001:db8::1", "::ffff:192.0.2.1", "::1"]
        let invalid = ["", "256.1.1.1", "1.2.3", "1..2.3", "1.2.3.4.", ".1.2.3", "1.2.3.1234", "a.b.c.d", "1.2.3.4 ", "1.2.3.-4",
                       "1.2.3.4/24", "unknown", "192.0.2.1000", "1.2.3.4.5"]
        for text in valid {
            guard let bytes = CIDRTrie.parse(text) else { Issue.record("inet_pton refused \(text)"); continue }
            var out = (UInt64(0), UInt64(0))
            #expect(withBytes(of: text) { CIDRTrie.parse($0, into: &out) }, "\(text)")
            let expected = (bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }, bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            #expect(out == expected, "\(text)")
        }
        for text in invalid {
            var out = (UInt64(0), UInt64(0))
            #expect(!withBytes(of: text) { CIDRTrie.parse($0, into: &out) }, "\(text)")
        }
    }

    @Test("Longest prefix wins, IPv4 and IPv6 in one trie, whatever the order of inserts")
    func longestPrefix() {
        var trie = CIDRTrie()
        _ = trie.insert(cidr: "203.0.113.0/24", label: "net")
        _ = trie.insert(cidr: "203.0.113.7", label: "host")
        _ = trie.insert(cidr: "2001:db8::/32", label: "v6")
        _ = trie.insert(cidr: "::ffff:0:0/96", label: "all-v4")   // a prefix above the IPv4 start, added last
        func lookup(_ ip: String) -> String? { withBytes(of: ip) { trie.lookup($0) } }
        #expect(lookup("203.0.113.7") == "host" && lookup("203.0.113.8") == "net")
        #expect(lookup("198.51.100.1") == "all-v4" && lookup("2001:db8::1") == "v6" && lookup("2001:db9::1") == nil)
    }
}
