import SpoorKit

/// Postfix, every daemon: smtpd (connections, rejects, SASL logins and failures), postscreen,
/// cleanup, qmgr, the delivery agents (smtp, lmtp, local, virtual, pipe, error, discard),
/// bounce, anvil, dnsblog, master, postsuper, pickup, tlsproxy, scache, verify.
///
/// The program is `postfix/<daemon>` or a multi-instance / per-service name
/// (`postfix-in/smtpd`, `postfix/submission/smtpd`): the daemon is its last part, the dataset
/// `postfix.<daemon>`. A message's log level (`warning:` …) becomes label `level`, a queue id
/// `email.local_id` (`NOQUEUE` is none). A message no rule knows stays a `postfix.<daemon>` event.
public struct PostfixParser: Parser {
    public static let manifest = PluginManifest(
        id: "postfix", kind: .parser, version: "1.0.0",
        summary: "Postfix: smtpd rejects and SASL logins, postscreen, deliveries, queue, cleanup, anvil")

    public init(config: PluginConfig) throws {}

    public var routes: [Route] { [.programPrefix("postfix/"), .programPrefix("postfix-")] }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        let program = input.program
        let daemon = program.lastIndex(of: 0x2F).map { program.dropFirst($0 + 1) } ?? program
        guard daemon.count > 0 else { return .notMine }
        let kind = PostfixParser.kind(daemon)
        PostfixParser.dataset(kind, daemon, event)

