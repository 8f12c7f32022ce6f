/// One value of one field of one event.
///
/// Byte values either point at memory that outlives the batch's use (the record being
/// parsed, a static string, an input's path) or live in the batch's arena. Keeping them as
/// pointers is what lets a worker parse and encode ten thousand records without a `String`
/// or an allocation per field.
public struct Slot: Sendable {
    public enum Kind: UInt8, Sendable {
        /// `value` is the number (int64, bool 0/1, timestamp in µs).
        case number
        /// `value` is a pointer's bit pattern, `length` bytes.
        case external
        /// `value` is an offset into the arena, `length` bytes.
        case arena
        /// A `labels` entry in the arena: key (`keyLength` bytes) then value.
        case label
    }

    public var field: Field
    public var kind: Kind
    public var keyLength: UInt32
    public var length: UInt32
    public var value: Int64
}

/// Where an event's slots are, and what the sink needs to partition it.
public struct EventHeader: Sendable {
    public var slotStart: Int32
    public var slotCount: Int32
    /// `@timestamp` in µs since the epoch (UTC).
    public var timestamp: Int64
    /// Index of the `event.dataset` slot.
    public var datasetSlot: Int32
}

/// A record that could not become an event: kept whole (up to a bound) with why.
public struct DeadLetter: Sendable {
    public var reason: String
    public var offset: Int64
    public var line: Int64
    public var raw: [UInt8]
    /// Length of the record as read, when `raw` holds only its start.
    public var rawLength: Int

    public init(reason: String, offset: Int64, line: Int64, raw: [UInt8], rawLength: Int? = nil) {
        self.reason = reason
        self.offset = offset
        self.line = line
        self.raw = raw
        self.rawLength = rawLength ?? raw.count
    }
}

/// The events and dead letters of one chunk of one input, as a worker produced them.
///
/// Contract: external slots point into the chunk the worker holds; a batch is encoded by the
/// sink on the same worker before the chunk is released, and is never kept past that.
public struct EventBatch {
    public internal(set) var events: [EventHeader] = []
    /// Every event's values, in order; shared by the copies of a batch, which its contract
    /// allows (a batch is not kept past its encoding).
    @usableFromInline let slots: BatchStorage<Slot>
    @usableFromInline let arena: BatchStorage<UInt8>
    public var deadLetters: [DeadLetter] = []
    /// Records deliberately not turned into events (empty lines, parser filters).
    public var filtered = 0
    /// The chunk this batch's records were framed from (empty for events made without one).
    /// Most external slots point into it, so a sink that must keep values past the batch can
    /// copy it once instead of every value; valid as long as the batch, like the slots.
    public internal(set) var records = UnsafeRawBufferPointer(start: nil, count: 0)

    public init() {
        self.init(capacity: 16_384)
    }

    /// Room for `capacity` events without growing.
    init(capacity: Int) {
        events.reserveCapacity(capacity)
        slots = BatchStorage(capacity: capacity * 16)
        arena = BatchStorage(capacity: capacity * 64)
    }

    public mutating func removeAll() {
        events.removeAll(keepingCapacity: true)
        slots.removeAll()
        arena.removeAll()
        deadLetters.removeAll(keepingCapacity: true)
        filtered = 0
        records = UnsafeRawBufferPointer(start: nil, count: 0)
    }

    /// Gives a reader that resolves byte slots; valid only inside `body`.
    public func withReader<R>(_ body: (BatchReader) throws -> R) rethrows -> R {
        try events.withUnsafeBufferPointer { eventBuffer in
            try body(BatchReader(arena: arena.bytes, slots: slots.buffer, events: eventBuffer))
        }
    }
}

/// Read access to a batch's values without copies.
public struct BatchReader {
    let arena: UnsafeRawBufferPointer
    public let slots: UnsafeBufferPointer<Slot>
    /// The events, borrowed like the slots: a reader copied per event (the campaign
    /// counter's) retains nothing.
    public let events: UnsafeBufferPointer<EventHeader>

    /// The slots of one event, in the order they were set.
    @inline(__always)
    public func slots(of event: EventHeader) -> UnsafeBufferPointer<Slot> {
        UnsafeBufferPointer(rebasing: slots[Int(event.slotStart)..<Int(event.slotStart + event.slotCount)])
    }

    /// The bytes of a byte slot (for a label: key and value together).
    @inline(__always)
    public func bytes(_ slot: Slot) -> UnsafeRawBufferPointer {
        switch slot.kind {
        case .external:
            UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: Int(slot.value)), count: Int(slot.length))
        case .arena, .label:
            UnsafeRawBufferPointer(rebasing: arena[Int(slot.value)..<Int(slot.value) + Int(slot.length)])
        case .number:
            UnsafeRawBufferPointer(start: nil, count: 0)
        }
    }

    /// A label's key and value.
    @inline(__always)
    public func label(_ slot: Slot) -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let all = bytes(slot)
        let k = Int(slot.keyLength)
        return (UnsafeRawBufferPointer(rebasing: all[0..<k]), UnsafeRawBufferPointer(rebasing: all[k...]))
    }

    /// The first value of `field` in `event`, if set.
    public func slot(_ field: Field, of event: EventHeader) -> Slot? {
        slots(of: event).first { $0.field == field }
    }
}
