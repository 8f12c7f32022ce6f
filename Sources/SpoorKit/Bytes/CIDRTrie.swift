import Foundation

/// A binary trie of IPv4 and IPv6 prefixes (IPv4 as `::ffff:a.b.c.d`, so one trie holds both).
public struct CIDRTrie: Sendable {
    public init() {}

    private var children: [(Int32, Int32)] = [(-1, -1)]
    private var labels: [Int32: String] = [:]

    public var isEmpty: Bool { labels.isEmpty }

    /// Adds `a.b.c.d/n` or `x::y/n` (a bare address is a /32 or /128).
    public mutating func insert(cidr: String, label: String) -> Bool {
        let parts = cidr.split(separator: "/", maxSplits: 1)
        guard let address = CIDRTrie.parse(String(parts[0])) else { return false }
        let isV4 = !parts[0].contains(":")
        var length = isV4 ? 32 : 128
        if parts.count == 2 {
            guard let n = Int(parts[1]), n >= 0, n <= length else { return false }
            length = n
        }
        let bits = isV4 ? 96 + length : length
        var node = 0
        for i in 0..<bits {
            let bit = (address[i / 8] >> (7 - UInt8(i % 8))) & 1
            var next = bit == 0 ? children[node].0 : children[node].1
            if next < 0 {
                next = Int32(children.count)
                children.append((-1, -1))
                if bit == 0 { children[node].0 = next } else { children[node].1 = next }
            }
            node = Int(next)
        }
        labels[Int32(node)] = label
        return true
    }

    /// The label of the longest prefix holding the address, if any.
    public func lookup(_ ip: Bytes) -> String? {
        guard let address = CIDRTrie.parse(ip.string) else { return nil }
        var node = 0, found: String?
        for i in 0..<128 {
            if let l = labels[Int32(node)] { found = l }
            let bit = (address[i / 8] >> (7 - UInt8(i % 8))) & 1
            let next = bit == 0 ? children[node].0 : children[node].1
            if next < 0 { return found }
            node = Int(next)
        }
        return labels[Int32(node)] ?? found
    }

    /// 16 bytes (IPv4 mapped into IPv6).
    public static func parse(_ text: String) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: 16)
        if !text.contains(":") {
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
