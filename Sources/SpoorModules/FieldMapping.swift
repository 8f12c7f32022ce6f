import Foundation
import SpoorKit

/// Where a value goes: a column of the schema, or a `labels` entry.
enum Target: Sendable {
    case field(Field)
    case label(String)

    var name: String {
        switch self {
        case .field(let f): f.name
        case .label(let key): "labels.\(key)"
        }
    }

    /// Stores `value` as the column's type wants it (what `MessageRule` does for built-ins:
    /// numbers parsed, lists appended, a host name in `source.ip` moved to `source.domain`).
    @inline(__always)
    func store(_ value: Bytes, _ event: EventBuilder) {
        switch self {
        case .label(let key): event.label(key, value)
        case .field(let f):
            if Schema.types[Int(f.rawValue)] == .bool {
                if let b = Conversion.bool(value) { event.set(f, bool: b) }
            } else {
                MessageRule.store(value, f, event)
            }
        }
    }

    /// Stores a constant of the module file (never copied per event).
    @inline(__always)
    func store(constant: StableText, _ event: EventBuilder) {
        switch self {
        case .label(let key): event.label(key, constant.bytes)
        case .field(let f):
            switch Schema.types[Int(f.rawValue)] {
            case .stringList: event.append(f, constant.bytes)
            case .int64: if let n = constant.bytes.decimal() { event.set(f, int: n) }
            case .bool: if let b = Conversion.bool(constant.bytes) { event.set(f, bool: b) }
            default: event.set(f, stable: constant.bytes)
            }
        }
    }
}

/// How a captured value becomes a field's value.
enum Conversion: Sendable {
    /// As the column's type says (strings as is, numbers parsed, addresses checked).
    case auto
    /// Whole numbers only; anything else leaves the field unset.
    case int
    /// An IP address (`::ffff:a.b.c.d` is the IPv4 address); anything else is dropped
    /// (`source.ip` keeps a host name in `source.domain`).
    case ip
    /// Only when the value is a mail address (holds an `@`): `user.email` from a user name.
    case email
    /// Read with the first of these formats that takes the whole value; a zone comes with
    /// the key of its per-worker clock (made once, not per event).
    case timestamp([TimestampFormat], zone: (zone: TimeZone, key: String)?)
    /// Looked up in a table (words of the log → words of the vocabulary); `default` when
    /// the value is not in it, else the field stays unset.
    case map([(key: [UInt8], value: StableText)], default: StableText?)
    /// Lower-cased ASCII.
    case lower

    static func bool(_ b: Bytes) -> Bool? {
        if b.equals("true") || b.equals("yes") || b.equals("1") { return true }
        if b.equals("false") || b.equals("no") || b.equals("0") { return false }
        return nil
    }
}

/// One capture group mapped to one target.
struct CaptureMapping: Sendable {
    let group: Int
    let capture: String
    let target: Target
    let conversion: Conversion

    /// Sets the target from the group's value; false when the value did not convert.
    @inline(__always)
    func apply(_ value: Bytes, _ event: EventBuilder, _ context: ParseContext, _ input: InputFile) -> Bool {
        switch conversion {
        case .auto:
            target.store(value, event)
        case .int:
            guard let n = value.decimal() else { return false }
            if case .field(let f) = target, Schema.types[Int(f.rawValue)] == .int64 { event.set(f, int: n) } else { target.store(value, event) }
        case .ip:
            let v = value.hasPrefix("::ffff:") && value.dropFirst(7).isIPv4 ? value.dropFirst(7) : value
            if v.isIPAddress { target.store(v, event) }
            else if case .field(.sourceIP) = target { event.set(.sourceDomain, v) }
            else { return false }
        case .email:
            guard value.firstIndex(of: 0x40) != nil else { return true }
            target.store(value, event)
        case .timestamp(let formats, let zone):
            let clock = zone.map { z in context.state(for: z.key) { ZoneClock(zone: z.zone) } } ?? context.clock
            for format in formats {
                if let micros = format.read(value, clock: clock, years: input.years) {
                    if case .field(let f) = target, f == .timestamp || Schema.types[Int(f.rawValue)] == .int64 {
                        event.set(f, int: micros)
                    } else if case .label(let key) = target {
                        event.label(key, string: CivilTime.iso8601(micros: micros))
                    } else if case .field(let f) = target {
                        event.set(f, string: CivilTime.iso8601(micros: micros))
                    }
                    return true
                }
            }
            return false
        case .map(let table, let fallback):
            for entry in table where entry.key.count == value.count {
                if entry.key.withUnsafeBytes({ memcmp($0.baseAddress!, value.baseAddress!, value.count) == 0 }) {
                    target.store(constant: entry.value, event)
                    return true
                }
            }
            guard let fallback else { return false }
            target.store(constant: fallback, event)
        case .lower:
            value.withASCIILowercased { target.store($0, event) }
        }
        return true
    }
}

/// A constant value a pattern (or the module) sets.
struct Constant: Sendable {
    let target: Target
    let value: StableText
}
