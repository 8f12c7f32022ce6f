/// Stateful rules over time windows (the correlator), as the pipeline runs them.
///
/// Contract: `signals` runs on a worker thread after each chunk, on the batch the worker
/// just made (valid only during the call) and the worker's parse context (where the
/// attribution stage left what it matched): it copies out the little each rule needs.
/// `makeCorrelator` is called once per job; the correlator lives on the sink thread, sees
/// every chunk's signals in the order `InputFeed` makes (each input's in order, inputs read
/// side by side merged by time: `TimedSignals`) and returns findings as windows close. Its
/// memory is bounded by its open windows, never by the number of events.
public protocol BehaviourRules: Sendable {
    func signals(of batch: EventBatch, context: ParseContext) -> any Sendable
    func makeCorrelator() -> any Correlator
}

/// Signals that name their earliest event time, by which the chunks of inputs read side by
/// side are merged (signals without one go as soon as they are next).
public protocol TimedSignals: Sendable {
    var earliest: Int64? { get }
}

/// The sink thread's stateful half of `BehaviourRules`.
public protocol Correlator: AnyObject {
    /// Adds one chunk's signals; returns the findings of windows that closed.
    func add(_ signals: any Sendable) -> [Finding]
    /// Closes every open window (end of the job).
    func finish() -> [Finding]
    /// Windows open now (what bounds the correlator's memory).
    var openWindows: Int { get }
    /// The most windows open at once so far, the last ones before `finish` closed them included.
    var peakOpenWindows: Int { get }
    /// Rules that could not work on this input (after `finish`), for the job's summary.
    var keylessRules: [KeylessRule] { get }
}

/// A behaviour rule none of whose events had its group-by fields (a `source.as.number`
/// without an ASN database): it found nothing, and the summary says why.
public struct KeylessRule: Sendable, Equatable {
    public var rule: String
    /// The events it would have counted.
    public var events: Int
    public var groupBy: [String]

    public init(rule: String, events: Int, groupBy: [String]) {
        self.rule = rule
        self.events = events
        self.groupBy = groupBy
    }
}

/// Where findings go: the `findings/` dataset in the job's format. `write` runs on the sink
/// thread; `finish` once at the end, returning the files it staged.
public protocol FindingsOutput: AnyObject, Sendable {
    func write(_ findings: [Finding]) throws
    func finish() throws -> [OutputFile]
}
