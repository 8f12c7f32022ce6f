import SpoorKit

/// A window's lists — its distinct accounts and sources (hash and bytes) and its evidence
/// ids — in one block of memory. Most windows close after a few events: their lists cost
/// one allocation, where an array for each cost four allocations and four releases.
///
/// Not copied: the correlator holds each window once, changes it in place and calls `free`
/// when it drops it (a copy would free the block twice).
struct WindowLists {
    /// One list entry: the value's hash, and where its bytes are in the block's text.
    struct Entry {
        var hash: UInt64
        var start: Int32
        var count: Int32
    }

    /// Accounts, then sources, then evidence ids, then the text.
    private var block: UnsafeMutableRawPointer?
    private(set) var accountCount: Int32 = 0
    private(set) var sourceCount: Int32 = 0
    private(set) var evidenceCount: Int32 = 0
    private var textCount: Int32 = 0
    private var accountCapacity: Int32 = 0
    private var sourceCapacity: Int32 = 0
    private var evidenceCapacity: Int32 = 0
    private var textCapacity: Int32 = 0

    init() {}

    private static let entrySize = MemoryLayout<Entry>.stride
    private static let idSize = MemoryLayout<EvidenceID>.stride
    private var sourceStart: Int { Int(accountCapacity) * Self.entrySize }
    private var evidenceStart: Int { Int(accountCapacity + sourceCapacity) * Self.entrySize }
    private var textStart: Int { evidenceStart + Int(evidenceCapacity) * Self.idSize }

    @inline(__always)
    private func entries(at offset: Int, _ count: Int32) -> UnsafeBufferPointer<Entry> {
        guard let block else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: (block + offset).assumingMemoryBound(to: Entry.self), count: Int(count))
    }

    var accounts: UnsafeBufferPointer<Entry> { entries(at: 0, accountCount) }
    var sources: UnsafeBufferPointer<Entry> { entries(at: sourceStart, sourceCount) }
    var evidence: UnsafeBufferPointer<EvidenceID> {
        guard let block else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: (block + evidenceStart).assumingMemoryBound(to: EvidenceID.self), count: Int(evidenceCount))
    }

    /// An entry's bytes as text.
    func string(_ e: Entry) -> String {
        String(decoding: UnsafeRawBufferPointer(start: block! + textStart + Int(e.start), count: Int(e.count)), as: UTF8.self)
    }

    func hasAccount(_ hash: UInt64) -> Bool { accounts.contains { $0.hash == hash } }
    func hasSource(_ hash: UInt64) -> Bool { sources.contains { $0.hash == hash } }

    mutating func addAccount(_ hash: UInt64, _ bytes: Bytes) {
        if accountCount == accountCapacity || textCount + Int32(bytes.count) > textCapacity {
            grow(accounts: accountCount == accountCapacity, text: bytes.count)
        }
        let e = Entry(hash: hash, start: textCount, count: Int32(bytes.count))
        (block! + Int(accountCount) * Self.entrySize).storeBytes(of: e, as: Entry.self)
        accountCount += 1
        appendText(bytes)
    }

    mutating func addSource(_ hash: UInt64, _ bytes: Bytes) {
        if sourceCount == sourceCapacity || textCount + Int32(bytes.count) > textCapacity {
            grow(sources: sourceCount == sourceCapacity, text: bytes.count)
        }
        let e = Entry(hash: hash, start: textCount, count: Int32(bytes.count))
        (block! + sourceStart + Int(sourceCount) * Self.entrySize).storeBytes(of: e, as: Entry.self)
        sourceCount += 1
        appendText(bytes)
    }

    mutating func addEvidence(_ id: EvidenceID) {
        if evidenceCount == evidenceCapacity { grow(evidence: true) }
        (block! + evidenceStart + Int(evidenceCount) * Self.idSize).storeBytes(of: id, as: EvidenceID.self)
        evidenceCount += 1
    }

    private mutating func appendText(_ bytes: Bytes) {
        if let from = bytes.baseAddress, bytes.count > 0 {
            (block! + textStart + Int(textCount)).copyMemory(from: from, byteCount: bytes.count)
        }
        textCount += Int32(bytes.count)
    }

    /// A larger block: the full list (or the text) twice as large, everything copied over.
    private mutating func grow(accounts: Bool = false, sources: Bool = false, evidence: Bool = false, text: Int = 0) {
        func twice(_ n: Int32, _ first: Int32) -> Int32 { n == 0 ? first : n * 2 }
        let a = accounts ? twice(accountCapacity, 2) : max(accountCapacity, 2)
        let s = sources ? twice(sourceCapacity, 2) : max(sourceCapacity, 2)
        let e = evidence ? twice(evidenceCapacity, 4) : max(evidenceCapacity, 4)
        var t = max(textCapacity, 64)
        while t < textCount + Int32(text) { t *= 2 }
        let (es, ids) = (Self.entrySize, Self.idSize)
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: Int(a + s) * es + Int(e) * ids + Int(t),
                                                     alignment: max(MemoryLayout<Entry>.alignment, MemoryLayout<EvidenceID>.alignment))
        if let old = block {
            fresh.copyMemory(from: old, byteCount: Int(accountCount) * es)
            (fresh + Int(a) * es).copyMemory(from: old + sourceStart, byteCount: Int(sourceCount) * es)
            (fresh + Int(a + s) * es).copyMemory(from: old + evidenceStart, byteCount: Int(evidenceCount) * ids)
            (fresh + Int(a + s) * es + Int(e) * ids).copyMemory(from: old + textStart, byteCount: Int(textCount))
            old.deallocate()
        }
        block = fresh
        (accountCapacity, sourceCapacity, evidenceCapacity, textCapacity) = (a, s, e, t)
    }

    /// Gives the block back; the lists are empty after.
    mutating func free() {
        block?.deallocate()
        self = WindowLists()
    }
}
