import SpoorKit

/// The Sigma detection rules as the attribution stage runs them on every event.
///
/// Each distinct field test is evaluated at most once per event, the tests of one field
/// together so that its value is read once; the results form a bit vector. Cheap fields are
/// read first, the others only when a rule their tests could change is still undecided.
/// What the rules make of a vector — which rules match, the `labels.rules` text, the
/// technique, the actor a rule names, the behaviour rules fed — is worked out the first time
/// a worker meets that vector and looked up after (`DetectionState`). Events fall into few
/// distinct vectors, so the cost per event is its tests and one lookup, however many rules
/// share them.
final class DetectionPlan: @unchecked Sendable {
    /// What the rules decided for one vector of test results.
    struct Outcome {
        /// The matching rules (indices of `RuleSet.selections`), in file order.
        var rules: [Int32] = []
        /// Their ids joined by commas: the `labels.rules` value.
        var label: [UInt8] = []
        /// The first matching rule's ATT&CK technique (bytes the rules keep alive).
        var technique: UnsafeRawBufferPointer?
        /// The first matching rule that names an actor (-1: none).
        var actorRule: Int32 = -1
        /// The behaviour rules the event feeds, with the references it matched as bits.
        var hits: [(rule: Int32, steps: UInt32)] = []
    }

    let selections: [SelectionRule]
    let testCount: Int
    let words: Int
    /// The tests, borrowed (the rule set keeps them alive): the per-event loop retains nothing.
    let tests: UnsafeMutableBufferPointer<Unmanaged<FieldTest>>
    /// Tests grouped by what they read, `groupStart[g]..<groupStart[g + 1]` of `groupTests`:
    /// kind 0 a string field, 1 a number field, 2 anything else (lists, labels), per test.
    private let groupField: UnsafeMutableBufferPointer<Field>
    private let groupKind: UnsafeMutableBufferPointer<UInt8>
    /// A string or number group's results when its field is absent (`field: null`,
    /// `|exists: false`), decided once.
    private let absent: UnsafeMutableBufferPointer<UInt64>
    private let groupStart: UnsafeMutableBufferPointer<Int32>
    private let groupTests: UnsafeMutableBufferPointer<Int32>
    let groupCount: Int
    /// Per rule, the number of its shape: rules of equal shape match alike.
    private let shapeOf: [Int]
    private let shapeCount: Int
    /// Per selection rule, the behaviour rules that refer to it and as which reference.
    private let interest: [[(rule: Int32, reference: Int32)]]
    private let correlationCount: Int

    /// Groups `0..<earlyGroups` are read first, and their tests are bits `0..<earlyBits`;
    /// the later groups are read only when a rule their results could change is still open
    /// (`DetectionState.lateGroups`).
    let earlyGroups: Int
    let earlyBits: Int
    /// Words of a mask of late groups (bit `g - earlyGroups`).
    let lateWords: Int
    /// Per selection rule, the late groups it reads.
    private let lateGroupsOf: [[Int32]]

    /// Per group, the entries of its memo (`ValueMemo`): a recurring field has few values;
    /// a later one (an address, an account) has thousands, and a miss costs its tests (a
    /// CIDR lookup, a regex).
    var memoWays: [Int] { (0..<max(1, groupCount)).map { $0 < earlyGroups ? 32 : Self.lateMemoWays } }
    static let lateMemoWays = 4096

    /// Whether a group is read before the others: numbers (one compare), and strings of
    /// fields whose values recur (`ColumnSpec.recurs`: a vocabulary such as `event.outcome`,
    /// a program, a host), which the memo answers in one compare. What they say often
    /// decides every rule (a Sigma `filter` on `event.outcome: success`), and then addresses,
    /// accounts and the raw record are not read at all.
    static func isEarly(_ field: Field, kind: UInt8) -> Bool {
        kind == 1 || (kind == 0 && field.spec.recurs)
    }

