import GrowableBuffer
/// One leaf (physical) column of the schema: the levels and values of its current page, its
/// finished pages for the current row group, its dictionary and statistics.
final class LeafWriter {
    let physical: PhysicalType
    let path: [String]
    let maxDefinition: UInt8
    let maxRepetition: UInt8
    private let definitionBits: Int
    private let repetitionBits: Int

    // The current page.
    private var definitions = GrowableBuffer<UInt8>()
    private var repetitions = GrowableBuffer<UInt8>()
    /// PLAIN values (booleans: one byte 0/1 each, packed when the page is written).
    private var values = GrowableBuffer<UInt8>()
    /// Dictionary indices, while the chunk is dictionary-encoded.
    private var indices = GrowableBuffer<UInt32>()
    private var pageRows = 0
    private var lastPageEstimate = 0

    // Dictionary state of the chunk.
    private let dictionaryAllowed: Bool
    private var dictionary = ByteDictionary()
    /// New values go to the dictionary (false: not a BYTE_ARRAY column, or fallen back to PLAIN).
    private(set) var dictionaryActive: Bool
    private var dictionaryPages = 0
    private var plainPages = 0
    private var deltaPages = 0
    /// INT64 pages are DELTA_BINARY_PACKED rather than PLAIN.
    var deltaIntegers = false
    /// BYTE_ARRAY pages without a dictionary are DELTA_BYTE_ARRAY rather than PLAIN.
    var deltaStrings = false
    // The dictionary's entry count and PLAIN size, mirrored here so the per-row checks do not
    // go through the struct (and its arrays).
    private var dictionaryEntries = 0
    /// Values the chunk's dictionary encoded so far.
    private var dictionaryValues = 0
    private var dictionaryBytes = 0
    /// Bits per dictionary index (at least 1).
    private var indexBits = 1

    // Statistics of the chunk.
    private(set) var nullCount = 0
    /// Whether the chunk's int64 values came in ascending order (for `sorting_columns`).
    private(set) var ascending = true
    private var lastInt = Int64.min
    private var hasMinMax = false
    private var minInt: Int64 = 0
    private var maxInt: Int64 = 0
    private var minBytes: [UInt8] = []
    private var maxBytes: [UInt8] = []

    // Finished data pages of the chunk (headers + compressed bodies).
    private(set) var pages: [UInt8] = []
    private(set) var pagesUncompressedSize = 0
    private var chunkLevelCount = 0

    // Where the current row started, to discard a row that turned out invalid.
    private var rowStartLevels = 0
    private var rowStartValues = 0
    private var rowStartIndices = 0
    private var rowStartNulls = 0

    /// String min/max longer than this are shortened (see `ParquetOptions.maxStatisticsBytes`).
    private let statisticsLimit: Int

    /// Whether BYTE_ARRAY values are tracked for min/max statistics.
    private let minMax: Bool

    init(physical: PhysicalType, path: [String], maxDefinition: UInt8, maxRepetition: UInt8, statisticsLimit: Int,
         dictionary: Bool = true, minMax: Bool = true) {
        self.physical = physical
        self.minMax = minMax
        self.statisticsLimit = statisticsLimit
        self.path = path
        self.maxDefinition = maxDefinition
        self.maxRepetition = maxRepetition
        definitionBits = bitsNeeded(Int(maxDefinition))
        repetitionBits = bitsNeeded(Int(maxRepetition))
        dictionaryAllowed = physical == .byteArray && dictionary
        dictionaryActive = dictionaryAllowed
    }

    // MARK: appending (the hot path)

    /// A level entry without a value: a null (any level above 0 means an empty list or map).
    @inline(__always)
    func appendAbsent(definition: UInt8 = 0, repetition: UInt8 = 0) {
        definitions.append(definition)
        if maxRepetition > 0 { repetitions.append(repetition) }
        nullCount += 1
    }

    /// `count` nulls at once (null values, or null lists/maps), for column-wise appends.
    @inline(__always)
    func appendNulls(_ count: Int) {
        guard count > 0 else { return }
        definitions.append(repeating: 0, count: count)
        if maxRepetition > 0 { repetitions.append(repeating: 0, count: count) }
        nullCount += count
    }

