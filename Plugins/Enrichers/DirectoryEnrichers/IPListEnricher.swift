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

