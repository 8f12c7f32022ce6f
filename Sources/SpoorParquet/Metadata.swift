// The Parquet metadata structures this writer emits, with their field ids from parquet.thrift.
// Every field the spec marks `required` is always written; optional ones only when they carry
// information.

enum PhysicalType: Int32 {
    case boolean = 0, int32 = 1, int64 = 2, byteArray = 6
}

enum Repetition: Int32 {
    case required = 0, optional = 1, repeated = 2
}

enum ConvertedType: Int32 {
    case utf8 = 0, map = 1, list = 3, timestampMicros = 10
}

enum Encoding: Int32 {
    case plain = 0, plainDictionary = 2, rle = 3, deltaBinaryPacked = 5, deltaByteArray = 7, rleDictionary = 8
}

enum PageType: Int32 {
    case dataPage = 0, dictionaryPage = 2
}

enum CodecID: Int32 {
    case uncompressed = 0, zstd = 6, lz4Raw = 7
}

/// The `LogicalType` union members this writer uses.
enum LogicalType {
    case string, map, list, timestampMicrosUTC

    func encode(_ w: inout CompactWriter, field: Int16) {
        w.beginStruct(field)
        switch self {
        case .string: w.emptyStruct(1)  // STRING: StringType
        case .map: w.emptyStruct(2)  // MAP: MapType
        case .list: w.emptyStruct(3)  // LIST: ListType
        case .timestampMicrosUTC:
            w.beginStruct(8)  // TIMESTAMP: TimestampType
            w.bool(1, true)  // isAdjustedToUTC
            w.beginStruct(2)  // unit: TimeUnit union
            w.emptyStruct(2)  // MICROS
            w.endStruct()
            w.endStruct()
        }
        w.endStruct()
    }
}

struct SchemaElement {
    var name: String
    var type: PhysicalType? = nil
    var repetition: Repetition? = nil
    var numChildren: Int? = nil
    var convertedType: ConvertedType? = nil
    var logicalType: LogicalType? = nil

    func encode(_ w: inout CompactWriter) {
        if let type { w.i32(1, type.rawValue) }
        if let repetition { w.i32(3, repetition.rawValue) }
        w.string(4, name)
        if let numChildren { w.i32(5, Int32(numChildren)) }
        if let convertedType { w.i32(6, convertedType.rawValue) }
        if let logicalType { logicalType.encode(&w, field: 10) }
    }
}

struct Statistics {
    var nullCount: Int64
    var minValue: [UInt8]?
    var maxValue: [UInt8]?
    /// False when the bound was shortened (it is then not a value of the column).
    var minExact = true
    var maxExact = true

    func encode(_ w: inout CompactWriter, field: Int16) {
        w.beginStruct(field)
        w.i64(3, nullCount)  // null_count
        if let maxValue, let minValue {
            w.binary(5, maxValue)  // max_value
            w.binary(6, minValue)  // min_value
            w.bool(7, maxExact)  // is_max_value_exact
            w.bool(8, minExact)  // is_min_value_exact
        }
        w.endStruct()
    }
}

struct PageEncodingStats {
    var pageType: PageType
    var encoding: Encoding
    var count: Int
}

struct ColumnChunkMeta {
    var type: PhysicalType
    var encodings: [Encoding]
    var path: [String]
    var codec: CodecID
    var numValues: Int64
    var totalUncompressedSize: Int64
    var totalCompressedSize: Int64
    var dataPageOffset: Int64
    var dictionaryPageOffset: Int64?
    var statistics: Statistics
    var encodingStats: [PageEncodingStats]

