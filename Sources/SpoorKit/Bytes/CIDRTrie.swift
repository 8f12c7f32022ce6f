import Foundation

/// A binary trie of IPv4 and IPv6 prefixes (IPv4 as `::ffff:a.b.c.d`, so one trie holds both).
public struct CIDRTrie: Sendable {
    public init() {}

    /// Children (0 and 1 bit) and the label index of each node (-1: none); all in arrays, so a
    /// lookup is at most 128 array steps, no hashing.
    private var nodes: [(zero: Int32, one: Int32, label: Int32)] = [(-1, -1, -1)]
    private var labels: [String] = []
    /// The node at the end of `::ffff:0:0/96` (where IPv4 addresses start) and the label of
    /// the longest prefix above it: an IPv4 lookup starts there instead of walking 96 bits.
    private var v4Root: Int32 = -1
    private var v4Label: Int32 = -1

    public var isEmpty: Bool { labels.isEmpty }

    /// Adds `a.b.c.d/n` or `x::y/n` (a bare address is a /32 or /128).
    public mutating func insert(cidr: String, label: String) -> Bool {
        withBytes(of: cidr) { insert(cidr: $0, label: label) }
    }

    /// The same from bytes (an indicator list's line, a STIX pattern's value) without a
    /// `String` for IPv4.
    public mutating func insert(cidr: Bytes, label: String) -> Bool {
        // Split as `split(separator: "/", maxSplits: 1)` did: empty pieces are skipped, so
        // `/a.b.c.d` and `a.b.c.d/` are bare addresses.
        var s = 0
        while s < cidr.count, cidr[s] == 0x2F { s += 1 }
        guard s < cidr.count else { return false }
        let slash = cidr.firstIndex(of: 0x2F, from: s) ?? cidr.count
        let first = cidr.slice(s, slash), rest = cidr.slice(slash + 1, cidr.count)
        guard let address = CIDRTrie.address(first) else { return false }
        let isV4 = first.firstIndex(of: 0x3A) == nil
        var length = isV4 ? 32 : 128
        if rest.count > 0 {
            guard let n = CIDRTrie.integer(rest), n >= 0, n <= length else { return false }
            length = n
        }
        let bits = isV4 ? 96 + length : length
        var node = 0, i = 0
        if isV4, v4Root >= 0, bits >= 96 {
            // Every IPv4 prefix runs through ::ffff:0:0/96; start where it ends.
            node = Int(v4Root); i = 96
        }
        while i < bits {
            let word = i < 64 ? address.0 : address.1
            let bit = (word >> (63 - UInt64(i % 64))) & 1
            var next = bit == 0 ? nodes[node].zero : nodes[node].one
            if next < 0 {
                next = Int32(nodes.count)
                nodes.append((-1, -1, -1))
                if bit == 0 { nodes[node].zero = next } else { nodes[node].one = next }
            }
            node = Int(next)
            i += 1
        }
        labels.append(label)
        nodes[node].label = Int32(labels.count - 1)
        // The IPv4 start moves only while its path is incomplete or when a label lands on it.
        if v4Root < 0 || bits <= 96 { findV4Root() }
        return true
    }

