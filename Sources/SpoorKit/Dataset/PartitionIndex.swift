/// The partition of each event of a batch, as an index in order of first appearance: how
/// both dataset sinks split a batch.
///
/// Building an event's signature and comparing it with each partition's cost more than the
/// rest of the grouping, and events of different partitions alternate (consecutive lines
/// come from different programs). So each event is first looked up by where its partition
/// values are: a field's slot kind, value (a pointer or an arena offset) and length, or a
/// time key's number. Equal places hold equal bytes within a batch (values are constants,
/// pieces of records, or arena bytes written once), so a hit is the partition itself; a
/// miss builds the signature, and its place is remembered for the events after it.
public struct PartitionIndex {
    public let partitioning: Partitioning
    /// Each partition's signature (`Partitioning.signature`), by index.
    public private(set) var signatures: [[UInt8]] = []
    private var signature: [UInt8] = []
    /// Open addressing: places (two words per key, up to two keys) → partition index + 1
    /// (0: empty). Few partitions per batch and few places each (constants, mostly).
    private var places: [Place]
    private var used = 0
    private let quick: Bool

    private struct Place: Equatable {
        var a0: UInt64 = 0, a1: UInt64 = 0, b0: UInt64 = 0, b1: UInt64 = 0
        var index: Int32 = 0

        static func == (x: Place, y: Place) -> Bool { x.a0 == y.a0 && x.a1 == y.a1 && x.b0 == y.b0 && x.b1 == y.b1 }
    }

    private static let capacity = 128

    public init(_ partitioning: Partitioning) {
        self.partitioning = partitioning
        quick = partitioning.keys.count <= 2
        places = Array(repeating: Place(), count: Self.capacity)
    }

    /// Forgets the batch (arena offsets mean other bytes in the next one).
    public mutating func reset() {
        signatures.removeAll(keepingCapacity: true)
        if used > 0 {
            for i in places.indices { places[i].index = 0 }
            used = 0
        }
    }

    /// The index of `event`'s partition; a partition not seen yet in the batch gets the next.
    @inline(__always)
    public mutating func index(of event: EventHeader, _ reader: BatchReader) -> Int {
        guard quick else { return indexBySignature(event, reader) }
        var key = Place()
        let keys = partitioning.keys
        (key.a0, key.a1) = place(keys[0], event, reader)
        if keys.count > 1 { (key.b0, key.b1) = place(keys[1], event, reader) }
        let mask = Self.capacity - 1
        var slot = Int(truncatingIfNeeded: Hash.mix(key.a0 ^ key.a1 &* 0x9E37_79B9_7F4A_7C15 ^ key.b0 &* 0xC2B2_AE3D_27D4_EB4F ^ key.b1)) & mask
        while places[slot].index != 0 {
            if places[slot] == key { return Int(places[slot].index) - 1 }
            slot = (slot + 1) & mask
        }
        let index = indexBySignature(event, reader)
        // Three quarters full at most, so that a lookup ends at an empty slot soon.
        if used < Self.capacity * 3 / 4 {
            key.index = Int32(index + 1)
            places[slot] = key
            used += 1
        }
        return index
    }

    /// Where a key's value is: (kind and value or number, length).
    @inline(__always)
    private func place(_ key: Partitioning.Key, _ event: EventHeader, _ reader: BatchReader) -> (UInt64, UInt64) {
        switch key {
        case .date, .month: return (1, UInt64(bitPattern: CivilTime.day(ofMicros: event.timestamp)))
        case .hour:
            let hour = event.timestamp >= 0 ? event.timestamp / 3_600_000_000 : (event.timestamp - 3_599_999_999) / 3_600_000_000
            return (2, UInt64(bitPattern: hour))
        case .field(let field):
            guard let slot = Partitioning.slot(field, of: event, reader) else { return (3, 0) }
            return (UInt64(4 + slot.kind.rawValue) << 32 | UInt64(slot.length), UInt64(bitPattern: slot.value))
        }
    }

    private mutating func indexBySignature(_ event: EventHeader, _ reader: BatchReader) -> Int {
        partitioning.signature(of: event, reader, into: &signature)
        if let i = signatures.firstIndex(of: signature) { return i }
        signatures.append(signature)
        return signatures.count - 1
    }
}
