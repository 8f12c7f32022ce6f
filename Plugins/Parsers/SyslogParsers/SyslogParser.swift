import Foundation
import SpoorKit

/// The syslog envelope: RFC 3164 (`Sep  3 14:02:11 host prog[pid]: msg`, year resolved
/// against the input's reference time, wall clock in the job's zone), RFC 5424
/// (`<34>1 2003-10-11T22:14:15.003Z host app procid msgid [sd] msg`) and ISO-8601-prefixed
/// lines (rsyslog's high-precision format). It sets the envelope fields and hands the message
/// to the parser routed for the program; a program nobody parses stays a `syslog` event.
public struct SyslogParser: Parser {
    public static let manifest = PluginManifest(
        id: "syslog", kind: .parser, version: "1.0.0",
        summary: "Syslog envelope (RFC 3164, RFC 5424, ISO 8601), routes by program name")

    public init(config: PluginConfig) throws {}

    public var routes: [Route] { [.format("syslog")] }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        var b = input.record
        var rfc5424 = false
        // <PRI>, then "1 " for RFC 5424.
        if b.count > 3, b[0] == 0x3C, let close = b.firstIndex(of: 0x3E), close <= 4 {
            b = b.dropFirst(close + 1)
            if b.count > 2, b[0] == 0x31, b[1] == 0x20 { b = b.dropFirst(2); rfc5424 = true }
        }
        let clock = input.context.clock
        if rfc5424 {
            return try parse5424(b, input, event)
        }
        if let stamp = SyslogParser.tai64n(b) {
            // daemontools/multilog: `@4000000063a1b2c3…` then `program: message`.
            event.set(.timestamp, int: stamp)
            b = b.dropFirst(25)
        } else if let stamp = Timestamps.rfc3164(b) {
            let year = input.input.years.year(month: stamp.month, day: stamp.day)
            let local = CivilTime.days(year: year, month: stamp.month, day: stamp.day) * 86_400 + Int64(stamp.secondOfDay)
            event.set(.timestamp, int: clock.utc(localSeconds: local) * 1_000_000 + Int64(stamp.micros))
            b = b.dropFirst(stamp.length)
        } else if let stamp = Timestamps.iso8601(b, clock: clock) {
            event.set(.timestamp, int: stamp.micros)
            b = b.dropFirst(stamp.length)
        } else {
            throw ParseFailure("no syslog timestamp at the start of the line (RFC 3164, RFC 5424 or ISO 8601 expected)")
        }
        guard b.count > 0, b[0] == 0x20 else { throw ParseFailure("no space after the syslog timestamp") }
        b = b.dropFirst(1)
        // Host, then the tag. A line without a tag (`host message`) keeps its message whole.
        event.set(.eventDataset, "syslog")
        // Some daemons write the facility and level before the host: `<mail.info> robin sm-mta[…]`.
        let facility = b.token()
        if facility.count > 2, facility.hasPrefix("<"), facility.hasSuffix(">"), facility.contains(".") {
            event.label("syslog.priority", facility.slice(1, facility.count - 1))
            b = b.dropFirst(facility.count + 1)
        }
        let first = b.token()
        let host: Bytes
        // Some writers leave the host out: the first token is then already the tag
        // (`sshd[8148]:`, `[sshd]:`, `[sshd]`).
        if first.hasSuffix(":") || first.hasPrefix("[") {
            host = first.slice(0, 0)
        } else {
            host = first
            event.set(.hostName, host)
            b = b.dropFirst(host.count + 1)
        }
        let (program, pid, message) = b.hasPrefix("[") ? SyslogParser.bracketTag(b) : SyslogParser.tag(b)
        if program.count > 0 { event.set(.processName, program) }
        if let pid, let n = pid.decimal() { event.set(.processPID, int: n) }
        input.context.note("syslog envelope: host '\(host.string)', program '\(program.string)'")
        return try route(program, message, input, event)
    }

    private func route(_ program: Bytes, _ message: Bytes, _ input: ParserInput, _ event: EventBuilder) throws(ParseFailure) -> ParseResult {
        var message = message
        // rsyslog folds repeats: "message repeated 3 times: [ Failed password …]".
        if message.hasPrefix("message repeated "), let open = message.firstIndex(of: 0x5B) {
            let count = message.slice(17, message.firstIndex(of: 0x20, from: 17) ?? 17)
            event.label("repeated", count)
            message = message.slice(open + 1, message.count - (message.hasSuffix("]") ? 1 : 0)).trimmed()
        }
        let result = try input.dispatch(program: program, message: message, into: event)
        if case .notMine = result {
            input.context.note("no parser claimed program '\(program.string)': generic syslog event")
            return .event
        }
        return result
    }

    public func sniff(_ head: Bytes) -> Int {
        let utc = ZoneClock(zone: TimeZone(identifier: "UTC")!)
        return sniffLines(head) { line in
            var b = line
            if b.count > 3, b[0] == 0x3C, let close = b.firstIndex(of: 0x3E), close <= 4 { return true }
            if SyslogParser.tai64n(b) != nil { return true }
            if Timestamps.rfc3164(b) != nil { return true }
            b = b.slice(0, min(b.count, 40))
            guard b.count >= 19, b[10] == 0x54, let stamp = Timestamps.iso8601(b, clock: utc) else { return false }
            return stamp.length < b.count && b[stamp.length] == 0x20   // then a space and the host
        }
    }

    /// A TAI64N label (`@` and 24 hex digits) → µs since the epoch (UTC = TAI − 10 s, the
    /// daemontools convention; leap seconds since 1972 are not applied).
    static func tai64n(_ b: Bytes) -> Int64? {
        guard b.count >= 25, b[0] == 0x40, b.count == 25 || b[25] == 0x20 else { return nil }
        var seconds: UInt64 = 0, nanos: UInt64 = 0
        for i in 1...24 {
            let c = b[i]
            let v: UInt64
            switch c {
            case 0x30...0x39: v = UInt64(c - 0x30)
            case 0x61...0x66: v = UInt64(c - 0x61 + 10)
            default: return nil
            }
            if i <= 16 { seconds = seconds << 4 | v } else { nanos = nanos << 4 | v }
        }
        guard seconds >= 1 << 62 else { return nil }
        return (Int64(seconds - (1 << 62)) - 10) * 1_000_000 + Int64(nanos / 1000)
    }

    /// `prog[pid]: message` → (prog, pid, message). Without a colon there is no tag.
    static func tag(_ b: Bytes) -> (Bytes, Bytes?, Bytes) {
        var i = 0
        while i < b.count, b[i] != 0x5B, b[i] != 0x3A, b[i] != 0x20 { i += 1 }
        let program = b.slice(0, i)
        var pid: Bytes?
        if i < b.count, b[i] == 0x5B, let close = b.firstIndex(of: 0x5D, from: i) {
            pid = b.slice(i + 1, close)
            i = close + 1
        }
        guard i < b.count, b[i] == 0x3A, program.count > 0 else { return (b.slice(0, 0), nil, b) }
        i += 1
        if i < b.count, b[i] == 0x20 { i += 1 }
        return (program, pid, b.dropFirst(i))
    }

    /// `[prog]: message` or `[prog] message`.
    static func bracketTag(_ b: Bytes) -> (Bytes, Bytes?, Bytes) {
        guard let close = b.firstIndex(of: 0x5D) else { return (b.slice(0, 0), nil, b) }
        var rest = b.dropFirst(close + 1)
        if rest.hasPrefix(":") { rest = rest.dropFirst(1) }
        if rest.hasPrefix(" ") { rest = rest.dropFirst(1) }
        return (b.slice(1, close), nil, rest)
    }

    /// RFC 5424 after `<PRI>1 `: timestamp host app procid msgid structured-data message.
    private func parse5424(_ line: Bytes, _ input: ParserInput, _ event: EventBuilder) throws(ParseFailure) -> ParseResult {
        var b = line
        func field() -> Bytes {
            let t = b.token()
            b = b.dropFirst(t.count + 1)
            return t
        }
        let stampField = field()
        guard let stamp = Timestamps.iso8601(stampField, clock: input.context.clock) else {
            throw ParseFailure("RFC 5424 line without a valid timestamp")
        }
        event.set(.timestamp, int: stamp.micros)
        event.set(.eventDataset, "syslog")
        let host = field(), app = field(), procid = field()
        _ = field()   // msgid
        if host.count > 0, !host.equals("-") { event.set(.hostName, host) }
        let program = app.equals("-") ? app.slice(0, 0) : app
        if program.count > 0 { event.set(.processName, program) }
        if let n = procid.decimal() { event.set(.processPID, int: n) }
        // Structured data: "-" or [id k="v" …]… with \] escapes inside values.
        if b.hasPrefix("-") {
            b = b.dropFirst(min(2, b.count))
        } else {
            var i = 0, inQuotes = false
            while i < b.count {
                let c = b[i]
                if c == 0x5C { i += 2; continue }
                if c == 0x22 { inQuotes.toggle() }
                if c == 0x5D && !inQuotes && (i + 1 == b.count || b[i + 1] != 0x5B) { i += 1; break }
                i += 1
            }
            b = b.dropFirst(min(i + 1, b.count))
        }
        if b.hasPrefix("\u{FEFF}") { b = b.dropFirst(3) }
        return try route(program, b, input, event)
    }
}
