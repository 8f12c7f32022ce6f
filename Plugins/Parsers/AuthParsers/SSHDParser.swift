import SpoorKit

/// OpenSSH's sshd: logins by password, key, keyboard-interactive; invalid users;
/// disconnects and pre-auth closes; too many tries; the PAM lines sshd logs.
public struct SSHDParser: Parser {
    public static let manifest = PluginManifest(
        id: "sshd", kind: .parser, version: "1.0.0",
        summary: "OpenSSH sshd: logins, invalid users, disconnects, max tries, PAM")

    public init(config: PluginConfig) throws {}

    public var routes: [Route] { [.program("sshd"), .program("sshd-session"), .program("sshd-auth")] }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        var message = input.message
        if message.hasPrefix("[ID "), let close = message.firstIndex(of: 0x5D) { message = message.dropFirst(close + 2) }
        if SSHDParser.rules.apply(message, event, input.context) != nil {
            // A connection that ends before authentication completed is a failed attempt.
            if !event.has(.eventOutcome), event.value(of: .eventCategory)?.equals("network") == true,
               message.hasSuffix("[preauth]") || message.hasSuffix("Auth fail") {
                event.set(outcome: .failure)
                event.set(.eventReason, "preauth")
            }
            return .event
        }
        if PAMRules.rules.apply(message, event, input.context) != nil { return .event }
        return .notMine
    }

    /// What may follow an address: port, local end, protocol, a key or ruser note, preauth.
    static let tail = #"(?: port (?<port>\d+))?(?: on \S+ port \d+)?(?: rdomain "\S*")?(?: ssh\d?)?(?:: .*)?(?: \[preauth\])?\s*$"#

    static let rules: MessageRules = {
        let login: [(Field, StaticString)] = [(.eventDataset, "sshd"), (.eventCategory, "authentication"), (.eventAction, "login"),
                                              (.networkProtocol, "ssh"), (.eventType, "start")]
        let network: [(Field, StaticString)] = [(.eventDataset, "sshd"), (.eventCategory, "network"), (.networkProtocol, "ssh")]
        let fields: [String: Field] = ["user": .userName, "ip": .sourceIP, "port": .sourcePort]
        return try! MessageRules([
            MessageRule("failed", prefix: "Failed ",
                        #"^Failed (?<method>\S+) for (?:(?<invalid>invalid user |illegal user )?(?<user>.*?)|<invalid username>) from (?<ip>\S+?)"# + tail,
                        fields: fields.merging(["method": .authMethod]) { a, _ in a }, set: login + [(.eventOutcome, "failure")]) { m, e in
                let method = m[1]
                if m[2] != nil || m[3] == nil {
                    e.set(reason: .unknownUser)
                } else if let method, method.hasPrefix("publickey") || method.hasPrefix("hostbased") {
                    e.set(.eventReason, "bad_key")
                } else {
                    e.set(reason: .badPassword)
                }
            },
            MessageRule("accepted", prefix: "Accepted ",
                        #"^Accepted (?<method>\S+) for (?<user>.*?) from (?<ip>\S+?)"# + tail,
                        fields: fields.merging(["method": .authMethod]) { a, _ in a }, set: login + [(.eventOutcome, "success")]),
            MessageRule("invalid-user", contains: "user ",
                        #"^(?:Invalid|Illegal) user (?<user>.*?) from (?<ip>\S+?)(?: port (?<port>\d+))?\s*$"#,
                        fields: fields,
                        set: login + [(.eventAction, "invalid-user"), (.eventOutcome, "failure"), (.eventReason, "unknown_user"), (.eventType, "info")]),
            MessageRule("userauth-invalid-user", prefix: "input_userauth_request",
                        #"^input_userauth_request: (?:invalid|illegal) user (?<user>.*?)(?: \[preauth\])?$"#,
                        fields: ["user": .userName],
                        set: login + [(.eventAction, "invalid-user"), (.eventOutcome, "failure"), (.eventReason, "unknown_user"), (.eventType, "info")]),
            MessageRule("max-auth-tries", contains: "maximum authentication attempts",
                        #"^(?:error: )?maximum authentication attempts exceeded for (?<invalid>invalid user )?(?<user>.*?) from (?<ip>\S+?)"# + tail,
                        fields: fields,
                        set: login + [(.eventAction, "max-auth-tries"), (.eventOutcome, "failure"), (.eventReason, "too_many_attempts")]),
            MessageRule("too-many-failures", contains: "Too many authentication failures",
                        #"^(?:Disconnecting(?: (?:invalid|authenticating) user (?<user>\S*) (?<ip>\S+) port (?<port>\d+))?: )?Too many authentication failures(?: for (?:invalid user )?(?<user2>\S+))?"#,
                        fields: fields.merging(["user2": .userName]) { a, _ in a },
                        set: login + [(.eventAction, "max-auth-tries"), (.eventOutcome, "failure"), (.eventReason, "too_many_attempts")]),
            MessageRule("not-allowed", prefix: "User ",
                        #"^User (?<user>\S+) (?:from (?<ip>\S+) )?not allowed because (?<why>.*)$"#,
                        fields: ["user": .userName, "ip": .sourceIP],
                        set: login + [(.eventOutcome, "failure"), (.eventReason, "not_permitted")]),
            MessageRule("pam-error", contains: "PAM: ",
                        #"^(?:error: )?PAM: (?:[Aa]uthentication (?:failure|error)|User not known to the underlying authentication module) for (?<illegal>illegal user )?(?<user>.*?) from (?<ip>\S+?)(?: via \S+)?\s*$"#,
                        fields: ["user": .userName, "ip": .sourceIP], set: login + [(.eventOutcome, "failure"), (.authMethod, "password")]) { m, e in
                e.set(reason: m[1] != nil || m[0].map { $0.contains("User not known") } == true ? .unknownUser : .badPassword)
            },
            MessageRule("root-refused", prefix: "ROOT LOGIN REFUSED",
                        #"^ROOT LOGIN REFUSED FROM (?<ip>\S+?)(?: port (?<port>\d+))?(?: \[preauth\])?$"#,
                        fields: ["ip": .sourceIP, "port": .sourcePort],
                        set: login + [(.eventOutcome, "failure"), (.eventReason, "not_permitted")]) { _, e in e.set(.userName, "root") },
            MessageRule("postponed", prefix: "Postponed ",
                        #"^Postponed (?<method>\S+) for (?<user>.*?) from (?<ip>\S+?)"# + tail,
                        fields: fields.merging(["method": .authMethod]) { a, _ in a },
                        set: login + [(.eventAction, "login-postponed"), (.eventType, "info")]),
            MessageRule("closed", contains: "Connection closed by",
                        #"^Connection closed by (?:(?:authenticating|invalid) user (?<user>.*?) )?(?<ip>\S+?)"# + tail,
                        fields: fields, set: network + [(.eventAction, "connection-closed"), (.eventType, "end")]),
            MessageRule("reset", contains: "Connection reset by",
                        #"^(?:fatal: Write failed: |fatal: Read from socket failed: |Read from socket failed: )?Connection reset by (?:(?:authenticating|invalid) user (?<user>.*?) )?(?<ip>\S+?)?(?: port (?<port>\d+))?(?: \[preauth\])?\s*$"#,
                        fields: fields, set: network + [(.eventAction, "connection-reset"), (.eventType, "end")]),
            MessageRule("reset-peer", contains: "reset by peer",
                        #"^(?:fatal: |error: )?(?:Write failed|Read from socket failed|kex_exchange_identification: read): Connection reset by peer"#,
                        set: network + [(.eventAction, "connection-reset"), (.eventType, "end")]),
            MessageRule("disconnected", prefix: "Disconnected from ",
                        #"^Disconnected from (?:(?:invalid|authenticating) user (?<user>.*?) |user (?<user2>\S+) )?(?<ip>\S+?)"# + tail,
                        fields: fields.merging(["user2": .userName]) { a, _ in a },
                        set: network + [(.eventAction, "disconnect"), (.eventType, "end")]),
            MessageRule("received-disconnect", contains: "Received disconnect from ",
                        #"^(?:error: )?Received disconnect from (?<ip>[^\s:]+(?::[^\s:]+)*?)(?: port (?<port>\d+))?: ?(?<code>\d+): (?<text>.*?)(?: \[preauth\])?$"#,
                        fields: ["ip": .sourceIP, "port": .sourcePort],
                        set: network + [(.eventAction, "disconnect"), (.eventType, "end")]) { m, e in
                if let text = m[4] { e.set(.eventReason, text) }
            },
            MessageRule("disconnecting", prefix: "Disconnecting ",
                        #"^Disconnecting (?:(?:invalid|authenticating) user (?<user>\S*) )?(?<ip>\S+) port (?<port>\d+): (?<text>.*?)(?: \[preauth\])?$"#,
                        fields: fields, set: network + [(.eventAction, "disconnect"), (.eventType, "end")]),
            MessageRule("connection-from", prefix: "Connection from ",
                        #"^Connection from (?<ip>\S+?)(?: port (?<port>\d+))?(?: on (?<dip>\S+) port (?<dport>\d+))?(?: rdomain "\S*")?$"#,
                        fields: ["ip": .sourceIP, "port": .sourcePort, "dip": .destinationIP, "dport": .destinationPort],
                        set: network + [(.eventAction, "connection-open"), (.eventType, "start")]),
            MessageRule("no-identification", prefix: "Did not receive identification",
                        #"^Did not receive identification string from (?<ip>\S+?)(?: port (?<port>\d+))?\s*$"#,
                        fields: ["ip": .sourceIP, "port": .sourcePort],
                        set: network + [(.eventAction, "no-identification"), (.eventType, "denied")]),
            MessageRule("bad-protocol", prefix: "Bad protocol version",
                        #"^Bad protocol version identification .* from (?<ip>\S+?)(?: port (?<port>\d+))?\s*$"#,
                        fields: ["ip": .sourceIP, "port": .sourcePort],
                        set: network + [(.eventAction, "bad-protocol"), (.eventType, "denied")]),
            MessageRule("reverse-mapping", contains: "POSSIBLE BREAK-IN ATTEMPT",
                        #"^(?:reverse mapping checking getaddrinfo for (?<host>\S+) \[(?<ip>[^\]]+)\] failed|Address (?<ip2>\S+) maps to (?<host2>\S+), but this does not map back)"#,
                        fields: ["ip": .sourceIP, "ip2": .sourceIP, "host": .sourceDomain, "host2": .sourceDomain],
                        set: network + [(.eventAction, "reverse-mapping-failed"), (.eventType, "info")]),
            MessageRule("timeout", prefix: "Timeout before authentication",
                        #"^Timeout before authentication for (?:connection from )?(?<ip>[^\s,]+?)(?: port (?<port>\d+))?(?:,| to |\s*$)"#,
                        fields: ["ip": .sourceIP, "port": .sourcePort],
                        set: network + [(.eventAction, "auth-timeout"), (.eventType, "end")]),
            MessageRule("negotiate", prefix: "Unable to negotiate",
                        #"^Unable to negotiate with (?<ip>\S+?)(?: port (?<port>\d+))?: (?<text>.*)$"#,
                        fields: ["ip": .sourceIP, "port": .sourcePort],
                        set: network + [(.eventAction, "negotiation-failed"), (.eventType, "denied")]),
            MessageRule("kex", contains: "exchange",
                        #"^(?:error: )?(?:kex_exchange_identification|banner exchange): (?:Connection from (?<ip>\S+) port (?<port>\d+): )?(?<text>.*)$"#,
                        fields: ["ip": .sourceIP, "port": .sourcePort],
                        set: network + [(.eventAction, "negotiation-failed"), (.eventType, "denied")]),
            MessageRule("dispatch-fatal", prefix: "ssh_dispatch_run_fatal",
                        #"^ssh_dispatch_run_fatal: Connection from (?<ip>\S+) port (?<port>\d+): (?<text>.*?)(?: \[preauth\])?$"#,
                        fields: ["ip": .sourceIP, "port": .sourcePort],
                        set: network + [(.eventAction, "connection-error"), (.eventType, "end")]),
            MessageRule("tcp-wrappers-refused", prefix: "refused connect from ",
                        #"^refused connect from (?:\S*@)?(?<ip>[^\s(]+)(?: \((?<ip2>[^)]+)\))?$"#,
                        fields: ["ip": .sourceIP],
                        set: network + [(.eventAction, "connection-refused"), (.eventType, "denied"), (.eventOutcome, "failure"),
                                        (.eventReason, "not_permitted")]),
            MessageRule("listening", prefix: "Server listening on ",
                        #"^Server listening on (?<ip>\S+) port (?<port>\d+)"#,
                        fields: ["ip": .destinationIP, "port": .destinationPort],
                        set: [(.eventDataset, "sshd"), (.eventCategory, "process"), (.eventAction, "listening"), (.eventType, "start")]),
            MessageRule("signal", prefix: "Received signal ",
                        #"^Received signal (?<n>\d+); terminating"#,
                        set: [(.eventDataset, "sshd"), (.eventCategory, "process"), (.eventAction, "terminating"), (.eventType, "end")]),
        ])
    }()
}
