import SpoorKit

/// What Windows Security events 4624, 4625, 4740, 4768, 4771 and 4776 mean in Spoor's
/// schema, shared by the XML and the JSON (Winlogbeat, NXLog) readers. `data(name)` returns an
/// EventData value.
enum WindowsSecurity {
    static func apply(eventID: Int64, _ data: (String) -> Bytes?, _ event: EventBuilder) {
        event.set(.eventDataset, "windows.security")
        event.set(.eventKind, "event")
        event.set(.eventCategory, "authentication")
        event.set(.eventType, "start")
        event.label("event_code", string: String(eventID))
        let user = data("TargetUserName")
        if let user, !user.equals("-") {
            if user.contains("@") { event.set(.userEmail, user) }
            event.set(.userName, user)
        }
        if let domain = data("TargetDomainName"), !domain.equals("-") { event.set(.userDomain, domain) }
        if let ip = data("IpAddress"), !ip.equals("-") { MessageRule.store(ip, .sourceIP, event) }
        if let port = data("IpPort")?.decimal(), port > 0 { event.set(.sourcePort, int: port) }
        if let host = data("WorkstationName") ?? data("Workstation"), !host.equals("-") { event.label("workstation", host) }
        if let type = data("LogonType") { event.label("logon_type", type) }
        if let method = data("AuthenticationPackageName") { event.set(.authMethod, method) }
        let status = data("SubStatus").flatMap { $0.equals("0x0") ? nil : $0 } ?? data("Status")
        if let status { event.label("status", status) }
        switch eventID {
        case 4624:
            event.set(.eventAction, "logged-in")
            event.set(outcome: .success)
        case 4625:
            event.set(.eventAction, "logon-failed")
            event.set(outcome: .failure)
            if let reason = status.flatMap(ntStatusReason) { event.set(.eventReason, reason) }
        case 4740:
            event.set(.eventCategory, "iam")
            event.set(.eventAction, "locked-out")
            event.set(outcome: .success)
            event.set(reason: .locked)
        case 4768, 4771:
            event.set(.eventAction, eventID == 4768 ? "kerberos-authentication-ticket-requested" : "kerberos-preauth-failed")
            let ok = status.map { $0.equals("0x0") } ?? (eventID == 4768)
            event.set(outcome: ok ? .success : .failure)
            if !ok, let reason = status.flatMap(kerberosReason) { event.set(.eventReason, reason) }
        case 4776:
            event.set(.eventAction, "credential-validated")
            if let user = data("TargetUserName") { event.set(.userName, user) }
            let ok = status.map { $0.equals("0x0") } ?? true
            event.set(outcome: ok ? .success : .failure)
            if !ok, let reason = status.flatMap(ntStatusReason) { event.set(.eventReason, reason) }
        default:
            event.set(.eventCategory, "host")
            event.set(.eventAction, string: "event-\(eventID)")
        }
    }

    /// NTSTATUS of a failed logon → reason.
    static func ntStatusReason(_ s: Bytes) -> StaticString? {
        switch s.string.lowercased() {
        case "0xc0000064": "unknown_user"
        case "0xc000006a": "bad_password"
        case "0xc0000234": "locked"
        case "0xc0000072": "disabled"
        case "0xc0000071", "0xc0000193", "0xc0000224": "expired"
        case "0xc000006f", "0xc0000070", "0xc000015b", "0xc0000413": "not_permitted"
        default: nil
        }
    }

    /// Kerberos failure code (RFC 4120) → reason.
    static func kerberosReason(_ s: Bytes) -> StaticString? {
        switch s.string.lowercased() {
        case "0x6": "unknown_user"
        case "0x18": "bad_password"
        case "0x12": "locked"
        case "0x17": "expired"
        default: nil
        }
    }
}

/// Windows event XML (`wevtutil qe Security /f:xml`, Event Viewer's "Save as XML").
public struct WindowsEventXMLParser: Parser {
    public static let manifest = PluginManifest(
        id: "windows.xml", kind: .parser, version: "1.0.0",
        summary: "Windows Security events (4624, 4625, 4740, 4768, 4771, 4776) from event XML")

    public init(config: PluginConfig) throws {}

    public var routes: [Route] { [.format("windows.xml")] }
    public var framer: String { "xml-events" }

