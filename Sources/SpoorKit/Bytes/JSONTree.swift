import Foundation

/// A whole JSON document, validated and indexed in one pass over its bytes: every value is
/// an entry of one flat array (a "tape"), so reading a 2 MB STIX bundle costs one
/// allocation for the bytes and one for the entries, not a dictionary and a `String` per
/// object as Foundation's `JSONSerialization` does. Strings are decoded only when asked for.
///
/// It accepts what `JSONSerialization` accepts, so that switching readers changes no
/// verdict on a file: RFC 8259 plus one trailing comma before `]` or `}` and one UTF-8 BOM
/// (UTF-16 and UTF-32 documents are transcoded first);
/// nesting up to 512 levels; numbers that fit a `Double`; strings of valid UTF-8 with paired
/// surrogate escapes. A mistake is reported with its line and column.
///
/// Not thread-safe; a tree is read by the one task that parsed it.
public final class JSONTree {
    public enum Kind: UInt8 { case object, array, string, number, bool, null }

    /// A value of the tree (an index into its entries); valid for the tree that gave it.
    public struct Node: Equatable, Sendable {
        let index: Int32
    }

    public struct Failure: Error, Sendable {
        /// 1-based; the column counts characters (Unicode scalars), not bytes.
        public let line: Int
        public let column: Int
        public let reason: String
    }

    /// One value, or one key of an object (an object's entries alternate key, value).
    /// `start..<end` is a string's bytes between its quotes, or a scalar's or container's
    /// bytes; `next` is the index of the entry after this value and everything in it.
    struct Entry {
        var kind: Kind
        var escaped: Bool
        var start: Int32
        var end: Int32
        var next: Int32
    }

    /// The document, owned by the tree: `text(_:)` hands out slices of it.
    private let document: UnsafeMutableRawBufferPointer
    private let entries: [Entry]
    /// Escaped strings are decoded here (`text(_:)`), grown as needed.
    private var scratch: [UInt8] = []
    private var decoded: UnsafeMutableRawBufferPointer

