import SpoorKit

/// su: switches of user (and failures), in util-linux and older shadow wording, its PAM lines.
public struct SuParser: Parser {
    public static let manifest = PluginManifest(
        id: "su", kind: .parser, version: "1.0.0",
        summary: "su: user switches, failed su, PAM")

    public init(config: PluginConfig) throws {}

    public var routes: [Route] { [.program("su"), .program("su-l")] }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        if SuParser.rules.apply(input.message, event, input.context) != nil { return .event }
        if PAMRules.rules.apply(input.message, event, input.context) != nil { return .event }
        return .notMine
    }

    static let rules: MessageRules = {
        let base: [(Field, StaticString)] = [(.eventDataset, "su"), (.eventCategory, "authentication"), (.eventAction, "su"),
                                             (.eventType, "start"), (.authMethod, "password")]
        let target: @Sendable (PatternMatch, EventBuilder) -> Void = { m, e in
            if let t = m[1] { e.label("target_user", t) }
            if let t = m[3] { e.label("tty", t) }
        }
        return try! MessageRules([
            MessageRule("failed", prefix: "FAILED SU",
                        #"^FAILED SU \(to (?<target>\S+)\) (?<user>\S+) on (?<tty>\S+)"#,
                        fields: ["user": .userName], set: base + [(.eventOutcome, "failure"), (.eventReason, "bad_password")], then: target),
            MessageRule("switched", prefix: "(to ",
                        #"^\(to (?<target>\S+)\) (?<user>\S+) on (?<tty>\S+)"#,
                        fields: ["user": .userName], set: base + [(.eventOutcome, "success")], then: target),
            MessageRule("shadow-failed", prefix: "FAILED su",
                        #"^FAILED su for (?<target>\S+) by (?<user>\S+)"#,
                        fields: ["user": .userName], set: base + [(.eventOutcome, "failure"), (.eventReason, "bad_password")]) { m, e in
                if let t = m[1] { e.label("target_user", t) }
            },
            MessageRule("shadow-success", prefix: "Successful su",
                        #"^Successful su for (?<target>\S+) by (?<user>\S+)"#,
                        fields: ["user": .userName], set: base + [(.eventOutcome, "success")]) { m, e in
                if let t = m[1] { e.label("target_user", t) }
            },
        ])
    }()
}
