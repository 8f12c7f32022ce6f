import SpoorKit

/// Microsoft Entra ID (Azure AD) sign-in logs, as Microsoft Graph exports them
/// (`signIns`: `{"value":[…]}` or one object per line) and as diagnostic settings / Event
/// Hub write them (`{"records":[…]}` with the sign-in under `properties`).
///
/// The error code decides outcome and reason, as the campaign report reads them:
/// 0 success; 50034 unknown_user; 50126 bad_password; 50053 locked; 50057 disabled;
/// 50055 expired; 50074/50076/50079/50158 mfa_required; 500121 mfa_failed. Other known
/// codes are failures with their own reason; an unknown code is `event.outcome=unknown`
/// with the code kept in `labels.error_code`.
public struct EntraSignInParser: Parser {
    public static let manifest = PluginManifest(
        id: "entra.signin", kind: .parser, version: "1.0.0",
        summary: "Microsoft Entra ID sign-ins: Graph signIns export, diagnostic settings / Event Hub records, NDJSON")

    public init(config: PluginConfig) throws {}

    public var routes: [Route] { [.format("entra.signin")] }
    public var framer: String { "json" }

    public func sniff(_ head: Bytes) -> Int {
        let signIn = head.contains("\"userPrincipalName\"") && (head.contains("\"createdDateTime\"") || head.contains("SignInLogs"))
        return signIn ? 90 : 0
    }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        let ctx = input.context
        let doc = ctx.json
        guard doc.load(input.record) else { throw ParseFailure("not a well-formed JSON object") }
        // Event Hub / diagnostic settings put the sign-in under "properties".
        let nested = doc["properties.userPrincipalName"] != nil || doc["properties.createdDateTime"] != nil
        func v(_ graph: StaticString, _ hub: StaticString) -> JSONIndex.Value? { nested ? (doc[hub] ?? doc[graph]) : doc[graph] }

        guard doc["userPrincipalName"] != nil || nested || doc["createdDateTime"] != nil else { return .notMine }
        guard event.setTimestamp(json: v("createdDateTime", "properties.createdDateTime"), ctx)
                || event.setTimestamp(json: doc["time"], ctx) else {
            throw ParseFailure("sign-in without createdDateTime or time")
        }
        event.set(.eventDataset, "entra.signin")
        event.set(.eventKind, "event")
        event.set(.eventCategory, "authentication")
        event.set(.eventType, "info")
        event.set(.eventAction, "Sign-in activity")
        event.set(.networkProtocol, "https")
        event.setAccount(v("userPrincipalName", "properties.userPrincipalName"), ctx)
        event.set(.sourceIP, json: v("ipAddress", "properties.ipAddress") ?? doc["callerIpAddress"], ctx)
        event.set(.userAgent, json: v("userAgent", "properties.userAgent"), ctx)
        event.set(.sourceGeoCountry, json: v("location.countryOrRegion", "properties.location.countryOrRegion"), ctx)
        event.set(.sourceASNumber, jsonInt: v("autonomousSystemNumber", "properties.autonomousSystemNumber"))
        event.label("app", json: v("appDisplayName", "properties.appDisplayName"), ctx)
        event.label("client_app", json: v("clientAppUsed", "properties.clientAppUsed"), ctx)
        event.label("sign_in_id", json: v("id", "properties.id"), ctx)
        event.label("correlation_id", json: v("correlationId", "properties.correlationId"), ctx)
        event.label("city", json: v("location.city", "properties.location.city"), ctx)
        event.label("conditional_access", json: v("conditionalAccessStatus", "properties.conditionalAccessStatus"), ctx)

        let code = v("status.errorCode", "properties.status.errorCode")?.integer ?? doc["resultType"]?.integer
        guard let code else {
            event.set(outcome: .unknown)
            return .event
        }
        event.label("error_code", string: String(code))
        event.label("failure_reason", json: v("status.failureReason", "properties.status.failureReason") ?? doc["resultDescription"], ctx)
        switch EntraSignInParser.outcome(of: code) {
        case .success: event.set(outcome: .success)
        case .failure(let reason): event.set(outcome: .failure); event.set(.eventReason, reason)
        case .unknown: event.set(outcome: .unknown)
        }
        return .event
    }

    enum Verdict { case success, failure(StaticString), unknown }

    /// Entra error codes (AADSTS) → what happened.
    static func outcome(of code: Int64) -> Verdict {
        switch code {
        case 0: .success
        case 50034: .failure("unknown_user")
        case 50126: .failure("bad_password")
        case 50053: .failure("locked")
        case 50057: .failure("disabled")
        case 50055: .failure("expired")
        case 50074, 50076, 50079, 50158, 50072: .failure("mfa_required")
        case 500121: .failure("mfa_failed")
        case 50140, 50058, 50097, 50125, 50129: .failure("interrupted")
        case 53003, 53000, 53001, 530032, 50105, 65001: .failure("policy")
        case 50133, 70043, 70044, 50173, 50089: .failure("session_expired")
        case 50056, 50144, 50131: .failure("bad_password")
        case 90094, 90095: .failure("consent_required")
        default: .unknown
        }
    }
}