        var m = input.message
        m = PostfixParser.level(m, event)
        if let (qid, rest) = PostfixParser.queueID(m) {
            if !qid.equals("NOQUEUE") { event.set(.emailLocalID, qid) }
            m = PostfixParser.level(rest, event)
        }
        if kind == .smtpd {
            event.set(.networkProtocol, program.contains("submission") ? "submission" : "smtp")
        }
        let ctx = input.context
        switch kind {
        case .smtpd:
            if PostfixParser.smtpd.apply(m, event, ctx) != nil { return .event }
        case .delivery:
            if PostfixParser.delivery.apply(m, event, ctx) != nil { return .event }
        case .qmgr:
            if PostfixParser.qmgr.apply(m, event, ctx) != nil { return .event }
        case .cleanup:
            if PostfixParser.cleanup.apply(m, event, ctx) != nil { return .event }
        case .postscreen:
            if PostfixParser.postscreen.apply(m, event, ctx) != nil { return .event }
        case .bounce:
            if PostfixParser.bounce.apply(m, event, ctx) != nil { return .event }
        case .other:
            break
        }
        if PostfixParser.common.apply(m, event, ctx) != nil { return .event }
        // Known to be Postfix, not known in detail: a postfix.<daemon> event with what the
        // envelope, the level and the queue id gave.
        return .event
    }

    enum Kind { case smtpd, delivery, qmgr, cleanup, postscreen, bounce, other }

    static func kind(_ d: Bytes) -> Kind {
        if d.equals("smtpd") { return .smtpd }
        if d.equals("smtp") || d.equals("lmtp") || d.equals("local") || d.equals("virtual") || d.equals("pipe")
            || d.equals("error") || d.equals("discard") || d.equals("retry") { return .delivery }
        if d.equals("qmgr") || d.equals("nqmgr") { return .qmgr }
        if d.equals("cleanup") { return .cleanup }
        if d.equals("postscreen") { return .postscreen }
        if d.equals("bounce") || d.equals("defer") || d.equals("trace") { return .bounce }
        return .other
    }

    static func dataset(_ kind: Kind, _ d: Bytes, _ e: EventBuilder) {
        switch kind {
        case .smtpd: e.set(.eventDataset, "postfix.smtpd")
        case .qmgr: e.set(.eventDataset, "postfix.qmgr")
        case .cleanup: e.set(.eventDataset, "postfix.cleanup")
        case .postscreen: e.set(.eventDataset, "postfix.postscreen")
        default:
            if d.equals("smtp") { e.set(.eventDataset, "postfix.smtp") }
            else if d.equals("lmtp") { e.set(.eventDataset, "postfix.lmtp") }
            else if d.equals("local") { e.set(.eventDataset, "postfix.local") }
            else if d.equals("virtual") { e.set(.eventDataset, "postfix.virtual") }
            else if d.equals("pipe") { e.set(.eventDataset, "postfix.pipe") }
            else if d.equals("error") { e.set(.eventDataset, "postfix.error") }
            else if d.equals("bounce") { e.set(.eventDataset, "postfix.bounce") }
            else if d.equals("anvil") { e.set(.eventDataset, "postfix.anvil") }
            else if d.equals("pickup") { e.set(.eventDataset, "postfix.pickup") }
            else if d.equals("master") { e.set(.eventDataset, "postfix.master") }
            else if d.equals("postsuper") { e.set(.eventDataset, "postfix.postsuper") }
            else if d.equals("scache") { e.set(.eventDataset, "postfix.scache") }
            else if d.equals("tlsproxy") { e.set(.eventDataset, "postfix.tlsproxy") }
            else if d.equals("dnsblog") { e.set(.eventDataset, "postfix.dnsblog") }
            else if d.equals("verify") { e.set(.eventDataset, "postfix.verify") }
            else { e.set(.eventDataset, string: "postfix." + d.string) }
        }
    }

    /// A leading `warning: ` / `error: ` / `fatal: ` / `panic: ` / `info: ` → label `level`.
    @inline(__always)
    static func level(_ m: Bytes, _ e: EventBuilder) -> Bytes {
        guard m.count > 6 else { return m }
        switch m[0] {
        case 0x77 where m.hasPrefix("warning: "): e.label("level", m.slice(0, 7)); return m.dropFirst(9)
        case 0x65 where m.hasPrefix("error: "): e.label("level", m.slice(0, 5)); return m.dropFirst(7)
        case 0x66 where m.hasPrefix("fatal: "): e.label("level", m.slice(0, 5)); return m.dropFirst(7)
        case 0x70 where m.hasPrefix("panic: "): e.label("level", m.slice(0, 5)); return m.dropFirst(7)
        case 0x69 where m.hasPrefix("info: "): e.label("level", m.slice(0, 4)); return m.dropFirst(6)
        default: return m
        }
    }

    /// `QUEUEID: ` at the start: short ids (upper-case hex, 6+), long ids (12+ alphanumerics
    /// with a digit), or `NOQUEUE`. Returns the id and the rest.
    @inline(__always)
    static func queueID(_ m: Bytes) -> (Bytes, Bytes)? {
        var i = 0, hex = true, digit = false
        while i < m.count, i < 32 {
            let c = m[i]
            if c &- 0x30 < 10 { digit = true } else if c &- 0x41 < 6 {} else if c &- 0x41 < 26 || c &- 0x61 < 26 { hex = false } else { break }
            i += 1
        }
        guard i + 1 < m.count, m[i] == 0x3A, m[i + 1] == 0x20 else { return nil }
        let id = m.slice(0, i)
        guard (hex && i >= 6 && digit) || (i >= 12 && digit) || id.equals("NOQUEUE") else { return nil }
        return (id, m.dropFirst(i + 2))
    }

    // MARK: - Rules

    /// `host[ip]` or `host[ip]:port` (postscreen: `[ip]:port`).
    static let client = #"(?<host>[^\s\[\]]*)\[(?<ip>[^\]]*)\](?::(?<port>\d+))?"#
    /// `from=<…> to=<…> proto=… helo=<…>`, space- (smtpd) or comma-separated (postscreen).
    static let kv = #"(?:from=<(?<from>[^>]*)>,? ?)?(?:to=<(?<to>[^>]*)>,? ?)?(?:proto=(?<proto>[^\s,;]+),? ?)?(?:helo=<?(?<helo>[^>\s]*)>?)?"#

    static let network: [(Field, StaticString)] = [(.eventCategory, "network")]
    static let email: [(Field, StaticString)] = [(.eventCategory, "email")]

    /// Client fields of a rule with the `client` groups.
    static func clientThen(_ g: (String) -> Int) -> Mail.Then {
        let host = g("host"), ip = g("ip"), port = g("port")
        return { m, e in Mail.client(host: m[host], ip: m[ip], port: m[port], e) }
    }

    /// An access/milter decision: `reject: RCPT from host[ip]: 550 5.1.1 <a@b>: Recipient
    /// address rejected: …; from=<…> to=<…> proto=… helo=<…>` (smtpd, postscreen, cleanup).
    static let decision = Mail.rule(
        "decision", contains: " from ",
        #"^(?<action>reject|reject_warning|milter-reject|milter-discard|milter-hold|discard|filter|hold|redirect|warn|bcc|defer|defer_if_permit|defer_if_reject): (?<stage>[A-Z][A-Z-]*|\.) from "#
            + client + #": (?:(?<code>\d{3})[ -])?(?:(?<dsn>\d\.\d{1,3}\.\d{1,3}) )?(?:<(?<obj>[^>]*)>: |: |Service unavailable; (?:[A-Za-z]+ )*\[(?<obj2>[^\]]*)\] )?(?<text>.*?)(?:; "#
            + kv + #"(?:: (?<extra>.*))?)?$"#, set: email) { g in
        let action = g("action"), stage = g("stage"), code = g("code"), dsn = g("dsn"), obj = g("obj"), obj2 = g("obj2"),
            text = g("text"), from = g("from"), to = g("to"), proto = g("proto"), helo = g("helo")
        let setClient = clientThen(g)
        return { m, e in
            setClient(m, e)
            let act = m[action]!, st = m[stage]!
            e.label("action", act)
            if act.hasPrefix("milter-") { e.label("milter", act.dropFirst(7)) }
            e.label("smtp_stage", st)
            Mail.reply(code: m[code], dsn: m[dsn], e)
            Mail.label("reply_object", m[obj] ?? m[obj2], e)
            Mail.label("reply_text", m[text], e)
            if let f = Mail.address(m[from]) { e.set(.emailFrom, f) }
            let recipient = Mail.address(m[to])
            if let recipient { e.append(.emailTo, recipient) }
            Mail.label("proto", m[proto], e)
            Mail.label("helo", m[helo], e)
            let recipientCheck = st.equals("RCPT") || st.equals("VRFY")
            if recipientCheck { e.set(.eventAction, "recipient-check") }
            else if st.equals("MAIL") { e.set(.eventAction, "sender-check") }
            else if st.equals("CONNECT") { e.set(.eventAction, "client-check") }
            else if st.equals("HELO") || st.equals("EHLO") { e.set(.eventAction, "helo-check") }
            else if st.equals("DATA") || st.equals("BDAT") || st.equals("END-OF-MESSAGE") { e.set(.eventAction, "content-check") }
            else { e.set(.eventAction, "smtp-check") }
            let rejected = act.equals("reject") || act.equals("milter-reject") || act.hasPrefix("defer")
            if rejected { e.set(outcome: .failure); e.set(.eventType, "denied") }
            guard rejected || act.equals("reject_warning") else { return }
            let t = m[text]
            let aboutRecipient = recipientCheck && !(t.map { $0.hasPrefix("Sender address") || $0.hasPrefix("Helo command")
                || $0.hasPrefix("Client host") || $0.hasPrefix("Data command") } ?? false)
            if recipientCheck {
                if let recipient { e.set(.userEmail, recipient) }
                else if let o = m[obj], o.firstIndex(of: 0x40) != nil, aboutRecipient { e.set(.userEmail, o) }
            }
            if Mail.saysRelayDenied(t) { e.set(reason: .relayDenied) }
            else if aboutRecipient && Mail.saysUnknownUser(dsn: m[dsn], text: t) { e.set(reason: .unknownUser) }
            else { e.set(reason: .policy) }
        }
    }

    /// Rules any daemon may log.
    static let common = MessageRules([
        decision,
        Mail.rule("cache-cleanup", prefix: "cache ",
                  #"^cache (?<db>\S+) (?<type>full|partial) cleanup: retained=(?<kept>\d+) dropped=(?<dropped>\d+) entries$"#,
                  set: [(.eventCategory, "database"), (.eventAction, "cache-cleanup")]) { g in
            let type = g("type"), kept = g("kept"), dropped = g("dropped")
            return { m, e in
                Mail.label("cleanup", m[type], e); Mail.label("retained", m[kept], e); Mail.label("dropped", m[dropped], e)
            }
        },
        Mail.rule("anvil-statistics", prefix: "statistics: max ",
                  #"^statistics: max (?<stat>[a-z ]+?) (?<n>\d+)(?:/(?<period>\w+))?(?: for \((?<service>[\w-]+|[\w.:\[\]-]+:\d+):(?<ip>[^)]*)\))? at (?<at>.+)$"#,
                  set: [(.eventCategory, "network"), (.eventAction, "statistics")]) { g in
            let stat = g("stat"), n = g("n"), period = g("period"), service = g("service"), ip = g("ip"), at = g("at")
            return { m, e in
                let s = m[stat]!
                let key = s.equals("connection count") ? "count" : s.equals("connection rate") ? "rate"
                    : s.equals("cache size") ? "cache_size" : s.string.replacingOccurrences(of: " ", with: "_")
                e.label("statistic", s)
                Mail.label(key, m[n], e)
                Mail.label("period", m[period], e)
                Mail.label("service", m[service], e)
                Mail.client(host: nil, ip: m[ip], port: nil, e)
                Mail.label("peak_time", m[at], e)
            }
        },
        Mail.rule("scache-lookups", prefix: "statistics: ",
                  #"^statistics: (?<what>domain|address) lookup hits=(?<hits>\d+) miss=(?<miss>\d+) success=(?<ok>\d+)%$"#,
                  set: [(.eventCategory, "network"), (.eventAction, "statistics")]) { g in
            let what = g("what"), hits = g("hits"), miss = g("miss"), ok = g("ok")
            return { m, e in
                Mail.label("statistic", m[what], e); Mail.label("hits", m[hits], e)
                Mail.label("miss", m[miss], e); Mail.label("success", m[ok], e)
            }
        },
        Mail.rule("scache-max", prefix: "statistics: max simultaneous",
                  #"^statistics: max simultaneous domains=(?<d>\d+) addresses=(?<a>\d+) connection=(?<c>\d+)$"#,
                  set: [(.eventCategory, "network"), (.eventAction, "statistics")]) { g in
            let d = g("d"), a = g("a"), c = g("c")
            return { m, e in Mail.label("domains", m[d], e); Mail.label("addresses", m[a], e); Mail.label("connections", m[c], e) }
        },
        Mail.rule("scache-interval", prefix: "statistics: start interval ", #"^statistics: start interval (?<at>.+)$"#,
                  set: [(.eventCategory, "network"), (.eventAction, "statistics")]) { g in
            let at = g("at")
            return { m, e in Mail.label("interval_start", m[at], e) }
        },
        Mail.rule("dnsblog", prefix: "addr ", #"^addr (?<ip>\S+) listed by domain (?<domain>\S+) as (?<result>\S+)$"#,
                  set: [(.eventCategory, "network"), (.eventAction, "dnsbl-listed")]) { g in
            let ip = g("ip"), domain = g("domain"), result = g("result")
            return { m, e in
                Mail.client(host: nil, ip: m[ip], port: nil, e)
                Mail.label("dnsbl", m[domain], e); Mail.label("dnsbl_result", m[result], e)
            }
        },
        Mail.rule("master-start", contains: " -- version ",
                  #"^(?<what>daemon started|reload) -- version (?<v>[^,]+), configuration (?<conf>\S+)$"#,
                  set: [(.eventCategory, "process"), (.eventAction, "start")]) { g in
            let what = g("what"), v = g("v"), conf = g("conf")
            return { m, e in
                if m[what]!.equals("reload") { e.set(.eventAction, "reload") }
                Mail.label("version", m[v], e); Mail.label("config", m[conf], e)
            }
        },
        Mail.rule("master-stop", prefix: "terminating on signal ", #"^terminating on signal (?<sig>\d+)$"#,
                  set: [(.eventCategory, "process"), (.eventAction, "stop")]) { g in
            let sig = g("sig")
            return { m, e in Mail.label("signal", m[sig], e) }
        },
        Mail.rule("postsuper", #"^(?<act>removed|requeued|placed on hold|released from hold|expired)$"#,
                  set: [(.eventCategory, "email")]) { g in
            let act = g("act")
            return { m, e in
                let a = m[act]!
                e.label("action", a)
                if a.equals("removed") { e.set(.eventAction, "removed") } else { e.set(.eventAction, "queue-change") }
            }
        },
        Mail.rule("postsuper-summary", #"^(?<act>Deleted|Requeued|Placed on hold|Released from hold|Expired): (?<n>\d+) messages?$"#,
                  set: [(.eventCategory, "email"), (.eventAction, "queue-change")]) { g in
            let act = g("act"), n = g("n")
            return { m, e in Mail.label("action", m[act], e); Mail.label("count", m[n], e) }
        },
        Mail.rule("pickup", prefix: "uid=", #"^uid=(?<uid>\d+) from=<(?<from>[^>]*)>$"#,
                  set: [(.eventCategory, "email"), (.eventAction, "submit")]) { g in
            let uid = g("uid"), from = g("from")
            return { m, e in
                Mail.label("uid", m[uid], e)
                if let f = Mail.address(m[from]) { e.set(.emailFrom, f) }
            }
        },
        Mail.rule("tlsproxy", #"^(?:CONNECT from |DISCONNECT )\[(?<ip>[^\]]+)\]:(?<port>\d+)$"#, set: network) { g in
            let ip = g("ip"), port = g("port")
            return { m, e in
                e.set(.eventAction, m[0]!.hasPrefix("CONNECT") ? "connect" : "disconnect")
                Mail.client(host: nil, ip: m[ip], port: m[port], e)
            }
        },
    ])

    static let smtpd = MessageRules([
        Mail.rule("connect", prefix: "connect from ", "^connect from " + client + "$",
                  set: network + [(.eventAction, "connect"), (.eventType, "start")], then: clientThen),
        Mail.rule("disconnect", prefix: "disconnect from ", "^disconnect from " + client + #"(?: (?<counters>.*))?$"#,
                  set: network + [(.eventAction, "disconnect"), (.eventType, "end")]) { g in
            let setClient = clientThen(g), counters = g("counters")
            return { m, e in setClient(m, e); Mail.label("counters", m[counters], e) }
        },
        Mail.rule("client", prefix: "client=",
                  "^client=" + client + #"(?:, sasl_method=(?<method>[^,]*))?(?:, sasl_username=(?<user>.*?))?(?:, sasl_sender=(?<sender>[^,]*))?(?:, orig_queue_id=(?<oqid>[^,]*))?(?:, orig_client=(?<oclient>[^,]*))?$"#) { g in
            let setClient = clientThen(g), method = g("method"), user = g("user"), sender = g("sender"), oqid = g("oqid")
            return { m, e in
                setClient(m, e)
                Mail.label("orig_queue_id", m[oqid], e)
                Mail.label("sasl_sender", m[sender], e)
                if let u = m[user], u.count > 0 {
                    // Postfix logs the SASL login with the transaction it opens.
                    e.set(.eventCategory, "authentication")
                    e.set(.eventAction, "login")
                    e.set(.eventType, "start")
                    e.set(outcome: .success)
                    Mail.user(u, e)
                    Mail.method(m[method], e)
                } else {
                    e.set(.eventCategory, "email")
                    e.set(.eventAction, "receive")
                }
            }
        },
        decision,
        Mail.rule("sasl-failed", contains: "authentication failed",
                  "^" + client + #": SASL (?<method>[\w.-]+) authentication failed:? ?(?<why>.*?)(?:, sasl_username=(?<user>.*))?$"#,
                  set: [(.eventCategory, "authentication"), (.eventAction, "login"), (.eventType, "start"), (.eventOutcome, "failure")]) { g in
            let setClient = clientThen(g), method = g("method"), why = g("why"), user = g("user")
            return { m, e in
                setClient(m, e)
                Mail.method(m[method], e)
                Mail.user(m[user], e)
                let w = m[why]
                Mail.label("sasl_error", w, e)
                // No password was checked when the mechanism is refused or the auth service is down.
                if let w, w.contains("Connection lost to authentication server") || w.contains("Invalid authentication mechanism")
                    || w.contains("Invalid base64") || w.contains("Unable to") || w.contains("unable to") {
                    return
                }
                e.set(reason: .badPassword)
            }
        },
        Mail.rule("lost-connection", contains: " after ",
                  #"^(?<what>lost connection|timeout|too many errors|bare <LF> received) after (?<stage>\S+)(?: \((?<bytes>\d+) bytes\))? from "#
                    + client + #"(?::.*)?$"#, set: network) { g in
            let setClient = clientThen(g), what = g("what"), stage = g("stage"), bytes = g("bytes")
            return { m, e in
                setClient(m, e)
                e.label("smtp_stage", m[stage]!)
                Mail.label("bytes", m[bytes], e)
                let w = m[what]!
                if w.hasPrefix("lost") { e.set(.eventAction, "lost-connection"); e.set(.eventType, "end") }
                else if w.hasPrefix("timeout") { e.set(.eventAction, "timeout"); e.set(.eventType, "end") }
                else if w.hasPrefix("bare") { e.set(.eventAction, "protocol-violation"); e.set(.eventType, "info") }
                else {
                    e.set(.eventAction, "too-many-errors")
                    e.set(.eventType, "denied")
                    e.set(outcome: .failure)
                    e.set(reason: .tooManyAttempts)
                }
            }
        },
        Mail.rule("pipelining", prefix: "improper command pipelining",
                  #"^improper command pipelining after (?<stage>\S+) from "# + client + #":? ?(?<rest>.*)$"#,
                  set: network + [(.eventAction, "protocol-violation"), (.eventType, "denied"), (.eventOutcome, "failure"), (.eventReason, "policy")]) { g in
            let setClient = clientThen(g), stage = g("stage")
            return { m, e in setClient(m, e); e.label("smtp_stage", m[stage]!) }
        },
        Mail.rule("tls-error", prefix: "SSL_accept error", "^SSL_accept error from " + client + #": (?<err>.*)$"#,
                  set: network + [(.eventAction, "tls-error"), (.eventType, "error")]) { g in
            let setClient = clientThen(g), err = g("err")
            return { m, e in setClient(m, e); Mail.label("error", m[err], e) }
        },
        tls("tls-established-in", "from", inbound: true),
        Mail.rule("non-smtp", prefix: "non-SMTP command", "^non-SMTP command from " + client + #": (?<cmd>.*)$"#,
                  set: network + [(.eventAction, "protocol-violation"), (.eventType, "denied"), (.eventOutcome, "failure"), (.eventReason, "policy")]) { g in
            let setClient = clientThen(g), cmd = g("cmd")
            return { m, e in setClient(m, e); Mail.label("command", m[cmd], e) }
        },
        Mail.rule("illegal-address", prefix: "Illegal address syntax",
                  "^Illegal address syntax from " + client + #" in (?<cmd>\S+) command: (?<addr>.*)$"#,
                  set: email + [(.eventAction, "protocol-violation"), (.eventType, "denied"), (.eventOutcome, "failure"), (.eventReason, "policy")]) { g in
            let setClient = clientThen(g), cmd = g("cmd")
            return { m, e in setClient(m, e); e.label("smtp_stage", m[cmd]!) }
        },
        Mail.rule("rate-limit", contains: " limit exceeded: ",
                  #"^(?<what>.+?) limit exceeded: (?<n>\d+) from "# + client + #" for service (?<service>\S+)$"#,
                  set: network + [(.eventAction, "rate-limit"), (.eventType, "denied"), (.eventOutcome, "failure"), (.eventReason, "policy")]) { g in
            let setClient = clientThen(g), what = g("what"), n = g("n"), service = g("service")
            return { m, e in
                setClient(m, e)
                Mail.label("limit", m[what], e); Mail.label("count", m[n], e); Mail.label("service", m[service], e)
            }
        },
        Mail.rule("hostname-mismatch", prefix: "hostname ",
                  #"^hostname (?<name>\S+) does not resolve to address (?<ip>[^\s:]+(?::[^\s:]+)*?)(?:: .*)?$"#,
                  set: network + [(.eventAction, "reverse-dns-mismatch"), (.eventType, "info")]) { g in
            let name = g("name"), ip = g("ip")
            return { m, e in Mail.client(host: nil, ip: m[ip], port: nil, e); Mail.label("hostname", m[name], e) }
        },
        Mail.rule("address-not-listed", contains: "not listed for",
                  #"^(?:address|addr) (?<ip>\S+) not listed for hostname (?<name>\S+)$"#,
                  set: network + [(.eventAction, "reverse-dns-mismatch"), (.eventType, "info")]) { g in
            let name = g("name"), ip = g("ip")
            return { m, e in Mail.client(host: nil, ip: m[ip], port: nil, e); Mail.label("hostname", m[name], e) }
        },
        Mail.rule("proxy", prefix: "proxy-",
                  #"^proxy-(?<result>accept|reject): (?<stage>[A-Z][A-Z-]*): (?:(?<code>\d{3})[ -](?:(?<dsn>\d\.\d{1,3}\.\d{1,3}) )?)?(?<text>.*?)(?:; "#
                    + kv + ")?$", set: email + [(.eventAction, "content-check")]) { g in
            let result = g("result"), stage = g("stage"), code = g("code"), dsn = g("dsn"), text = g("text"), from = g("from"), to = g("to")
            return { m, e in
                let r = m[result]!
                e.label("proxy", r)
                e.label("smtp_stage", m[stage]!)
                Mail.reply(code: m[code], dsn: m[dsn], e)
                Mail.label("reply_text", m[text], e)
                if let f = Mail.address(m[from]) { e.set(.emailFrom, f) }
                if let t = Mail.address(m[to]) { e.append(.emailTo, t) }
                if r.equals("reject") { e.set(outcome: .failure); e.set(reason: .policy) } else { e.set(outcome: .success) }
            }
        },
    ])

    /// `Anonymous|Untrusted|Trusted|Verified TLS connection established from|to host[ip]: …`.
    static func tls(_ id: String, _ direction: String, inbound: Bool) -> MessageRule {
        Mail.rule(id, contains: "TLS connection established " + direction,
                  #"^(?<trust>\w+) TLS connection established "# + direction + " " + client
                    + #": (?<version>\S+) with cipher (?<cipher>\S+) \((?<bits>\d+/\d+) bits\)(?: key-exchange (?<kex>\S+))?(?: server-signature (?<sig>\S+)(?: \((?<sigbits>\d+) bits\)| \((?<curve>[^)]*)\))?)?(?: server-digest (?<digest>\S+))?"#,
                  set: network + [(.eventAction, "tls-established"), (.eventType, "connection")]) { g in
            let host = g("host"), ip = g("ip"), port = g("port"), trust = g("trust"), version = g("version"), cipher = g("cipher"),
                bits = g("bits"), kex = g("kex"), sig = g("sig"), sigbits = g("sigbits"), digest = g("digest"), curve = g("curve")
            return { m, e in
                if inbound {
                    Mail.client(host: m[host], ip: m[ip], port: m[port], e)
                } else {
                    Mail.peer(host: m[host], ip: m[ip], port: m[port], e)
                }
                Mail.label("tls_trust", m[trust], e); Mail.label("tls_version", m[version], e)
                Mail.label("tls_cipher", m[cipher], e); Mail.label("tls_bits", m[bits], e)
                Mail.label("tls_key_exchange", m[kex], e); Mail.label("tls_server_signature", m[sig], e)
                Mail.label("tls_server_signature_bits", m[sigbits], e); Mail.label("tls_server_digest", m[digest], e)
                Mail.label("tls_server_signature_curve", m[curve], e)
            }
        }
    }

    /// The delivery agents: smtp, lmtp, local, virtual, pipe, error, discard, retry.
    static let delivery = MessageRules([
        Mail.rule("delivery", prefix: "to=",
                  #"^to=<?(?<to>[^>,]*)>?, (?:orig_to=<?(?<orig>[^>,]*)>?, )?relay=(?<relay>[^,]+), (?:conn_use=(?<conn>\d+), )?delay=(?<delay>[\d.]+), delays=(?<delays>[\d./]+), (?:tls=(?<tls>[^,]*), )?dsn=(?<dsn>[\d.]+), status=(?<status>\S+)(?: \((?<response>.*)\))?$"#,
                  set: email + [(.eventAction, "delivery")]) { g in
            let to = g("to"), orig = g("orig"), relay = g("relay"), delay = g("delay"), delays = g("delays"), tls = g("tls"),
                dsn = g("dsn"), status = g("status"), response = g("response")
            return { m, e in
                if let t = Mail.address(m[to]) { e.append(.emailTo, t) }
                Mail.label("orig_to", Mail.address(m[orig]), e)
                Mail.relay(m[relay]!, e)
                Mail.label("delay", m[delay], e); Mail.label("delays", m[delays], e); Mail.label("tls", m[tls], e)
                Mail.label("dsn", m[dsn], e)
                let s = m[status]!
                e.label("status", s)
                Mail.label("response", m[response], e)
                if s.equals("sent") || s.equals("delivered") || s.equals("deliverable") { e.set(outcome: .success) } else { e.set(outcome: .failure) }
            }
        },
        Mail.rule("said", contains: " said: ",
                  #"^host (?<rhost>[^\s\[]+)\[(?<rip>[^\]]+)\](?::(?<rport>\d+))? said: (?<resp>(?:(?<code>\d{3})[ -](?:(?<dsn>\d\.\d{1,3}\.\d{1,3}) )?)?.*?)(?: \(in reply to (?<stage>.*) command\))?$"#,
                  set: email + [(.eventAction, "remote-reply")]) { g in
            let rhost = g("rhost"), rip = g("rip"), rport = g("rport"), resp = g("resp"), code = g("code"), dsn = g("dsn"), stage = g("stage")
            return { m, e in
                Mail.peer(host: m[rhost], ip: m[rip], port: m[rport], e)
                Mail.label("response", m[resp], e)
                Mail.reply(code: m[code], dsn: m[dsn], e)
                Mail.label("smtp_stage", m[stage], e)
                if let c = m[code], c.count == 3, c[0] == 0x34 || c[0] == 0x35 { e.set(outcome: .failure) }
            }
        },
        Mail.rule("refused", contains: " refused to talk to me: ",
                  #"^host (?<rhost>[^\s\[]+)\[(?<rip>[^\]]+)\](?::(?<rport>\d+))? refused to talk to me: (?<resp>(?:(?<code>\d{3})[ -](?:(?<dsn>\d\.\d{1,3}\.\d{1,3}) )?)?.*)$"#,
                  set: email + [(.eventAction, "remote-reply"), (.eventOutcome, "failure")]) { g in
            let rhost = g("rhost"), rip = g("rip"), rport = g("rport"), resp = g("resp"), code = g("code"), dsn = g("dsn")
            return { m, e in
                Mail.peer(host: m[rhost], ip: m[rip], port: m[rport], e)
                Mail.label("response", m[resp], e)
                Mail.reply(code: m[code], dsn: m[dsn], e)
            }
        },
        Mail.rule("connect-failed", prefix: "connect to ",
                  #"^connect to (?<rhost>[^\s\[]+)\[(?<rip>[^\]]+)\](?::(?<rport>\d+))?: (?<err>.*)$"#,
                  set: network + [(.eventAction, "connect"), (.eventOutcome, "failure"), (.eventType, "error")]) { g in
            let rhost = g("rhost"), rip = g("rip"), rport = g("rport"), err = g("err")
            return { m, e in Mail.peer(host: m[rhost], ip: m[rip], port: m[rport], e); Mail.label("error", m[err], e) }
        },
        Mail.rule("lost-connection-with", contains: " while ",
                  #"^(?:lost connection with|conversation with) (?<rhost>[^\s\[]+)\[(?<rip>[^\]]+)\](?::(?<rport>\d+))? (?:timed out )?while (?<what>.*)$"#,
                  set: network + [(.eventAction, "lost-connection"), (.eventOutcome, "failure"), (.eventType, "error")]) { g in
            let rhost = g("rhost"), rip = g("rip"), rport = g("rport"), what = g("what")
            return { m, e in
                Mail.peer(host: m[rhost], ip: m[rip], port: m[rport], e)
                Mail.label("while", m[what], e)
                if m[0]!.hasPrefix("conversation") { e.set(.eventAction, "timeout") }
            }
        },
        tls("tls-established-out", "to", inbound: false),
        Mail.rule("tls-verify", contains: " for ",
                  #"^(?:certificate verification failed for|SSL_connect error to|server certificate verification failed for) (?<rhost>[^\s\[]+)\[(?<rip>[^\]]+)\](?::(?<rport>\d+))?: (?<err>.*)$"#,
                  set: network + [(.eventAction, "tls-error"), (.eventType, "error")]) { g in
            let rhost = g("rhost"), rip = g("rip"), rport = g("rport"), err = g("err")
            return { m, e in Mail.peer(host: m[rhost], ip: m[rip], port: m[rport], e); Mail.label("error", m[err], e) }
        },
        Mail.rule("tls-connect-error", prefix: "SSL_connect error to ",
                  #"^SSL_connect error to (?<rhost>[^\s\[]+)\[(?<rip>[^\]]+)\](?::(?<rport>\d+))?: (?<err>.*)$"#,
                  set: network + [(.eventAction, "tls-error"), (.eventType, "error")]) { g in
            let rhost = g("rhost"), rip = g("rip"), rport = g("rport"), err = g("err")
            return { m, e in Mail.peer(host: m[rhost], ip: m[rip], port: m[rport], e); Mail.label("error", m[err], e) }
        },
        Mail.rule("relay-auth-failed", prefix: "SASL authentication failed; ",
                  #"^SASL authentication failed; server (?<rhost>[^\s\[]+)\[(?<rip>[^\]]+)\](?::(?<rport>\d+))? said: (?<resp>(?:(?<code>\d{3})[ -](?:(?<dsn>\d\.\d{1,3}\.\d{1,3}) )?)?.*)$"#,
                  set: [(.eventCategory, "authentication"), (.eventAction, "relay-login"), (.eventOutcome, "failure")]) { g in
            let rhost = g("rhost"), rip = g("rip"), rport = g("rport"), resp = g("resp"), code = g("code"), dsn = g("dsn")
            return { m, e in
                Mail.peer(host: m[rhost], ip: m[rip], port: m[rport], e)
                Mail.label("response", m[resp], e)
                Mail.reply(code: m[code], dsn: m[dsn], e)
            }
        },
        Mail.rule("pix", prefix: "enabling PIX workarounds: ",
                  #"^enabling PIX workarounds: (?<w>.*) for (?<rhost>[^\s\[]+)\[(?<rip>[^\]]+)\](?::(?<rport>\d+))?$"#,
                  set: network + [(.eventAction, "pix-workaround")]) { g in
            let rhost = g("rhost"), rip = g("rip"), rport = g("rport"), w = g("w")
            return { m, e in Mail.peer(host: m[rhost], ip: m[rip], port: m[rport], e); Mail.label("workarounds", m[w], e) }
        },
    ])

    static let qmgr = MessageRules([
        Mail.rule("queued", prefix: "from=",
                  #"^from=<(?<from>[^>]*)>, size=(?<size>\d+), nrcpt=(?<n>\d+) \(queue (?<queue>\w+)\)$"#,
                  set: email + [(.eventAction, "queued")]) { g in
            let from = g("from"), size = g("size"), n = g("n"), queue = g("queue")
            return { m, e in
                if let f = Mail.address(m[from]) { e.set(.emailFrom, f) }
                Mail.label("size", m[size], e); Mail.label("nrcpt", m[n], e); Mail.label("queue", m[queue], e)
            }
        },
        Mail.rule("expired", prefix: "from=", #"^from=<(?<from>[^>]*)>, status=(?<status>[\w-]+), (?<what>.*)$"#,
                  set: email + [(.eventAction, "expired"), (.eventOutcome, "failure")]) { g in
            let from = g("from"), status = g("status"), what = g("what")
            return { m, e in
                if let f = Mail.address(m[from]) { e.set(.emailFrom, f) }
                Mail.label("status", m[status], e); Mail.label("response", m[what], e)
            }
        },
        Mail.rule("removed", #"^removed$"#, set: email + [(.eventAction, "removed")]),
        Mail.rule("skipped", prefix: "skipped", #"^skipped, still being delivered$"#, set: email + [(.eventAction, "skipped")]),
    ])

    static let cleanup = MessageRules([
        Mail.rule("message-id", contains: "message-id=", #"^(?<resent>resent-)?message-id=<?(?<id>.*?)>?$"#,
                  set: email + [(.eventAction, "message-id")]) { g in
            let id = g("id"), resent = g("resent")
            return { m, e in
                guard let v = m[id], v.count > 0 else { return }
                if m[resent] != nil { e.label("resent_message_id", v) } else { e.set(.emailMessageID, v) }
            }
        },
        Mail.rule("header-check", contains: " from ",
                  #"^(?:(?<act>[a-z][a-z-]*): )?(?<kind>header|body) (?<content>.*?) from (?:"# + client
                    + #"|local); (?:from=<(?<from>[^>]*)>)? ?(?:to=<(?<to>[^>]*)>)? ?(?:proto=(?<proto>\S+))? ?(?:helo=<(?<helo>[^>]*)>)?(?:: (?<extra>.*))?$"#,
                  set: email + [(.eventAction, "content-check")]) { g in
            let act = g("act"), kind = g("kind"), content = g("content"), from = g("from"), to = g("to"), helo = g("helo"), extra = g("extra")
            let setClient = clientThen(g)
            return { m, e in
                setClient(m, e)
                if let a = m[act] {
                    e.label("action", a)
                    if a.hasPrefix("milter-") { e.label("milter", a.dropFirst(7)) }
                    if a.equals("reject") || a.equals("milter-reject") { e.set(outcome: .failure); e.set(reason: .policy) }
                }
                e.label("check", m[kind]!)
                if let c = m[content], m[kind]!.equals("header"), c.hasPrefix("Subject: ") { e.set(.emailSubject, c.dropFirst(9)) }
                Mail.label("matched", m[content], e)
                if let f = Mail.address(m[from]) { e.set(.emailFrom, f) }
                if let t = Mail.address(m[to]) { e.append(.emailTo, t) }
                Mail.label("helo", m[helo], e)
                Mail.label("reply_text", m[extra], e)
            }
        },
        decision,
        Mail.rule("milter-decision", prefix: "milter-",
                  #"^milter-(?<act>[a-z-]+): (?<stage>[A-Z][A-Z-]*) from "# + client
                    + #": (?:(?<code>\d{3})[ -])?(?:(?<dsn>\d\.\d{1,3}\.\d{1,3}) )?(?<text>.*?)(?:; "# + kv + ")?$",
                  set: email + [(.eventAction, "content-check")]) { g in
            let act = g("act"), stage = g("stage"), code = g("code"), dsn = g("dsn"), text = g("text"), from = g("from"), to = g("to")
            let setClient = clientThen(g)
            return { m, e in
                setClient(m, e)
                let a = m[act]!
                e.label("milter", a)
                e.label("smtp_stage", m[stage]!)
                Mail.reply(code: m[code], dsn: m[dsn], e)
                Mail.label("reply_text", m[text], e)
                if let f = Mail.address(m[from]) { e.set(.emailFrom, f) }
                if let t = Mail.address(m[to]) { e.append(.emailTo, t) }
                if a.equals("reject") { e.set(outcome: .failure); e.set(reason: .policy) }
            }
        },
    ])

    static let postscreen = MessageRules([
        Mail.rule("ps-connect", prefix: "CONNECT from ",
                  #"^CONNECT from \[(?<ip>[^\]]+)\]:(?<port>\d+) to \[(?<dip>[^\]]+)\]:(?<dport>\d+)$"#,
                  fields: ["dip": .destinationIP, "dport": .destinationPort],
                  set: network + [(.eventAction, "connect"), (.eventType, "start")]) { g in
            let ip = g("ip"), port = g("port")
            return { m, e in Mail.client(host: nil, ip: m[ip], port: m[port], e) }
        },
        Mail.rule("ps-verdict",
                  #"^(?<what>PASS NEW|PASS OLD|WHITELISTED|BLACKLISTED|ALLOWLISTED|DENYLISTED|WHITELIST VETO|ALLOWLIST VETO) \[(?<ip>[^\]]+)\]:(?<port>\d+)$"#,
                  set: network + [(.eventAction, "postscreen")]) { g in
            let ip = g("ip"), port = g("port"), what = g("what")
            return { m, e in
                Mail.client(host: nil, ip: m[ip], port: m[port], e)
                let w = m[what]!
                e.label("postscreen", w)
                if w.equals("BLACKLISTED") || w.equals("DENYLISTED") {
                    e.set(outcome: .failure); e.set(reason: .policy); e.set(.eventType, "denied")
                } else if w.hasPrefix("PASS") || w.equals("WHITELISTED") || w.equals("ALLOWLISTED") {
                    e.set(outcome: .success); e.set(.eventType, "allowed")
                }
            }
        },
        Mail.rule("ps-disconnect", prefix: "DISCONNECT ", #"^DISCONNECT \[(?<ip>[^\]]+)\]:(?<port>\d+)$"#,
                  set: network + [(.eventAction, "disconnect"), (.eventType, "end")]) { g in
            let ip = g("ip"), port = g("port")
            return { m, e in Mail.client(host: nil, ip: m[ip], port: m[port], e) }
        },
        Mail.rule("ps-pregreet", prefix: "PREGREET ",
                  #"^PREGREET (?<n>\d+) after (?<t>[\d.]+) from \[(?<ip>[^\]]+)\]:(?<port>\d+):? ?(?<text>.*)$"#,
                  set: network + [(.eventAction, "postscreen"), (.eventType, "denied"), (.eventOutcome, "failure"), (.eventReason, "policy")]) { g in
            let ip = g("ip"), port = g("port"), t = g("t"), text = g("text")
            return { m, e in
                Mail.client(host: nil, ip: m[ip], port: m[port], e)
                e.label("violation", string: "PREGREET"); Mail.label("after", m[t], e); Mail.label("input", m[text], e)
            }
        },
        Mail.rule("ps-hangup", prefix: "HANGUP ",
                  #"^HANGUP after (?<t>[\d.]+) from \[(?<ip>[^\]]+)\]:(?<port>\d+) in (?<text>.*)$"#,
                  set: network + [(.eventAction, "postscreen"), (.eventType, "denied"), (.eventOutcome, "failure"), (.eventReason, "policy")]) { g in
            let ip = g("ip"), port = g("port"), t = g("t"), text = g("text")
            return { m, e in
                Mail.client(host: nil, ip: m[ip], port: m[port], e)
                e.label("violation", string: "HANGUP"); Mail.label("after", m[t], e); Mail.label("phase", m[text], e)
            }
        },
        Mail.rule("ps-dnsbl", prefix: "DNSBL rank ", #"^DNSBL rank (?<rank>\d+) for \[(?<ip>[^\]]+)\]:(?<port>\d+)$"#,
                  set: network + [(.eventAction, "postscreen"), (.eventType, "info")]) { g in
            let ip = g("ip"), port = g("port"), rank = g("rank")
            return { m, e in
                Mail.client(host: nil, ip: m[ip], port: m[port], e)
                e.label("violation", string: "DNSBL"); Mail.label("dnsbl_rank", m[rank], e)
            }
        },
        Mail.rule("ps-violation",
                  #"^(?<v>COMMAND TIME LIMIT|COMMAND COUNT LIMIT|COMMAND LENGTH LIMIT|NON-SMTP COMMAND|COMMAND PIPELINING|BARE NEWLINE) from \[(?<ip>[^\]]+)\]:(?<port>\d+) after (?<stage>[^\s:]+)(?:: ?(?<text>.*))?$"#,
                  set: network + [(.eventAction, "postscreen"), (.eventType, "denied"), (.eventOutcome, "failure"), (.eventReason, "policy")]) { g in
            let ip = g("ip"), port = g("port"), v = g("v"), stage = g("stage"), text = g("text")
            return { m, e in
                Mail.client(host: nil, ip: m[ip], port: m[port], e)
                Mail.label("violation", m[v], e); Mail.label("smtp_stage", m[stage], e); Mail.label("input", m[text], e)
            }
        },
        decision,
        Mail.rule("ps-busy", prefix: "reject: CONNECT from ",
                  #"^reject: CONNECT from \[(?<ip>[^\]]+)\]:(?<port>\d+): (?<text>.*)$"#,
                  set: network + [(.eventAction, "client-check"), (.eventType, "denied"), (.eventOutcome, "failure"), (.eventReason, "policy")]) { g in
            let ip = g("ip"), port = g("port"), text = g("text")
            return { m, e in Mail.client(host: nil, ip: m[ip], port: m[port], e); Mail.label("reply_text", m[text], e) }
        },
    ])

    static let bounce = MessageRules([
        Mail.rule("notification", contains: " notification: ",
                  #"^(?<who>sender|postmaster) (?<what>non-delivery|delivery status|delay|success) notification: (?<qid>\w+)$"#,
                  set: email + [(.eventAction, "notification")]) { g in
            let who = g("who"), what = g("what"), qid = g("qid")
            return { m, e in
                Mail.label("notify", m[who], e); Mail.label("notification", m[what], e); Mail.label("notification_id", m[qid], e)
            }
        },
    ])
}

extension Mail {
    /// The remote server a delivery agent talked to: `destination.ip`/`.port`, label `relay_host`.
    @inline(__always)
    static func peer(host: Bytes?, ip: Bytes?, port: Bytes?, _ e: EventBuilder) {
        if let host, host.count > 0 { e.label("relay_host", host) }
        if let ip, ip.isIPAddress { e.set(.destinationIP, ip) }
        if let port, let n = port.decimal() { e.set(.destinationPort, int: n) }
    }
}
