#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable run of plain values with one owner: a page's levels, values and dictionary
/// indices. A page takes one append per value, and an array's append checks that its
/// storage is not shared and calls into the runtime to do so; this one stores and counts.
struct PageBuffer<Element: BitwiseCopyable>: ~Copyable {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 16) {
        self.capacity = max(1, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    var isEmpty: Bool { count == 0 }

    /// The values, valid until the next append.
    var buffer: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }

    @inline(__always)
    mutating func append(_ value: Element) {
        if count == capacity { grow(to: count + 1) }
        (base + count).initialize(to: value)
        count += 1
    }

    @inline(__always)
    mutating func append(repeating value: Element, count n: Int) {
        reserve(n)
        (base + count).initialize(repeating: value, count: n)
        count += n
    }

    /// Forgets the values from `index` on.
    mutating func truncate(to index: Int) { count = min(count, max(0, index)) }

    mutating func removeAll() { count = 0 }

    /// Room for `n` more values.
    @inline(__always)
    mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(to: count + n) }
    }

    @inline(never)
    private mutating func grow(to minimum: Int) {
        let grown = max(minimum, capacity * 2)
        let moved = UnsafeMutablePointer<Element>.allocate(capacity: grown)
        moved.moveInitialize(from: base, count: count)
        base.deallocate()
        base = moved
        capacity = grown
    }
}

extension PageBuffer where Element == UInt8 {
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(buffer) }

    @inline(__always)
    mutating func append(bytes p: UnsafeRawBufferPointer) {
        guard let from = p.baseAddress, p.count > 0 else { return }
        reserve(p.count)
        memcpy(base + count, from, p.count)
        count += p.count
    }

    /// `value` in little-endian byte order.
    @inline(__always)
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        let n = MemoryLayout<T>.size
        reserve(n)
        UnsafeMutableRawPointer(base + count).storeBytes(of: value.littleEndian, as: T.self)
        count += n
    }
}
