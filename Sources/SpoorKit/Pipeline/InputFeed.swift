import Foundation

/// The order in which the sink hands chunks to the behaviour rules: a merge by time of the
/// `width` first inputs not yet done (in the job's input order: oldest first), chunk by
/// chunk; when one is done, the next input joins. Of the next chunk of each of them, the
/// one with the earliest event goes first; each input's chunks go in the order its reader
/// made them.
///
/// So the correlator meets the logs of one period side by side, nearly in time order, and a
/// spray spread over two mail servers' logs fills one window. And it meets them in the same
/// order every time: the choice waits until every input of the merge has its next chunk
/// here (or has ended), so neither the number of workers nor which finished first changes
/// a finding.
///
/// Only the signals wait (the events are written as they come). A reader waits while
/// `limit` chunks are held in all and one of its own is among them (`awaitTurn`). That
/// cannot stall the merge: an input whose next chunk was not read yet holds none, so its
/// reader reads on (and one read already is on its way from a worker). The chunks of one
/// file that workers finish out of order are held too: `limit` is above what can be in
/// flight, so that a single file's reader never waits. The job needs at least `width`
/// readers, so that every input of the merge has one.
///
/// The sink thread calls `add`, `end` and `rest`; readers call `awaitTurn`.
final class InputFeed<Item>: @unchecked Sendable {
    private struct Input {
        var held: [Int: Item?] = [:]
        var next = 0
        /// How many chunks its reader made, once it is done.
        var total: Int?
        var done: Bool { total.map { next >= $0 } ?? false }
    }

    private let condition = NSCondition()
    private var inputs: [Int: Input] = [:]
    /// The inputs of the merge, in input order: the `width` first not done. A long log
    /// among them does not keep the next short ones out.
    private var merged: [Int]
    /// The next input to join the merge.
    private var joining: Int
    private var heldCount = 0
    private var stopped = false
    let count: Int
    let width: Int
    let limit: Int
    /// The earliest event time of an item (nil: it has none, and goes as soon as it is next).
    private let time: (Item) -> Int64?

    init(inputs count: Int, width: Int, limit: Int, time: @escaping (Item) -> Int64?) {
        self.count = count
        self.width = max(1, width)
        self.limit = max(1, limit)
        self.time = time
        merged = Array(0..<min(count, self.width))
        joining = merged.count
    }

    /// Blocks the reader of `input` while it must wait (`mustWait`).
    func awaitTurn(input: Int) {
        condition.lock(); defer { condition.unlock() }
        while mustWait(input) && !stopped { condition.wait() }
    }

    /// Whether the reader of `input` must wait: `limit` chunks are held, one of them its own.
    func mustWait(_ input: Int) -> Bool { heldCount >= limit && (inputs[input]?.held.isEmpty == false) }

    /// Whether the reader of `input` would wait now (for tests).
    func wouldWait(input: Int) -> Bool {
        condition.lock(); defer { condition.unlock() }
        return mustWait(input)
    }

    /// Releases every waiting reader (the job stops).
    func stop() {
        condition.lock(); defer { condition.unlock() }
        stopped = true
        condition.broadcast()
    }

    /// Takes chunk `ordinal` of `input` (nil: it had nothing to feed); returns what can be
    /// fed now, in order.
    func add(_ item: Item?, input: Int, ordinal: Int) -> [Item] {
        condition.lock(); defer { condition.unlock() }
        inputs[input, default: Input()].held[ordinal] = .some(item)
        heldCount += 1
        return drain()
    }

    /// The reader of `input` is done after `chunks` chunks; returns what can be fed now.
    func end(input: Int, chunks: Int) -> [Item] {
        condition.lock(); defer { condition.unlock() }
        inputs[input, default: Input()].total = chunks
        return drain()
    }

    /// Whatever is still held (only when the job stopped early), in input and chunk order.
    func rest() -> [Item] {
        condition.lock(); defer { condition.unlock() }
        let out = inputs.sorted { $0.key < $1.key }.flatMap { $0.value.held.sorted { $0.key < $1.key }.compactMap { $0.value } }
        inputs = [:]
        heldCount = 0
        condition.broadcast()
        return out
    }

    private func drain() -> [Item] {
        var out: [Item] = []
        while true {
            var k = 0
            while k < merged.count {
                guard inputs[merged[k]]?.done == true else { k += 1; continue }
                inputs[merged[k]] = nil
                merged.remove(at: k)
                if joining < count { merged.append(joining); joining += 1 }
            }
            // The next chunk of every input of the merge must be here to choose.
            var best: (time: Int64, input: Int)?
            var complete = true
            for j in merged {
                guard let input = inputs[j] else { complete = false; break }
                guard let head = input.held[input.next] else { complete = false; break }
                let t = head.flatMap(time) ?? .min
                if best == nil || t < best!.time { best = (t, j) }
            }
            guard complete, let (_, j) = best else { break }
            let item = inputs[j]!.held.removeValue(forKey: inputs[j]!.next)!
            inputs[j]!.next += 1
            heldCount -= 1
            if let item { out.append(item) }
        }
        condition.broadcast()
        return out
    }
}