    @inline(__always)
    func appendInt64(_ v: Int64) {
        if v < lastInt { ascending = false }
        lastInt = v
        definitions.append(maxDefinition)
        values.appendLE(v)
        noteInt(v)
    }

    @inline(__always)
    func appendInt32(_ v: Int32) {
        definitions.append(maxDefinition)
        values.appendLE(v)
        noteInt(Int64(v))
    }

    @inline(__always)
    func appendBool(_ v: Bool) {
        definitions.append(maxDefinition)
        values.append(v ? 1 : 0)
        noteInt(v ? 1 : 0)
    }

    /// Returns the value's dictionary index while the chunk is dictionary-encoded.
    @inline(__always) @discardableResult
    func appendBytes(_ p: UnsafeRawBufferPointer, repetition: UInt8 = 0) -> UInt32? {
        definitions.append(maxDefinition)
        if maxRepetition > 0 { repetitions.append(repetition) }
        if dictionaryActive {
            dictionaryValues += 1
            let (index, inserted) = dictionary.index(of: p)
            indices.append(index)
            if inserted {
                dictionaryEntries += 1
                dictionaryBytes += 4 + p.count
                indexBits = max(1, bitsNeeded(dictionaryEntries - 1))
                // The chunk's values are exactly the dictionary's: compare each one once.
                noteBytes(p)
            }
            return index
        }
        values.appendLE(UInt32(truncatingIfNeeded: p.count))
        values.append(p)
        noteBytes(p)
        return nil
    }

    /// Appends `p` as a dictionary index if the dictionary holds it already; returns the index.
    @inline(__always)
    func appendIfKnown(_ p: UnsafeRawBufferPointer, repetition: UInt8) -> UInt32? {
        guard let index = dictionary.find(p) else { return nil }
        appendIndex(index, repetition: repetition)
        return index
    }

    /// Appends a value known to be the dictionary's entry `index`.
    @inline(__always)
    func appendIndex(_ index: UInt32, repetition: UInt8) {
        dictionaryValues += 1
        definitions.append(maxDefinition)
        if maxRepetition > 0 { repetitions.append(repetition) }
        indices.append(index)
    }

    @inline(__always)
    private func noteInt(_ v: Int64) {
        if hasMinMax {
            if v < minInt { minInt = v } else if v > maxInt { maxInt = v }
        } else {
            minInt = v
            maxInt = v
            hasMinMax = true
        }
    }

    private func noteBytes(_ p: UnsafeRawBufferPointer) {
        guard minMax else { return }
        if !hasMinMax {
            minBytes = Array(p)
            maxBytes = Array(p)
            hasMinMax = true
        } else if minBytes.withUnsafeBytes({ compareBytes(p, $0) }) < 0 {
            minBytes = Array(p)
        } else if maxBytes.withUnsafeBytes({ compareBytes(p, $0) }) > 0 {
            maxBytes = Array(p)
        }
    }

    // MARK: rows

    /// The row is complete: it stays.
    @inline(__always)
    func commitRow() {
        pageRows += 1
        rowStartLevels = definitions.count
        rowStartValues = values.count
        rowStartIndices = indices.count
        rowStartNulls = nullCount
    }

    /// `count` rows appended column-wise are complete.
    @inline(__always)
    func commitRows(_ count: Int) {
        commitRow()
        pageRows += count - 1
    }

    /// What to do after a committed row.
    enum PageAction {
        case none, flush, flushAndFallBack
    }

    /// Commits the row and says whether the page is full (or the dictionary too large).
    @inline(__always)
    func endRow(pageBytes: Int, pageRows maxRows: Int, maxDictionaryBytes: Int, rows: Int = 1) -> PageAction {
        commitRows(rows)
        if dictionaryActive && (dictionaryBytes > maxDictionaryBytes || mostlyDistinct) { return .flushAndFallBack }
        lastPageEstimate = pageSizeEstimate
        if pageRows >= maxRows || lastPageEstimate >= pageBytes { return .flush }
        return .none
    }

    /// Past a thousand entries, at least every other value new: a dictionary of ids, which
    /// only costs a cache-missing probe per value and a page bigger than PLAIN's.
    private var mostlyDistinct: Bool {
        dictionaryEntries > 1024 && dictionaryEntries * 2 > dictionaryValues
    }

