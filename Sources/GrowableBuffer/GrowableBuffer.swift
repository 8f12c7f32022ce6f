#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable run of plain values with one owner: a batch's slots and arena, a Parquet
/// page's levels, values and indices, and (as SpoorKit's `ByteBuffer`) every encoder's
/// output. These take one append per value, and an array's append checks that its storage
/// is not shared, a call into the runtime each time; this one stores and counts. For plain
/// values only (numbers, bytes, slots): it never deinitializes them, and grows with
/// `realloc`, which extends a large block in place or remaps it instead of copying.
public struct GrowableBuffer<Element>: ~Copyable {
    @usableFromInline var base: UnsafeMutablePointer<Element>
    @usableFromInline var count_ = 0
    @usableFromInline var capacity: Int

    public init(capacity: Int = 16) {
        precondition(_isPOD(Element.self) && MemoryLayout<Element>.alignment <= 16,
                     "GrowableBuffer holds plain values that malloc aligns")
        self.capacity = max(1, capacity)
        base = malloc(self.capacity * MemoryLayout<Element>.stride)!.bindMemory(to: Element.self, capacity: self.capacity)
    }

    deinit { free(base) }

    @inlinable public var count: Int { count_ }
    @inlinable public var isEmpty: Bool { count_ == 0 }
    @inlinable public var start: UnsafeMutablePointer<Element> { base }

    /// The values, valid until the next append.
    @inlinable public var buffer: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count_) }

    @inlinable
    public subscript(i: Int) -> Element {
        get { base[i] }
        set { base[i] = newValue }
    }

    @inlinable @inline(__always)
    public mutating func append(_ value: Element) {
        if count_ == capacity { grow(to: count_ + 1) }
        (base + count_).initialize(to: value)
        count_ += 1
    }

    @inlinable @inline(__always)
    public mutating func append(repeating value: Element, count n: Int) {
        reserve(n)
        (base + count_).initialize(repeating: value, count: n)
        count_ += n
    }

    /// Forgets the values from `index` on.
    @inlinable
    public mutating func truncate(to index: Int) { count_ = min(count_, max(0, index)) }

    @inlinable
    public mutating func removeAll() { count_ = 0 }

    /// Drops the first `n` values, moving the rest to the front.
    public mutating func removeFirst(_ n: Int) {
        precondition(n >= 0 && n <= count_)
        if n < count_ { memmove(base, base + n, (count_ - n) * MemoryLayout<Element>.stride) }
        count_ -= n
    }

    /// Room for `n` more values.
    @inlinable @inline(__always)
    public mutating func reserve(_ n: Int) {
        if count_ + n > capacity { grow(to: count_ + n) }
    }

    /// Counts `n` values the caller stored past the last one (room already reserved).
    @inlinable @inline(__always)
    public mutating func advance(_ n: Int) { count_ += n }

    @usableFromInline @inline(never)
    mutating func grow(to minimum: Int) {
        let grown = max(minimum, capacity * 2)
        base = realloc(base, grown * MemoryLayout<Element>.stride)!.bindMemory(to: Element.self, capacity: grown)
        capacity = grown
    }
}

extension GrowableBuffer where Element == UInt8 {
    /// The bytes, valid until the next append.
    @inlinable public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count_) }

    /// Where the next byte goes: an encoder reserves room, stores through this, and
    /// `advance`s by what it stored.
    @inlinable public var end: UnsafeMutableRawPointer { UnsafeMutableRawPointer(base + count_) }

    /// A copy of the bytes.
    public var array: [UInt8] { Array(bytes) }

    @inlinable @inline(__always)
    public mutating func append(_ p: UnsafeRawBufferPointer) {
        guard let from = p.baseAddress, p.count > 0 else { return }
        reserve(p.count)
        memcpy(base + count_, from, p.count)
        count_ += p.count
    }

    @inlinable @inline(__always)
    public mutating func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    public mutating func append(_ text: String) {
        var t = text
        t.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// `value` in little-endian byte order.
    @inlinable @inline(__always)
    public mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        let n = MemoryLayout<T>.size
        reserve(n)
        UnsafeMutableRawPointer(base + count_).storeBytes(of: value.littleEndian, as: T.self)
        count_ += n
    }
}
