import Foundation

/// A parser whose records must reach it in stream order, all on one instance: a format
/// whose meaning spans records (a result keyed to an earlier line, a multi-line record).
///
/// When a job has such a parser, the chunks of each stream are parsed one after another, in
/// order (different streams still run in parallel), and a run-time plugin's parser keeps
/// one instance per stream instead of one per worker.
public protocol StreamOrdered {}

/// What the chunks of one stream share when the job parses them in order: the turn of the
/// next chunk, and per-stream companions (a plugin parser's instance).
///
/// Deadlock-free: a stream's chunks enter the job's one FIFO queue in order from its one
/// reader, so the chunk a worker waits for was taken earlier by another worker, which does
/// not wait for a later one.
public final class StreamOrder: @unchecked Sendable {
    private let condition = NSCondition()
    private var issued = 0
    private var next = 0
    private var companions: [ObjectIdentifier: AnyObject] = [:]

    init() {}

    /// The sequence number of a new chunk (called by whoever makes the stream's chunks, in order).
    func issue() -> Int {
        condition.lock(); defer { condition.unlock() }
        defer { issued += 1 }
        return issued
    }

    /// Waits until the chunks before `sequence` are done.
    func wait(for sequence: Int) {
        condition.lock()
        while next < sequence { condition.wait() }
        condition.unlock()
    }

    /// Marks chunk `sequence` done and wakes the worker holding the next.
    func done(_ sequence: Int) {
        condition.lock()
        next = max(next, sequence + 1)
        condition.broadcast()
        condition.unlock()
    }

    /// The stream's own companion of `owner`, made on first use; released with the stream.
    public func companion<T: AnyObject>(for owner: AnyObject, make: () -> T) -> T {
        condition.lock(); defer { condition.unlock() }
        if let c = companions[ObjectIdentifier(owner)] as? T { return c }
        let c = make()
        companions[ObjectIdentifier(owner)] = c
        return c
    }
}