    init(rules: RuleSet) {
        selections = rules.selections
        testCount = rules.fieldTests.count
        words = max(1, (testCount + 63) / 64)
        tests = .allocate(capacity: max(1, testCount))
        for (i, t) in rules.fieldTests.enumerated() { tests[i] = Unmanaged.passUnretained(t) }
        var order: [(key: String, field: Field, kind: UInt8, tests: [Int32])] = []
        for (i, t) in rules.fieldTests.enumerated() {
            let kind: UInt8 = t.readsString ? 0 : t.readsNumber ? 1 : 2
            let key = kind == 2 ? "#\(i)" : "\(kind)/\(t.column.rawValue)"
            if let g = order.firstIndex(where: { $0.key == key && $0.tests.count < 64 }) { order[g].tests.append(Int32(i)) } else {
                order.append((key, t.column, kind, [Int32(i)]))
            }
        }
        // The cheap groups first (see `isEarly`), so that their results are the vector's first bits.
        let early = order.filter { Self.isEarly($0.field, kind: $0.kind) }
        order = early + order.filter { !Self.isEarly($0.field, kind: $0.kind) }
        earlyGroups = early.count
        earlyBits = early.reduce(0) { $0 + $1.tests.count }
        groupCount = order.count
        groupField = .allocate(capacity: max(1, order.count))
        groupKind = .allocate(capacity: max(1, order.count))
        groupStart = .allocate(capacity: order.count + 1)
        groupTests = .allocate(capacity: max(1, testCount))
        var n: Int32 = 0
        for (g, group) in order.enumerated() {
            groupField[g] = group.field
            groupKind[g] = group.kind
            groupStart[g] = n
            for t in group.tests { groupTests[Int(n)] = t; n += 1 }
        }
        groupStart[order.count] = n
        absent = .allocate(capacity: max(1, order.count))
        let scratch = MatchScratch()
        for (g, group) in order.enumerated() {
            var bits: UInt64 = 0
            for (k, t) in group.tests.enumerated() {
                let test = rules.fieldTests[Int(t)]
                if group.kind == 0 ? test.matches(value: nil, scratch) : test.matches(number: nil) { bits |= 1 << UInt64(k) }
            }
            absent[g] = bits
        }
        shapeOf = rules.shapeOf
        shapeCount = rules.distinctShapes
        var position = [Int32](repeating: 0, count: testCount)
        for k in 0..<testCount { position[Int(groupTests[k])] = Int32(k) }
        var groupOfBit = [Int32](repeating: 0, count: testCount)
        for g in 0..<order.count { for k in Int(groupStart[g])..<Int(groupStart[g + 1]) { groupOfBit[k] = Int32(g) } }
        // Per rule, the late groups its tests read (rules of one shape read the same).
        lateGroupsOf = rules.selections.map { rule in
            var groups: [Int32] = []
            rule.forEachTest { t in
                let g = groupOfBit[Int(position[t])]
                if Int(g) >= early.count, !groups.contains(g) { groups.append(g) }
            }
            return groups
        }
        lateWords = max(1, (order.count - early.count + 63) / 64)
        var interest = [[(rule: Int32, reference: Int32)]](repeating: [], count: rules.selections.count)
        for (i, r) in rules.correlations.enumerated() {
            for (j, s) in r.referenced.enumerated() { interest[s].append((Int32(i), Int32(j))) }
        }
        self.interest = interest
        correlationCount = rules.correlations.count
    }

    deinit {
        tests.deallocate()
        groupField.deallocate()
        groupKind.deallocate()
        absent.deallocate()
        groupStart.deallocate()
        groupTests.deallocate()
    }

    /// Evaluates every test on the open event into `bits` (`words` words): bit `k` is the
    /// result of test `groupTests[k]`, so that the tests of one field are adjacent bits.
    ///
    /// A string field's results are remembered per worker for its last few short values
    /// (`memo`): a host, a program, a user, an address or a vocabulary word recurs from event
    /// to event, and one compare of at most sixteen bytes then stands for all its tests (a
    /// regex, a CIDR lookup). Values are compared whole, so a remembered result is exact.
    ///
    /// Tests of late groups that `state` finds no open rule needs are not evaluated: their
    /// bits stay 0, which changes no rule's result (each rule is decided without them), so
    /// the vector still maps to the right outcome.
    @inline(__always)
    func evaluate(_ e: EventBuilder, _ scratch: MatchScratch, into bits: UnsafeMutablePointer<UInt64>, memo: ValueMemo,
                  state: DetectionState) {
        for w in 0..<words { bits[w] = 0 }
        for g in 0..<earlyGroups { evaluate(group: g, e, scratch, into: bits, memo: memo) }
        guard earlyGroups < groupCount else { return }
        let late = state.lateGroups(bits)
        for w in 0..<lateWords {
            var m = late[w]
            while m != 0 {
                evaluate(group: earlyGroups + w * 64 + m.trailingZeroBitCount, e, scratch, into: bits, memo: memo)
                m &= m - 1
            }
        }
    }

