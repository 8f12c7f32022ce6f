import SpoorKit

/// Acme VPN gateway logs (a made-up appliance; stamps in its local time, `--timezone`), where a login's result comes on a later line than who logged in:
///
///     2026-03-01 10:00:01 gw1 sess=7f3a1 connect user=alice@example.com from=203.0.113.7:51234 method=password
///     2026-03-01 10:00:03 gw1 sess=7f3a1 auth result=reject reason=bad_password
///     2026-03-01 10:00:09 gw1 sess=7f3a1 disconnect
///
/// The `auth` line alone names no user and no address; the event it becomes carries both,
/// from the `connect` line of the same session. No pattern can say that: it takes state.
/// The same lines also arrive through syslog (`... gw1 acmevpn[311]: sess=7f3a1 ...`).
///
/// It is `StreamOrdered`: `spoor` gives it one instance per stream and the stream's records
/// in order, so the open sessions it keeps in `input.context` are that stream's, even when
/// a large file is cut into chunks for several workers. A result whose `connect` is not in
/// the stream (it was in the file before) still makes an event, with
/// `labels.session_state=unknown`.
public struct AcmeVPNParser: Parser, StreamOrdered {
    public static let manifest = PluginManifest(
        id: "acme.vpn", kind: .parser, version: "1.0.0",
        summary: "Acme VPN gateway: connect, auth result (joined to its connect by session id), disconnect",
        options: [OptionSpec("max_sessions", .int, default: .int(100_000),
                             "Open sessions remembered per stream; beyond it the oldest half is forgotten")])

    let maxSessions: Int

    public init(config: PluginConfig) throws {
        maxSessions = config.int("max_sessions") ?? 100_000
        guard maxSessions > 0 else {
            throw ConfigError(origin: config.origin, message: "max_sessions must be positive, got \(maxSessions)")
        }
    }

    public var routes: [Route] { [.format("acme.vpn"), .program("acmevpn")] }

    /// Its own files: every line starts with `YYYY-MM-DD hh:mm:ss`, a host, then `sess=`.
    public func sniff(_ head: Bytes) -> Int {
        sniffLines(head) { line in
            guard line.count > 20, line[4] == 0x2D, line[10] == 0x20, line[19] == 0x20 else { return false }
            let host = line.dropFirst(20).token()
            return line.dropFirst(20 + host.count + 1).hasPrefix("sess=")
        }
    }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        var body = input.message
        if input.program.count == 0 {
            // A line of its own file: stamp and host first (through syslog the envelope set them).
            guard let (micros, length) = Timestamps.iso8601(body, clock: input.context.clock) else { return .notMine }
            event.set(.timestamp, int: micros)
            body = body.dropFirst(length + 1)
            let host = body.token()
            event.set(.hostName, host)
            body = body.dropFirst(host.count + 1)
        }
        guard body.hasPrefix("sess=") else { return .notMine }
        let session = body.dropFirst(5).token()
        let rest = body.dropFirst(5 + session.count + 1)
        let verb = rest.token()
        let sessions = input.context.state(for: "acme.vpn.sessions") { Sessions() }
        event.set(.eventDataset, "acme.vpn")
        event.set(.networkProtocol, "vpn")
        event.label("session_id", session)

        if verb.equals("connect") {
            guard let user = value("user=", rest), let from = value("from=", rest) else {
                throw ParseFailure("acme.vpn connect without user= or from=")
            }
            let colon = from.lastIndex(of: 0x3A)
            let open = Session(user: Array(user), ip: Array(colon.map { from.slice(0, $0) } ?? from),
                               port: colon.flatMap { from.dropFirst($0 + 1).decimal() },
                               method: value("method=", rest).map(Array.init))
            sessions.remember(Array(session), open, limit: maxSessions)
            event.set(.eventCategory, "network")
            event.set(.eventType, "connection")
            event.set(.eventAction, "vpn-connect")
            set(open, on: event)
            return .event
        }
        if verb.equals("auth") {
            guard let result = value("result=", rest) else { throw ParseFailure("acme.vpn auth without result=") }
            event.set(.eventCategory, "authentication")
            event.set(.eventType, "start")
            event.set(.eventAction, "vpn-login")
            if result.equals("accept") {
                event.set(outcome: .success)
            } else if result.equals("reject") {
                event.set(outcome: .failure)
                if let reason = value("reason=", rest) { event.set(.eventReason, reason) }
            } else {
                throw ParseFailure("acme.vpn auth result '\(result.string)' is neither accept nor reject")
            }
            joined(session, sessions, event)
            return .event
        }
        if verb.equals("disconnect") {
            event.set(.eventCategory, "session")
            event.set(.eventType, "end")
            event.set(.eventAction, "vpn-disconnect")
            joined(session, sessions, event)
            sessions.forget(Array(session))
            return .event
        }
        return .notMine
    }

    /// Fills who and from where from the session's `connect`, or says it is not known.
    private func joined(_ session: Bytes, _ sessions: Sessions, _ event: EventBuilder) {
        if let open = sessions.open[Array(session)] {
            set(open, on: event)
        } else {
            event.label("session_state", string: "unknown")
        }
    }

    private func set(_ session: Session, on event: EventBuilder) {
        session.user.withUnsafeBytes { user in
            event.set(.userName, user)
            if user.contains("@") { event.set(.userEmail, user) }
        }
        session.ip.withUnsafeBytes { event.set(.sourceIP, $0) }
        if let port = session.port { event.set(.sourcePort, int: port) }
        session.method?.withUnsafeBytes { event.set(.authMethod, $0) }
    }

    /// The value after ` key` (a key=value token), up to the next space.
    private func value(_ key: StaticString, _ text: Bytes) -> Bytes? {
        var from = 0
        while let i = text.firstIndex(of: key, from: from) {
            if i == 0 || text[i - 1] == 0x20 { return text.dropFirst(i + key.utf8CodeUnitCount).token() }
            from = i + 1
        }
        return nil
    }
}

/// Who opened a session and from where.
struct Session {
    let user: [UInt8]
    let ip: [UInt8]
    let port: Int64?
    let method: [UInt8]?
}

/// One worker's open sessions, by id.
final class Sessions {
    private(set) var open: [[UInt8]: Session] = [:]
    private var order: [[UInt8]] = []

    func remember(_ id: [UInt8], _ session: Session, limit: Int) {
        if open.count >= limit {
            // Forget the oldest half: a gateway's sessions end, a log's may not say so.
            let dropped = order.prefix(order.count / 2 + 1)
            for old in dropped { open[old] = nil }
            order.removeFirst(dropped.count)
        }
        if open.updateValue(session, forKey: id) == nil { order.append(id) }
        if order.count > 2 * limit { order.removeAll { open[$0] == nil } }
    }

    func forget(_ id: [UInt8]) { open[id] = nil }
}
