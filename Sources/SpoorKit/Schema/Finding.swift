/// A judgment a behaviour rule made over a window of events: the row of the `findings/`
/// dataset. Events are facts; a finding points at the events it rests on by `event.id`.
public struct Finding: Sendable, Equatable {
    public var id: String
    public var ruleID: String
    public var title: String
    public var actorID: String?
    public var actorName: String?
    public var technique: String?
    public var level: String?
    /// The rule's correlation type: event_count, value_count, temporal, temporal_ordered.
    public var kind: String
    /// The group-by key, as `field=value` pairs joined by `, `.
    public var groupKey: String
    public var windowStart: Int64
    public var windowEnd: Int64
    /// Events in the window, and distinct values of the counted field (value_count).
    public var eventCount: Int
    public var valueCount: Int
    public var accounts: [String]
    public var sources: [String]
    /// The `event.id`s of the evidence, capped; `evidenceTotal` is how many there were.
    public var evidence: [String]
    public var evidenceTotal: Int

    public init(id: String, ruleID: String, title: String, actorID: String? = nil, actorName: String? = nil,
                technique: String? = nil, level: String? = nil, kind: String, groupKey: String, windowStart: Int64,
                windowEnd: Int64, eventCount: Int, valueCount: Int, accounts: [String], sources: [String],
                evidence: [String], evidenceTotal: Int) {
        self.id = id
        self.ruleID = ruleID
        self.title = title
        self.actorID = actorID
        self.actorName = actorName
        self.technique = technique
        self.level = level
        self.kind = kind
        self.groupKey = groupKey
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.eventCount = eventCount
        self.valueCount = valueCount
        self.accounts = accounts
        self.sources = sources
        self.evidence = evidence
        self.evidenceTotal = evidenceTotal
    }
}

/// The columns of the findings dataset: the one definition both writers (Parquet, NDJSON)
/// and the README read, as `Field` is for events.
public enum FindingColumn: Int, CaseIterable, Sendable {
    case timestamp, findingID, ruleID, title, actorID, actorName, technique, level, kind, groupKey
    case windowStart, windowEnd, eventCount, valueCount, accounts, sources, evidence, evidenceTotal

    public var spec: ColumnSpec {
        switch self {
        case .timestamp: .init("@timestamp", .timestamp, "When the finding's window ended (UTC, µs); partitions the dataset by date.")
        case .findingID: .init("finding.id", .string, "Stable id: hash of the rule, the group key and the window start.")
        case .ruleID: .init("rule.id", .string, "The behaviour rule that made the finding.")
        case .title: .init("rule.name", .string, "The rule's title.")
        case .actorID: .init("threat.group.id", .string, "The actor, when the rule names one or an indicator attributed the evidence.")
        case .actorName: .init("threat.group.name", .string, "The actor's name.")
        case .technique: .init("threat.technique.id", .string, "ATT&CK technique, from the rule's tags (attack.t1110.003 → T1110.003).")
        case .level: .init("rule.level", .string, "The rule's level: informational, low, medium, high, critical.")
        case .kind: .init("rule.type", .string, "event_count, value_count, temporal or temporal_ordered.")
        case .groupKey: .init("finding.group", .string, "The group-by key: field=value pairs (source.ip/24=203.0.113.0).")
        case .windowStart: .init("window.start", .timestamp, "The first evidence event's time.")
        case .windowEnd: .init("window.end", .timestamp, "The last evidence event's time.")
        case .eventCount: .init("finding.event_count", .int64, "Events of the window that the rule counted.")
        case .valueCount: .init("finding.value_count", .int64, "Distinct values of the counted field (value_count), else 0.")
        case .accounts: .init("user.accounts", .stringList, "Accounts named by the evidence (lower-cased; at most 100).")
        case .sources: .init("source.ips", .stringList, "Source addresses of the evidence (at most 100).")
        case .evidence: .init("finding.evidence", .stringList, "event.id of the evidence events (at most 100).")
        case .evidenceTotal: .init("finding.evidence_total", .int64, "How many evidence events there were.")
        }
    }

    public var name: String { spec.name }
}

extension Finding {
    /// How many accounts, sources and evidence ids a finding keeps.
    public static let listCap = 100

    /// The finding as one NDJSON line with the columns' names.
    public func appendJSON(to out: inout ByteBuffer) {
        out.append(0x7B)
        var first = true
        func key(_ c: FindingColumn) {
            if !first { out.append(0x2C) }
            first = false
            withBytes(of: c.name) { JSONWriter.appendString($0, &out) }
            out.append(0x3A)
        }
        func string(_ c: FindingColumn, _ s: String?) {
            guard let s else { return }
            key(c)
            withBytes(of: s) { JSONWriter.appendString($0, &out) }
        }
        func time(_ c: FindingColumn, _ micros: Int64) {
            key(c)
            out.append(0x22); JSONWriter.appendISO8601(micros: micros, &out); out.append(0x22)
        }
        func list(_ c: FindingColumn, _ items: [String]) {
            key(c)
            out.append(0x5B)
            for (i, s) in items.enumerated() {
                if i > 0 { out.append(0x2C) }
                withBytes(of: s) { JSONWriter.appendString($0, &out) }
            }
            out.append(0x5D)
        }
        for c in FindingColumn.allCases {
            switch c {
            case .timestamp: time(c, windowEnd)
            case .findingID: string(c, id)
            case .ruleID: string(c, ruleID)
            case .title: string(c, title)
            case .actorID: string(c, actorID)
            case .actorName: string(c, actorName)
            case .technique: string(c, technique)
            case .level: string(c, level)
            case .kind: string(c, kind)
            case .groupKey: string(c, groupKey)
            case .windowStart: time(c, windowStart)
            case .windowEnd: time(c, windowEnd)
            case .eventCount: key(c); JSONWriter.appendInt(Int64(eventCount), &out)
            case .valueCount: key(c); JSONWriter.appendInt(Int64(valueCount), &out)
            case .accounts: list(c, accounts)
            case .sources: list(c, sources)
            case .evidence: list(c, evidence)
            case .evidenceTotal: key(c); JSONWriter.appendInt(Int64(evidenceTotal), &out)
            }
        }
        out.append(0x7D)
        out.append(0x0A)
    }
}
