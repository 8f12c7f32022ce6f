import GrowableBuffer

/// A batch's slots or its arena (a `GrowableBuffer`), held by reference: the batch's copies
/// share it, which its contract allows (see `EventBatch`), and the builder keeps it in a
/// `let`, so that an append neither checks for sharing nor retains anything.
@usableFromInline
final class BatchStorage<Element> {
    @usableFromInline var values: GrowableBuffer<Element>

    init(capacity: Int) { values = GrowableBuffer(capacity: capacity) }

    @inlinable var count: Int { values.count }
    @inlinable var base: UnsafeMutablePointer<Element> { values.start }
    var buffer: UnsafeBufferPointer<Element> { values.buffer }

    @inlinable
    subscript(i: Int) -> Element {
        get { values[i] }
        set { values[i] = newValue }
    }

    @inline(__always) func append(_ value: Element) { values.append(value) }
    func truncate(to index: Int) { values.truncate(to: index) }
    func removeAll() { values.removeAll() }
}

extension BatchStorage where Element == UInt8 {
    @usableFromInline var bytes: UnsafeRawBufferPointer { values.bytes }

    @inline(__always) func append(_ bytes: UnsafeRawBufferPointer) { values.append(bytes) }
}
