/// A batch's slots or its arena: appended to by the worker that parses the chunk, read
/// through `BatchReader` and the builder. An array's append checks that its storage is not
/// shared, a call into the runtime for every value a parser sets; a batch's storage is never
/// shared while it grows (see `EventBatch`), so this one only stores and counts. For plain
/// values only (slots, bytes): it never deinitializes them.
@usableFromInline
final class BatchStorage<Element> {
    @usableFromInline private(set) var base: UnsafeMutablePointer<Element>
    @usableFromInline private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    @usableFromInline
    subscript(i: Int) -> Element {
        @inline(__always) get { base[i] }
        @inline(__always) set { base[i] = newValue }
    }

    /// The values, valid until the next append.
    var buffer: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }

    @inline(__always)
    func append(_ value: Element) {
        if count == capacity { grow(to: count + 1) }
        (base + count).initialize(to: value)
        count += 1
    }

    /// Forgets the values from `index` on.
    func truncate(to index: Int) { count = min(count, max(0, index)) }

    func removeAll() { count = 0 }

    @inline(__always)
    func reserve(_ n: Int) {
        if count + n > capacity { grow(to: count + n) }
    }

    @inline(never)
    private func grow(to minimum: Int) {
        let grown = max(minimum, capacity * 2)
        let moved = UnsafeMutablePointer<Element>.allocate(capacity: grown)
        moved.moveInitialize(from: base, count: count)
        base.deallocate()
        base = moved
        capacity = grown
    }
}

extension BatchStorage where Element == UInt8 {
    /// The bytes, valid until the next append.
    @usableFromInline
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    @inline(__always)
    func append(_ bytes: UnsafeRawBufferPointer) {
        guard let from = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        UnsafeMutableRawPointer(base + count).copyMemory(from: from, byteCount: bytes.count)
        count += bytes.count
    }
}
