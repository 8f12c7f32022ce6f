#if canImport(Glibc)
import Glibc
#endif

/// Picks the parser for a syslog message by its program name (tag).
///
/// Built once per job from every parser's `routes`: exact names first, then prefixes
/// (`postfix/`), then parsers that accept any program. A tag with a parenthesised suffix
/// (`sshd(pam_unix)`, as old PAM logs write) is also tried without it.
public final class ProgramRouter: Sendable {
    /// Parsers to try for an exact program name, keyed by the name's hash (no `String` per
    /// record); each list already ends with the fallbacks.
    /// Parsers keep their ids beside them: several parsers may share one type (declarative
    /// modules), so the id cannot come from the type.
    typealias Candidate = (id: String, parser: any Parser)
    private let exact: [(name: [UInt8], parsers: [Candidate])]
    /// Open addressing on the name's FNV-1a hash: `exact`'s index + 1 (0: empty), in slots
    /// a power of two at most half full. A `Dictionary` keyed by the hash hashed it again
    /// (SipHash), on every line.
    private let slots: [Int32]
    private let hashes: [UInt64]
    private let prefixes: [(prefix: [UInt8], parsers: [Candidate])]
    private let fallbacks: [Candidate]

    public init(parsers: [(id: String, parser: any Parser)]) {
        var byName: [String: [Candidate]] = [:]
        var byPrefix: [String: [Candidate]] = [:]
        var fallbacks: [Candidate] = []
        for (id, parser) in parsers {
            for route in parser.routes {
                switch route {
                case .program(let name): byName[name, default: []].append((id, parser))
                case .programPrefix(let p): byPrefix[p, default: []].append((id, parser))
                case .anyProgram: fallbacks.append((id, parser))
                case .format: break
                }
            }
        }
        exact = byName.sorted { $0.key < $1.key }.map { (Array($0.key.utf8), $0.value + fallbacks) }
        hashes = exact.map { entry in entry.name.withUnsafeBytes { Hash.fnv1a($0) } }
        var size = 4
        while size < exact.count * 2 { size *= 2 }
        var slots = [Int32](repeating: 0, count: size)
        for (i, h) in hashes.enumerated() {
            var s = Int(truncatingIfNeeded: h) & (slots.count - 1)
            while slots[s] != 0 { s = (s + 1) & (slots.count - 1) }
            slots[s] = Int32(i + 1)
        }
        self.slots = slots
        prefixes = byPrefix.map { (Array($0.key.utf8), $0.value + fallbacks) }.sorted { $0.prefix.count > $1.prefix.count }
        self.fallbacks = fallbacks
    }

    /// Whether any parser is routed by program at all.
    public var isEmpty: Bool { exact.isEmpty && prefixes.isEmpty && fallbacks.isEmpty }

    /// Runs the parsers routed for `input.program` until one claims the message.
    public func dispatch(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        let ctx = input.context
        for (id, parser) in candidates(for: input.program) {
            let mark = event.mark()
            let result = try parser.parse(input, into: event)
            ctx.note("parser '\(id)' for program '\(input.program.string)': \(result)")
            if case .notMine = result {
                event.rollback(to: mark)
                continue
            }
            return result
        }
        return .notMine
    }

    private func candidates(for program: Bytes) -> [Candidate] {
        if let hit = lookup(program) { return hit }
        if let paren = program.firstIndex(of: 0x28), let hit = lookup(program.slice(0, paren)) { return hit }
        for entry in prefixes where entry.prefix.withUnsafeBytes({ program.count >= $0.count && memcmp(program.baseAddress!, $0.baseAddress!, $0.count) == 0 }) {
            return entry.parsers
        }
        return fallbacks
    }

    @inline(__always)
    private func lookup(_ name: Bytes) -> [Candidate]? {
        let h = Hash.fnv1a(name)
        var s = Int(truncatingIfNeeded: h) & (slots.count - 1)
        while slots[s] != 0 {
            let i = Int(slots[s]) - 1
            if hashes[i] == h, exact[i].name.count == name.count,
               exact[i].name.withUnsafeBytes({ name.count == 0 || memcmp($0.baseAddress!, name.baseAddress!, name.count) == 0 }) {
                return exact[i].parsers
            }
            s = (s + 1) & (slots.count - 1)
        }
        return nil
    }
}