    /// Drops what was appended since the last committed row. (Dictionary entries and min/max it
    /// added stay: unused entries are harmless, and the bounds remain valid bounds.)
    func discardRow() {
        definitions.truncate(to: rowStartLevels)
        if maxRepetition > 0 { repetitions.truncate(to: rowStartLevels) }
        values.truncate(to: rowStartValues)
        indices.truncate(to: rowStartIndices)
        nullCount = rowStartNulls
    }

    /// Estimated encoded size of the current page.
    var pageSizeEstimate: Int {
        let levels = (definitions.count * definitionBits + repetitions.count * repetitionBits) / 8
        if dictionaryActive {
            return levels + (indices.count * indexBits + 7) / 8
        }
        return levels + (physical == .boolean ? values.count / 8 : values.count)
    }

    /// Uncompressed bytes of the row group so far in this column (pages, current page as of
    /// the last `endRow`, dictionary).
    var rowGroupSizeEstimate: Int {
        pagesUncompressedSize + lastPageEstimate + dictionaryBytes
    }

    /// Bytes held in memory for this column.
    var bufferedBytes: Int {
        pages.count + definitions.count + repetitions.count + values.count + indices.count * 4
            + dictionaryBytes
    }

    // MARK: pages

    /// Encodes, compresses and keeps the current page; with `fallBack`, the chunk's later pages
    /// are PLAIN.
    func flushPage(codec: ParquetCodec, scratch: inout [UInt8], compressed: inout [UInt8], fallBack: Bool = false)
        throws(ParquetError)
    {
        defer {
            if fallBack { dictionaryActive = false }
        }
        if definitions.isEmpty { return }
        scratch.removeAll(keepingCapacity: true)
        if maxRepetition > 0 { appendLevels(repetitions.buffer, bitWidth: repetitionBits, to: &scratch) }
        if maxDefinition > 0 { appendLevels(definitions.buffer, bitWidth: definitionBits, to: &scratch) }
        let encoding: Encoding
        if dictionaryActive && !indices.isEmpty {
            let bits = indexBits
            scratch.append(UInt8(bits))
            appendHybrid(indices.buffer, bitWidth: bits, to: &scratch)
            encoding = .rleDictionary
            dictionaryPages += 1
        } else {
            if physical == .int64 && deltaIntegers {
                values.bytes.withMemoryRebound(to: Int64.self) { DeltaBinaryPacked.append($0, to: &scratch) }
                encoding = .deltaBinaryPacked
                deltaPages += 1
            } else if physical == .byteArray && deltaStrings {
                DeltaByteArray.append(plain: values.bytes, to: &scratch)
                encoding = .deltaByteArray
                deltaPages += 1
            } else {
                if physical == .boolean {
                    appendPackedBooleans(values.buffer, to: &scratch)
                } else {
                    scratch.append(contentsOf: values.buffer)
                }
                encoding = .plain
                plainPages += 1
            }
        }
        guard scratch.count <= Int(Int32.max) else {
            throw ParquetError("column \(path.joined(separator: ".")): a page of \(scratch.count) bytes is too large")
        }
        try Compressor.compress(scratch, codec: codec, into: &compressed)
        let header = pageHeader(
            type: .dataPage, uncompressedSize: scratch.count, compressedSize: compressed.count,
            numValues: definitions.count, encoding: encoding)
        pages.append(contentsOf: header)
        pages.append(contentsOf: compressed)
        pagesUncompressedSize += header.count + scratch.count
        chunkLevelCount += definitions.count

        definitions.removeAll()
        repetitions.removeAll()
        values.removeAll()
        indices.removeAll()
        pageRows = 0
        lastPageEstimate = 0
        rowStartLevels = 0
        rowStartValues = 0
        rowStartIndices = 0
    }