    /// Parses a copy of `bytes`; throws the first mistake.
    public convenience init(_ bytes: [UInt8]) throws(Failure) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
        bytes.withUnsafeBytes { copy.copyMemory(from: $0) }
        try self.init(taking: UnsafeMutableRawBufferPointer(rebasing: copy[0..<bytes.count]), allocation: copy)
    }

    /// Parses `document`, which the tree then owns (and deallocates as `allocation`).
    private init(taking document: UnsafeMutableRawBufferPointer, allocation: UnsafeMutableRawBufferPointer) throws(Failure) {
        guard document.count < Int(Int32.max) else {
            allocation.deallocate()
            throw Failure(line: 1, column: 1, reason: "the document is larger than 2 GiB")
        }
        var document = document, allocation = allocation
        if let wide = JSONTree.wideEncoding(Bytes(document)) {
            // Rare: transcoded once, through Foundation, to UTF-8.
            let text = String(bytes: Bytes(document).dropFirst(wide.bom), encoding: wide.encoding)
            allocation.deallocate()
            guard let text else { throw Failure(line: 1, column: 1, reason: "the text is not valid \(wide.encoding)") }
            let utf8 = Array(text.utf8)
            allocation = UnsafeMutableRawBufferPointer.allocate(byteCount: max(utf8.count, 1), alignment: 8)
            utf8.withUnsafeBytes { allocation.copyMemory(from: $0) }
            document = UnsafeMutableRawBufferPointer(rebasing: allocation[0..<utf8.count])
        }
        var parser = JSONTreeParser(bytes: Bytes(document))
        do throws(Failure) {
            try parser.document()
        } catch {
            allocation.deallocate()   // before any property is set: no deinit runs
            throw error
        }
        self.allocation = allocation
        self.document = document
        entries = parser.entries
        decoded = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 8)
    }

    private let allocation: UnsafeMutableRawBufferPointer

    /// The encoding of JSON written in UTF-16 or UTF-32, which JSONSerialization also reads:
    /// told by a byte order mark, or (RFC 4627) by the zeros among the first four bytes,
    /// since a document starts with two ASCII characters. Nil for UTF-8.
    static func wideEncoding(_ b: Bytes) -> (encoding: String.Encoding, bom: Int)? {
        func at(_ i: Int) -> Int { i < b.count ? Int(b[i]) : -1 }
        switch (at(0), at(1), at(2), at(3)) {
        case (0x00, 0x00, 0xFE, 0xFF): return (.utf32BigEndian, 4)
        case (0xFF, 0xFE, 0x00, 0x00): return (.utf32LittleEndian, 4)
        case (0xFE, 0xFF, _, _): return (.utf16BigEndian, 2)
        case (0xFF, 0xFE, _, _): return (.utf16LittleEndian, 2)
        case (0x00, 0x00, 0x00, 0...): return (.utf32BigEndian, 0)
        case (1..., 0x00, 0x00, 0x00): return (.utf32LittleEndian, 0)
        case (0x00, 1..., 0x00, 1...): return (.utf16BigEndian, 0)
        case (1..., 0x00, 1..., 0x00): return (.utf16LittleEndian, 0)
        case (0x00, 1..., -1, -1): return (.utf16BigEndian, 0)
        case (1..., 0x00, -1, -1): return (.utf16LittleEndian, 0)
        default: return nil
        }
    }

    deinit {
        allocation.deallocate()
        decoded.deallocate()
    }

    /// Reads and parses a file: nil when it cannot be read.
    public static func read(contentsOfFile path: String) throws(Failure) -> JSONTree? {
        guard let buffer = readWholeFile(path) else { return nil }
        return try JSONTree(taking: UnsafeMutableRawBufferPointer(rebasing: buffer.allocation[0..<buffer.count]), allocation: buffer.allocation)
    }

    public var root: Node { Node(index: 0) }

    public func kind(_ node: Node) -> Kind { entries[Int(node.index)].kind }

    /// How many elements an array has, or members an object; 0 for other kinds.
    public func count(_ node: Node) -> Int {
        kind(node) == .object ? members(node).reduce(0) { n, _ in n + 1 } : elements(node).reduce(0) { n, _ in n + 1 }
    }

    /// The members of an object as (key, value) in document order; empty for other kinds.
    public func members(_ node: Node) -> Members {
        let e = entries[Int(node.index)]
        return Members(entries: entries, at: e.kind == .object ? node.index + 1 : e.next, end: e.next)
    }

    public struct Members: Sequence, IteratorProtocol {
        let entries: [Entry]
        var at: Int32
        let end: Int32

        public mutating func next() -> (key: Node, value: Node)? {
            guard at < end else { return nil }
            let key = Node(index: at), value = Node(index: at + 1)
            at = entries[Int(at + 1)].next
            return (key, value)
        }
    }

    /// The elements of an array in order; empty for other kinds.
    public func elements(_ node: Node) -> Elements {
        let e = entries[Int(node.index)]
        return Elements(entries: entries, at: e.kind == .array ? node.index + 1 : e.next, end: e.next)
    }

    public struct Elements: Sequence, IteratorProtocol {
        let entries: [Entry]
        var at: Int32
        let end: Int32

        public mutating func next() -> Node? {
            guard at < end else { return nil }
            let node = Node(index: at)
            at = entries[Int(at)].next
            return node
        }
    }

    /// The value of `key` in an object; the last one when the key repeats (as
    /// `JSONSerialization` keeps it). Nil for a missing key or a value that is not an object.
    public func member(_ node: Node, _ key: StaticString) -> Node? {
        var found: Node?
        for (k, v) in members(node) where equals(k, key) { found = v }
        return found
    }

    /// Whether a string value (or key), its escapes decoded, is `literal`.
    public func equals(_ node: Node, _ literal: StaticString) -> Bool {
        text(node)?.equals(literal) ?? false
    }

    /// A string's bytes (a value's or a key's) with escapes decoded; nil for other kinds.
    /// Without escapes they are a slice of the document, valid while the tree lives; with
    /// escapes they are decoded into a buffer of the tree, valid until the next call.
    public func text(_ node: Node) -> Bytes? {
        let e = entries[Int(node.index)]
        guard e.kind == .string else { return nil }
        let raw = Bytes(document).slice(Int(e.start), Int(e.end))
        guard e.escaped else { return raw }
        scratch.removeAll(keepingCapacity: true)
        JSONIndex.unescape(raw, into: &scratch)
        if scratch.count > decoded.count {
            decoded.deallocate()
            decoded = UnsafeMutableRawBufferPointer.allocate(byteCount: scratch.count * 2, alignment: 8)
        }
        scratch.withUnsafeBytes { decoded.copyMemory(from: $0) }
        return Bytes(rebasing: decoded[0..<scratch.count])
    }

    /// A string value as a `String`; nil for other kinds.
    public func string(_ node: Node) -> String? {
        text(node).map { String(decoding: $0, as: UTF8.self) }
    }

    /// An array whose elements are all strings, as `[String]`; nil otherwise.
    public func strings(_ node: Node) -> [String]? {
        guard kind(node) == .array else { return nil }
        var out: [String] = []
        for element in elements(node) {
            guard let s = string(element) else { return nil }
            out.append(s)
        }
        return out
    }
}

