#if canImport(Glibc)
import Glibc
#endif

/// An ordered list of patterns, first match wins: the shape of most log parsers, written
/// as reviewable data. Each rule has a cheap literal prefilter (`when`), a PCRE2 pattern
/// with named groups, a mapping of groups to fields, constant fields, and an optional
/// closure for what a mapping cannot say.
///
/// Sendable: it is never changed after `init`, and the memory its pointers read is its own.
public struct MessageRule: @unchecked Sendable {
    public let id: String
    let pattern: Pattern
    let then: (@Sendable (PatternMatch, EventBuilder) -> Void)?
    // What the rule reads for each line it is tried on, in memory `tables` owns, and the
    // pattern borrowed: read through the rule's pointer, arrays and the pattern were
    // retained and released each time.
    private let tables: RuleTables
    let prefix: UnsafeRawBufferPointer?
    let literal: UnsafeRawBufferPointer?
    let mapping: UnsafeBufferPointer<(group: Int, field: Field)>
    let constants: UnsafeBufferPointer<(Field, StaticString)>
    let borrowedPattern: Unmanaged<Pattern>

    /// - Parameters:
    ///   - prefix: the message must start with this (checked before the pattern runs).
    ///   - contains: the message must contain this.
    ///   - fields: named group → field. Number columns are parsed as decimals; a
    ///     `source.ip` group that holds a host name goes to `source.domain`.
    public init(_ id: String, prefix: String? = nil, contains: String? = nil, _ pattern: String,
                fields: [String: Field] = [:], set constants: [(Field, StaticString)] = [],
                then: (@Sendable (PatternMatch, EventBuilder) -> Void)? = nil) throws(PatternError) {
        self.id = id
        self.pattern = try Pattern(pattern)
        var mapping: [(Int, Field)] = []
        for (name, field) in fields.sorted(by: { $0.key < $1.key }) {
            guard let group = self.pattern.group(name) else {
                throw PatternError(pattern: pattern, offset: 0, message: "rule '\(id)' maps group '\(name)', which the pattern does not have")
            }
            mapping.append((group, field))
        }
        tables = RuleTables(prefix: prefix, literal: contains, mapping: mapping, constants: constants)
        self.prefix = tables.prefix?.bytes
        literal = tables.literal?.bytes
        self.mapping = UnsafeBufferPointer(tables.mapping)
        self.constants = UnsafeBufferPointer(tables.constants)
        borrowedPattern = Unmanaged.passUnretained(self.pattern)
        self.then = then
    }

    /// Tries the rule at `r`; on a match, sets its fields and returns true. The rule is read
    /// in place, through the pointer: a copy of it (which a method call on an array element
    /// made) retains and releases its seven references for each line.
    @inline(__always)
    static func apply(_ r: UnsafePointer<MessageRule>, _ message: Bytes, _ event: EventBuilder, _ scratch: MatchScratch) -> Bool {
        // The first byte first: most rules a message is tried against differ there, and
        // the compare of the rest is a call.
        if let p = r.pointee.prefix, !(message.count >= p.count && (p.count == 0
            || (message.load(as: UInt8.self) == p.load(as: UInt8.self) && memcmp(message.baseAddress!, p.baseAddress!, p.count) == 0))) {
            return false
        }
        if let literal = r.pointee.literal, message.firstIndex(of: literal) == nil { return false }
        guard let m = r.pointee.borrowedPattern._withUnsafeGuaranteedRef({ $0.match(message, scratch) }) else { return false }
        for (field, value) in r.pointee.constants { event.set(field, value) }
        for (group, field) in r.pointee.mapping {
            guard let value = m[group], value.count > 0 else { continue }
            MessageRule.store(value, field, event)
        }
        r.pointee.then?(m, event)
        return true
    }

    /// Stores a captured value with the column's type.
    @inline(__always)
    public static func store(_ value: Bytes, _ field: Field, _ event: EventBuilder) {
        switch Schema.types[Int(field.rawValue)] {
        case .int64:
            if let n = value.decimal() { event.set(field, int: n) }
        case .stringList:
            event.append(field, value)
        default:
            if field == .sourceIP || field == .destinationIP {
                // An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is the IPv4 address.
                let v = value.hasPrefix("::ffff:") && value.dropFirst(7).isIPv4 ? value.dropFirst(7) : value
                if v.isIPAddress { event.set(field, v) } else if field == .sourceIP { event.set(.sourceDomain, v) }
            } else {
                event.set(field, value)
            }
        }
    }
}

/// Rules tried in order.
public struct MessageRules: Sendable {
    public let rules: [MessageRule]

    public init(_ rules: [MessageRule]) { self.rules = rules }

    /// The id of the rule that matched, nil when none did.
    @inline(__always)
    public func apply(_ message: Bytes, _ event: EventBuilder, _ context: ParseContext) -> String? {
        rules.withUnsafeBufferPointer { list in
            for i in list.indices {
                let rule = list.baseAddress! + i
                guard MessageRule.apply(rule, message, event, context.scratch) else { continue }
                context.note("rule '\(rule.pointee.id)' matched: /\(rule.pointee.pattern.source)/")
                return rule.pointee.id
            }
            context.note("no rule matched (\(list.count) tried)")
            return nil
        }
    }
}

/// The memory a `MessageRule` reads on every line (see there), freed with the last copy
/// of the rule.
private final class RuleTables: @unchecked Sendable {
    let prefix: StableText?
    let literal: StableText?
    let mapping: UnsafeMutableBufferPointer<(group: Int, field: Field)>
    let constants: UnsafeMutableBufferPointer<(Field, StaticString)>

    init(prefix: String?, literal: String?, mapping: [(Int, Field)], constants: [(Field, StaticString)]) {
        self.prefix = prefix.map(StableText.init)
        self.literal = literal.map(StableText.init)
        self.mapping = .allocate(capacity: mapping.count)
        _ = self.mapping.initialize(from: mapping.map { (group: $0.0, field: $0.1) })
        self.constants = .allocate(capacity: constants.count)
        _ = self.constants.initialize(from: constants)
    }

    deinit {
        mapping.deallocate()
        constants.deallocate()
    }
}