    @inline(__always)
    private func evaluate(group g: Int, _ e: EventBuilder, _ scratch: MatchScratch, into bits: UnsafeMutablePointer<UInt64>,
                          memo: ValueMemo) {
        let start = Int(groupStart[g]), end = Int(groupStart[g + 1])
        var local: UInt64 = 0
        switch groupKind[g] {
        case 0:
            guard let v = e.value(of: groupField[g]) else { local = absent[g]; break }
            let probe = memo.probe(group: g, v)
            if let probe, let known = memo.remembered(probe) { local = known } else {
                for k in start..<end where tests[Int(groupTests[k])]._withUnsafeGuaranteedRef({ $0.matches(value: v, scratch) }) {
                    local |= 1 << UInt64(k - start)
                }
                if let probe { memo.store(probe, local) }
            }
        case 1:
            guard let v = e.number(of: groupField[g]) else { local = absent[g]; break }
            for k in start..<end where tests[Int(groupTests[k])]._withUnsafeGuaranteedRef({ $0.matches(number: v) }) {
                local |= 1 << UInt64(k - start)
            }
        default:
            for k in start..<end where tests[Int(groupTests[k])]._withUnsafeGuaranteedRef({ $0.matches(e, scratch) }) {
                local |= 1 << UInt64(k - start)
            }
        }
        guard local != 0 else { return }
        // The group's bits at positions start..<end (a group holds at most 64 tests).
        bits[start >> 6] |= local << UInt64(start & 63)
        if (start & 63) + (end - start) > 64 { bits[(start >> 6) + 1] |= local >> UInt64(64 - (start & 63)) }
    }

    /// The late groups some rule still needs after the early groups gave `bits` (the slow
    /// path: once per distinct early result and worker), into `mask` (`lateWords` words).
    /// `results` and `shapes` are scratch of `testCount` and `shapeCount`.
    func lateGroups(after bits: UnsafePointer<UInt64>, into mask: UnsafeMutablePointer<UInt64>,
                    results: UnsafeMutablePointer<Int8>, shapes: UnsafeMutablePointer<Int8>) {
        for k in 0..<testCount {
            results[Int(groupTests[k])] = k >= earlyBits ? -1 : bits[k >> 6] >> UInt64(k & 63) & 1 == 1 ? 1 : 0
        }
        for w in 0..<lateWords { mask[w] = 0 }
        for s in 0..<shapeCount { shapes[s] = 0 }
        for (i, rule) in selections.enumerated() where shapes[shapeOf[i]] == 0 {
            shapes[shapeOf[i]] = 1
            guard rule.decides(results: results) < 0 else { continue }
            for g in lateGroupsOf[i] {
                let late = Int(g) - earlyGroups
                mask[late >> 6] |= 1 << UInt64(late & 63)
            }
        }
    }