/// The validating parser behind `JSONTree`: recursive descent over the bytes, appending an
/// entry per value.
struct JSONTreeParser {
    let bytes: Bytes
    var entries: [JSONTree.Entry]
    var i = 0

    /// `JSONSerialization` refuses deeper documents; so does this reader.
    static let maximumDepth = 512

    init(bytes: Bytes) {
        self.bytes = bytes
        // Entries cost 16 bytes; a dense document has about one per 12 bytes. Reserved
        // memory that is never touched costs nothing.
        entries = []
        entries.reserveCapacity(bytes.count / 8 + 4)
    }

    mutating func document() throws(JSONTree.Failure) {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
        skipSpace()
        try value(depth: 0)
        skipSpace()
        guard i == bytes.count else { throw failure("unexpected text after the document") }
    }

    @inline(__always)
    mutating func skipSpace() {
        while i < bytes.count {
            let c = bytes[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            i += 1
        }
    }

    mutating func value(depth: Int) throws(JSONTree.Failure) {
        guard i < bytes.count else { throw failure("the document ends early") }
        switch bytes[i] {
        case 0x7B: try container(object: true, depth: depth + 1)
        case 0x5B: try container(object: false, depth: depth + 1)
        case 0x22: try string()
        case 0x2D, 0x30...0x39: try number()
        case 0x74: try literal("true", .bool)
        case 0x66: try literal("false", .bool)
        case 0x6E: try literal("null", .null)
        default: throw failure("expected a value")
        }
    }

    /// An object (keys and values alternate among its entries) or an array.
    mutating func container(object: Bool, depth: Int) throws(JSONTree.Failure) {
        guard depth <= Self.maximumDepth else { throw failure("more than \(Self.maximumDepth) nested arrays and objects") }
        let me = entries.count
        entries.append(JSONTree.Entry(kind: object ? .object : .array, escaped: false, start: Int32(i), end: 0, next: 0))
        let close: UInt8 = object ? 0x7D : 0x5D
        i += 1
        skipSpace()
        var first = true
        while true {
            guard i < bytes.count else { throw failure("the document ends early") }
            if bytes[i] == close {
                // An empty container, or one trailing comma (which JSONSerialization allows).
                i += 1
                break
            }
            if !first {
                guard bytes[i] == 0x2C else { throw failure(object ? "expected ',' or '}'" : "expected ',' or ']'") }
                i += 1
                skipSpace()
                guard i < bytes.count else { throw failure("the document ends early") }
                if bytes[i] == close { i += 1; break }
            }
            first = false
            if object {
                guard bytes[i] == 0x22 else { throw failure("expected a key in quotes") }
                try string()
                skipSpace()
                guard i < bytes.count, bytes[i] == 0x3A else { throw failure("expected ':' after the key") }
                i += 1
                skipSpace()
            }
            try value(depth: depth)
            skipSpace()
        }
        entries[me].end = Int32(i)
        entries[me].next = Int32(entries.count)
    }

    /// A string; its entry holds the bytes between the quotes.
    mutating func string() throws(JSONTree.Failure) {
        let start = i + 1
        var escaped = false
        i += 1
        while true {
            // The common bytes in tight loops: printable ASCII other than `"` and `\`, first
            // eight at a time (a word with none of the others), then one at a time.
            while i + 8 <= bytes.count {
                let w = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
                let control = (w &- ones &* 0x20) & ~w & highs                 // a byte < 0x20
                let quote = ((w ^ (ones &* 0x22)) &- ones) & ~(w ^ (ones &* 0x22)) & highs
                let backslash = ((w ^ (ones &* 0x5C)) &- ones) & ~(w ^ (ones &* 0x5C)) & highs
                guard (w & highs) | control | quote | backslash == 0 else { break }
                i += 8
            }
            while i < bytes.count {
                let c = bytes[i]
                guard c >= 0x20, c < 0x80, c != 0x22, c != 0x5C else { break }
                i += 1
            }
            guard i < bytes.count else { throw failure("a string is not closed") }
            let c = bytes[i]
            if c == 0x22 { break }
            if c == 0x5C {
                escaped = true
                try escape()
            } else if c < 0x20 {
                throw failure("a control character inside a string (write it as an escape)")
            } else {
                try utf8Sequence()
            }
        }
        let count = entries.count
        entries.append(JSONTree.Entry(kind: .string, escaped: escaped, start: Int32(start), end: Int32(i), next: Int32(count + 1)))
        i += 1
    }

    /// One escape at `i` (the backslash); a high surrogate must be followed by a low one.
    mutating func escape() throws(JSONTree.Failure) {
        guard i + 1 < bytes.count else { throw failure("a string is not closed") }
        switch bytes[i + 1] {
        case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74:
            i += 2
        case 0x75:
            guard let unit = bytes.hex4(at: i + 2) else { throw failure("\\u takes four hexadecimal digits") }
            if unit >= 0xDC00 && unit < 0xE000 { throw failure("a low surrogate escape without a high one before it") }
            i += 6
            if unit >= 0xD800 && unit < 0xDC00 {
                guard i + 1 < bytes.count, bytes[i] == 0x5C, bytes[i + 1] == 0x75, let low = bytes.hex4(at: i + 2),
                      low >= 0xDC00, low < 0xE000 else {
                    throw failure("a high surrogate escape without a low one after it")
                }
                i += 6
            }
        default:
            throw failure("an unknown escape")
        }
    }

    /// One multi-byte UTF-8 sequence at `i`: no overlong forms, no surrogates, ≤ U+10FFFF.
    mutating func utf8Sequence() throws(JSONTree.Failure) {
        let lead = bytes[i]
        var length = 0, low: UInt8 = 0x80, high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw failure("bytes that are not UTF-8")
        }
        guard i + length <= bytes.count else { throw failure("bytes that are not UTF-8") }
        let second = bytes[i + 1]
        guard second >= low, second <= high else { throw failure("bytes that are not UTF-8") }
        for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 { throw failure("bytes that are not UTF-8") }
        i += length
    }

