import SpoorKit

/// pam_unix messages, wherever they appear: inside sshd, su and sudo logs, or logged by
/// any other program (`pam_unix(vsftpd:auth): …`, old `(pam_unix) …`, `sshd(pam_unix)[…]`).
enum PAMRules {
    /// The optional `pam_unix(service:type): ` / `(pam_unix) ` / `pam_unix: ` lead-in.
    static let lead = #"^(?:\[ID \d+ \S+\] )?(?:pam_unix(?:\([^)]*\))?:? ?|\(pam_unix\) )?"#

    static let rules: MessageRules = {
        let auth: [(Field, StaticString)] = [(.eventDataset, "pam"), (.eventCategory, "authentication"), (.eventAction, "login"),
                                             (.authMethod, "password")]
        // Of several rhost= (injected into a user name), the last before `user=` is the host.
        return try! MessageRules([
            MessageRule("pam-auth-failure", contains: "authentication failure",
                        lead + #"authentication failure; logname=(?<logname>\S*) uid=\d* euid=\d* tty=\S* ruser=(?<ruser>\S*) rhost=(?:\S* rhost=)*(?<rhost>\S*)(?:\s+user=(?<user>\S+))?"#,
                        fields: ["rhost": .sourceIP, "user": .userName],
                        set: auth + [(.eventType, "start"), (.eventOutcome, "failure"), (.eventReason, "bad_password")]),
            MessageRule("pam-user-unknown", contains: "user unknown", lead + #"check pass; user unknown"#,
                        set: auth + [(.eventType, "start"), (.eventOutcome, "failure"), (.eventReason, "unknown_user")]),
            MessageRule("pam-session-opened", contains: "session opened", lead + #"session opened for user (?<user>[^\s(]+)(?:\(uid=\d+\))?(?: by (?<by>\S*))?"#,
                        fields: ["user": .userName],
                        set: [(.eventDataset, "pam"), (.eventCategory, "session"), (.eventAction, "session-open"),
                              (.eventType, "start"), (.eventOutcome, "success")]),
            MessageRule("pam-session-closed", contains: "session closed", lead + #"session closed for user (?<user>\S+)"#,
                        fields: ["user": .userName],
                        set: [(.eventDataset, "pam"), (.eventCategory, "session"), (.eventAction, "session-close"),
                              (.eventType, "end"), (.eventOutcome, "success")]),
            MessageRule("pam-more-failures", prefix: "PAM ", #"^PAM (?<n>\d+) more authentication failures?; logname=\S* uid=\d* euid=\d* tty=\S* ruser=\S* rhost=(?<rhost>\S*)(?:\s+user=(?<user>\S+))?"#,
                        fields: ["rhost": .sourceIP, "user": .userName],
                        set: auth + [(.eventType, "start"), (.eventOutcome, "failure"), (.eventReason, "bad_password")]) { m, e in
                if let n = m[1] { e.label("attempts", n) }
            },
            MessageRule("pam-ignoring-retries", prefix: "PAM service", #"^PAM service\((?<service>[^)]*)\) ignoring max retries; (?<tries>\d+) > (?<max>\d+)"#,
                        set: auth + [(.eventType, "info"), (.eventOutcome, "failure"), (.eventReason, "too_many_attempts")]),
        ])
    }()
}

/// pam_unix lines of programs that have no parser of their own (ftp daemons, login, cron).
public struct PAMParser: Parser {
    public static let manifest = PluginManifest(
        id: "pam_unix", kind: .parser, version: "1.0.0",
        summary: "pam_unix authentication failures and sessions, logged by any program")

    public init(config: PluginConfig) throws {}

    public var routes: [Route] { [.anyProgram] }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        // Tried for every line of a program nobody else parses: decide on prefixes, not a scan.
        let m = input.message
        guard m.hasPrefix("pam_unix") || m.hasPrefix("(pam_unix)") || m.hasPrefix("PAM ")
                || input.program.hasSuffix("(pam_unix)") else {
            return .notMine
        }
        return PAMRules.rules.apply(input.message, event, input.context) != nil ? .event : .notMine
    }
}
