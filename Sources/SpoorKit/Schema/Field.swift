/// The normalized event's columns: the one definition of Spoor's schema.
///
/// Parsers set fields by case, writers and documentation read `spec` — nothing else lists
/// columns. Adding a column is adding a case and its line in `spec`; the compiler finds
/// every switch that must learn about it. Names follow ECS; the storage is flat.
public enum Field: UInt8, CaseIterable, Sendable {
    case timestamp, eventID, eventDataset
    case eventKind, eventCategory, eventType, eventAction, eventOutcome, eventReason, eventOriginal
    case hostName, processName, processPID
    case sourceIP, sourceDomain, sourcePort, sourceGeoCountry, sourceASNumber, sourceASOrganization
    case destinationIP, destinationPort
    case userName, userDomain, userEmail, userExists
    case userAgent, networkProtocol
    case emailFrom, emailTo, emailMessageID, emailLocalID, emailSubject
    case authMethod
    case threatGroupID, threatGroupName, threatGroupAlias, threatTechniqueID, ruleID
    case logFilePath, logFileMember, logOffset, logFileLine
    case labels

    /// Name, type and meaning of the column.
    public var spec: ColumnSpec {
        switch self {
        case .timestamp: .init("@timestamp", .timestamp, "When the event happened, UTC, microseconds.")
        case .eventID: .init("event.id", .string, "Stable id: `<stream>-<offset>`, the input stream's fingerprint (16 hex digits) and the record's byte offset in it.")
        case .eventDataset: .init("event.dataset", .string, "Which log the event came from: sshd, postfix.smtpd, syslog, ...", recurs: true)
        case .eventKind: .init("event.kind", .string, "ECS kind: event, alert, ...", recurs: true)
        case .eventCategory: .init("event.category", .string, "ECS category: authentication, email, session, process, ...", recurs: true)
        case .eventType: .init("event.type", .string, "ECS type: start, end, info, denied, ...", recurs: true)
        case .eventAction: .init("event.action", .string, "What happened, in Spoor's words: password-login, recipient-check, ...", recurs: true)
        case .eventOutcome: .init("event.outcome", .string, "success, failure or unknown.", recurs: true)
        case .eventReason: .init("event.reason", .string, "Why it failed: unknown_user, bad_password, locked, ...", recurs: true)
        case .eventOriginal: .init("event.original", .string, "The raw record as read.")
        case .hostName: .init("host.name", .string, "The host that wrote the log.", recurs: true)
        case .processName: .init("process.name", .string, "The program that wrote the record (syslog tag).", recurs: true)
        case .processPID: .init("process.pid", .int64, "Its process id.")
        case .sourceIP: .init("source.ip", .string, "The remote address that acted (client, attacker).")
        case .sourceDomain: .init("source.domain", .string, "The remote's host name, when the log names it instead of an address.")
        case .sourcePort: .init("source.port", .int64, "Its port.")
        case .sourceGeoCountry: .init("source.geo.country_iso_code", .string, "Country of source.ip (enrichment).")
        case .sourceASNumber: .init("source.as.number", .int64, "Autonomous system of source.ip (enrichment).")
        case .sourceASOrganization: .init("source.as.organization.name", .string, "Its owner (enrichment).")
        case .destinationIP: .init("destination.ip", .string, "The local address that was reached.")
        case .destinationPort: .init("destination.port", .int64, "Its port.")
        case .userName: .init("user.name", .string, "The account named by the record.")
        case .userDomain: .init("user.domain", .string, "Its domain, when the source knows it.")
        case .userEmail: .init("user.email", .string, "The account as a mail address.")
        case .userExists: .init("user.exists", .bool, "Whether the account exists (account directory enrichment).")
        case .userAgent: .init("user_agent.original", .string, "The client's user agent.")
        case .networkProtocol: .init("network.protocol", .string, "ssh, smtp, imap, pop3, http, ...", recurs: true)
        case .emailFrom: .init("email.from.address", .string, "Envelope sender.")
        case .emailTo: .init("email.to.address", .stringList, "Envelope recipients.")
        case .emailMessageID: .init("email.message_id", .string, "Message-ID header.")
        case .emailLocalID: .init("email.local_id", .string, "The MTA's queue id.")
        case .emailSubject: .init("email.subject", .string, "Subject header.")
        case .authMethod: .init("auth.method", .string, "password, publickey, keyboard-interactive, PLAIN, LOGIN, ...", recurs: true)
        case .threatGroupID: .init("threat.group.id", .string, "Attributed actor: MITRE group id.", recurs: true)
        case .threatGroupName: .init("threat.group.name", .string, "Attributed actor: name.", recurs: true)
        case .threatGroupAlias: .init("threat.group.alias", .stringList, "Attributed actor: aliases.")
        case .threatTechniqueID: .init("threat.technique.id", .string, "ATT&CK technique.")
        case .ruleID: .init("rule.id", .string, "The rule that attributed the event.", recurs: true)
        case .logFilePath: .init("log.file.path", .string, "The input file as given to the job.")
        case .logFileMember: .init("log.file.member", .string, "The path inside an archive, when the input is one.")
        case .logOffset: .init("log.offset", .int64, "Byte offset of the record in the decoded input (member).")
        case .logFileLine: .init("log.file.line", .int64, "1-based line number of the record in the decoded input.")
        case .labels: .init("labels", .stringMap, "Everything else, as string keys and values.")
        }
    }

    public var name: String { spec.name }
}

/// The storage type of a column, as every writer maps it.
public enum ColumnType: String, Sendable {
    case timestamp, string, int64, bool, stringList, stringMap
}

public struct ColumnSpec: Sendable {
    public let name: String
    public let type: ColumnType
    public let doc: String
    /// Whether its values come from a small set that recurs from event to event (a
    /// vocabulary, a host, a program): the detection rules test such fields first.
    public let recurs: Bool
    init(_ name: String, _ type: ColumnType, _ doc: String, recurs: Bool = false) {
        self.name = name
        self.type = type
        self.doc = doc
        self.recurs = recurs
    }
}

public enum Schema {
    /// Bumped whenever a column is added, renamed or retyped; written into every manifest.
    public static let version = 1

    /// Column types by `Field.rawValue`, for hot loops.
    public static let types: [ColumnType] = Field.allCases.map(\.spec.type)

    /// The list-typed columns.
    public static let listFields: [Field] = Field.allCases.filter { $0.spec.type == .stringList }

    /// Looks a column up by its ECS name (`user.name`).
    public static func field(named name: String) -> Field? { byName[name] }

    private static let byName: [String: Field] = Dictionary(
        uniqueKeysWithValues: Field.allCases.map { ($0.name, $0) })
}
