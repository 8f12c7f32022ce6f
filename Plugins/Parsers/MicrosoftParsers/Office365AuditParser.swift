import SpoorKit

/// Office 365 / Microsoft 365 Unified Audit Log records: the JSON the Management Activity
/// API returns, and the portal's CSV export (`CreationDate,UserIds,Operations,AuditData`
/// with the record as JSON in the AuditData column).
///
/// Sign-ins (UserLoggedIn, UserLoginFailed with LogonError) become authentication events;
/// MailItemsAccessed, inbox rules, mailbox forwarding and mailbox permissions get actions of
/// their own, the evidence behind "mailbox rule changes after a suspicious sign-in".
public struct Office365AuditParser: Parser {
    public static let manifest = PluginManifest(
        id: "o365.audit", kind: .parser, version: "1.0.0",
        summary: "Office 365 Unified Audit Log: Management API JSON and the CSV export with AuditData")

    public init(config: PluginConfig) throws {}

    public var routes: [Route] { [.format("o365.audit")] }
    public var framer: String { "json" }

    public func sniff(_ head: Bytes) -> Int {
        let pascal = head.contains("\"Workload\"") && head.contains("\"Operation\"") && head.contains("\"CreationTime\"")
        let lower = head.contains("\"workload\"") && head.contains("\"operation\"") && head.contains("\"creationtime\"")
        return pascal || lower ? 90 : 0
    }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        let doc = input.context.json
        guard doc.load(input.record, ignoringKeyCase: true) else { throw ParseFailure("not a well-formed JSON object") }
        guard doc["Operation"] != nil, doc["CreationTime"] != nil else { return .notMine }
        return try Office365AuditParser.map(doc, input.context, event)
    }

    /// The record's fields into the event (shared with the CSV export).
    static func map(_ doc: JSONIndex, _ ctx: ParseContext, _ event: EventBuilder) throws(ParseFailure) -> ParseResult {
        // CreationTime is UTC without an offset: `2022-12-12 15:57:57` or `…T15:57:57`.
        guard let created = doc["CreationTime"], let stamp = Timestamps.iso8601(created.raw, clock: ctx.utc) else {
            throw ParseFailure("audit record without a valid CreationTime")
        }
        event.set(.timestamp, int: stamp.micros)
        event.set(.eventDataset, "o365.audit")
        event.set(.eventKind, "event")
        event.setAccount(doc["UserId"], ctx)
        if let ip = doc.first("ClientIP", "ClientIPAddress", "ActorIpAddress"), ip.kind == .string {
            MessageRule.store(hostPart(ip.raw), .sourceIP, event)
        }
        event.label("workload", json: doc["Workload"], ctx)
        event.label("record_type", json: doc["RecordType"], ctx)
        event.label("result_status", json: doc["ResultStatus"], ctx)
        for i in 0..<16 {   // ExtendedProperties: [{Name, Value}]
            guard let name = doc.element("ExtendedProperties", i, "Name"), let value = doc.element("ExtendedProperties", i, "Value") else { break }
            if name.raw.equals("UserAgent") { event.set(.userAgent, json: value, ctx) }
            if name.raw.equals("RequestType") { event.label("request_type", json: value, ctx) }
        }
        let operation = doc["Operation"]!.raw
        switch operation.string {
        case "UserLoggedIn":
            auth(event)
            event.set(outcome: .success)
        case "UserLoginFailed":
            auth(event)
            event.set(outcome: .failure)
            let error = doc["LogonError"]
            event.label("logon_error", json: error, ctx)
            if let reason = error.flatMap({ logonErrorReason($0.raw.string) }) { event.set(.eventReason, reason) }
        case "MailItemsAccessed":
            event.set(.eventCategory, "email")
            event.set(.eventAction, "mail-items-accessed")
        case "New-InboxRule", "Set-InboxRule", "UpdateInboxRules", "Enable-InboxRule":
            event.set(.eventCategory, "configuration")
            event.set(.eventAction, "inbox-rule")
            parameters(doc, ctx, event)
        case "Set-Mailbox", "Set-TransportRule", "New-TransportRule":
            event.set(.eventCategory, "configuration")
            event.set(.eventAction, parameters(doc, ctx, event).contains("Forward") ? "mailbox-forwarding" : "mailbox-change")
        case "Add-MailboxPermission", "Add-RecipientPermission", "Add-MailboxFolderPermission":
            event.set(.eventCategory, "iam")
            event.set(.eventAction, "mailbox-permission")
            parameters(doc, ctx, event)
        default:
            event.set(.eventAction, operation)
        }
        return .event
    }

    private static func auth(_ event: EventBuilder) {
        event.set(.eventCategory, "authentication")
        event.set(.eventAction, "login")
        event.set(.eventType, "start")
    }

    /// `Parameters: [{Name, Value}]` as labels; returns the names, to tell what changed.
    @discardableResult
    private static func parameters(_ doc: JSONIndex, _ ctx: ParseContext, _ event: EventBuilder) -> String {
        var names = ""
        for i in 0..<32 {
            guard let name = doc.element("Parameters", i, "Name") else { break }
            let key = name.raw.string
            names += key + ","
            event.label("param." + key, json: doc.element("Parameters", i, "Value"), ctx)
        }
        return names
    }

    /// LogonError → reason (the campaign's vocabulary).
    static func logonErrorReason(_ error: String) -> StaticString? {
        switch error {
        case "InvalidUserNameOrPassword", "InvalidPassword": "bad_password"
        case "UserAccountNotFound", "InvalidUserName", "UserNotFound": "unknown_user"
        case "IdsLocked", "AccountLocked", "UserAccountLocked": "locked"
        case "UserAccountDisabled", "AccountDisabled": "disabled"
        case "UserStrongAuthClientAuthNRequired", "UserStrongAuthEnrollmentRequired", "UserStrongAuthClientAuthNRequiredInterrupt": "mfa_required"
        case "PasswordExpired", "ExpiredPassword": "expired"
        default: nil
        }
    }

    /// `1.2.3.4:5678` → `1.2.3.4`; `[2001:db8::1]:443` → `2001:db8::1`.
    static func hostPart(_ b: Bytes) -> Bytes {
        if b.hasPrefix("["), let close = b.firstIndex(of: 0x5D) { return b.slice(1, close) }
        if b.isIPv4 || b.isIPv6 { return b }
        if let colon = b.lastIndex(of: 0x3A), b.slice(0, colon).isIPv4 { return b.slice(0, colon) }
        return b
    }

}

