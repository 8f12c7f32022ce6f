import Foundation
import SpoorKit

/// Labels from CIDR lists (`cidr,label` per line: hosting providers, VPNs, Tor exits, a
/// customer's own ranges): `labels.ip_list` of `source.ip` is the label of the longest
/// prefix that holds it. A lookup walks a binary trie — at most 32 or 128 steps, however long
/// the list.
public struct IPListEnricher: Enricher {
    public static let manifest = PluginManifest(
        id: "ip-lists", kind: .enricher, version: "1.0.0",
        summary: "labels.ip_list from CIDR lists (cidr,label), longest prefix wins",
        options: [OptionSpec("file", .string, "The list: one `cidr,label` per line (# comments).")])

    let trie: CIDRTrie

    public init(config: PluginConfig) throws {
        guard let path = config.string("file") else {
            throw ConfigError(origin: config.origin, message: "the ip-lists enricher needs a file", hint: "ip-lists: {file: ranges.csv}")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(origin: config.origin, message: "cannot read the IP list \(path)", hint: "check the path")
        }
        var trie = CIDRTrie()
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = (raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                .trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let parts = line.split(separator: ",", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, trie.insert(cidr: parts[0], label: parts[1]) else {
                throw ConfigError(origin: "\(path):\(n + 1)", message: "not a `cidr,label` line: \(line)",
                                  hint: "for example 203.0.113.0/24,hosting or 2001:db8::/32,vpn")
            }
        }
        self.trie = trie
    }

    public func enrich(_ event: EventBuilder, context: ParseContext) {
        guard let ip = event.value(of: .sourceIP), let label = trie.lookup(ip) else { return }
        event.label("ip_list", string: label)
    }
}

/// A binary trie of IPv4 and IPv6 prefixes (IPv4 as `::ffff:a.b.c.d`, so one trie holds both).
struct CIDRTrie: Sendable {
    private var children: [(Int32, Int32)] = [(-1, -1)]
    private var labels: [Int32: String] = [:]

    /// Adds `a.b.c.d/n` or `x::y/n` (a bare address is a /32 or /128).
    mutating func insert(cidr: String, label: String) -> Bool {
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
    func lookup(_ ip: Bytes) -> String? {
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
    static func parse(_ text: String) -> [UInt8]? {
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