    /// A `ColumnChunk` as a list element, its `ColumnMetaData` inside.
    func encodeChunk(_ w: inout CompactWriter) {
        w.beginStructElement()
        w.i64(2, 0)  // file_offset: required; 0 = no ColumnMetaData outside the footer
        w.beginStruct(3)  // meta_data
        w.i32(1, type.rawValue)
        w.beginList(2, .i32, count: encodings.count)
        for e in encodings { w.elementI32(e.rawValue) }
        w.beginList(3, .binary, count: path.count)
        for p in path { w.elementString(p) }
        w.i32(4, codec.rawValue)
        w.i64(5, numValues)
        w.i64(6, totalUncompressedSize)
        w.i64(7, totalCompressedSize)
        w.i64(9, dataPageOffset)
        if let dictionaryPageOffset { w.i64(11, dictionaryPageOffset) }
        statistics.encode(&w, field: 12)
        w.beginList(13, .structure, count: encodingStats.count)
        for s in encodingStats {
            w.beginStructElement()
            w.i32(1, s.pageType.rawValue)
            w.i32(2, s.encoding.rawValue)
            w.i32(3, Int32(clamping: s.count))
            w.endStruct()
        }
        w.endStruct()  // meta_data
        w.endStruct()  // ColumnChunk
    }
}

struct RowGroupMeta {
    var columns: [ColumnChunkMeta]
    var totalByteSize: Int64
    var numRows: Int64
    var fileOffset: Int64
    var totalCompressedSize: Int64
    var ordinal: Int
    /// The leaf whose values are in ascending order in this row group (no nulls), if any.
    var sortedBy: Int? = nil

    func encode(_ w: inout CompactWriter) {
        w.beginStructElement()
        w.beginList(1, .structure, count: columns.count)
        for c in columns { c.encodeChunk(&w) }
        w.i64(2, totalByteSize)
        w.i64(3, numRows)
        if let sortedBy {
            w.beginList(4, .structure, count: 1)  // sorting_columns
            w.beginStructElement()
            w.i32(1, Int32(sortedBy))
            w.bool(2, false)  // descending
            w.bool(3, false)  // nulls_first
            w.endStruct()
        }
        w.i64(5, fileOffset)
        w.i64(6, totalCompressedSize)
        if ordinal <= Int(Int16.max) { w.i16(7, Int16(ordinal)) }
        w.endStruct()
    }
}

struct FileMetaData {
    var schema: [SchemaElement]
    var numRows: Int64
    var rowGroups: [RowGroupMeta]
    var keyValueMetadata: [(key: String, value: String)]
    var createdBy: String
    var leafCount: Int

    func encoded() -> [UInt8] {
        var w = CompactWriter(reserving: 1024 + rowGroups.count * leafCount * 128)
        w.i32(1, 1)  // version
        w.beginList(2, .structure, count: schema.count)
        for s in schema {
            w.beginStructElement()
            s.encode(&w)
            w.endStruct()
        }
        w.i64(3, numRows)
        w.beginList(4, .structure, count: rowGroups.count)
        for g in rowGroups { g.encode(&w) }
        if !keyValueMetadata.isEmpty {
            w.beginList(5, .structure, count: keyValueMetadata.count)
            for kv in keyValueMetadata {
                w.beginStructElement()
                w.string(1, kv.key)
                w.string(2, kv.value)
                w.endStruct()
            }
        }
        w.string(6, createdBy)
        // column_orders: without them min_value/max_value have no defined meaning.
        w.beginList(7, .structure, count: leafCount)
        for _ in 0..<leafCount {
            w.beginStructElement()
            w.emptyStruct(1)  // TYPE_ORDER
            w.endStruct()
        }
        w.finish()
        return w.bytes
    }
}

/// A `PageHeader` for a v1 data page or a dictionary page.
func pageHeader(
    type: PageType, uncompressedSize: Int, compressedSize: Int, numValues: Int, encoding: Encoding
) -> [UInt8] {
    var w = CompactWriter(reserving: 32)
    w.i32(1, type.rawValue)
    w.i32(2, Int32(uncompressedSize))
    w.i32(3, Int32(compressedSize))
    switch type {
    case .dataPage:
        w.beginStruct(5)  // data_page_header
        w.i32(1, Int32(numValues))
        w.i32(2, encoding.rawValue)
        w.i32(3, Encoding.rle.rawValue)  // definition_level_encoding
        w.i32(4, Encoding.rle.rawValue)  // repetition_level_encoding
        w.endStruct()
    case .dictionaryPage:
        w.beginStruct(7)  // dictionary_page_header
        w.i32(1, Int32(numValues))
        w.i32(2, encoding.rawValue)
        w.endStruct()
    }
    w.finish()
    return w.bytes
}
