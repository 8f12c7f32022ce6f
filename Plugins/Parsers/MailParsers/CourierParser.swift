import SpoorKit

/// Courier IMAP/POP3 (`imapd`, `pop3d`, `imapd-ssl`, `pop3d-ssl`, `courierpop3login`,
/// `courier-imapd`): `LOGIN FAILED, user=…, ip=[::ffff:a.b.c.d]`, `LOGIN, user=…`,
/// `LOGOUT, user=…`, `Connection, ip=[…]`, `Disconnected, ip=[…]`; and Courier's SMTP
/// server (`courieresmtpd`): `error,relay=…,from=<…>,to=<…>: 550 User unknown.` (a recipient
/// check) and `error,relay=…,msg="535 Authentication failed.",cmd: AUTH LOGIN …` (a failed login).
public struct CourierParser: Parser {
    public static let manifest = PluginManifest(
        id: "courier", kind: .parser, version: "1.0.0",
        summary: "Courier IMAP/POP3 logins and failures")

    public init(config: PluginConfig) throws {}

    public var routes: [Route] {
        [.program("imapd"), .program("pop3d"), .program("imapd-ssl"), .program("pop3d-ssl"), .program("courierpop3login"),
         .program("courierimaplogin"), .program("courier-imapd"), .program("courier-pop3d"), .program("courieresmtpd")]
    }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        let m = input.message
        if input.program.equals("courieresmtpd") {
            guard CourierParser.smtp.apply(m, event, input.context) != nil else { return .notMine }
            event.set(.eventDataset, "courier")
            event.set(.networkProtocol, "smtp")
            return .event
        }
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

    /// `relay=::ffff:a.b.c.d[,port=n]` of courieresmtpd.
    static func relayThen(_ g: (String) -> Int) -> Mail.Then {
        let ip = g("ip"), port = g("port")
        return { m, e in Mail.client(host: nil, ip: m[ip], port: m[port], e) }
    }

    static let smtp = MessageRules([
        Mail.rule("esmtp-rcpt", prefix: "error,relay=",
                  #"^error,relay=(?<ip>[^,]+)(?:,port=(?<port>\d+))?(?:,ident=[^,]*)?,from=<(?<from>[^>]*)>,to=<(?<to>[^>]*)>: (?<code>\d{3})(?: (?<dsn>\d\.\d{1,3}\.\d{1,3}))? (?<text>.*)$"#,
                  set: [(.eventCategory, "email"), (.eventAction, "recipient-check"), (.eventType, "denied"), (.eventOutcome, "failure")]) { g in
            let setRelay = relayThen(g), from = g("from"), to = g("to"), code = g("code"), dsn = g("dsn"), text = g("text")
            return { m, e in
                setRelay(m, e)
                if let f = m[from], f.count > 0 { e.set(.emailFrom, f) }
                if let t = m[to], t.count > 0 { e.append(.emailTo, t); e.set(.userEmail, t) }
                Mail.reply(code: m[code], dsn: m[dsn], e)
                let t = m[text]!
                Mail.label("reply_text", t, e)
                if Mail.saysRelayDenied(t) { e.set(reason: .relayDenied) }
                else if Mail.saysUnknownUser(dsn: m[dsn], text: t) || t.hasPrefix("User <") && t.contains("> unknown") { e.set(reason: .unknownUser) }
                else { e.set(reason: .policy) }
            }
        },
        Mail.rule("esmtp-error", prefix: "error,relay=",
                  #"^error,relay=(?<ip>[^,]+)(?:,port=(?<port>\d+))?(?:,ident=[^,]*)?,msg="(?<code>\d{3})[ -](?<text>[^"]*)",cmd: (?<cmd>.*)$"#,
                  set: [(.eventType, "denied"), (.eventOutcome, "failure")]) { g in
            let setRelay = relayThen(g), code = g("code"), text = g("text"), cmd = g("cmd")
            return { m, e in
                setRelay(m, e)
                Mail.reply(code: m[code], dsn: nil, e)
                Mail.label("reply_text", m[text], e)
                let c = m[cmd]!
                if m[code]!.equals("535") {
                    e.set(.eventCategory, "authentication"); e.set(.eventAction, "login"); e.set(reason: .badPassword)
                    // `AUTH LOGIN <base64>`: the mechanism; a bare base64 line is a reply within AUTH.
                    if c.hasPrefix("AUTH ") { Mail.method(c.dropFirst(5).until(0x20), e) }
                } else {
                    e.set(.eventCategory, "email"); e.set(.eventAction, "smtp-check"); e.set(reason: .policy)
                }
            }
        },
    ])
}
