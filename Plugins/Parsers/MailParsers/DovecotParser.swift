import SpoorKit

/// Dovecot: IMAP/POP3/submission/managesieve logins (success, `auth failed, N attempts`,
/// no attempts, plaintext refused), passdb verdicts of the auth process (`unknown user`,
/// `Password mismatch`, PAM's words) and session ends.
///
/// Syslog writes it as `dovecot: imap-login: …` (program `dovecot`), older versions and
/// dovecot's own log file as `imap-login: …`, `auth-worker(123): …`, `dovecot-auth: …`,
/// `auth(user,ip,…)<session>: …`. Each message is read as `service(args)<session>: [Level: ]rest`.
/// pam_unix lines are left to the PAM parser (`.notMine` unless the program is `dovecot`).
public struct DovecotParser: Parser {
    public static let manifest = PluginManifest(
        id: "dovecot", kind: .parser, version: "1.0.0",
        summary: "Dovecot IMAP/POP3 logins, auth failures, passdb unknown users and password mismatches")

    public init(config: PluginConfig) throws {}

    public var routes: [Route] {
        [.program("dovecot"), .program("imap-login"), .program("pop3-login"), .program("submission-login"),
         .program("managesieve-login"), .program("dovecot-auth"), .program("auth"), .program("auth-worker"),
         // Dovecot 1.x's own log: `Jun 23 15:04:05 Info: imap-login: Login: …` (the level reads as the tag).
         .program("Info"), .program("Warn"), .program("Warning"), .program("Error"), .program("Fatal")]
    }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        let program = input.program
        let isDovecot = program.equals("dovecot")
        var text: Bytes
        if isDovecot {
            text = input.message
            while text.hasPrefix("dovecot: ") { text = text.dropFirst(9) }
        } else if let base = program.baseAddress, let start = input.record.baseAddress,
                  base >= start, base + program.count <= start + input.record.count {
            // The service and its arguments as written: the syslog tag may have been cut at a
            // colon inside them (`auth(a@b,192.0.2.1,sasl:login)<…>: …`).
            text = input.record.dropFirst(base - start)
        } else {
            return parseParts(service: program.until(0x28), args: nil, rest: input.message, input, event, claim: false)
        }
        let mark = event.mark()
        text = DovecotParser.level(text, event)
        guard let head = DovecotParser.head(text) else {
            guard isDovecot else { event.rollback(to: mark); return .notMine }
            if text.contains(" starting up") {
                event.set(.eventCategory, "process")
                event.set(.eventAction, "start")
            }
            event.set(.eventDataset, "dovecot")
            return .event
        }
        return parseParts(service: head.service, args: head.args, rest: head.rest, input, event, claim: isDovecot)
    }

    /// The dataset is set last: a field the envelope set and a parser overwrote stays
    /// overwritten when the router rolls a `.notMine` back.
    private func parseParts(service: Bytes, args: Bytes?, rest message: Bytes, _ input: ParserInput, _ event: EventBuilder,
                            claim: Bool) -> ParseResult {
        let result = parseService(service: service, args: args, rest: message, input, event, claim: claim)
        if case .event = result { event.set(.eventDataset, "dovecot") }
        return result
    }

    private func parseService(service: Bytes, args: Bytes?, rest message: Bytes, _ input: ParserInput, _ event: EventBuilder,
                              claim: Bool) -> ParseResult {
        var rest = message
        if rest.hasPrefix("pam_unix") || rest.hasPrefix("(pam_unix)") {
            return claim ? .event : .notMine
        }
        rest = DovecotParser.level(rest, event)
        let ctx = input.context
        if service.hasSuffix("-login") {
            DovecotParser.protocolOf(service, event)
            if DovecotParser.login.apply(rest, event, ctx) != nil {
                DovecotParser.keyValues(rest, event)
                return .event
            }
            DovecotParser.keyValues(rest, event)
            return .event
        }
        if service.equals("auth") || service.equals("auth-worker") || service.equals("dovecot-auth") {
            // `conn unix:auth-worker (uid=143): auth-worker<13247>: ` before the passdb.
            if rest.hasPrefix("conn "), let lt = rest.firstIndex(of: "auth-worker<"), let gt = rest.firstIndex(of: 0x3E, from: lt),
               gt + 2 < rest.count, rest[gt + 1] == 0x3A {
                rest = DovecotParser.level(rest.dropFirst(gt + 3), event)
            }
            if DovecotParser.passdb.apply(rest, event, ctx) != nil { return .event }
            // Dovecot 2.4: the user and address are the service's arguments.
            if let args, args.firstIndex(of: 0x2C) != nil, DovecotParser.verdict.apply(rest, event, ctx) != nil {
                DovecotParser.userAndAddress(args, event)
                return .event
            }
            return claim || args != nil ? .event : .notMine
        }
        if service.equals("imap") || service.equals("pop3") || service.equals("managesieve") || service.equals("submission")
            || service.equals("IMAP") || service.equals("POP3") {
            DovecotParser.protocolOf(service, event)
            if let args, args.count > 0, args.firstIndex(of: 0x2C) == nil, args.decimal() == nil { Mail.user(args, event) }
            if rest.hasPrefix("Disconnected") || rest.hasPrefix("Logged out") || rest.hasPrefix("Connection closed") {
                event.set(.eventCategory, "session")
                event.set(.eventAction, "logout")
                event.set(.eventType, "end")
            }
            return .event
        }
        if service.equals("master"), rest.contains("starting up") {
            event.set(.eventCategory, "process")
            event.set(.eventAction, "start")
        }
        return claim ? .event : .notMine
    }

    /// `service(args)<session>: rest` → the parts; nil when the text does not start so.
    static func head(_ b: Bytes) -> (service: Bytes, args: Bytes?, rest: Bytes)? {
        var i = 0
        while i < b.count, i < 40 {
            let c = b[i]
            guard c &- 0x61 < 26 || c &- 0x41 < 26 || c &- 0x30 < 10 || c == 0x2D || c == 0x5F else { break }
            i += 1
        }
        guard i > 0, i < b.count else { return nil }
        let service = b.slice(0, i)
        var args: Bytes?
        if b[i] == 0x28 {
            guard let close = b.firstIndex(of: 0x29, from: i) else { return nil }
            args = b.slice(i + 1, close)
            i = close + 1
        }
        while i < b.count, b[i] == 0x3C, let close = b.firstIndex(of: 0x3E, from: i) { i = close + 1 }
        guard i + 1 < b.count, b[i] == 0x3A, b[i + 1] == 0x20 else { return nil }
        return (service, args, b.dropFirst(i + 2))
    }

    /// `Info: ` / `Error: ` / `Warning: ` / `Fatal: ` / `Panic: ` / `Debug: ` → label `level`.
    @inline(__always)
    static func level(_ m: Bytes, _ e: EventBuilder) -> Bytes {
        guard m.count > 7 else { return m }
        let n: Int
        switch m[0] {
        case 0x49 where m.hasPrefix("Info: "): n = 4
        case 0x45 where m.hasPrefix("Error: "): n = 5
        case 0x57 where m.hasPrefix("Warning: "): n = 7
        case 0x57 where m.hasPrefix("Warn: "): n = 4
        case 0x46 where m.hasPrefix("Fatal: "): n = 5
        case 0x50 where m.hasPrefix("Panic: "): n = 5
        case 0x44 where m.hasPrefix("Debug: "): n = 5
        default: return m
        }
        e.label("level", m.slice(0, n))
        return m.dropFirst(n + 2)
    }

    static func protocolOf(_ service: Bytes, _ e: EventBuilder) {
        if service.hasPrefix("imap") || service.hasPrefix("IMAP") { e.set(.networkProtocol, "imap") }
        else if service.hasPrefix("pop3") || service.hasPrefix("POP3") { e.set(.networkProtocol, "pop3") }
        else if service.hasPrefix("submission") { e.set(.networkProtocol, "submission") }
        else if service.hasPrefix("managesieve") { e.set(.networkProtocol, "managesieve") }
        else if service.hasPrefix("lmtp") { e.set(.networkProtocol, "lmtp") }
    }

    /// `user,ip[,…]` (passdb arguments, Dovecot 2.4 service arguments): the address is the last
    /// part that is one — a user name with commas in it cannot put another address first.
    static func userAndAddress(_ args: Bytes, _ e: EventBuilder) {
        var end = args.count
        while end > 0 {
            let comma = args.slice(0, end).lastIndex(of: 0x2C)
            let part = args.slice(comma.map { $0 + 1 } ?? 0, end)
            let ip = part.hasPrefix("::ffff:") ? part.dropFirst(7) : part
            if ip.isIPAddress, let comma {
                Mail.user(args.slice(0, comma), e)
                Mail.client(host: nil, ip: part, port: nil, e)
                return
            }
            guard let comma else { break }
            end = comma
        }
        // No address: `user,` or `user,<session>`.
        Mail.user(args.until(0x2C), e)
    }

    /// The last occurrence of `key` at a word start (after a space or at 0).
    static func lastKey(_ b: Bytes, _ key: StaticString) -> Int? {
        var found: Int?
        var from = 0
        while let i = b.firstIndex(of: key, from: from) {
            if i == 0 || b[i - 1] == 0x20 { found = i }
            from = i + 1
        }
        return found
    }

    /// `user=<…>, method=…, rip=…, lip=…, rport=…, lport=…, mpid=…, session=<…>` of a login line.
    /// The fields after the user name are read at their last occurrence, and the user name ends
    /// before them: a name cannot inject an address.
    static func keyValues(_ b: Bytes, _ e: EventBuilder) {
        func value(_ key: StaticString) -> Bytes? {
            guard let i = lastKey(b, key) else { return nil }
            let start = i + key.utf8CodeUnitCount
            var end = start
            while end < b.count, b[end] != 0x2C, b[end] != 0x20 { end += 1 }
            return b.slice(start, end)
        }
        if let u = b.firstIndex(of: "user=<"), u == 0 || b[u - 1] == 0x20 {
            let start = u + 6
            let next = lastKey(b, "method=") ?? lastKey(b, "rip=")
            var close: Int?
            if let next, next > start + 2, b[next - 3] == 0x3E, b[next - 2] == 0x2C { close = next - 3 }
            if let close = close ?? b.firstIndex(of: 0x3E, from: start) { Mail.user(b.slice(start, close), e) }
        }
        if let s = lastKey(b, "session=<"), let close = b.firstIndex(of: 0x3E, from: s + 9) { Mail.label("session", b.slice(s + 9, close), e) }
        if let method = value("method=") { Mail.method(method, e) }
        Mail.client(host: nil, ip: value("rip="), port: value("rport="), e)
        if let lip = value("lip="), lip.count > 0 { MessageRule.store(lip, .destinationIP, e) }
        if let lport = value("lport="), let n = lport.decimal() { e.set(.destinationPort, int: n) }
    }

    static let auth: [(Field, StaticString)] = [(.eventCategory, "authentication"), (.eventAction, "login"), (.eventType, "start")]

    static let login = MessageRules([
        Mail.rule("login", prefix: "Login: ", #"^Login: "#, set: auth + [(.eventOutcome, "success")]),
        Mail.rule("auth-failed", contains: "auth failed, ", #"\(auth failed, (?<n>\d+) attempts?(?: in \d+ secs?)?\)"#,
                  set: auth + [(.eventOutcome, "failure"), (.eventReason, "bad_password")]) { g in
            let n = g("n")
            return { m, e in Mail.label("attempts", m[n], e) }
        },
        Mail.rule("authentication-attempts", contains: " authentication attempt", #"\((?<n>\d+) authentication attempts?\)"#,
                  set: auth + [(.eventOutcome, "failure"), (.eventReason, "bad_password")]) { g in
            let n = g("n")
            return { m, e in Mail.label("attempts", m[n], e) }
        },
        Mail.rule("proxy-auth-failed", contains: "(proxy dest auth failed)", #"\(proxy dest auth failed\)"#,
                  set: auth + [(.eventOutcome, "failure"), (.eventReason, "bad_password")]),
        Mail.rule("plaintext-refused", contains: "plaintext auth", #"\(tried to use (?:disabled|disallowed) plaintext auth\)"#,
                  set: auth + [(.eventOutcome, "failure"), (.eventReason, "policy")]),
        Mail.rule("disallowed-auth", contains: "(tried to use ", #"\(tried to use (?:disabled|disallowed) [\w-]+ auth\)"#,
                  set: auth + [(.eventOutcome, "failure"), (.eventReason, "policy")]),
        Mail.rule("max-connections", prefix: "Maximum number of connections", #"^Maximum number of connections"#,
                  set: auth + [(.eventOutcome, "failure"), (.eventReason, "policy")]),
        Mail.rule("no-auth-attempts", contains: "no auth attempts", #"\(no auth attempts"#,
                  set: [(.eventCategory, "network"), (.eventAction, "disconnect"), (.eventType, "end")]),
        Mail.rule("disconnected", #"^(?:Disconnected|Aborted login|Login aborted|Connection closed)"#,
                  set: [(.eventCategory, "network"), (.eventAction, "disconnect"), (.eventType, "end")]),
    ])

    /// `passdb(user,ip[,…]): verdict` after `auth:` / `auth-worker(…):`.
    static let passdb = MessageRules([
        Mail.rule("passdb", contains: "(",
                  #"^(?<db>[\w-]+)\((?<args>[^,]*,.*?)\): (?<text>.*)$"#) { g in
            let args = g("args"), text = g("text"), db = g("db")
            return { m, e in
                DovecotParser.userAndAddress(m[args]!, e)
                let d = m[db]!
                Mail.label("passdb", d, e)
                // A userdb lookup follows a verified login (delivery, post-login): no verdict on a password.
                if !d.equals("userdb") { DovecotParser.classify(m[text]!, e) }
            }
        },
    ])

    /// `passdb: verdict` when the user and address are in the service's arguments.
    static let verdict = MessageRules([
        Mail.rule("verdict", #"^(?<db>[\w-]+): (?<text>.*)$"#) { g in
            let text = g("text"), db = g("db")
            return { m, e in
                Mail.label("passdb", m[db], e)
                DovecotParser.classify(m[text]!, e)
            }
        },
    ])

    /// What a passdb said about the password: an unknown user, a mismatch, a refused account.
    static func classify(_ t: Bytes, _ e: EventBuilder) {
        let reason: Reason?
        if t.hasPrefix("unknown user") || t.contains("User not known to the underlying authentication module")
            || Mail.containsCaseless(t, "user not found") || Mail.containsCaseless(t, "no such user") {
            reason = .unknownUser
        } else if Mail.containsCaseless(t, "password mismatch") || Mail.containsCaseless(t, "invalid credentials")
                    || t.contains("Authentication failure") || Mail.containsCaseless(t, "password verification failed") {
            reason = .badPassword
        } else if Mail.containsCaseless(t, "expired") {
            reason = .expired
        } else if t.contains("Permission denied") || Mail.containsCaseless(t, "account is disabled") {
            reason = .notPermitted
        } else if t.hasPrefix("pam_authenticate() failed") {
            reason = nil
            e.set(.eventCategory, "authentication"); e.set(.eventAction, "login"); e.set(outcome: .failure)
            e.label("error", t.dropFirst(27))
            return
        } else {
            return
        }
        e.set(.eventCategory, "authentication")
        e.set(.eventAction, "login")
        e.set(.eventType, "start")
        e.set(outcome: .failure)
        if let reason { e.set(reason: reason) }
    }
}
