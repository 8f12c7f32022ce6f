#if canImport(Glibc)
import Glibc
#endif

/// What a parser writes an event into.
///
/// One builder per worker thread; a parser sees it between `begin` and `commit`, which the
/// pipeline calls. Scalar fields set twice keep the last value; list fields and labels
/// append. Bytes that lie inside the record being parsed are referenced, not copied; any
/// other bytes are copied, so a parser may pass a temporary buffer safely.
public final class EventBuilder {
    public private(set) var batch: EventBatch
    /// The batch's storage, held here too: reached through `batch`, a `var`, every access
    /// retained and released it.
    @usableFromInline let slots: BatchStorage<Slot>
    @usableFromInline let arena: BatchStorage<UInt8>

    private var current = EventHeader(slotStart: 0, slotCount: 0, timestamp: .min, datasetSlot: -1)
    // Read by the inlined `value(of:)` / `number(of:)` in other modules (the rules call them
    // a dozen times per event).
    // A pointer, not an array: an array's element store checks that its storage is not
    // shared, a call per value set.
    @usableFromInline let slotOfField: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: Field.allCases.count)
        p.initialize(repeating: -1, count: Field.allCases.count)
        return p
    }()
    @usableFromInline var record = UnsafeRawBufferPointer(start: nil, count: 0)
    private var open = false
    /// Values overwritten in place since the current event began, so a rollback can put
    /// them back (a parser that overwrote `event.dataset` and then said `.notMine`).
    private let overwritten = BatchStorage<(index: Int32, slot: Slot)>(capacity: 64)

    public convenience init() { self.init(batch: EventBatch()) }

    /// A builder for one event at a time (a run-time plugin's side), without a chunk's reserve.
    convenience init(capacity: Int) { self.init(batch: EventBatch(capacity: capacity)) }

    private init(batch: EventBatch) {
        self.batch = batch
        slots = batch.slots
        arena = batch.arena
    }

    deinit { slotOfField.deallocate() }

    // MARK: - Pipeline side

    /// Starts an event for `record`; everything set until `commit` or `discard` belongs to it.
    public func begin(record: UnsafeRawBufferPointer) {
        if open { discard() }
        self.record = record
        current = EventHeader(slotStart: Int32(slots.count), slotCount: 0, timestamp: .min, datasetSlot: -1)
        slotOfField.update(repeating: -1, count: Field.allCases.count)
        overwritten.removeAll()
        open = true
    }

    /// Drops whatever the current event holds.
    public func discard() {
        guard open else { return }
        slots.truncate(to: Int(current.slotStart))
        open = false
    }

    /// Ends the current event. Returns false (and drops it) when the event lacks
    /// `@timestamp` or `event.dataset`, which every event must have.
    @discardableResult
    public func commit() -> Bool {
        guard open else { return false }
        open = false
        let ts = slotOfField[Int(Field.timestamp.rawValue)]
        let ds = slotOfField[Int(Field.eventDataset.rawValue)]
        guard ts >= 0, ds >= 0 else {
            slots.truncate(to: Int(current.slotStart))
            return false
        }
        current.timestamp = slots[Int(ts)].value
        current.datasetSlot = ds
        current.slotCount = Int32(slots.count) - current.slotStart
        batch.events.append(current)
        return true
    }

    /// A point to roll the current event back to (what a router takes before trying a parser).
    public struct Mark: Sendable {
        let slots: Int
        let overwritten: Int
    }

    public func mark() -> Mark { Mark(slots: slots.count, overwritten: overwritten.count) }

    /// Removes every value of the current event (it stays open).
    public func clearEvent() {
        rollback(to: Mark(slots: Int(current.slotStart), overwritten: 0))
    }

    /// Undoes everything since `mark`: values added are removed, values overwritten are
    /// restored.
    public func rollback(to mark: Mark) {
        guard open else { return }
        while overwritten.count > mark.overwritten {
            let (index, slot) = overwritten[overwritten.count - 1]
            overwritten.truncate(to: overwritten.count - 1)
            if Int(index) < slots.count { slots[Int(index)] = slot }
        }
        guard mark.slots < slots.count else { return }
        for i in mark.slots..<slots.count where slotOfField[Int(slots[i].field.rawValue)] == Int32(i) {
            slotOfField[Int(slots[i].field.rawValue)] = -1
        }
        slots.truncate(to: mark.slots)
    }

    /// The bytes of a string field of the current event (what enrichers read), valid until
    /// the next change to the event. `event.original` is the record the event began with
    /// even when the output does not keep it (`--no-original`), so that rules still read it.
    @inlinable @inline(__always)
    public func value(of field: Field) -> Bytes? {
        let i = slotOfField[Int(field.rawValue)]
        guard i >= 0 else { return field == .eventOriginal && record.count > 0 ? record : nil }
        return bytes(slots[Int(i)])
    }

    /// The bytes of a string or label slot of this builder's batch (nil for a number).
    @inlinable @inline(__always)
    func bytes(_ slot: Slot) -> Bytes? {
        switch slot.kind {
        case .external: Bytes(start: UnsafeRawPointer(bitPattern: Int(slot.value)), count: Int(slot.length))
        case .arena, .label: Bytes(start: arena.base + Int(slot.value), count: Int(slot.length))
        case .number: nil
        }
    }

    /// The number of a number field of the current event.
    @inlinable @inline(__always)
    public func number(of field: Field) -> Int64? {
        let i = slotOfField[Int(field.rawValue)]
        guard i >= 0, slots[Int(i)].kind == .number else { return nil }
        return slots[Int(i)].value
    }

    /// Runs `body` on the last committed event (its index and header) with a reader of the
    /// batch, made from the storage the builder holds: reaching it through `batch` retained
    /// and released the batch's buffers, too dear for a call per event. Nil without events.
    @inline(__always)
    func withLastEvent<R>(_ body: (Int32, EventHeader, BatchReader) -> R) -> R? {
        batch.events.withUnsafeBufferPointer { events in
            guard let last = events.last else { return nil }
            return body(Int32(events.count - 1), last, BatchReader(arena: arena.bytes, slots: slots.buffer, events: events))
        }
    }

    /// The `event.dataset` of the last committed event (valid until the next change).
    public var lastDataset: Bytes {
        guard let event = batch.events.last, let dataset = bytes(slots[Int(event.datasetSlot)]) else {
            return Bytes(start: nil, count: 0)
        }
        return dataset
    }

    /// Each value of the open event, in the order set, with its bytes (empty for numbers; key
    /// then value for a label): what a run-time plugin hands its host.
    func forEachOpenValue(_ body: (Slot, UnsafeRawBufferPointer) -> Void) {
        guard open else { return }
        batch.withReader { reader in
            for i in Int(current.slotStart)..<reader.slots.count {
                let slot = reader.slots[i]
                body(slot, reader.bytes(slot))
            }
        }
    }

    /// Every value of `field` in the current event, in order (list fields have several);
    /// for `labels`, each entry's key and value together (see `label(_:)`).
    public func forEachValue(of field: Field, _ body: (Bytes) -> Void) {
        guard open else { return }
        for i in Int(current.slotStart)..<slots.count where slots[i].field == field {
            if let value = bytes(slots[i]) { body(value) }
        }
    }

    /// The values of the open event added or overwritten since `mark`, with their bytes:
    /// what a run-time plugin's enricher hands back to its host.
    func forEachValueChanged(since mark: Mark, _ body: (Slot, UnsafeRawBufferPointer) -> Void) {
        guard open else { return }
        batch.withReader { reader in
            var seen = Set<Int32>()
            for (index, _) in overwritten.buffer[mark.overwritten...] where Int(index) < mark.slots && seen.insert(index).inserted {
                body(reader.slots[Int(index)], reader.bytes(reader.slots[Int(index)]))
            }
            for i in mark.slots..<reader.slots.count {
                body(reader.slots[i], reader.bytes(reader.slots[i]))
            }
        }
    }

    /// The value of the current event's `labels` entry `key` (the last one set), valid until
    /// the next change to the event.
    public func label(_ key: Bytes) -> Bytes? {
        guard open else { return nil }
        var found: (Int, Int)?
        for i in Int(current.slotStart)..<slots.count where slots[i].field == .labels {
            let slot = slots[i]
            let k = Int(slot.keyLength), start = Int(slot.value)
            let matches = k == key.count && (k == 0 || memcmp(arena.base + start, key.baseAddress!, k) == 0)
            if matches { found = (start + k, Int(slot.length) - k) }
        }
        guard let (start, count) = found else { return nil }
        return Bytes(start: arena.base + start, count: count)
    }

    /// The index the current event will have in the batch when committed.
    public var pendingIndex: Int { batch.events.count }

    /// Whether `field` has a value in the current event.
    public func has(_ field: Field) -> Bool { slotOfField[Int(field.rawValue)] >= 0 }

    /// Resets the batch for the next chunk.
    public func reset() {
        batch.removeAll()
        open = false
    }

    /// The chunk the records of this batch come from (see `EventBatch.records`).
    func setRecords(_ chunk: UnsafeRawBufferPointer) { batch.records = chunk }

    public func addDeadLetter(_ letter: DeadLetter) { batch.deadLetters.append(letter) }
    public func addFiltered(_ n: Int = 1) { batch.filtered += n }

    // MARK: - Parser side

    /// Sets a string field from bytes (a slice of the record, or any buffer: it is copied then).
    @inline(__always)
    public func set(_ field: Field, _ bytes: UnsafeRawBufferPointer) {
        store(field, bytesSlot(field, bytes))
    }

    /// Sets a string field to a constant.
    @inline(__always)
    public func set(_ field: Field, _ text: StaticString) {
        if text.hasPointerRepresentation {
            store(field, Slot(field: field, kind: .external, keyLength: 0, length: UInt32(text.utf8CodeUnitCount),
                              value: Int64(Int(bitPattern: text.utf8Start))))
        } else {
            set(field, string: text.description)
        }
    }

    /// Sets a string field from a `String` (copied).
    public func set(_ field: Field, string: String) {
        var s = string
        s.withUTF8 { store(field, arenaSlot(field, UnsafeRawBufferPointer($0))) }
    }

    /// Sets a number field (int64 columns, and `@timestamp` in µs).
    @inline(__always)
    public func set(_ field: Field, int: Int64) {
        store(field, Slot(field: field, kind: .number, keyLength: 0, length: 0, value: int))
    }

    public func set(_ field: Field, bool: Bool) {
        store(field, Slot(field: field, kind: .number, keyLength: 0, length: 0, value: bool ? 1 : 0))
    }

    /// Sets `event.outcome`.
    @inline(__always)
    public func set(outcome: Outcome) { set(.eventOutcome, outcome.text) }

    /// Sets `event.reason`.
    @inline(__always)
    public func set(reason: Reason) { set(.eventReason, reason.text) }

    /// Sets bytes that live as long as the job (an input's path): referenced, never copied.
    public func set(_ field: Field, stable bytes: UnsafeRawBufferPointer) {
        store(field, Slot(field: field, kind: .external, keyLength: 0, length: UInt32(bytes.count),
                          value: Int64(Int(bitPattern: bytes.baseAddress))))
    }

    /// Adds a value to a list field (`email.to.address`, `threat.group.alias`).
    public func append(_ field: Field, _ bytes: UnsafeRawBufferPointer) {
        slots.append(bytesSlot(field, bytes))
    }

    /// Adds a value that lives as long as the job to a list field: referenced, never copied.
    public func append(_ field: Field, stable bytes: UnsafeRawBufferPointer) {
        slots.append(Slot(field: field, kind: .external, keyLength: 0, length: UInt32(bytes.count),
                          value: Int64(Int(bitPattern: bytes.baseAddress))))
    }

    public func append(_ field: Field, string: String) {
        var s = string
        s.withUTF8 { slots.append(arenaSlot(field, UnsafeRawBufferPointer($0))) }
    }

    /// Adds a `labels` entry.
    public func label(_ key: String, _ value: UnsafeRawBufferPointer) {
        var k = key
        let offset = arena.count
        k.withUTF8 { arena.append(UnsafeRawBufferPointer($0)) }
        let keyLength = arena.count - offset
        arena.append(value)
        addLabel(from: offset, keyLength: keyLength)
    }

    /// Adds a `labels` entry whose key (its first `keyLength` bytes) and value lie side by
    /// side in `entry`, in one copy: for a stage that adds one of a few entries to most events.
    public func label(entry: UnsafeRawBufferPointer, keyLength: Int) {
        let offset = arena.count
        arena.append(entry)
        addLabel(from: offset, keyLength: keyLength)
    }

    /// Adds a `labels` entry from bytes (both copied).
    public func label(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
        let offset = arena.count
        arena.append(key)
        arena.append(value)
        addLabel(from: offset, keyLength: key.count)
    }

    /// The slot of the `labels` entry the arena holds from `offset` on, its key first.
    private func addLabel(from offset: Int, keyLength: Int) {
        slots.append(Slot(field: .labels, kind: .label, keyLength: UInt32(keyLength),
                          length: UInt32(arena.count - offset), value: Int64(offset)))
    }

    public func label(_ key: String, string: String) {
        var v = string
        v.withUTF8 { label(key, UnsafeRawBufferPointer($0)) }
    }

    // MARK: - Storage

    @inline(__always)
    private func store(_ field: Field, _ slot: Slot) {
        let i = Int(field.rawValue)
        let existing = slotOfField[i]
        if existing >= 0 {
            overwritten.append((existing, slots[Int(existing)]))
            slots[Int(existing)] = slot
        } else {
            slotOfField[i] = Int32(slots.count)
            slots.append(slot)
        }
    }

    @inline(__always)
    private func bytesSlot(_ field: Field, _ bytes: UnsafeRawBufferPointer) -> Slot {
        if let base = bytes.baseAddress, let start = record.baseAddress,
           base >= start, base + bytes.count <= start + record.count {
            return Slot(field: field, kind: .external, keyLength: 0, length: UInt32(bytes.count),
                        value: Int64(Int(bitPattern: base)))
        }
        return arenaSlot(field, bytes)
    }

    private func arenaSlot(_ field: Field, _ bytes: UnsafeRawBufferPointer) -> Slot {
        let offset = arena.count
        arena.append(bytes)
        return Slot(field: field, kind: .arena, keyLength: 0, length: UInt32(bytes.count), value: Int64(offset))
    }
}