    /// A number as RFC 8259 writes it, whose value fits a `Double`.
    mutating func number() throws(JSONTree.Failure) {
        let start = i
        var plain = true   // digits only, few enough that the value surely fits
        if bytes[i] == 0x2D { i += 1 }
        guard i < bytes.count, bytes[i] &- 0x30 < 10 else { throw failure("a number without digits") }
        if bytes[i] == 0x30 { i += 1 } else { digits() }
        if i < bytes.count, bytes[i] == 0x2E {
            i += 1
            guard i < bytes.count, bytes[i] &- 0x30 < 10 else { throw failure("a number without digits after '.'") }
            digits()
        }
        if i < bytes.count, bytes[i] | 0x20 == 0x65 {
            plain = false
            i += 1
            if i < bytes.count, bytes[i] == 0x2B || bytes[i] == 0x2D { i += 1 }
            guard i < bytes.count, bytes[i] &- 0x30 < 10 else { throw failure("a number without digits in its exponent") }
            digits()
        }
        if !plain || i - start > 300 {
            // JSONSerialization refuses a number that overflows a Double (1e999).
            var text = [CChar](repeating: 0, count: i - start + 1)
            for k in start..<i { text[k - start] = CChar(bitPattern: bytes[k]) }
            guard strtod(text, nil).isFinite else { i = start; throw failure("a number too large for a Double") }
        }
        entries.append(JSONTree.Entry(kind: .number, escaped: false, start: Int32(start), end: Int32(i), next: Int32(entries.count + 1)))
    }

    @inline(__always)
    mutating func digits() {
        while i < bytes.count, bytes[i] &- 0x30 < 10 { i += 1 }
    }

    mutating func literal(_ word: StaticString, _ kind: JSONTree.Kind) throws(JSONTree.Failure) {
        guard bytes.slice(i, bytes.count).hasPrefix(word) else { throw failure("expected a value") }
        entries.append(JSONTree.Entry(kind: kind, escaped: false, start: Int32(i), end: Int32(i + word.utf8CodeUnitCount),
                                      next: Int32(entries.count + 1)))
        i += word.utf8CodeUnitCount
    }

    /// The mistake at `i`, with its line and column (counted only now, on the error path).
    func failure(_ reason: String) -> JSONTree.Failure {
        var line = 1, column = 1
        for k in 0..<min(i, bytes.count) {
            let c = bytes[k]
            if c == 0x0A { line += 1; column = 1 } else if c & 0xC0 != 0x80 { column += 1 }
        }
        return JSONTree.Failure(line: line, column: column, reason: reason)
    }
}
