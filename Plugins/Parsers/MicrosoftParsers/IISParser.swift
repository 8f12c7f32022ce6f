import SpoorKit

/// IIS W3C extended logs (`u_ex*.log`), with what Exchange's URLs mean: OWA logons,
/// EWS, ActiveSync, Autodiscover, MAPI, ECP. The columns come from the `#Fields:` header in
/// force (it may change mid-file); an anonymous Autodiscover request that names an address
/// is an `account-lookup` — a probe in the campaign accounting.
public struct IISParser: Parser {
    public static let manifest = PluginManifest(
        id: "iis", kind: .parser, version: "1.0.0",
        summary: "IIS W3C extended logs with Exchange URL knowledge (OWA, EWS, ActiveSync, Autodiscover, MAPI, ECP)")

    public init(config: PluginConfig) throws {}

    public var routes: [Route] { [.format("iis")] }
    public var framer: String { "w3c" }

    public func sniff(_ head: Bytes) -> Int {
        if head.contains("#Software: Microsoft Internet Information Services") { return 95 }
        return head.contains("#Fields: date time ") && head.contains("cs-uri-stem") ? 90 : 0
    }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        let ctx = input.context
        let row = input.record
        if row.hasPrefix("#") {
            if row.hasPrefix("#Fields:") { ctx.streamHeader = row }
            return .filtered   // #Software, #Version, #Date: directives, not requests
        }
        guard ctx.streamHeader.count > 0 else { throw ParseFailure("W3C row before any #Fields: header") }
        let columns = ctx.iisColumns
        columns.use(ctx.streamHeader)
        var fields: [Bytes] = []
        Delimited.w3c(row, into: &fields)
        guard fields.count == columns.names.count else {
            throw ParseFailure("W3C row has \(fields.count) fields, the #Fields: header names \(columns.names.count)")
        }
        func f(_ name: String) -> Bytes? {
            guard let i = columns.position(name), !fields[i].equals("-"), fields[i].count > 0 else { return nil }
            return fields[i]
        }
        guard let date = f("date"), let time = f("time"),
              let stamp = Timestamps.iso8601(Bytes.joinedStamp(date, time, &ctx.scratch8), clock: ctx.clock)
        else { throw ParseFailure("W3C row without a valid date and time") }
        event.set(.timestamp, int: stamp.micros)   // W3C times are UTC
        event.set(.eventDataset, "iis")
        event.set(.eventKind, "event")
        event.set(.eventCategory, "web")
        event.set(.eventType, "access")
        event.set(.networkProtocol, "http")
        let forwarded = f("cs(x-forwarded-for)").map { $0.prefix(untilByte: 0x2C).trimmed() }
        if let ip = forwarded ?? f("c-ip") { MessageRule.store(ip, .sourceIP, event) }
        if let ip = f("s-ip") { MessageRule.store(ip, .destinationIP, event) }
        if let port = f("s-port")?.decimal() { event.set(.destinationPort, int: port) }
        if let host = f("s-computername") { event.set(.hostName, host) }
        if let agent = f("cs(user-agent)") { event.set(.userAgent, string: agent.string.replacingPluses()) }
        let user = f("cs-username")
        if let user { setUser(user, event) }
        let method = f("cs-method") ?? Bytes(start: nil, count: 0)
        let stem = f("cs-uri-stem") ?? Bytes(start: nil, count: 0)
        let query = f("cs-uri-query")
        event.label("http.method", method)
        event.label("url.path", stem)
        if let query { event.label("url.query", query) }
        let status = f("sc-status")?.decimal()
        if let s = f("sc-status") { event.label("http.status", s) }
        for name in ["sc-substatus", "sc-win32-status", "time-taken", "sc-bytes", "cs-bytes", "cs-host", "cs(referer)", "s-sitename"] {
            if let v = f(name) { event.label(name, v) }
        }