    /// What the rules make of one vector of test results (the slow path: once per vector
    /// and worker). `results` and `shapes` are scratch of `testCount` and `shapeCount`.
    func outcome(_ bits: UnsafePointer<UInt64>, results: UnsafeMutablePointer<Int8>, shapes: UnsafeMutablePointer<Int8>) -> Outcome {
        for k in 0..<testCount { results[Int(groupTests[k])] = bits[k >> 6] >> UInt64(k & 63) & 1 == 1 ? 1 : 0 }
        for s in 0..<shapeCount { shapes[s] = -1 }
        var o = Outcome()
        var steps = [UInt32](repeating: 0, count: correlationCount)
        var touched: [Int32] = []
        for (i, rule) in selections.enumerated() {
            let p = shapeOf[i]
            if shapes[p] < 0 {
                shapes[p] = rule.matches(results: results) ? 1 : 0
            }
            guard shapes[p] == 1 else { continue }
            o.rules.append(Int32(i))
            if !o.label.isEmpty { o.label.append(0x2C) }
            o.label += rule.idBytes
            if o.technique == nil, let t = rule.techniqueBytes { o.technique = t.bytes }
            if o.actorRule < 0, rule.actor != nil { o.actorRule = Int32(i) }
            for (r, reference) in interest[i] {
                if steps[Int(r)] == 0 { touched.append(r) }
                steps[Int(r)] |= 1 << UInt32(reference)
            }
        }
        o.hits = touched.map { ($0, steps[Int($0)]) }
        return o
    }
}

/// One worker's side of the detection rules (in `IndicatorAttributor.WorkerState`): the outcomes it has
/// worked out, a table from test vectors to them, and the outcome of each event of the
/// current chunk (by the index the event gets in the batch), which the behaviour rules read
/// after the chunk.
final class DetectionState {
    let plan: DetectionPlan
    /// The outcomes worked out so far (`Decided`s, back to back), by number, as the
    /// per-event path reads them.
    private var outcomes = ByteBuffer(capacity: 64 * MemoryLayout<Decided>.stride)
    private(set) var outcomeCount = 0

    /// An outcome (`DetectionPlan.Outcome`) in memory this state owns, as plain pointers:
    /// reading one per event retains and releases nothing (its arrays did, twice an event).
    struct Decided {
        var rules: UnsafeBufferPointer<Int32>
        /// The `labels` entry: the key `rules` and then the matching rules' ids, side by
        /// side, so that an event takes it in one copy (`EventBuilder.label(entry:keyLength:)`).
        var labelEntry: UnsafeRawBufferPointer
        static let labelKey: StaticString = "rules"
        var technique: UnsafeRawBufferPointer?
        var actorRule: Int32
        var hits: UnsafeBufferPointer<(rule: Int32, steps: UInt32)>
        /// The one allocation holding `rules`, `hits` and `labelEntry`.
        let block: UnsafeMutableRawPointer

        init(_ o: DetectionPlan.Outcome) {
            typealias Hit = (rule: Int32, steps: UInt32)
            let hitsAt = o.rules.count * MemoryLayout<Int32>.stride
            let labelAt = hitsAt + o.hits.count * MemoryLayout<Hit>.stride
            let key = Self.labelKey.utf8CodeUnitCount
            let b = UnsafeMutableRawPointer.allocate(byteCount: labelAt + key + o.label.count, alignment: MemoryLayout<Hit>.alignment)
            let r = b.bindMemory(to: Int32.self, capacity: o.rules.count)
            r.initialize(from: o.rules, count: o.rules.count)
            let h = (b + hitsAt).bindMemory(to: Hit.self, capacity: o.hits.count)
            h.initialize(from: o.hits, count: o.hits.count)
            (b + labelAt).copyMemory(from: Self.labelKey.utf8Start, byteCount: key)
            o.label.withUnsafeBytes { if let from = $0.baseAddress { (b + labelAt + key).copyMemory(from: from, byteCount: $0.count) } }
            block = b
            rules = UnsafeBufferPointer(start: r, count: o.rules.count)
            hits = UnsafeBufferPointer(start: h, count: o.hits.count)
            labelEntry = UnsafeRawBufferPointer(start: b + labelAt, count: key + o.label.count)
            technique = o.technique
            actorRule = o.actorRule
        }
    }

    /// Outcome `n` (of `classify`), valid until the table is emptied at a chunk's start.
    @inline(__always)
    func outcome(_ n: Int) -> UnsafePointer<Decided> {
        UnsafeRawPointer(outcomes.start + n * MemoryLayout<Decided>.stride).assumingMemoryBound(to: Decided.self)
    }
    /// The current event's test vector, and scratch for working out an outcome.
    let bits: UnsafeMutablePointer<UInt64>
    private let results: UnsafeMutablePointer<Int8>
    private let shapes: UnsafeMutablePointer<Int8>
    /// Test vectors (`words` words) → outcome numbers. Beyond 4,096 outcomes it keeps no
    /// more, and the outcomes are forgotten at the next chunk (rules that test free-form
    /// values could otherwise make them grow with the input).
    private var known: WordTable
    private static let maxOutcomes = 4096
    /// Per event of the current chunk, its outcome's number.
    private(set) var rows = UnsafeMutablePointer<Int32>.allocate(capacity: 1024)
    private var rowCapacity = 1024
    private(set) var rowCount = 0

