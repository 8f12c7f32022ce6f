/// Turns one record (or the message part of one, after the syslog envelope) into fields of
/// one event.
///
/// Contract: called on worker threads, concurrently, so a parser holds only immutable state
/// (compiled patterns, tables); per-thread scratch comes in `input.context`. The pipeline
/// has called `event.begin` and will commit; the parser sets fields and answers:
/// `.event` (keep it), `.filtered` (drop it on purpose, counted), `.notMine` (this parser
/// does not know the record: the router falls back). Throwing `ParseFailure` sends the
/// record to the dead letters with the reason.
public protocol Parser: Plugin {
    /// Which records the router hands to this parser.
    var routes: [Route] { get }

    func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult

    /// For a `.format` parser: the framer its records come from (`lines`, `json`, ...).
    var framer: String { get }

    /// For a `.format` parser: how sure it is (0...100) that a stream starting with `head`
    /// (its first bytes, a few KiB) is its format. The job picks the highest per stream.
    func sniff(_ head: Bytes) -> Int
}

extension Parser {
    public func sniff(_ head: Bytes) -> Int { 0 }
    public var framer: String { "lines" }
}

/// The share (0...100) of the complete lines of `head` that `accepts`, for `sniff`.
public func sniffLines(_ head: Bytes, maxLines: Int = 20, _ accepts: (Bytes) -> Bool) -> Int {
    var total = 0, hits = 0, start = 0
    while total < maxLines, let newline = head.firstIndex(of: 0x0A, from: start) {
        var line = head.slice(start, newline)
        if line.hasSuffix("\r") { line = line.slice(0, line.count - 1) }
        start = newline + 1
        if line.count == 0 { continue }
        total += 1
        if accepts(line) { hits += 1 }
    }
    if total == 0, head.count > 0 { return accepts(head) ? 100 : 0 }
    return total == 0 ? 0 : hits * 100 / total
}

/// How records reach a parser.
public enum Route: Sendable, Hashable {
    /// Syslog messages whose program (tag) is exactly this name (`sshd`).
    case program(String)
    /// Syslog messages whose program starts with this (`postfix/`).
    case programPrefix(String)
    /// Syslog messages of any program, tried after the specific parsers said `.notMine`.
    case anyProgram
    /// Whole records of a file format (`syslog`), chosen per input.
    case format(String)
}

public enum ParseResult: Sendable {
    case event, filtered, notMine
}

/// Why a record could not become an event; it goes to the dead letters with this reason.
public struct ParseFailure: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// One record as a parser receives it.
public struct ParserInput {
    /// What this parser should read: the whole record, or the syslog message.
    public let message: Bytes
    /// The whole record.
    public let record: Bytes
    /// The syslog program (tag) when the record came through the syslog envelope.
    public let program: Bytes
    /// The input the record came from (path, reference time for year-less stamps).
    public let input: InputFile
    /// Per-worker scratch: pattern match state, time zone, the router, explain trace.
    public let context: ParseContext

    public init(message: Bytes, record: Bytes, program: Bytes, input: InputFile, context: ParseContext) {
        self.message = message
        self.record = record
        self.program = program
        self.input = input
        self.context = context
    }

    /// The same record with another message (what an envelope hands on).
    public func with(message: Bytes, program: Bytes) -> ParserInput {
        ParserInput(message: message, record: record, program: program, input: input, context: context)
    }

    /// Hands `message` to the parser routed for `program` (what an envelope parser calls).
    public func dispatch(program: Bytes, message: Bytes, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
        try context.router.dispatch(with(message: message, program: program), into: event)
    }
}
