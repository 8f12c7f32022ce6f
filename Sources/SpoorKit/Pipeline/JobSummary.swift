/// What a job did, counted at every stage; printed at the end and written to the manifest.
public struct JobSummary: Sendable, Codable {
    public var inputs = 0
    public var members = 0
    public var bytesRead: Int64 = 0
    public var bytesDecoded: Int64 = 0
    public var recordsIn = 0
    public var eventsOut = 0
    public var deadLetters = 0
    public var filtered = 0
    /// Inputs or members that failed to open or decode (each also left a dead letter).
    public var sourceErrors = 0
    /// Events the sink wrote into files (or to stdout).
    public var eventsWritten = 0
    /// Events made from other events (one per Postfix message, with --correlate-mail).
    public var derivedEvents = 0
    public var seconds = 0.0
    public var eventsByDataset: [String: Int] = [:]
    public var membersByFormat: [String: Int] = [:]
    public var membersByEncoding: [String: Int] = [:]

    public init() {}

    /// Nothing silently dropped: every record in became an event, a dead letter or was
    /// filtered, and every event reached the sink.
    public var reconciles: Bool {
        recordsIn == eventsOut + deadLetters + filtered && eventsWritten == eventsOut + derivedEvents
    }

    mutating func add(_ part: WorkerCounts) {
        recordsIn += part.recordsIn
        eventsOut += part.eventsOut
        deadLetters += part.deadLetters
        filtered += part.filtered
        bytesDecoded += part.bytes
        for (k, v) in part.byDataset { eventsByDataset[k, default: 0] += v }
    }
}

/// A worker's counts for one chunk, carried to the sink thread with the payload.
struct WorkerCounts: Sendable {
    var recordsIn = 0
    var eventsOut = 0
    var deadLetters = 0
    var filtered = 0
    var bytes: Int64 = 0
    var byDataset: [String: Int] = [:]
}