    /// `Int(text)` for the prefix length: an optional sign, then decimal digits.
    static func integer(_ text: Bytes) -> Int? {
        var i = 0, negative = false
        if text.count > 0, text[0] == 0x2B || text[0] == 0x2D { negative = text[0] == 0x2D; i = 1 }
        guard i < text.count else { return nil }
        var v = 0
        while i < text.count {
            let d = text[i] &- 0x30
            guard d < 10 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(d))
            guard !o1, !o2 else { return nil }
            v = a
            i += 1
        }
        return negative ? -v : v
    }

    /// An address's 128 bits (IPv4 mapped into IPv6), accepting exactly what `parse(_:)`
    /// (inet_pton) accepts; IPv4 is read here, IPv6 goes through inet_pton.
    public static func address(_ text: Bytes) -> (UInt64, UInt64)? {
        guard text.firstIndex(of: 0x3A) == nil else {
            var address = (UInt64(0), UInt64(0))
            return parse(text, into: &address) ? address : nil
        }
        // inet_pton's IPv4 rules: four decimal parts of 0...255, no leading zeros. It reads a
        // C string, so a NUL ends the text.
        let end = text.firstIndex(of: 0) ?? text.count
        var v: UInt64 = 0, part: UInt64 = 0, parts = 0, digits = 0
        for k in 0..<end {
            let c = text[k]
            if c &- 0x30 < 10 {
                if digits > 0 && part == 0 { return nil }
                part = part * 10 + UInt64(c - 0x30)
                guard part <= 255 else { return nil }
                if digits == 0 { parts += 1; guard parts <= 4 else { return nil } }
                digits += 1
            } else if c == 0x2E, digits > 0, parts < 4 {
                v = v << 8 | part; part = 0; digits = 0
            } else {
                return nil
            }
        }
        guard parts == 4, digits > 0 else { return nil }
        v = v << 8 | part
        return (0, 0xFFFF_0000_0000 | v)
    }

    private mutating func findV4Root() {
        var node = 0, found: Int32 = -1
        for i in 0..<96 {
            if nodes[node].label >= 0 { found = nodes[node].label }
            let next = i < 80 ? nodes[node].zero : nodes[node].one
            if next < 0 { v4Root = -1; v4Label = found; return }
            node = Int(next)
        }
        v4Root = Int32(node)
        v4Label = found
    }

    /// The label of the longest prefix holding the address, if any.
    public func lookup(_ ip: Bytes) -> String? {
        var address = (UInt64(0), UInt64(0))
        guard CIDRTrie.parse(ip, into: &address) else { return nil }
        return lookup(address: address)
    }

    /// The same for an address already parsed (`parse(_:into:)`): one parse serves every
    /// trie an event is looked up in.
    public func lookup(address: (UInt64, UInt64)) -> String? {
        guard !labels.isEmpty else { return nil }
        var node = 0, found: Int32 = -1, start = 0
        if address.0 == 0 && address.1 >> 32 == 0xFFFF {
            // IPv4: from the end of the mapped prefix.
            guard v4Root >= 0 else { return v4Label >= 0 ? labels[Int(v4Label)] : nil }
            node = Int(v4Root); found = v4Label; start = 96
        }
        for i in start..<128 {
            if nodes[node].label >= 0 { found = nodes[node].label }
            let word = i < 64 ? address.0 : address.1
            let bit = (word >> (63 - UInt64(i % 64))) & 1
            let next = bit == 0 ? nodes[node].zero : nodes[node].one
            if next < 0 { return found >= 0 ? labels[Int(found)] : nil }
            node = Int(next)
        }
        if nodes[node].label >= 0 { found = nodes[node].label }
        return found >= 0 ? labels[Int(found)] : nil
    }

    /// An address's 128 bits (IPv4 mapped into IPv6), parsed from bytes without a `String`
    /// for IPv4.
    public static func parse(_ ip: Bytes, into out: inout (UInt64, UInt64)) -> Bool {
        if let v = ip.ipv4 {
            out = (0, 0xFFFF_0000_0000 | UInt64(v))
            return true
        }
        guard let bytes = parse(ip.string) else { return false }
        out = (bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }, bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) })
        return true
    }

    /// 16 bytes (IPv4 mapped into IPv6).
    public static func parse(_ text: String) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: 16)
        if !text.utf8.contains(0x3A) {
            var v4 = in_addr()
            guard inet_pton(AF_INET, text, &v4) == 1 else { return nil }
            out[10] = 0xFF; out[11] = 0xFF
            withUnsafeBytes(of: v4) { for i in 0..<4 { out[12 + i] = $0[i] } }
            return out
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        withUnsafeBytes(of: v6) { for i in 0..<16 { out[i] = $0[i] } }
        return out
    }
}
