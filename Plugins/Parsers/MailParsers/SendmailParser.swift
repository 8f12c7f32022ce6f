import SpoorKit

/// Sendmail (`sm-mta`, `sendmail`, `sm-msp-queue`, `sm-acceptingconnections`): envelopes
/// (`from=`, `to=` by queue id), ruleset rejections (`check_rcpt` user unknown / relaying
/// denied, `check_mail`, `check_relay`), `<a@b>... User unknown`, SASL `AUTH failure` and
/// `AUTH=server` logins, `possible SMTP attack`, VRFY/EXPN, pre-greeting traffic, lost input.
public struct SendmailParser: Parser {
    public static let manifest = PluginManifest(
        id: "sendmail", kind: .parser, version: "1.0.0",
        summary: "Sendmail: envelopes, ruleset rejects, user unknown, AUTH failures and logins")

    public init(config: PluginConfig) throws {}

    public var routes: [Route] {
        [.program("sm-mta"), .program("sendmail"), .program("sm-msp-queue"), .program("sm-acceptingconnections")]
    }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        var m = input.message
        event.set(.eventDataset, "sendmail")
        if let id = SendmailParser.queueID(m) {
            event.set(.emailLocalID, id)
            m = m.dropFirst(id.count + 2)
        }
        event.set(.networkProtocol, "smtp")
        _ = SendmailParser.rules.apply(m, event, input.context)
        return .event
    }

    /// A queue id (`s1GNXHYB005133`: 8 letters/digits then a pid, 12+ alphanumerics) and `: `.
    @inline(__always)
    static func queueID(_ m: Bytes) -> Bytes? {
        var i = 0
        while i < m.count, i < 24, m[i] &- 0x30 < 10 || m[i] &- 0x41 < 26 || m[i] &- 0x61 < 26 { i += 1 }
        guard i >= 12, i + 1 < m.count, m[i] == 0x3A, m[i + 1] == 0x20 else { return nil }
        return m.slice(0, i)
    }

    /// `relay=host [ip] (may be forged)` — the last `relay=` of the line (a user name cannot
    /// inject one after it).
    static func relay(_ b: Bytes, _ e: EventBuilder) {
        var start: Int?
        var from = 0
        while let i = b.firstIndex(of: "relay=", from: from) { start = i + 6; from = i + 1 }
        guard let start else { return }
        var r = b.dropFirst(start)
        if let comma = r.firstIndex(of: ", ") { r = r.slice(0, comma) }
        if r.hasSuffix(" (may be forged)") { r = r.slice(0, r.count - 16); e.label("may_be_forged", string: "true") }
        Mail.bracketPeer(r, e)
    }

    static let email: [(Field, StaticString)] = [(.eventCategory, "email")]
    static let network: [(Field, StaticString)] = [(.eventCategory, "network")]
    static let auth: [(Field, StaticString)] = [(.eventCategory, "authentication"), (.eventAction, "login"), (.eventType, "start")]
    static let peer = #"(?<peer>(?:\S+ )?\[[^\]]*\]|\S+)(?: \(may be forged\))?"#

    static func peerThen(_ g: (String) -> Int) -> Mail.Then {
        let peer = g("peer")
        return { m, e in Mail.bracketPeer(m[peer]!, e) }
    }

    static let rules = MessageRules([
        Mail.rule("from", prefix: "from=", #"^from=<?(?<from>[^>,]*)>?, (?<rest>.*)$"#, set: email + [(.eventAction, "receive")]) { g in
            let from = g("from"), rest = g("rest")
            return { m, e in
                if let f = m[from], f.count > 0 { e.set(.emailFrom, f) }
                let b = m[rest]!
                SendmailParser.relay(b, e)
                if let size = b.after("size=") { Mail.label("size", size.until(0x2C), e) }
                if let n = b.after("nrcpts=") {
                    let count = n.until(0x2C)
                    e.label("nrcpts", count)
                    // Every recipient of the transaction was refused: the message was not accepted.
                    if count.equals("0") { e.set(outcome: .failure); e.set(.eventType, "denied") }
                }
                if let id = b.after("msgid=<") { Mail.label("message_id", id.until(0x3E), e); e.set(.emailMessageID, id.until(0x3E)) }
                if let p = b.after("proto=") { Mail.label("proto", p.until(0x2C), e) }
                if let d = b.after("daemon=") { Mail.label("daemon", d.until(0x2C), e) }
            }
        },
        Mail.rule("to", prefix: "to=", #"^to=(?<to>.*?), (?<rest>(?:[a-z]+=.*)?)$"#, set: email + [(.eventAction, "delivery")]) { g in
            let to = g("to"), rest = g("rest")
            return { m, e in
                var list = m[to]!
                while list.count > 0 {
                    let one = list.until(0x2C)
                    if let a = Mail.address(one.trimmed()) { e.append(.emailTo, a) }
                    list = list.dropFirst(one.count + 1)
                }
                let b = m[rest]!
                if let r = b.after("relay=") {
                    let relay = r.until(0x2C)
                    e.label("relay", relay)
                    if let open = relay.lastIndex(of: 0x5B), let close = relay.firstIndex(of: 0x5D, from: open), relay.slice(open + 1, close).isIPAddress {
                        e.set(.destinationIP, relay.slice(open + 1, close))
                    }
                }
                if let d = b.after("dsn=") { Mail.label("dsn", d.until(0x2C), e) }
                if let mailer = b.after("mailer=") { Mail.label("mailer", mailer.until(0x2C), e) }
                if let s = b.after("stat=") {
                    let status = s.until(0x20)
                    e.label("status", status)
                    Mail.label("response", s, e)
                    e.set(outcome: status.equals("Sent") ? .success : .failure)
                }
            }
        },
        Mail.rule("ruleset", prefix: "ruleset=",
                  #"^ruleset=(?<ruleset>\w+), arg1=<?(?<arg1>[^>,]*)>?(?:, arg2=(?<arg2>[^,]*))?, relay=(?<relay>.*?), reject=(?<code>\d{3}) (?:(?<dsn>\d\.\d{1,3}\.\d{1,3}) )?(?:<?(?<obj>[^>\s]*)>?\.\.\. )?(?<text>.*)$"#,
                  set: email + [(.eventType, "denied"), (.eventOutcome, "failure")]) { g in
            let ruleset = g("ruleset"), arg1 = g("arg1"), relay = g("relay"), code = g("code"), dsn = g("dsn"), text = g("text")
            return { m, e in
                let rs = m[ruleset]!
                e.label("ruleset", rs)
                var r = m[relay]!
                if r.hasSuffix(" (may be forged)") { r = r.slice(0, r.count - 16) }
                Mail.bracketPeer(r, e)
                Mail.reply(code: m[code], dsn: m[dsn], e)
                let t = m[text]
                Mail.label("reply_text", t, e)
                if rs.equals("check_rcpt") {
                    e.set(.eventAction, "recipient-check")
                    if let a = m[arg1], a.count > 0 { e.append(.emailTo, a); e.set(.userEmail, a) }
                    if Mail.saysRelayDenied(t) { e.set(reason: .relayDenied) }
                    else if let t, !t.hasPrefix("Domain of sender"), Mail.saysUnknownUser(dsn: m[dsn], text: t) { e.set(reason: .unknownUser) }
                    else { e.set(reason: .policy) }
                } else {
                    if rs.equals("check_mail") {
                        e.set(.eventAction, "sender-check")
                        if let a = m[arg1], a.count > 0 { e.set(.emailFrom, a) }
                    } else if rs.equals("check_relay") {
                        e.set(.eventAction, "client-check")
                    } else {
                        e.set(.eventAction, "smtp-check")
                    }
                    e.set(reason: .policy)
                }
            }
        },
        Mail.rule("user-unknown", prefix: "<", #"^<(?<rcpt>[^>]*)>\.\.\. (?<text>.*)$"#,
                  set: email + [(.eventAction, "recipient-check")]) { g in
            let rcpt = g("rcpt"), text = g("text")
            return { m, e in
                let t = m[text]!
                Mail.label("reply_text", t, e)
                if let r = m[rcpt], r.count > 0 { e.append(.emailTo, r); e.set(.userEmail, r) }
                if Mail.saysUnknownUser(dsn: nil, text: t) {
                    e.set(outcome: .failure); e.set(reason: .unknownUser); e.set(.eventType, "denied")
                } else if Mail.saysRelayDenied(t) {
                    e.set(outcome: .failure); e.set(reason: .relayDenied); e.set(.eventType, "denied")
                }
            }
        },
        Mail.rule("auth-failure", prefix: "AUTH failure (",
                  #"^AUTH failure \((?<method>[^)]+)\): (?<why>.*?)(?:, user=(?<user>.*?))?, relay=.*$"#,
                  set: auth + [(.eventOutcome, "failure")]) { g in
            let method = g("method"), why = g("why"), user = g("user")
            return { m, e in
                Mail.method(m[method], e)
                Mail.user(m[user], e)
                SendmailParser.relay(m[0]!, e)
                let w = m[why]!
                Mail.label("sasl_error", w, e)
                if w.contains("user not found") { e.set(reason: .unknownUser) } else { e.set(reason: .badPassword) }
            }
        },
        Mail.rule("auth-success", prefix: "AUTH=server, ",
                  #"^AUTH=server, relay=(?<relay>.*?), authid=(?<user>[^,]*), mech=(?<method>[^,]+)"#,
                  set: auth + [(.eventOutcome, "success")]) { g in
            let relay = g("relay"), user = g("user"), method = g("method")
            return { m, e in
                var r = m[relay]!
                if r.hasSuffix(" (may be forged)") { r = r.slice(0, r.count - 16) }
                Mail.bracketPeer(r, e)
                Mail.user(m[user], e)
                Mail.method(m[method], e)
            }
        },
        Mail.rule("smtp-attack", contains: "possible SMTP attack",
                  "^" + peer + #": possible SMTP attack: command=(?<cmd>\w+), count=(?<n>\d+)"#,
                  set: [(.eventType, "denied"), (.eventOutcome, "failure"), (.eventReason, "too_many_attempts")]) { g in
            let setPeer = peerThen(g), cmd = g("cmd"), n = g("n")
            return { m, e in
                setPeer(m, e)
                let c = m[cmd]!
                e.label("command", c); Mail.label("count", m[n], e)
                if c.equals("AUTH") {
                    e.set(.eventCategory, "authentication"); e.set(.eventAction, "max-auth-tries")
                } else {
                    e.set(.eventCategory, "network"); e.set(.eventAction, "command-flood")
                }
            }
        },
        Mail.rule("vrfy-expn", contains: " [rejected]",
                  "^" + peer + #": (?<cmd>[Vv][Rr][Ff][Yy]|[Ee][Xx][Pp][Nn]) (?<arg>.*?) \[rejected\]$"#,
                  set: email + [(.eventAction, "recipient-check"), (.eventType, "denied"), (.eventOutcome, "failure"), (.eventReason, "policy")]) { g in
            let setPeer = peerThen(g), cmd = g("cmd"), arg = g("arg")
            return { m, e in
                setPeer(m, e)
                e.label("smtp_stage", m[cmd]!)
                if let a = Mail.address(m[arg]) {
                    if a.firstIndex(of: 0x40) != nil { e.set(.userEmail, a) } else { e.set(.userName, a) }
                }
            }
        },
        Mail.rule("pregreet", prefix: "rejecting commands from ",
                  #"^rejecting commands from (?<peer>.*?) due to pre-greeting traffic after (?<n>\d+) seconds?$"#,
                  set: network + [(.eventAction, "protocol-violation"), (.eventType, "denied"), (.eventOutcome, "failure"), (.eventReason, "policy")]) { g in
            let setPeer = peerThen(g), n = g("n")
            return { m, e in setPeer(m, e); Mail.label("after", m[n], e) }
        },
        Mail.rule("no-mail", contains: " did not issue ",
                  "^" + peer + #" did not issue (?<cmds>\S+) during connection to (?<daemon>\S+)$"#,
                  set: network + [(.eventAction, "disconnect"), (.eventType, "end")]) { g in
            let setPeer = peerThen(g), daemon = g("daemon")
            return { m, e in setPeer(m, e); Mail.label("daemon", m[daemon], e) }
        },
        Mail.rule("lost-input", prefix: "lost input channel from ",
                  #"^lost input channel from (?<peer>.*?)(?: \(may be forged\))? to (?<daemon>\S+) after (?<stage>\S+)$"#,
                  set: network + [(.eventAction, "lost-connection"), (.eventType, "end")]) { g in
            let setPeer = peerThen(g), daemon = g("daemon"), stage = g("stage")
            return { m, e in setPeer(m, e); Mail.label("daemon", m[daemon], e); Mail.label("smtp_stage", m[stage], e) }
        },
        Mail.rule("timeout", prefix: "timeout waiting for input from ",
                  #"^timeout waiting for input from (?<peer>.*?) during (?<stage>.*)$"#,
                  set: network + [(.eventAction, "timeout"), (.eventType, "end")]) { g in
            let setPeer = peerThen(g), stage = g("stage")
            return { m, e in setPeer(m, e); Mail.label("smtp_stage", m[stage], e) }
        },
        Mail.rule("starttls", prefix: "STARTTLS=",
                  #"^STARTTLS=(?<side>server|client), relay=(?<peer>.*?), version=(?<version>[^,]+), verify=(?<verify>[^,]+), cipher=(?<cipher>[^,]+), bits=(?<bits>\S+)"#,
                  set: network + [(.eventAction, "tls-established")]) { g in
            let peer = g("peer"), side = g("side"), version = g("version"), verify = g("verify"), cipher = g("cipher"), bits = g("bits")
            return { m, e in
                if m[side]!.equals("server") { Mail.bracketPeer(m[peer]!, e) } else { e.label("relay", m[peer]!) }
                Mail.label("tls_version", m[version], e); Mail.label("tls_verify", m[verify], e)
                Mail.label("tls_cipher", m[cipher], e); Mail.label("tls_bits", m[bits], e)
            }
        },
    ])
}
