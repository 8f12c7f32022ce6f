import SpoorKit

/// An indicator's text (a domain suffix, a user agent, a mail subject) with its bytes, so
/// that an event's value is matched without making a `String` per event.
///
/// The bytes decide only when both sides are plain: ASCII without a carriage return. There
/// every byte is one `Character` (CR is the one ASCII byte `String` joins with the next, as
/// CR LF), so a byte search and `String`'s character search agree. Anything else is
/// compared as `String`, as it always was: the answers do not change, only their cost.
struct IndicatorText: Sendable {
    let string: String
    private let bytes: [UInt8]
    private let plain: Bool

    init(_ string: String) {
        self.string = string
        bytes = Array(string.utf8)
        plain = Self.isPlain(bytes)
    }

    @inline(__always)
    static func isPlain<S: Sequence<UInt8>>(_ b: S) -> Bool { b.allSatisfy { $0 < 0x80 && $0 != 0x0D } }

    /// Whether `value` contains this text, case-sensitively (`String.contains`, which
    /// finds no empty text).
    func isContained(in value: Bytes) -> Bool { isContained(in: value, plainValue: Self.isPlain(value)) }

    /// Whether any of `texts` is in `value` (whose bytes are then checked once, not per text).
    static func anyContained(_ texts: [IndicatorText], in value: Bytes) -> Bool {
        let plainValue = isPlain(value)
        return texts.contains { $0.isContained(in: value, plainValue: plainValue) }
    }

    private func isContained(in value: Bytes, plainValue: Bool) -> Bool {
        guard plain, !bytes.isEmpty, plainValue else { return value.string.contains(string) }
        return bytes.withUnsafeBytes { value.firstIndex(of: $0) != nil }
    }

    /// Whether `domain`, lower-cased, is this (lower-cased) suffix or a name under it:
    /// `a.evil.example` is under `evil.example`, `notevil.example` is not.
    func isSuffix(ofDomain domain: Bytes) -> Bool {
        guard plain, Self.isPlain(domain) else {
            let d = domain.string.lowercased()
            return d == string || d.hasSuffix("." + string)
        }
        let n = bytes.count, start = domain.count - n
        guard start >= 0, start == 0 || domain[start - 1] == 0x2E else { return false }
        for i in 0..<n {
            let c = domain[start + i]
            if asciiLowercased(c) != bytes[i] { return false }
        }
        return true
    }
}

/// An indicator rule's domain suffixes, looked up by hash: a domain is checked against each
/// of its own suffixes (`a.evil.example`, `evil.example`, `example`), so a feed of ten
/// thousand domains costs a few lookups per event, not ten thousand comparisons.
struct DomainSuffixes: Sendable {
    private(set) var all: [IndicatorText] = []
    /// Hash of a plain suffix's bytes → its entries in `all`.
    private var plain: [UInt64: [Int32]] = [:]
    /// Entries that are not plain (compared as `String`, one by one).
    private var other: [Int32] = []

    var isEmpty: Bool { all.isEmpty }

    /// Adds a suffix (lower-cased by the caller).
    mutating func append(_ suffix: String) {
        let text = IndicatorText(suffix)
        if IndicatorText.isPlain(suffix.utf8) {
            plain[withBytes(of: suffix) { Hash.words($0) }, default: []].append(Int32(all.count))
        } else {
            other.append(Int32(all.count))
        }
        all.append(text)
    }

    /// Whether `domain`, lower-cased, is one of the suffixes or a name under one.
    func matches(_ domain: Bytes) -> Bool {
        guard IndicatorText.isPlain(domain), domain.count <= Self.longest else { return all.contains { $0.isSuffix(ofDomain: domain) } }
        if !other.isEmpty, other.contains(where: { all[Int($0)].isSuffix(ofDomain: domain) }) { return true }
        guard !plain.isEmpty else { return false }
        return Self.anySuffix(of: domain) { suffix in
            plain[Hash.words(suffix)].map { $0.contains { all[Int($0)].isSuffix(ofDomain: suffix) } } ?? false
        }
    }

    /// The longest domain `anySuffix` takes (a DNS name has at most 253 bytes).
    static let longest = 1024

    /// Whether `body` holds for `domain` with ASCII lower-cased, or for any of its suffixes
    /// after a dot (`a.evil.example`, then `evil.example`, then `example`). At most
    /// `longest` bytes.
    static func anySuffix(of domain: Bytes, _ body: (Bytes) -> Bool) -> Bool {
        precondition(domain.count <= longest)
        return domain.withASCIILowercased { lower in
            var start = 0
            while true {
                let suffix = lower.dropFirst(start)
                if body(suffix) { return true }
                guard let dot = suffix.firstIndex(of: 0x2E) else { return false }
                start += dot + 1
            }
        }
    }
}
