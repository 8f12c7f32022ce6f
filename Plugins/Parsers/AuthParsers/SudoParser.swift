import SpoorKit

/// sudo: commands run (and as whom), wrong passwords, users not in sudoers, its PAM lines.
public struct SudoParser: Parser {
    public static let manifest = PluginManifest(
        id: "sudo", kind: .parser, version: "1.0.0",
        summary: "sudo: commands, incorrect password attempts, users not in sudoers, PAM")

    public init(config: PluginConfig) throws {}

    public var routes: [Route] { [.program("sudo")] }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        if SudoParser.rules.apply(input.message, event, input.context) != nil { return .event }
        if PAMRules.rules.apply(input.message, event, input.context) != nil { return .event }
        return .notMine
    }

    /// `user : [problem ; ]TTY=… ; PWD=… ; USER=… ; COMMAND=…`
    static let rules: MessageRules = {
        let fields: [String: Field] = ["user": .userName]
        let base: [(Field, StaticString)] = [(.eventDataset, "sudo")]
        let command = #"(?:TTY=(?<tty>\S+) ; )?(?:PWD=(?<pwd>.*?) ; )?USER=(?<target>\S+) ;(?: GROUP=\S+ ;)?(?: TSID=\S+ ;)?(?: ENV=.*? ;)? COMMAND=(?<command>.*)$"#
        let labels: @Sendable (PatternMatch, EventBuilder) -> Void = { m, e in
            if let t = m[2] { e.label("tty", t) }
            if let t = m[4] { e.label("target_user", t) }
            if let c = m[5] { e.label("command", c) }
        }
        return try! MessageRules([
            MessageRule("incorrect-password", contains: "incorrect password attempt",
                        #"^\s*(?<user>\S+) : (?<n>\d+) incorrect password attempts? ; "# + command,
                        fields: fields,
                        set: base + [(.eventCategory, "authentication"), (.eventAction, "sudo"), (.eventType, "start"),
                                     (.eventOutcome, "failure"), (.eventReason, "bad_password"), (.authMethod, "password")]) { m, e in
                if let n = m[2] { e.label("attempts", n) }
                if let t = m[5] { e.label("target_user", t) }
                if let c = m[6] { e.label("command", c) }
            },
            MessageRule("not-in-sudoers", contains: "NOT in sudoers",
                        #"^\s*(?<user>\S+) : (?:user NOT in sudoers|user NOT authorized on host|command not allowed) ; "# + command,
                        fields: fields,
                        set: base + [(.eventCategory, "authentication"), (.eventAction, "sudo"), (.eventType, "denied"),
                                     (.eventOutcome, "failure"), (.eventReason, "not_permitted")], then: labels),
            MessageRule("command", contains: "COMMAND=",
                        #"^\s*(?<user>\S+) : "# + command,
                        fields: fields,
                        set: base + [(.eventCategory, "process"), (.eventAction, "sudo"), (.eventType, "start"),
                                     (.eventOutcome, "success")], then: labels),
        ])
    }()
}