    let memo: ValueMemo

    /// From the early groups' results (the vector's first `earlyWords` words) to the late
    /// groups still needed (`plan.lateWords` words), for at most 2,048 early results at a
    /// time; past them, a mask is worked out each time in `spareGate`.
    private let earlyWords: Int
    private var gates: WordTable
    private let spareGate: UnsafeMutablePointer<UInt64>

    init(plan: DetectionPlan) {
        self.plan = plan
        memo = ValueMemo(ways: plan.memoWays)
        bits = .allocate(capacity: plan.words)
        results = .allocate(capacity: max(1, plan.testCount))
        shapes = .allocate(capacity: max(1, plan.selections.count))
        known = WordTable(keyWords: plan.words, valueWords: 1, capacity: 256, maxCapacity: 2 * Self.maxOutcomes)
        earlyWords = max(1, (plan.earlyBits + 63) / 64)
        gates = WordTable(keyWords: earlyWords, valueWords: plan.lateWords, capacity: 64, maxCapacity: 4096)
        spareGate = .allocate(capacity: plan.lateWords)
    }

    deinit {
        clear()
        bits.deallocate()
        results.deallocate()
        shapes.deallocate()
        known.deallocate()
        rows.deallocate()
        gates.deallocate()
        spareGate.deallocate()
    }

    /// The late groups to evaluate after the early ones gave `bits` (whose later words are
    /// still 0), worked out once per distinct early result.
    @inline(__always)
    func lateGroups(_ bits: UnsafePointer<UInt64>) -> UnsafePointer<UInt64> {
        let hash = WordTable.hash(bits, words: earlyWords)
        if let mask = gates.find(bits, hash: hash) { return UnsafePointer(mask) }
        // Past the table's room, worked out each time (the table is emptied at the next chunk).
        let mask = gates.insert(bits, hash: hash) ?? spareGate
        plan.lateGroups(after: bits, into: mask, results: results, shapes: shapes)
        return UnsafePointer(mask)
    }

    /// Evaluates the open event (index `index` in the batch) and returns its outcome's number.
    @inline(__always)
    func classify(_ e: EventBuilder, index: Int, _ scratch: MatchScratch) -> Int {
        if index == 0 && outcomeCount >= Self.maxOutcomes { clear() }
        if index == 0 && gates.isFull { gates.removeAll() }
        plan.evaluate(e, scratch, into: bits, memo: memo, state: self)
        let n = lookup()
        if index >= rowCapacity {
            let grown = UnsafeMutablePointer<Int32>.allocate(capacity: max(index + 1, rowCapacity * 2))
            grown.update(from: rows, count: rowCapacity)
            rows.deallocate()
            rows = grown
            rowCapacity = max(index + 1, rowCapacity * 2)
        }
        rows[index] = Int32(n)
        rowCount = index + 1
        return n
    }

    @inline(__always)
    private func lookup() -> Int {
        let hash = WordTable.hash(bits, words: plan.words)
        if let n = known.find(bits, hash: hash) { return Int(n.pointee) }
        let stride = MemoryLayout<Decided>.stride
        outcomes.reserve(stride)
        outcomes.end.initializeMemory(as: Decided.self, to: Decided(plan.outcome(bits, results: results, shapes: shapes)))
        outcomes.advance(stride)
        outcomeCount += 1
        // Past the table's room, outcomes are still made but not kept.
        known.insert(bits, hash: hash)?.pointee = UInt64(outcomeCount - 1)
        return outcomeCount - 1
    }

    private func clear() {
        for i in 0..<outcomeCount { outcome(i).pointee.block.deallocate() }
        outcomes.removeAll()
        outcomeCount = 0
        known.removeAll()
    }
}