    public func sniff(_ head: Bytes) -> Int {
        head.contains("<Event xmlns=") && head.contains("<EventID") ? 95 : 0
    }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        let x = input.record
        guard x.hasPrefix("<Event"), x.hasSuffix("</Event>") else { throw ParseFailure("not a complete <Event> element") }
        guard let idText = WindowsEventXMLParser.element(x, "EventID"), let id = idText.decimal() else {
            throw ParseFailure("event without an <EventID>")
        }
        guard let time = x.after("SystemTime=\"").map({ $0.prefix(untilByte: 0x22) }),
              let stamp = Timestamps.iso8601(time, clock: input.context.utc) else {
            throw ParseFailure("event without a TimeCreated SystemTime")
        }
        event.set(.timestamp, int: stamp.micros)
        if let computer = WindowsEventXMLParser.element(x, "Computer") { event.set(.hostName, computer) }
        var scratch: [[UInt8]] = []
        WindowsSecurity.apply(eventID: id, { name in
            guard let raw = WindowsEventXMLParser.data(x, name) else { return nil }
            guard raw.contains("&") else { return raw }
            scratch.append(WindowsEventXMLParser.decodeEntities(raw))
            return scratch[scratch.count - 1].withUnsafeBytes { Bytes($0) }
        }, event)
        return .event
    }

    /// The text of the first `<name …>text</name>`.
    static func element(_ x: Bytes, _ name: String) -> Bytes? {
        var open: [UInt8] = Array("<\(name)".utf8)
        guard let at = open.withUnsafeBytes({ x.firstIndex(of: $0) }) else { return nil }
        guard let gt = x.firstIndex(of: 0x3E, from: at), x[gt - 1] != 0x2F else { return nil }
        open = Array("</\(name)>".utf8)
        guard let end = open.withUnsafeBytes({ x.firstIndex(of: $0, from: gt) }) else { return nil }
        return x.slice(gt + 1, end)
    }

    /// The text of `<Data Name="name">text</Data>`.
    static func data(_ x: Bytes, _ name: String) -> Bytes? {
        let key = Array("<Data Name=\"\(name)\"".utf8)
        guard let at = key.withUnsafeBytes({ x.firstIndex(of: $0) }), let gt = x.firstIndex(of: 0x3E, from: at) else { return nil }
        if x[gt - 1] == 0x2F { return nil }   // <Data Name="x"/>
        guard let end = x.firstIndex(of: "</Data>", from: gt) else { return nil }
        return x.slice(gt + 1, end)
    }

    static func decodeEntities(_ b: Bytes) -> [UInt8] {
        Array(b.string.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&").utf8)
    }
}

/// Windows events as JSON: Winlogbeat (`winlog.event_id`, `winlog.event_data.*`) and NXLog
/// (`EventID`, EventData fields at the top level).
public struct WindowsEventJSONParser: Parser {
    public static let manifest = PluginManifest(
        id: "windows.json", kind: .parser, version: "1.0.0",
        summary: "Windows Security events as Winlogbeat or NXLog JSON")

    public init(config: PluginConfig) throws {}

    public var routes: [Route] { [.format("windows.json")] }
    public var framer: String { "json" }

    public func sniff(_ head: Bytes) -> Int {
        if head.contains("\"winlog\"") && head.contains("\"event_id\"") { return 92 }
        return head.contains("\"EventID\"") && (head.contains("\"SourceName\"") || head.contains("\"Channel\"")) ? 88 : 0
    }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        let ctx = input.context
        let doc = ctx.json
        guard doc.load(input.record) else { throw ParseFailure("not a well-formed JSON object") }
        let winlogbeat = doc["winlog.event_id"] != nil
        guard let id = (winlogbeat ? doc["winlog.event_id"] : doc["EventID"])?.integer else { return .notMine }
        let time = winlogbeat ? doc["@timestamp"] : doc.first("EventTime", "TimeCreated", "@timestamp")
        guard let time, let stamp = Timestamps.iso8601(time.raw, clock: ctx.clock) else {
            throw ParseFailure("Windows event without a time")
        }
        event.set(.timestamp, int: stamp.micros)
        event.set(.hostName, json: winlogbeat ? doc["winlog.computer_name"] : doc.first("Hostname", "Computer"), ctx)
        var decoded: [[UInt8]] = []
        WindowsSecurity.apply(eventID: id, { name in
            var path = (winlogbeat ? "winlog.event_data." : "") + name
            let value: JSONIndex.Value? = path.withUTF8 { doc.value(path: Bytes($0)) }
            guard let value, value.kind == .string || value.kind == .number else { return nil }
            var tmp: [UInt8] = []
            let text = value.text(&tmp)
            decoded.append(Array(text))
            return decoded[decoded.count - 1].withUnsafeBytes { Bytes($0) }
        }, event)
        return .event
    }
}
