import Foundation

/// Per-worker state that parsers may use: PCRE2 scratch, the job's time zone, the program
/// router, and (for `spoor parse --explain`) a trace. Owned by one thread; never shared.
public final class ParseContext {
    public let scratch: MatchScratch
    public let clock: ZoneClock
    /// UTC, for formats whose stamps are UTC without saying so (W3C, Office 365 audit).
    public let utc = ZoneClock(zone: TimeZone(identifier: "UTC")!)
    public let router: ProgramRouter
    /// A reusable index of one JSON record (for JSON formats).
    public let json = JSONIndex()
    /// The context record in force (a `#Fields:` header), set by the pipeline at each chunk's
    /// start; a parser that meets a new one in the chunk sets it. Valid during the chunk.
    public var streamHeader = Bytes(start: nil, count: 0)
    /// The stream part of the current chunk's event ids (`<16 hex digits>-<log.offset>`) as
    /// the number the hex digits write; set by the pipeline at each chunk's start. Who
    /// needs an event's id can take it from here and `log.offset` without reading its text.
    public internal(set) var streamID: UInt64?
    /// Scratch bytes a parser may use for one value at a time (decoded escapes).
    public var scratch8: [UInt8] = []
    /// Steps explained by the router and parsers, when explaining; nil otherwise.
    public var trace: [String]?
    /// Whether the behaviour rules' signals are taken after each chunk (`BehaviourRules`);
    /// when not (a job that writes to stdout keeps no findings), the attribution stage need
    /// not gather them. A context made by hand takes them by calling `signals` itself.
    public internal(set) var takesSignals = true

    public init(zone: TimeZone, router: ProgramRouter, explain: Bool = false) {
        scratch = MatchScratch()
        clock = ZoneClock(zone: zone)
        self.router = router
        trace = explain ? [] : nil
    }

    private var headerCaches: [String: HeaderColumns] = [:]
    private var pluginState: [String: AnyObject] = [:]

    /// A plugin's own per-worker state (a lookup cache), made on first use.
    public func state<T: AnyObject>(for key: String, make: () -> T) -> T {
        // Called per event by the attribution stage: the last one asked for is at hand, and
        // its type is compared as an identity instead of cast each time.
        if let last = lastState, lastKey == key, lastType == ObjectIdentifier(T.self) { return unsafeDowncast(last, to: T.self) }
        if let s = pluginState[key] as? T { remember(key, s); return s }
        let s = make()
        pluginState[key] = s
        remember(key, s)
        return s
    }

    /// `state(for:make:)` lent to `body` without a retain and a release around it: for a
    /// stage that asks for its state on every event (the worker keeps the state alive).
    /// Inlinable, so that the stage's module specializes it: a generic call cost as much.
    @inlinable @inline(__always)
    public func withState<T: AnyObject, R>(for key: String, make: () -> T, _ body: (T) -> R) -> R {
        if let last = lastBorrowed, lastKey == key, lastType == ObjectIdentifier(T.self) {
            return Unmanaged<T>.fromOpaque(last)._withUnsafeGuaranteedRef(body)
        }
        let s = state(for: key, make: make)
        return withExtendedLifetime(s) { body(s) }
    }

    /// The state kept under `key`, if a stage made one (nil: none did on this worker).
    public func existingState<T: AnyObject>(for key: String, as type: T.Type) -> T? {
        if let last = lastState, lastKey == key { return last as? T }
        return pluginState[key] as? T
    }

    private func remember<T: AnyObject>(_ key: String, _ state: T) {
        lastKey = key
        lastState = state
        lastBorrowed = Unmanaged.passUnretained(state).toOpaque()
        lastType = ObjectIdentifier(T.self)
    }

    @usableFromInline var lastKey = ""
    private var lastState: AnyObject?
    /// `lastState`, unretained (`lastState` and `pluginState` keep it alive).
    @usableFromInline var lastBorrowed: UnsafeMutableRawPointer?
    /// The type `lastState` was asked for as (a subclass asked for as its base is another).
    @usableFromInline var lastType: ObjectIdentifier?

    private var instances: [ObjectIdentifier: AnyObject] = [:]

    /// An object's own per-worker companion (a run-time plugin's parser instance), made on
    /// first use and kept until the worker ends.
    public func instance<T: AnyObject>(for owner: AnyObject, make: () -> T) -> T {
        let key = ObjectIdentifier(owner)
        if let s = instances[key] as? T { return s }
        let s = make()
        instances[key] = s
        return s
    }

    /// A parser's cache of header column positions, kept for this worker.
    public func columns(for key: String) -> HeaderColumns {
        if let c = headerCaches[key] { return c }
        let c = HeaderColumns()
        headerCaches[key] = c
        return c
    }

    /// Records an explanation step; the message is built only when explaining.
    @inline(__always)
    public func note(_ message: @autoclosure () -> String) {
        if trace != nil { trace!.append(message()) }
    }
}
