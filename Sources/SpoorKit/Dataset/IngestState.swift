/// What earlier jobs read into a dataset: one entry per decoded stream, found again by its
/// content, not its name. A rotated file (`auth.log` → `auth.log.1` → `auth.log.2.gz`) keeps
/// its first bytes, so it is recognised under every name and only what follows the recorded
/// offset is read; a file that grew is read from where the last job stopped.
public struct IngestState: Codable, Sendable {
    public var streams: [StreamState] = []

    public init(streams: [StreamState] = []) { self.streams = streams }

    /// The entry whose recorded head is a prefix of `head` (same member path), if any.
    public func match(head: Bytes, member: String?) -> StreamState? {
        var best: StreamState?
        for s in streams where s.member == member && s.headLength <= head.count && s.headLength > 0 {
            guard Hash.hex(Hash.fnv1a(head.slice(0, s.headLength))) == s.headHash else { continue }
            if best == nil || s.headLength > best!.headLength || s.offset > best!.offset { best = s }
        }
        return best
    }

    /// Merges the streams a job read: a stream seen again replaces its old entry.
    public mutating func merge(_ read: [StreamState]) {
        for r in read {
            streams.removeAll { $0.member == r.member && $0.headHash == r.headHash && $0.headLength == r.headLength }
            streams.removeAll { $0.member == r.member && $0.fingerprint == r.fingerprint }
            streams.append(r)
        }
    }
}

/// One decoded stream as far as it was read.
public struct StreamState: Codable, Sendable, Equatable {
    /// How many first bytes the head hash covers (4 KiB, or the whole stream when shorter).
    public var headLength: Int
    public var headHash: String
    /// The path inside an archive; nil for a plain file.
    public var member: String?
    /// The event-id fingerprint, kept so that a stream read in several jobs keeps one.
    public var fingerprint: String
    /// Decoded bytes and lines consumed.
    public var offset: Int64
    public var lines: Int64
    /// Where it was last seen (for people reading the state file).
    public var path: String

    public init(headLength: Int, headHash: String, member: String?, fingerprint: String, offset: Int64, lines: Int64, path: String) {
        self.headLength = headLength
        self.headHash = headHash
        self.member = member
        self.fingerprint = fingerprint
        self.offset = offset
        self.lines = lines
        self.path = path
    }
}

extension Hash {
    public static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// A fingerprint pair as 32 hex digits, and back.
    public static func hex(_ pair: (UInt64, UInt64)) -> String { hex(pair.0) + hex(pair.1) }

    public static func pair(_ hex: String) -> (UInt64, UInt64)? {
        guard hex.count == 32, let a = UInt64(hex.prefix(16), radix: 16), let b = UInt64(hex.suffix(16), radix: 16) else { return nil }
        return (a, b)
    }
}

import Foundation

extension IngestState {
    /// A state file kept outside a dataset (`--state PATH`); absent means nothing read yet.
    public static func load(from path: String) throws -> IngestState {
        guard FileManager.default.fileExists(atPath: path) else { return IngestState() }
        do {
            return try JSONDecoder().decode(IngestState.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ConfigError(origin: path, message: "the ingest state cannot be read: \(error)",
                              hint: "remove it to ingest every input again")
        }
    }

    public func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let temporary = path + ".inprogress"
        try encoder.encode(self).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            throw JobError(description: "cannot write the state file \(path): \(String(cString: strerror(errno)))")
        }
    }
}
