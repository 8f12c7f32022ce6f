import SpoorKit

/// One worker's facts of the current chunk: what the behaviour rules need of each event that
/// feeds one, copied as the attribution stage classifies the event. Its values are in the
/// cache then; read back from the batch after the chunk, each event's slots and values were
/// a wait on memory. `BehaviourEngine.signals` takes them when the chunk is done.
final class FactCollector {
    /// The behaviour rules the facts are copied for (their columns say what a fact holds).
    let engine: BehaviourEngine
    private var arena = SignalArena()
    private var facts: [EventFact] = []
    private var columns: [ColumnValue] = []
    /// Per fact, the index its event has (or was to have) in the batch.
    private var events: [Int32] = []
    /// The last event id's stream part, as text and as a number (see `EvidenceID`).
    private var lastStream: (text: (UInt64, UInt64), value: UInt64) = ((.max, .max), 0)

    init(engine: BehaviourEngine) { self.engine = engine }

    /// Copies the open event's fact; `index` is the index it gets in the batch when committed.
    func add(_ e: EventBuilder, index: Int, stream: UInt64?) {
        if let last = events.last {
            // An event that was not committed left its fact; the next one has its index.
            if Int(last) == index { dropLast() } else if Int(last) > index { clear() }   // a batch began without a hand-over
        }
        facts.append(engine.fact(e, &columns, arena, &lastStream, stream: stream))
        events.append(Int32(index))
    }

    /// The facts of the batch's first `committed` events (those after were never committed),
    /// and each one's event index; the collector starts afresh for the next chunk.
    func take(committed: Int) -> (signals: ChunkSignals, events: [Int32]) {
        while let last = events.last, Int(last) >= committed { dropLast() }
        var out = ChunkSignals()
        out.arena = arena
        out.facts = facts
        out.columns = columns
        let taken = events
        let sizes = (facts.count, columns.count)
        arena = SignalArena()
        facts = []
        columns = []
        events = []
        // The next chunk is likely the size of this one: room for it up front, not by doubling.
        facts.reserveCapacity(sizes.0)
        columns.reserveCapacity(sizes.1)
        events.reserveCapacity(sizes.0)
        lastStream = ((.max, .max), 0)
        return (out, taken)
    }

    private func dropLast() {
        columns.removeSubrange(Int(facts.removeLast().columns)...)
        events.removeLast()
    }

    private func clear() {
        arena = SignalArena()
        facts.removeAll(keepingCapacity: true)
        columns.removeAll(keepingCapacity: true)
        events.removeAll(keepingCapacity: true)
    }
}
