import Foundation
import SpoorKit

/// `user.exists` from a list of the accounts that exist: what tells a probe for a
/// non-existent address from an attack on a real account (the campaign accounting trusts the
/// directory over the log's own word).
///
/// The file has one account per line, `address[,alias…]` (CSV; `#` starts a comment); names
/// are compared lower-cased. An event's account is `user.email`, else `user.name@user.domain`,
/// else `user.name`. Events that name no account are left as they are.
public struct AccountDirectoryEnricher: Enricher {
    public static let manifest = PluginManifest(
        id: "accounts", kind: .enricher, version: "1.0.0",
        summary: "user.exists from a list of existing accounts and aliases",
        options: [OptionSpec("file", .string, "The account list: one `address[,alias…]` per line.")])

    /// Hashes of the lower-cased accounts and aliases (64-bit: a false match needs a collision).
    let known: Set<UInt64>

    public init(config: PluginConfig) throws {
        guard let path = config.string("file") else {
            throw ConfigError(origin: config.origin, message: "the accounts enricher needs a file", hint: "accounts: {file: accounts.csv}")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(origin: config.origin, message: "cannot read the account list \(path)", hint: "check the path")
        }
        var known = Set<UInt64>()
        for line in text.split(whereSeparator: \.isNewline) {
            let body = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            for name in body.split(separator: ",") {
                let n = name.trimmingCharacters(in: .whitespaces).lowercased()
                if !n.isEmpty { known.insert(withBytes(of: n) { Hash.fnv1a($0) }) }
            }
        }
        self.known = known
    }

    public func enrich(_ event: EventBuilder, context: ParseContext) {
        var h: UInt64
        if let email = event.value(of: .userEmail), email.count > 0 {
            h = AccountDirectoryEnricher.lowerHash(email, Hash.fnv1a(Bytes(start: nil, count: 0)))
        } else if let name = event.value(of: .userName), name.count > 0 {
            h = AccountDirectoryEnricher.lowerHash(name, Hash.fnv1a(Bytes(start: nil, count: 0)))
            if let domain = event.value(of: .userDomain), domain.count > 0, !name.contains("@") {
                h = (h ^ 0x40) &* 0x0000_0100_0000_01B3   // "@"
                h = AccountDirectoryEnricher.lowerHash(domain, h)
            }
        } else {
            return
        }
        event.set(.userExists, bool: known.contains(h))
    }

    /// FNV-1a over the ASCII-lower-cased bytes, continuing from `h`.
    @inline(__always)
    static func lowerHash(_ b: Bytes, _ seed: UInt64) -> UInt64 {
        var h = seed
        for c in b { h = (h ^ UInt64(c >= 0x41 && c <= 0x5A ? c | 0x20 : c)) &* 0x0000_0100_0000_01B3 }
        return h
    }
}
