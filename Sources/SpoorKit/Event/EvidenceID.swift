/// An evidence event's id without a `String`: the pipeline's ids (`<16 hex digits>-<offset>`,
/// see `ChunkWorker`) as two numbers; any other id is kept as text by its holder (a
/// correlator window, the campaign counter), and this holds its index there.
public struct EvidenceID: Sendable, Equatable {
    private var stream: UInt64
    /// The offset; negative: -(index + 1) of the text among its holder's others.
    private var offset: Int64

    /// A pipeline id from its parts (`ParseContext.streamID`, `log.offset`).
    public init(stream: UInt64, offset: Int64) {
        self.stream = stream
        self.offset = offset
    }

    public init(other index: Int) {
        stream = 0
        offset = -Int64(index) - 1
    }

    /// The id's two numbers when it is exactly `<16 lower-case hex>-<decimal>` (so that
    /// `text` gives back the same bytes); nil otherwise.
    /// `last` remembers the previous id's stream part: a chunk's ids share it.
    public init?(compact id: Bytes, last: inout (text: (UInt64, UInt64), value: UInt64)) {
        guard id.count >= 18, id.count <= 36, id[16] == 0x2D else { return nil }
        let head = (id.baseAddress!.loadUnaligned(as: UInt64.self), id.baseAddress!.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        var s: UInt64 = 0
        if head == last.text { s = last.value } else {
            for i in 0..<16 {
                let c = id[i]
                if c &- 0x30 < 10 { s = s << 4 | UInt64(c &- 0x30) } else if c &- 0x61 < 6 { s = s << 4 | UInt64(c &- 0x61 + 10) } else { return nil }
            }
            last = (head, s)
        }
        if id[17] == 0x30 && id.count > 18 { return nil }   // a leading zero would not come back
        var o: Int64 = 0
        for i in 17..<id.count {
            let c = id[i]
            guard c &- 0x30 < 10 else { return nil }
            let (m, overflow) = o.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            o = m + Int64(c &- 0x30)
        }
        stream = s
        offset = o
    }

    public var otherIndex: Int? { offset < 0 ? Int(-offset - 1) : nil }

    public func text(_ others: [String]) -> String {
        if let i = otherIndex { return others[i] }
        // Written back as the pipeline writes ids (`ChunkWorker`), into the string itself: a
        // finding's evidence is up to a hundred of them.
        return String(unsafeUninitializedCapacity: idPrefixLength + 20) { out in
            writeStreamIDPrefix(number: stream, to: out.baseAddress!)
            return idPrefixLength + decimalDigits(UInt64(offset), to: out.baseAddress! + idPrefixLength)
        }
    }
}
