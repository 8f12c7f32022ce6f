import SpoorKit

/// The keys behaviour rules group and count by, as the worker hashes them: plain numbers in
/// flat buffers, so that the per-event path copies no `KeyRef` (whose names are Strings).
final class KeyPlan: @unchecked Sendable {
    /// 0 the account, 1 a column's value, 2 a column's network of `bits` bits, 3 none.
    struct Spec {
        var kind: UInt8
        var column: Int32
        var bits: Int32
    }

    /// Per rule, its group-by parts: `parts[start[r]..<start[r + 1]]`; and its counted key.
    private let parts: UnsafeMutableBufferPointer<Spec>
    private let start: UnsafeMutableBufferPointer<Int32>
    private let value: UnsafeMutableBufferPointer<Spec>

    init(groupParts: [[(label: String, key: KeyRef, column: Int)]], valueKeys: [KeyRef?], valueColumns: [Int]) {
        func spec(_ key: KeyRef?, _ column: Int) -> Spec {
            switch key {
            case .account: Spec(kind: 0, column: -1, bits: 0)
            case .field: Spec(kind: column >= 0 ? 1 : 3, column: Int32(column), bits: 0)
            case .prefix(_, let bits): Spec(kind: column >= 0 ? 2 : 3, column: Int32(column), bits: Int32(bits))
            case nil: Spec(kind: 3, column: -1, bits: 0)
            }
        }
        let flat = groupParts.flatMap { $0.map { spec($0.key, $0.column) } }
        parts = .allocate(capacity: max(1, flat.count))
        _ = parts.initialize(from: flat)
        start = .allocate(capacity: groupParts.count + 1)
        var n: Int32 = 0
        for (r, p) in groupParts.enumerated() { start[r] = n; n += Int32(p.count) }
        start[groupParts.count] = n
        value = .allocate(capacity: max(1, valueKeys.count))
        for (r, k) in valueKeys.enumerated() { value[r] = spec(k, valueColumns[r]) }
    }

    deinit {
        parts.deallocate()
        start.deallocate()
        value.deallocate()
    }

    /// The hash of rule `rule`'s group key for the fact; 0 when the event lacks a part.
    @inline(__always)
    func groupHash(_ rule: Int, _ fact: EventFact, _ columns: UnsafeBufferPointer<ColumnValue>, _ arena: SignalArena) -> UInt64 {
        var h: UInt64 = 0x5370_6f6f_7247_726f
        for i in Int(start[rule])..<Int(start[rule + 1]) {
            let k = hash(parts[i], fact, columns, arena)
            guard k != 0 else { return 0 }
            h = Hash.mix(h ^ k)
        }
        return h | 1
    }

    /// The hash of the value rule `rule` counts (value_count); 0: none.
    @inline(__always)
    func valueHash(_ rule: Int, _ fact: EventFact, _ columns: UnsafeBufferPointer<ColumnValue>, _ arena: SignalArena) -> UInt64 {
        let spec = value[rule]
        return spec.kind == 3 ? 0 : hash(spec, fact, columns, arena)
    }

    /// The hash of one key's value (never 0); 0 when absent or empty.
    @inline(__always)
    private func hash(_ spec: Spec, _ fact: EventFact, _ columns: UnsafeBufferPointer<ColumnValue>, _ arena: SignalArena) -> UInt64 {
        switch spec.kind {
        case 0: return fact.account.count > 0 ? fact.accountHash | 1 : 0
        case 1:
            let v = columns[Int(fact.columns) + Int(spec.column)]
            return v.bytes.count > 0 ? v.hash | 1 : 0
        case 2:
            let v = columns[Int(fact.columns) + Int(spec.column)]
            guard v.bytes.count > 0 else { return 0 }
            var address = (UInt64(0), UInt64(0))
            guard CIDRTrie.parse(arena.bytes(v.bytes), into: &address) else { return 0 }
            let (hi, lo) = BehaviourEngine.masked(address, bits: Int(spec.bits))
            return Hash.mix(Hash.mix(hi ^ UInt64(spec.bits)) ^ lo) | 1
        default: return 0
        }
    }
}
