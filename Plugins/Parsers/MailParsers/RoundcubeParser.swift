import SpoorKit

/// Roundcube webmail: its own log (`[22-Jan-2013 22:28:21 +0200]: <session> message`, format
/// `roundcube`, with `sniff`) or syslog (program `roundcube`). `IMAP Error: Login failed for
/// USER from IP. …`, `FAILED login for USER from IP`, `Failed login for USER from IP in session
/// …` are failed logins (bad_password: the IMAP server refused the credentials); `Successful
/// login for USER (ID: n) from IP in session …` is a login.
public struct RoundcubeParser: Parser {
    public static let manifest = PluginManifest(
        id: "roundcube", kind: .parser, version: "1.0.0",
        summary: "Roundcube webmail logins and IMAP login failures (own log file or syslog)")

    public init(config: PluginConfig) throws {}

    public var routes: [Route] { [.format("roundcube"), .program("roundcube")] }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        var m = input.message
        if input.program.count == 0 {
            guard let (micros, length) = RoundcubeParser.timestamp(m, input.context.clock) else { return .notMine }
            event.set(.timestamp, int: micros)
            m = m.dropFirst(length)
        }
        event.set(.eventDataset, "roundcube")
        event.set(.networkProtocol, "http")
        if m.hasPrefix("<"), let close = m.firstIndex(of: 0x3E), close < 64 {
            Mail.label("session", m.slice(1, close), event)
            m = m.dropFirst(close + 1).trimmed()
        }
        _ = RoundcubeParser.rules.apply(m, event, input.context)
        return .event
    }

    /// `[DD-Mon-YYYY HH:MM:SS[ +zzzz]]: ` → µs and the length read (through `]: `).
    static func timestamp(_ b: Bytes, _ clock: ZoneClock) -> (Int64, Int)? {
        guard b.count >= 23, b[0] == 0x5B, b[3] == 0x2D, b[7] == 0x2D, b[12] == 0x20,
              let close = b.firstIndex(of: 0x5D), close < 40,
              let day = b.slice(1, 3).decimal(), let month = Timestamps.month(b.slice(4, 7)),
              let year = b.slice(8, 12).decimal(), b[15] == 0x3A, b[18] == 0x3A,
              let h = b.slice(13, 15).decimal(), let mi = b.slice(16, 18).decimal(), let s = b.slice(19, 21).decimal(),
              day >= 1, day <= 31, h < 24, mi < 60, s <= 60 else { return nil }
        let local = CivilTime.seconds(year: Int(year), month: month, day: Int(day), hour: Int(h), minute: Int(mi), second: Int(min(s, 59)))
        var utc = clock.utc(localSeconds: local)
        var i = 21
        if i < close, b[i] == 0x2E { while i < close, b[i] != 0x20 { i += 1 } }
        if i + 6 <= close, b[i] == 0x20, b[i + 1] == 0x2B || b[i + 1] == 0x2D, let oh = b.slice(i + 2, i + 4).decimal(),
           let om = b.slice(i + 4, i + 6).decimal() {
            let offset = oh * 3600 + om * 60
            utc = b[i + 1] == 0x2B ? local - offset : local + offset
        }
        var end = close + 1
        if end < b.count, b[end] == 0x3A { end += 1 }
        while end < b.count, b[end] == 0x20 { end += 1 }
        return (utc * 1_000_000, end)
    }

    public func sniff(_ head: Bytes) -> Int {
        let utc = ZoneClock(zone: .init(identifier: "UTC")!)
        return sniffLines(head) { RoundcubeParser.timestamp($0, utc) != nil }
    }

    static let auth: [(Field, StaticString)] = [(.eventCategory, "authentication"), (.eventAction, "login"), (.eventType, "start")]
    /// The address that tried: the `from` followed by the error text (`. AUTHENTICATE …`,
    /// `. LOGIN: …`) or the end — what a user name cannot fake by containing ` from x`.
    static let from = #" from (?<ip>[0-9A-Fa-f:.]+?)(?:\((?:X-Real-IP|X-Forwarded-For)[^)]*\))?(?:\.? *$|\. (?=[A-Z]+[ :])| in session )"#

    static let rules = MessageRules([
        Mail.rule("imap-login-failed", contains: "Login failed for ",
                  #"^(?:IMAP Error: )?Login failed for (?<user>.*?)(?: against \S+)?"# + from,
                  set: auth + [(.eventOutcome, "failure"), (.eventReason, "bad_password"), (.networkProtocol, "imap")]) { g in
            let user = g("user"), ip = g("ip")
            return { m, e in Mail.user(m[user], e); Mail.client(host: nil, ip: m[ip], port: nil, e) }
        },
        Mail.rule("failed-login", contains: " login for ",
                  #"^(?:FAILED|Failed) login for (?<user>.*?)"# + from,
                  set: auth + [(.eventOutcome, "failure"), (.eventReason, "bad_password")]) { g in
            let user = g("user"), ip = g("ip")
            return { m, e in Mail.user(m[user], e); Mail.client(host: nil, ip: m[ip], port: nil, e) }
        },
        Mail.rule("login", prefix: "Successful login for ",
                  #"^Successful login for (?<user>.*?)(?: \(ID: \d+\))? from (?<ip>[0-9A-Fa-f:.]+)"#,
                  set: auth + [(.eventOutcome, "success")]) { g in
            let user = g("user"), ip = g("ip")
            return { m, e in Mail.user(m[user], e); Mail.client(host: nil, ip: m[ip], port: nil, e) }
        },
    ])
}
