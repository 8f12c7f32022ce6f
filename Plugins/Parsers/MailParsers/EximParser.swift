import SpoorKit

/// Exim's mainlog: `YYYY-MM-DD HH:MM:SS[.fff] [+zzzz] [pid] [message-id] message`, read as a
/// file format (`exim`, with `sniff`) or as the message of a syslog line of program `exim`/`exim4`.
///
/// Arrivals (`<=`, with `A=authenticator:user` a successful SMTP AUTH login), deliveries
/// (`=>`, `->`, `>>`, `*>`), failures (`**`), deferrals (`==`), `Completed`, RCPT/MAIL/DATA
/// rejections, authenticator failures, protocol errors and dropped connections.
public struct EximParser: Parser {
    public static let manifest = PluginManifest(
        id: "exim", kind: .parser, version: "1.0.0",
        summary: "Exim mainlog (file or syslog): arrivals, deliveries, RCPT rejects, authenticator failures")

    public init(config: PluginConfig) throws {}

    public var routes: [Route] { [.format("exim"), .program("exim"), .program("exim4")] }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        var m = input.message
        if input.program.count == 0 {
            // A whole record: the mainlog stamp, or a journal/syslog-less `host exim[pid]: stamp`.
            guard m.count >= 19 else { return .notMine }
            if !EximParser.startsWithDate(m) {
                guard let colon = EximParser.hostPrefix(m) else { return .notMine }
                m = m.dropFirst(colon)
            }
            guard let (micros, length) = EximParser.timestamp(m, input.context.clock) else { return .notMine }
            event.set(.timestamp, int: micros)
            m = m.dropFirst(length)
        } else if EximParser.startsWithDate(m), let (_, length) = EximParser.timestamp(m, input.context.clock) {
            // Exim writing its own stamp into syslog: the envelope's time stands.
            m = m.dropFirst(length)
        }
        event.set(.eventDataset, "exim")
        m = m.trimmed()
        // `mx exim[123]: ` after the stamp (syslog-style writers), then `[pid] `.
        if let colon = EximParser.hostPrefix(m) { m = m.dropFirst(colon) }
        var known = false
        if m.hasPrefix("["), let close = m.firstIndex(of: 0x5D), let pid = m.slice(1, close).decimal() {
            event.set(.processPID, int: pid)
            m = m.dropFirst(close + 1).trimmed()
            known = true
        }
        if let id = EximParser.messageID(m) {
            event.set(.emailLocalID, id)
            m = m.dropFirst(id.count + 1)
            known = true
        }
        event.set(.networkProtocol, "smtp")
        if EximParser.rules.apply(m, event, input.context) != nil { known = true }
        // As a fallback for another format's stream, a dated line Exim's rules do not know is
        // not claimed: it may be another writer's.
        if !known, input.program.count == 0, input.input.format != "exim" { return .notMine }
        return .event
    }

    /// `YYYY-MM-DD HH:MM:SS` at the start.
    @inline(__always)
    static func startsWithDate(_ b: Bytes) -> Bool {
        b.count >= 19 && b[4] == 0x2D && b[7] == 0x2D && b[10] == 0x20 && b[13] == 0x3A && b[16] == 0x3A
            && b[0] &- 0x30 < 10 && b[1] &- 0x30 < 10 && b[2] &- 0x30 < 10 && b[3] &- 0x30 < 10
    }

    /// The stamp, with an optional ` +zzzz` offset (log_timezone); without one it is local time
    /// in the job's zone. Returns µs since the epoch and the length read.
    static func timestamp(_ b: Bytes, _ clock: ZoneClock) -> (Int64, Int)? {
        guard let stamp = Timestamps.iso8601(b, clock: clock) else { return nil }
        let i = stamp.length
        guard i + 6 <= b.count, b[i] == 0x20, b[i + 1] == 0x2B || b[i + 1] == 0x2D,
              b[i + 2] &- 0x30 < 10, b[i + 3] &- 0x30 < 10, b[i + 4] &- 0x30 < 10, b[i + 5] &- 0x30 < 10,
              i + 6 == b.count || b[i + 6] == 0x20 else { return (stamp.micros, i) }
        // Re-read with the offset attached: `YYYY-MM-DD HH:MM:SS[.f]+zzzz`.
        var copy = [UInt8](b.slice(0, i))
        copy.append(contentsOf: b.slice(i + 1, i + 6))
        let offsetStamp = copy.withUnsafeBytes { Timestamps.iso8601($0, clock: clock) }
        return (offsetStamp?.micros ?? stamp.micros, i + 6)
    }

    /// `host exim[123]: ` / `host exim4[123]: ` at the start → the length to skip.
    static func hostPrefix(_ b: Bytes) -> Int? {
        guard let space = b.firstIndex(of: 0x20), space > 0, space < 256 else { return nil }
        let rest = b.dropFirst(space + 1)
        guard rest.hasPrefix("exim") else { return nil }
        var i = 4
        if i < rest.count, rest[i] == 0x34 { i += 1 }
        if i < rest.count, rest[i] == 0x5B, let close = rest.firstIndex(of: 0x5D, from: i) { i = close + 1 }
        guard i + 1 < rest.count, rest[i] == 0x3A, rest[i + 1] == 0x20 else { return nil }
        return space + 1 + i + 2
    }

    /// An Exim message id at the start, followed by a space: `1aBcDe-000123-Xy` (6-6-2) or
    /// the 4.97 form `1aBcDe-00000012345-Xyzw` (6-11-4).
    @inline(__always)
    static func messageID(_ b: Bytes) -> Bytes? {
        func alnum(_ c: UInt8) -> Bool { c &- 0x30 < 10 || c &- 0x41 < 26 || c &- 0x61 < 26 }
        for (a, mid, end) in [(6, 6, 2), (6, 11, 4)] {
            let n = a + 1 + mid + 1 + end
            guard b.count > n, b[n] == 0x20, b[a] == 0x2D, b[a + 1 + mid] == 0x2D else { continue }
            var ok = true
            for i in 0..<n where i != a && i != a + 1 + mid { if !alnum(b[i]) { ok = false; break } }
            if ok { return b.slice(0, n) }
        }
        return nil
    }

    /// Whether a head of a file looks like an Exim mainlog.
    public func sniff(_ head: Bytes) -> Int {
        sniffLines(head) { line in
            guard EximParser.startsWithDate(line) else { return false }
            var m = line.dropFirst(19)
            if m.hasPrefix("."), let sp = m.firstIndex(of: 0x20) { m = m.dropFirst(sp) }
            m = m.trimmed()
            if m.count > 5, m[0] == 0x2B || m[0] == 0x2D, m[1] &- 0x30 < 10 { m = m.dropFirst(5).trimmed() }
            if let colon = EximParser.hostPrefix(m) { return colon > 0 }
            if m.hasPrefix("["), let close = m.firstIndex(of: 0x5D), m.slice(1, close).decimal() != nil { m = m.dropFirst(close + 1).trimmed() }
            if EximParser.messageID(m) != nil { return true }
            return m.hasPrefix("H=") || m.hasPrefix("SMTP ") || m.hasPrefix("Start queue run") || m.hasPrefix("End queue run")
                || m.hasPrefix("exim ") || m.hasPrefix("no host name found") || m.hasPrefix("no IP address found")
                || m.hasPrefix("no MAIL in SMTP") || m.hasPrefix("TLS error") || m.hasPrefix("F=<")
                || m.contains(" authenticator failed for ") || m.contains(" rejected RCPT ")
        }
    }

    // MARK: - Rules

    /// `H=host (helo) [ip]:port`, every part but the address optional.
    static let host = #"(?:(?<host>[^\s\[(]+) )?(?:\((?<helo>[^)]*)\) )?\[(?<ip>[^\]]+)\](?::(?<port>\d+))?"#

    static func hostThen(_ g: (String) -> Int) -> Mail.Then {
        let host = g("host"), helo = g("helo"), ip = g("ip"), port = g("port")
        return { m, e in
            Mail.client(host: m[host], ip: m[ip], port: m[port], e)
            Mail.label("helo", m[helo], e)
        }
    }

    static let email: [(Field, StaticString)] = [(.eventCategory, "email")]
    static let network: [(Field, StaticString)] = [(.eventCategory, "network")]
    static let failure: [(Field, StaticString)] = [(.eventType, "denied"), (.eventOutcome, "failure"), (.eventReason, "policy")]

    /// ` X=value` fields of arrival and delivery lines.
    static func field(_ b: Bytes, _ key: StaticString) -> Bytes? {
        var from = 0
        while let i = b.firstIndex(of: key, from: from) {
            from = i + 1
            guard i > 0, b[i - 1] == 0x20 else { continue }
            let start = i + key.utf8CodeUnitCount
            if start < b.count, b[start] == 0x22, let close = b.firstIndex(of: 0x22, from: start + 1) { return b.slice(start + 1, close) }
            return b.dropFirst(start).token()
        }
        return nil
    }

    /// `H=…` of arrival and delivery lines (its value has spaces).
    static func hostField(_ b: Bytes, _ e: EventBuilder, peer: Bool) {
        guard let i = b.firstIndex(of: " H="), let open = b.firstIndex(of: 0x5B, from: i),
              let close = b.firstIndex(of: 0x5D, from: open) else { return }
        let head = b.slice(i + 3, open).trimmed()
        var host: Bytes? = head.count > 0 && !head.hasPrefix("(") ? head.until(0x20) : nil
        if let h = host, h.count == 0 { host = nil }
        var port: Bytes?
        if close + 1 < b.count, b[close + 1] == 0x3A { port = b.dropFirst(close + 2).token() }
        if let lp = head.firstIndex(of: 0x28), let rp = head.lastIndex(of: 0x29), rp > lp { Mail.label("helo", head.slice(lp + 1, rp), e) }
        if peer {
            Mail.peer(host: host, ip: b.slice(open + 1, close), port: port, e)
        } else {
            Mail.client(host: host, ip: b.slice(open + 1, close), port: port, e)
        }
    }

    static let rules = MessageRules([
        Mail.rule("arrival", prefix: "<= ", #"^<= (?<from>\S+)(?<rest>.*)$"#, set: email + [(.eventAction, "receive")]) { g in
            let from = g("from"), rest = g("rest")
            return { m, e in
                let b = m[rest]!
                if let f = m[from], !f.equals("<>") { e.set(.emailFrom, f) }
                EximParser.hostField(b, e, peer: false)
                if let p = EximParser.field(b, "P=") { e.label("proto", p) }
                if let s = EximParser.field(b, "S=") { e.label("size", s) }
                if let id = EximParser.field(b, "id=") { e.set(.emailMessageID, id) }
                if let t = EximParser.field(b, "T=") { e.set(.emailSubject, t) }
                if let u = EximParser.field(b, "U=") { e.label("local_user", u) }
                if let a = EximParser.field(b, "A=") {
                    // An SMTP AUTH login: the authenticator and the id it set.
                    let colon = a.firstIndex(of: 0x3A)
                    let driver = colon.map { a.slice(0, $0) } ?? a
                    e.label("authenticator", driver)
                    Mail.authenticatorMethod(driver, e)
                    if let colon { Mail.user(a.dropFirst(colon + 1), e) }
                    e.set(.eventCategory, "authentication")
                    e.set(.eventAction, "login")
                    e.set(.eventType, "start")
                    e.set(outcome: .success)
                }
            }
        },
        Mail.rule("delivery", #"^(?<flag>=>|->|>>|\*>) (?<to>\S+)(?: <(?<orig>[^>]+)>)?(?<rest>.*)$"#, set: email + [(.eventAction, "delivery")]) { g in
            let flag = g("flag"), to = g("to"), orig = g("orig"), rest = g("rest")
            return { m, e in
                let b = m[rest]!
                e.label("flag", m[flag]!)
                if let t = Mail.address(m[to]) { e.append(.emailTo, t) }
                Mail.label("orig_to", m[orig], e)
                EximParser.hostField(b, e, peer: true)
                if let r = EximParser.field(b, "R=") { e.label("router", r) }
                if let t = EximParser.field(b, "T=") { e.label("transport", t) }
                if let c = EximParser.field(b, "C=") { e.label("response", c) }
                e.set(outcome: .success)
            }
        },
        Mail.rule("bounce", prefix: "** ", #"^\*\* (?<to>\S+)(?: <(?<orig>[^>]+)>)?(?<rest>.*?)(?:: (?<why>.*))?$"#,
                  set: email + [(.eventAction, "delivery"), (.eventOutcome, "failure")]) { g in
            let to = g("to"), orig = g("orig"), why = g("why"), rest = g("rest")
            return { m, e in
                let b = m[rest]!
                e.label("flag", string: "**")
                if let t = Mail.address(m[to]) { e.append(.emailTo, t) }
                Mail.label("orig_to", m[orig], e)
                EximParser.hostField(b, e, peer: true)
                if let r = EximParser.field(b, "R=") { e.label("router", r) }
                if let t = EximParser.field(b, "T=") { e.label("transport", t) }
                Mail.label("response", m[why], e)
            }
        },
        Mail.rule("defer", prefix: "== ", #"^== (?<to>\S+)(?: <(?<orig>[^>]+)>)?(?<rest>.*)$"#,
                  set: email + [(.eventAction, "delivery"), (.eventOutcome, "failure")]) { g in
            let to = g("to"), orig = g("orig"), rest = g("rest")
            return { m, e in
                let b = m[rest]!
                e.label("flag", string: "=="); e.label("status", string: "deferred")
                if let t = Mail.address(m[to]) { e.append(.emailTo, t) }
                Mail.label("orig_to", m[orig], e)
                EximParser.hostField(b, e, peer: true)
                if let r = EximParser.field(b, "R=") { e.label("router", r) }
                if let t = EximParser.field(b, "T=") { e.label("transport", t) }
                if let d = b.after(" defer ") { e.label("response", d) }
            }
        },
        Mail.rule("completed", #"^Completed(?: QT=\S+)?$"#, set: email + [(.eventAction, "completed")]),
        Mail.rule("authenticator-failed", contains: " authenticator failed for ",
                  #"^(?<driver>\S+) authenticator failed for "# + host
                    + #"(?: I=\[[^\]]*\](?::\d+)?)?(?: Ci=\d+)?: (?<code>\d{3})(?: (?<dsn>\d\.\d+\.\d+))? (?<text>.*?)(?: \(set_id=(?<user>.*)\))?(?:: \d+ Time\(s\))?$"#,
                  set: [(.eventCategory, "authentication"), (.eventAction, "login"), (.eventType, "start"), (.eventOutcome, "failure")]) { g in
            let setHost = hostThen(g), driver = g("driver"), code = g("code"), dsn = g("dsn"), text = g("text"), user = g("user")
            return { m, e in
                setHost(m, e)
                let d = m[driver]!
                e.label("authenticator", d)
                Mail.authenticatorMethod(d, e)
                Mail.reply(code: m[code], dsn: m[dsn], e)
                Mail.label("reply_text", m[text], e)
                Mail.user(m[user], e)
                if let c = m[code], c.equals("535") { e.set(reason: .badPassword) }
            }
        },
        Mail.rule("rejected-rcpt", contains: " rejected RCPT ",
                  #"^(?:H=)?"# + host + #"(?: I=\[[^\]]*\](?::\d+)?)?(?: Ci=\d+)?(?: CV=\S+)?(?: SNI=\S+)?(?: F=<?(?<from>[^>\s]*)>?)?(?: A=(?<auth>\S+))?(?: (?<temp>temporarily))? rejected RCPT <?(?<rcpt>[^>\s:]*)>?: (?<text>.*)$"#,
                  set: email + [(.eventAction, "recipient-check"), (.eventType, "denied"), (.eventOutcome, "failure")]) { g in
            let setHost = hostThen(g), from = g("from"), rcpt = g("rcpt"), text = g("text"), temp = g("temp")
            return { m, e in
                setHost(m, e)
                if let f = m[from], f.count > 0 { e.set(.emailFrom, f) }
                if let r = m[rcpt], r.count > 0 { e.append(.emailTo, r); e.set(.userEmail, r) }
                if m[temp] != nil { e.label("temporary", string: "true") }
                let t = m[text]
                Mail.label("reply_text", t, e)
                if Mail.saysRelayDenied(t) { e.set(reason: .relayDenied) }
                else if let t, t.hasPrefix("Unknown user") || t.hasPrefix("unknown user") || Mail.saysUnknownUser(dsn: nil, text: t) && !t.hasPrefix("Sender") {
                    e.set(reason: .unknownUser)
                } else { e.set(reason: .policy) }
            }
        },
        Mail.rule("rejected-other", contains: " rejected ",
                  #"^(?:H=)?"# + host + #"(?: I=\[[^\]]*\](?::\d+)?)?(?: Ci=\d+)?(?: CV=\S+)?(?: SNI=\S+)?(?: F=<?(?<from>[^>\s]*)>?)?(?: A=\S+)?(?: (?:temporarily))? rejected (?<what>MAIL|after DATA|DATA|EHLO|HELO|VRFY|EXPN|connection|\S+)(?: <?(?<obj>[^>\s:]*)>?)?:? ?(?<text>.*)$"#,
                  set: email + failure) { g in
            let setHost = hostThen(g), from = g("from"), what = g("what"), obj = g("obj"), text = g("text")
            return { m, e in
                setHost(m, e)
                if let f = m[from], f.count > 0 { e.set(.emailFrom, f) }
                let w = m[what]!
                if w.equals("MAIL") { e.set(.eventAction, "sender-check") }
                else if w.equals("EHLO") || w.equals("HELO") { e.set(.eventAction, "helo-check") }
                else if w.equals("VRFY") || w.equals("EXPN") { e.set(.eventAction, "recipient-check"); Mail.label("reply_object", m[obj], e) }
                else if w.hasSuffix("DATA") { e.set(.eventAction, "content-check") }
                else { e.set(.eventAction, "smtp-check") }
                Mail.label("reply_text", m[text], e)
            }
        },
        Mail.rule("sender-verify", contains: " sender verify ",
                  "^(?:H=)?" + host + #"(?: I=\[[^\]]*\](?::\d+)?)? sender verify (?:fail|defer) for <(?<from>[^>]*)>: ?(?<text>.*)$"#,
                  set: email + [(.eventAction, "sender-check")] + failure) { g in
            let setHost = hostThen(g), from = g("from"), text = g("text")
            return { m, e in
                setHost(m, e)
                if let f = m[from], f.count > 0 { e.set(.emailFrom, f) }
                Mail.label("reply_text", m[text], e)
            }
        },
        Mail.rule("local-scan", contains: "rejected by local_scan()",
                  #"^(?:F=<?(?<from>[^>\s]*)>? )?H="# + host + #"(?: I=\[[^\]]*\](?::\d+)?)?(?: P=\S+)? (?:temporarily )?rejected by local_scan\(\): (?<text>.*)$"#,
                  set: email + [(.eventAction, "content-check")] + failure) { g in
            let setHost = hostThen(g), from = g("from"), text = g("text")
            return { m, e in
                setHost(m, e)
                if let f = m[from], f.count > 0 { e.set(.emailFrom, f) }
                Mail.label("reply_text", m[text], e)
            }
        },
        Mail.rule("sync-error", prefix: "SMTP protocol synchronization error",
                  #"^SMTP protocol synchronization error \((?<what>[^)]*)\): rejected (?:connection from |"[^"]*" )H="# + host + ".*$",
                  set: network + [(.eventAction, "protocol-violation")] + failure) { g in
            let setHost = hostThen(g), what = g("what")
            return { m, e in setHost(m, e); Mail.label("error", m[what], e) }
        },
        Mail.rule("protocol-error", prefix: "SMTP protocol error in ",
                  #"^SMTP protocol error in "(?<cmd>(?:[^"\\]|\\.)*)" (?:.*" )?H="# + host + #"(?: I=\[[^\]]*\](?::\d+)?)?(?: Ci=\d+)? (?<text>.*)$"#,
                  set: network + [(.eventAction, "protocol-violation")] + failure) { g in
            let setHost = hostThen(g), cmd = g("cmd"), text = g("text")
            return { m, e in setHost(m, e); Mail.label("command", m[cmd], e); Mail.label("error", m[text], e) }
        },
        Mail.rule("call-dropped", prefix: "SMTP call from ",
                  "^SMTP call from " + host + #"(?: I=\[[^\]]*\](?::\d+)?)?(?: Ci=\d+)? dropped: (?<text>.*)$"#,
                  set: network + [(.eventAction, "dropped")] + failure) { g in
            let setHost = hostThen(g), text = g("text")
            return { m, e in
                setHost(m, e)
                Mail.label("error", m[text], e)
                if let t = m[text], t.hasPrefix("too many") { e.set(reason: .tooManyAttempts) }
            }
        },
        Mail.rule("connection-dropped", contains: " closed by DROP in ACL",
                  "^SMTP connection from " + host + #"(?: I=\[[^\]]*\](?::\d+)?)?(?: Ci=\d+)? closed by DROP in ACL$"#,
                  set: network + [(.eventAction, "dropped")] + failure, then: hostThen),
        Mail.rule("acl-dropped", contains: " dropped by ",
                  "^H=" + host + #"(?: I=\[[^\]]*\](?::\d+)?)? dropped by '(?<acl>[^']*)' ACL:? ?(?<text>.*)$"#,
                  set: network + [(.eventAction, "dropped")] + failure) { g in
            let setHost = hostThen(g), acl = g("acl"), text = g("text")
            return { m, e in setHost(m, e); Mail.label("acl", m[acl], e); Mail.label("reply_text", m[text], e) }
        },
        Mail.rule("no-mail", prefix: "no MAIL in SMTP connection from ",
                  "^no MAIL in SMTP connection from " + host + #"(?: I=\[[^\]]*\](?::\d+)?)?(?: Ci=\d+)?(?: D=(?<d>\S+))?(?: C=(?<c>\S+))?"#,
                  set: network + [(.eventAction, "disconnect"), (.eventType, "end")]) { g in
            let setHost = hostThen(g), d = g("d"), c = g("c")
            return { m, e in setHost(m, e); Mail.label("duration", m[d], e); Mail.label("commands", m[c], e) }
        },
        Mail.rule("connection", prefix: "SMTP connection from ",
                  "^SMTP connection from " + host + #"(?: I=\[[^\]]*\](?::\d+)?)?(?: Ci=\d+)?(?: \(TCP/IP connection count = (?<n>\d+)\))?(?<lost> lost.*|(?: D=\S+)? closed.*)?$"#,
                  set: network + [(.eventAction, "connect"), (.eventType, "start")]) { g in
            let setHost = hostThen(g), lost = g("lost")
            return { m, e in
                setHost(m, e)
                if m[lost] != nil { e.set(.eventAction, "disconnect"); e.set(.eventType, "end") }
            }
        },
        Mail.rule("no-host-name", prefix: "no host name found for IP address ",
                  #"^no host name found for IP address (?<ip>\S+)$"#,
                  set: network + [(.eventAction, "reverse-dns-missing"), (.eventType, "info")]) { g in
            let ip = g("ip")
            return { m, e in Mail.client(host: nil, ip: m[ip], port: nil, e) }
        },
        Mail.rule("no-ip-address", prefix: "no IP address found for host ",
                  #"^no IP address found for host (?<name>\S+) \(during SMTP connection from \[(?<ip>[^\]]+)\](?::(?<port>\d+))?"#,
                  set: network + [(.eventAction, "reverse-dns-mismatch"), (.eventType, "info")]) { g in
            let ip = g("ip"), port = g("port"), name = g("name")
            return { m, e in Mail.client(host: nil, ip: m[ip], port: m[port], e); Mail.label("hostname", m[name], e) }
        },
        Mail.rule("unexpected-disconnect", prefix: "unexpected disconnection while reading SMTP command from ",
                  "^unexpected disconnection while reading SMTP command from " + host + ".*$",
                  set: network + [(.eventAction, "lost-connection"), (.eventType, "end")], then: hostThen),
        Mail.rule("tls-error", prefix: "TLS error on connection from ",
                  "^TLS error on connection from " + host + #"(?: I=\[[^\]]*\](?::\d+)?)? \((?<what>[^)]*)\): ?(?<text>.*)$"#,
                  set: network + [(.eventAction, "tls-error"), (.eventType, "error")]) { g in
            let setHost = hostThen(g), text = g("text")
            return { m, e in setHost(m, e); Mail.label("error", m[text], e) }
        },
        Mail.rule("spamassassin", prefix: "SA: Action: ",
                  #"^SA: Action: (?<action>[^:]+): score=(?<score>[\d.-]+)(?<rest>.*?)(?:From <(?<from>[^>]*)> \(host=(?<peer>[^)]*)\) for (?<to>\S+))?$"#,
                  set: email + [(.eventAction, "content-check")]) { g in
            let action = g("action"), score = g("score"), from = g("from"), peer = g("peer"), to = g("to")
            return { m, e in
                let a = m[action]!
                e.label("spam_action", a)
                Mail.label("spam_score", m[score], e)
                if let f = m[from], f.count > 0 { e.set(.emailFrom, f) }
                if let p = m[peer] { Mail.bracketPeer(p, e) }
                if let t = m[to] { e.append(.emailTo, t) }
                // Spam: accepted with a mark, or tossed / rejected.
                e.set(outcome: .failure); e.set(reason: .policy)
                if a.contains("accepted") && !a.contains("Spam") { e.set(outcome: .success) }
            }
        },
        Mail.rule("queue-run", #"^(?<what>Start|End) queue run: pid=(?<pid>\d+)"#,
                  set: [(.eventCategory, "process"), (.eventAction, "queue-run")]),
    ])
}