/// The Unified Audit Log as the compliance portal exports it: CSV whose AuditData column
/// holds the record's JSON.
public struct Office365AuditCSVParser: Parser {
    public static let manifest = PluginManifest(
        id: "o365.audit.csv", kind: .parser, version: "1.0.0",
        summary: "Office 365 audit log CSV export (CreationDate,UserIds,Operations,AuditData)")

    public init(config: PluginConfig) throws {}

    public var routes: [Route] { [.format("o365.audit.csv")] }

    public func sniff(_ head: Bytes) -> Int {
        head.hasPrefix("CreationDate,UserIds,Operations,AuditData") || head.hasPrefix("\u{FEFF}CreationDate,UserIds,Operations") ? 95 : 0
    }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        let row = input.record
        if row.hasPrefix("CreationDate,") || row.hasPrefix("\u{FEFF}CreationDate,") { return .filtered }   // the header
        var fields: [Bytes] = [], quoted: [Bool] = []
        guard Delimited.csv(row, into: &fields, quoted: &quoted), fields.count >= 4 else {
            throw ParseFailure("audit CSV row without its four columns")
        }
        let last = fields.count - 1
        var json: [UInt8] = []
        if quoted[last] { Delimited.unquote(fields[last], into: &json) } else { json = Array(fields[last]) }
        let result = json.withUnsafeBytes { data -> Result<ParseResult, ParseFailure> in
            let doc = input.context.json
            guard doc.load(data, ignoringKeyCase: true) else { return .failure(ParseFailure("the AuditData column is not a JSON object")) }
            return Result { () throws(ParseFailure) in try Office365AuditParser.map(doc, input.context, event) }
        }
        return try result.get()
    }
}
