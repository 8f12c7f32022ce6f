import Foundation

/// A blocking FIFO with a fixed capacity: `push` waits while it is full. This is how memory
/// stays bounded and how a slow sink slows the readers down (back-pressure).
final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    /// Popped slots are set to nil at once: a queue must not keep a chunk alive.
    private var items: [Element?] = []
    private var head = 0
    private let capacity: Int
    private var closed = false
    private let condition = NSCondition()

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Waits for room; returns false when the queue was closed (the element is dropped:
    /// only done on abort).
    @discardableResult
    func push(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count - head >= capacity && !closed { condition.wait() }
        if closed { return false }
        items.append(element)
        condition.broadcast()
        return true
    }

    /// Waits for an element; nil once the queue is closed and drained.
    func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count && !closed { condition.wait() }
        guard head < items.count else { return nil }
        let element = items[head]
        items[head] = nil
        head += 1
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return element!
    }

    /// No more pushes; poppers drain what is left, then get nil.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