    /// Writes the column chunk (dictionary page, then data pages) at the output's position and
    /// returns its metadata; the leaf is then ready for the next row group.
    func writeChunk(
        to out: FileOutput, codec: ParquetCodec, scratch: inout [UInt8], compressed: inout [UInt8]
    ) throws(ParquetError) -> ColumnChunkMeta {
        try flushPage(codec: codec, scratch: &scratch, compressed: &compressed)

        var uncompressedTotal = pagesUncompressedSize
        var compressedTotal = pages.count
        var dictionaryOffset: Int64?
        var encodings: [Encoding] = []
        var encodingStats: [PageEncodingStats] = []

        if dictionaryPages > 0 {
            dictionaryOffset = Int64(out.position)
            try Compressor.compress(dictionary.plain, codec: codec, into: &compressed)
            let header = pageHeader(
                type: .dictionaryPage, uncompressedSize: dictionary.byteCount, compressedSize: compressed.count,
                numValues: dictionary.count, encoding: .plain)
            try out.write(header)
            try out.write(compressed)
            uncompressedTotal += header.count + dictionary.byteCount
            compressedTotal += header.count + compressed.count
            encodings.append(.plain)
            encodingStats.append(PageEncodingStats(pageType: .dictionaryPage, encoding: .plain, count: 1))
        }
        let dataOffset = Int64(out.position)
        try out.write(pages)

        if plainPages > 0 && !encodings.contains(.plain) { encodings.append(.plain) }
        encodings.append(.rle)  // levels
        if dictionaryPages > 0 {
            encodings.append(.rleDictionary)
            encodingStats.append(PageEncodingStats(pageType: .dataPage, encoding: .rleDictionary, count: dictionaryPages))
        }
        if deltaPages > 0 {
            let delta: Encoding = physical == .byteArray ? .deltaByteArray : .deltaBinaryPacked
            encodings.append(delta)
            encodingStats.append(PageEncodingStats(pageType: .dataPage, encoding: delta, count: deltaPages))
        }
        if plainPages > 0 {
            encodingStats.append(PageEncodingStats(pageType: .dataPage, encoding: .plain, count: plainPages))
        }

        let meta = ColumnChunkMeta(
            type: physical, encodings: encodings, path: path, codec: codec.id,
            numValues: Int64(chunkLevelCount),
            totalUncompressedSize: Int64(uncompressedTotal), totalCompressedSize: Int64(compressedTotal),
            dataPageOffset: dataOffset, dictionaryPageOffset: dictionaryOffset,
            statistics: statistics(), encodingStats: encodingStats)

        pages.removeAll(keepingCapacity: true)
        if pages.capacity > 64 << 20 { pages = [] }
        pagesUncompressedSize = 0
        chunkLevelCount = 0
        dictionary.removeAll()
        dictionaryEntries = 0
        dictionaryValues = 0
        dictionaryBytes = 0
        indexBits = 1
        dictionaryActive = dictionaryAllowed
        dictionaryPages = 0
        plainPages = 0
        deltaPages = 0
        nullCount = 0
        rowStartNulls = 0
        ascending = true
        lastInt = .min
        hasMinMax = false
        minBytes = []
        maxBytes = []
        return meta
    }

    private func statistics() -> Statistics {
        var s = Statistics(nullCount: Int64(nullCount))
        guard hasMinMax else { return s }
        switch physical {
        case .byteArray:
            // Shortened bounds stay bounds: a prefix is ≤ the minimum; a prefix with its last
            // character incremented is > the maximum. Both remain valid UTF-8.
            if let max = truncatedUpperBound(maxBytes, limit: statisticsLimit) {
                s.minValue = truncatedLowerBound(minBytes, limit: statisticsLimit)
                s.maxValue = max
                s.minExact = s.minValue!.count == minBytes.count
                s.maxExact = max == maxBytes
            }
        case .int64:
            s.minValue = littleEndianBytes(minInt)
            s.maxValue = littleEndianBytes(maxInt)
        case .int32:
            s.minValue = littleEndianBytes(Int32(truncatingIfNeeded: minInt))
            s.maxValue = littleEndianBytes(Int32(truncatingIfNeeded: maxInt))
        case .boolean:
            s.minValue = [UInt8(truncatingIfNeeded: minInt)]
            s.maxValue = [UInt8(truncatingIfNeeded: maxInt)]
        }
        return s
    }
}

private func littleEndianBytes<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
    var out: [UInt8] = []
    appendLE(v, to: &out)
    return out
}