        let action = IISParser.action(stem: stem, method: method)
        event.set(.eventAction, action.name)
        switch action {
        case .owaLogon:
            // IIS does not say whether the password was right: evidence, not an attack count.
            event.set(.eventCategory, "authentication")
            event.set(outcome: .unknown)
            if user == nil, let q = query, let name = IISParser.parameter(q, "username") { setUser(name, event) }
        case .autodiscover where user == nil:
            // Anonymous Autodiscover naming an address asks whether the account exists.
            if let address = IISParser.autodiscoverAddress(stem: stem, query: query, &ctx.scratch8) {
                event.set(.eventAction, "account-lookup")
                event.set(.userEmail, string: address)
                event.append(.emailTo, string: address)
                event.set(outcome: status.map { $0 < 400 } == true ? .success : .failure)
            }
        default:
            if let status { event.set(outcome: status < 400 ? .success : .failure) }
        }
        return .event
    }

    private func setUser(_ user: Bytes, _ event: EventBuilder) {
        if user.contains("@") { event.set(.userEmail, user) }
        if let slash = user.lastIndex(of: 0x5C) {   // DOMAIN\user
            event.set(.userDomain, user.slice(0, slash))
            event.set(.userName, user.dropFirst(slash + 1))
        } else {
            event.set(.userName, user)
        }
    }

    enum Action {
        case owaLogon, owa, ews, activesync, autodiscover, mapi, ecp, rpc, oab, powershell, other
        var name: StaticString {
            switch self {
            case .owaLogon: "owa-logon"
            case .owa: "owa"
            case .ews: "ews"
            case .activesync: "activesync"
            case .autodiscover: "autodiscover"
            case .mapi: "mapi"
            case .ecp: "ecp"
            case .rpc: "rpc"
            case .oab: "oab"
            case .powershell: "powershell"
            case .other: "http-request"
            }
        }
    }

    static func action(stem: Bytes, method: Bytes) -> Action {
        let lower = stem.string.lowercased()
        if lower.hasPrefix("/owa/auth.owa") || lower.hasPrefix("/owa/auth/owaauth.dll") { return method.equals("POST") ? .owaLogon : .owa }
        if lower.hasPrefix("/owa") { return .owa }
        if lower.hasPrefix("/ews") { return .ews }
        if lower.hasPrefix("/microsoft-server-activesync") { return .activesync }
        if lower.hasPrefix("/autodiscover") { return .autodiscover }
        if lower.hasPrefix("/mapi") { return .mapi }
        if lower.hasPrefix("/ecp") { return .ecp }
        if lower.hasPrefix("/rpc") { return .rpc }
        if lower.hasPrefix("/oab") { return .oab }
        if lower.hasPrefix("/powershell") { return .powershell }
        return .other
    }

    /// The address an Autodiscover request asks about: `?Email=a@b` (also `%40`), or
    /// `/autodiscover/autodiscover.json/v1.0/a@b`.
    static func autodiscoverAddress(stem: Bytes, query: Bytes?, _ scratch: inout [UInt8]) -> String? {
        if let q = query, let email = parameter(q, "email") { return percentDecoded(email) }
        guard let at = stem.firstIndex(of: "/v1.0/") ?? stem.firstIndex(of: "/V1.0/") else { return nil }
        let tail = percentDecoded(stem.dropFirst(at + 6))
        return tail.contains("@") ? tail : nil
    }

    /// A query parameter's value (name compared without case).
    static func parameter(_ query: Bytes, _ name: String) -> Bytes? {
        var start = 0
        while start < query.count {
            let end = query.firstIndex(of: 0x26, from: start) ?? query.count
            let pair = query.slice(start, end)
            if let eq = pair.firstIndex(of: 0x3D), pair.slice(0, eq).string.lowercased() == name {
                return pair.dropFirst(eq + 1)
            }
            start = end + 1
        }
        return nil
    }

    static func percentDecoded(_ b: Bytes) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < b.count {
            if b[i] == 0x25, i + 2 < b.count, let v = UInt8(String(decoding: b.slice(i + 1, i + 3), as: UTF8.self), radix: 16) {
                out.append(v); i += 3
            } else {
                out.append(b[i] == 0x2B ? 0x20 : b[i]); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension ParseContext {
    /// The W3C header's column positions for this worker.
    var iisColumns: HeaderColumns { columns(for: "iis") }
}

extension Bytes {
    /// `date` + `T` + `time` in `scratch`, as one ISO 8601 stamp.
    static func joinedStamp(_ date: Bytes, _ time: Bytes, _ scratch: inout [UInt8]) -> Bytes {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: date)
        scratch.append(0x54)
        scratch.append(contentsOf: time)
        scratch.append(0x5A)
        return scratch.withUnsafeBytes { Bytes($0) }
    }
}

extension String {
    /// W3C writes spaces in values as `+`.
    func replacingPluses() -> String { String(map { $0 == "+" ? " " : $0 }) }
}
