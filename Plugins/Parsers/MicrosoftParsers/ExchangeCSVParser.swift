import SpoorKit

/// Exchange Server CSV logs under `#Software/#Version/#Log-type/#Fields` headers. Message
/// tracking logs become email events (sender, recipients, message-id, subject, event id);
/// other Exchange CSV logs (EWS, ECP activity, …) become events with every column kept as a
/// label. Columns always come from the `#Fields:` header in force; a message tracking file
/// with no header at all (a fragment a shipper cut off) is read with the Exchange 2013-2019
/// column list, which is documented as the fallback.
public struct ExchangeCSVParser: Parser {
    public static let manifest = PluginManifest(
        id: "exchange", kind: .parser, version: "1.0.0",
        summary: "Exchange CSV logs: message tracking (email events), EWS, ECP and others (columns as labels)")

    public init(config: PluginConfig) throws {}

    public var routes: [Route] { [.format("exchange")] }
    public var framer: String { "w3c" }

    /// Exchange 2013-2019 message tracking columns, for a file without a header.
    static let defaultTrackingHeader = Array(("#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,"
        + "connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,"
        + "total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,"
        + "message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,"
        + "log-id,schema-version").utf8)

    public func sniff(_ head: Bytes) -> Int {
        if head.contains("#Software: Microsoft Exchange Server") { return 95 }
        // A comma-separated #Fields: header (W3C's is space-separated).
        if let at = head.firstIndex(of: "#Fields:") {
            let line = head.dropFirst(at).prefix(untilByte: 0x0A)
            if line.firstIndex(of: 0x2C) != nil { return 85 }
        }
        // A headerless message tracking fragment: ISO stamps, then many commas.
        return sniffLines(head, maxLines: 5) { line in
            line.count > 24 && line[4] == 0x2D && line[10] == 0x54 && line.hasPrefix("20") && line[23] == 0x5A
                && line.slice(24, line.count).reduce(0) { $0 + ($1 == 0x2C ? 1 : 0) } >= 20
        } >= 80 ? 70 : 0
    }

    public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        let ctx = input.context
        let row = input.record
        if row.hasPrefix("#") {
            if row.hasPrefix("#Fields:") { ctx.streamHeader = row }
            return .filtered
        }
        if ctx.streamHeader.count == 0 {
            if let first = row.first, !(0x30...0x39).contains(first) {
                ctx.streamHeader = row   // a bare CSV header line (EWS logs start with one)
                return .filtered
            }
            ExchangeCSVParser.defaultTrackingHeader.withUnsafeBytes { ctx.streamHeader = $0 }   // static storage
        }
        let columns = ctx.columns(for: "exchange")
        columns.use(ctx.streamHeader)
        var fields: [Bytes] = [], quoted: [Bool] = []
        guard Delimited.csv(row, into: &fields, quoted: &quoted) else { throw ParseFailure("CSV row with an unclosed quote") }
        guard fields.count == columns.names.count else {
            throw ParseFailure("CSV row has \(fields.count) fields, the #Fields: header names \(columns.names.count)")
        }
        var unquoted: [UInt8] = []
        func value(_ i: Int) -> Bytes {
            guard quoted[i] else { return fields[i] }
            Delimited.unquote(fields[i], into: &unquoted)
            return unquoted.withUnsafeBytes { Bytes($0) }
        }
        func f(_ name: String) -> Bytes? {
            guard let i = columns.position(name), fields[i].count > 0 else { return nil }
            return value(i)
        }
        // The time: the first column that is an ISO 8601 stamp (date-time, DateTime, MyTimeStamp…).
        var stamped = false
        for i in fields.indices where !stamped {
            if let s = Timestamps.iso8601(fields[i], clock: ctx.clock), s.length == fields[i].count {
                event.set(.timestamp, int: s.micros)
                stamped = true
            }
        }
        guard stamped else { throw ParseFailure("Exchange row without a date-time column") }
        event.set(.eventKind, "event")

        guard columns.position("event-id") != nil, columns.position("message-id") != nil else {
            event.set(.eventDataset, "exchange.log")
            for (i, name) in columns.names.enumerated() where fields[i].count > 0 { event.label(name, value(i)) }
            return .event
        }
        event.set(.eventDataset, "exchange.messagetracking")
        event.set(.eventCategory, "email")
        if let id = f("event-id") {
            event.set(.eventAction, string: id.string.lowercased())
            event.set(outcome: id.equals("FAIL") ? .failure : .success)
        }
        if let v = f("sender-address") { event.set(.emailFrom, v) }
        if let v = f("recipient-address") {
            var start = 0
            while start < v.count {
                let end = v.firstIndex(of: 0x3B, from: start) ?? v.count
                if end > start { event.append(.emailTo, v.slice(start, end)) }
                start = end + 1
            }
        }
        if let v = f("message-id") { event.set(.emailMessageID, v) }
        if let v = f("network-message-id") { event.set(.emailLocalID, v) }
        if let v = f("message-subject") { event.set(.emailSubject, v) }
        if let v = f("client-ip") { MessageRule.store(v, .sourceIP, event) }
        if let v = f("server-ip") { MessageRule.store(v, .destinationIP, event) }
        if let v = f("server-hostname") { event.set(.hostName, v) }
        for name in ["source", "source-context", "connector-id", "directionality", "recipient-status", "total-bytes",
                     "internal-message-id", "return-path", "client-hostname", "original-client-ip", "custom-data"] {
            if let v = f(name) { event.label(name, v) }
        }
        return .event
    }
}
