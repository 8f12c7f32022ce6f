import SpoorKit

/// Courier IMAP/POP3 (`imapd`, `pop3d`, `imapd-ssl`, `pop3d-ssl`, `courierpop3login`,
/// `courier-imapd`): `LOGIN FAILED, user=…, ip=[::ffff:a.b.c.d]`, `LOGIN, user=…`,
/// `LOGOUT, user=…`, `Connection, ip=[…]`, `Disconnected, ip=[…]`.
public struct CourierParser: Parser {
    public static let manifest = PluginManifest(
        id: "courier", kind: .parser, version: "1.0.0",
        summary: "Courier IMAP/POP3 logins and failures")

    public init(config: PluginConfig) throws {}

    public var routes: [Route] {
        [.program("imapd"), .program("pop3d"), .program("imapd-ssl"), .program("pop3d-ssl"), .program("courierpop3login"),
         .program("courierimaplogin"), .program("courier-imapd"), .program("courier-pop3d")]
    }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        let m = input.message
        guard m.hasPrefix("LOGIN") || m.hasPrefix("LOGOUT") || m.hasPrefix("Connection, ") || m.hasPrefix("Disconnected, ")
                || m.hasPrefix("TIMEOUT") || m.hasPrefix("Maximum connection limit") else { return .notMine }
        guard CourierParser.rules.apply(m, event, input.context) != nil else { return .notMine }
        event.set(.eventDataset, "courier")
        if input.program.contains("pop3") { event.set(.networkProtocol, "pop3") } else { event.set(.networkProtocol, "imap") }
        return .event
    }

    /// `, user=…, ip=[…], port=[…]` after the verb.
    static func fields(_ b: Bytes, _ e: EventBuilder) {
        if let u = b.after("user=") { Mail.user(u.until(0x2C), e) }
        if let ip = b.after("ip=[") { Mail.client(host: nil, ip: ip.until(0x5D), port: nil, e) }
        if let port = b.after("port=[") { Mail.client(host: nil, ip: nil, port: port.until(0x5D), e) }
        if let method = b.after("method=") { Mail.method(method.until(0x2C), e) }
        if let p = b.after("protocol=") { Mail.label("protocol", p.until(0x2C), e) }
    }

    static let auth: [(Field, StaticString)] = [(.eventCategory, "authentication"), (.eventAction, "login"), (.eventType, "start")]

    static let rules = MessageRules([
        Mail.rule("login-failed", prefix: "LOGIN FAILED", #"^LOGIN FAILED(?<rest>.*)$"#,
                  set: auth + [(.eventOutcome, "failure"), (.eventReason, "bad_password")]) { g in
            let rest = g("rest")
            return { m, e in CourierParser.fields(m[rest]!, e) }
        },
        Mail.rule("login", prefix: "LOGIN, ", #"^LOGIN, (?<rest>.*)$"#, set: auth + [(.eventOutcome, "success")]) { g in
            let rest = g("rest")
            return { m, e in CourierParser.fields(m[rest]!, e) }
        },
        Mail.rule("logout", #"^(?:LOGOUT|TIMEOUT|Disconnected), (?<rest>.*)$"#,
                  set: [(.eventCategory, "session"), (.eventAction, "logout"), (.eventType, "end")]) { g in
            let rest = g("rest")
            return { m, e in CourierParser.fields(m[rest]!, e) }
        },
        Mail.rule("connection", prefix: "Connection, ", #"^Connection, (?<rest>.*)$"#,
                  set: [(.eventCategory, "network"), (.eventAction, "connect"), (.eventType, "start")]) { g in
            let rest = g("rest")
            return { m, e in CourierParser.fields(m[rest]!, e) }
        },
        Mail.rule("limit", prefix: "Maximum connection limit", #"^Maximum connection limit reached for (?<ip>\S+)"#,
                  set: [(.eventCategory, "network"), (.eventAction, "connect"), (.eventType, "denied"), (.eventOutcome, "failure"),
                        (.eventReason, "policy")]) { g in
            let ip = g("ip")
            return { m, e in
                var v = m[ip]!
                if v.hasPrefix("[") { v = v.slice(1, v.firstIndex(of: 0x5D) ?? v.count) }
                Mail.client(host: nil, ip: v, port: nil, e)
            }
        },
    ])
}
