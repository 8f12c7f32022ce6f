/// Splits decoded bytes into records.
///
/// Contract: the reader thread of an input calls `completeLength` to cut the stream into
/// chunks that end on a record boundary (so chunks of one input can be parsed in parallel),
/// and `skipLength` to step over a record longer than the job's maximum. Worker threads
/// call `forEachRecord` on a chunk. A framer holds no per-input state across calls.
public protocol Framer: Plugin {
    /// Bytes at the start of `window` that hold only complete records; 0 when none.
    /// With `atEnd`, the stream ends after `window` and the tail is a record too.
    func completeLength(_ window: Bytes, atEnd: Bool) -> Int

    /// Offset just past the next record boundary in `window`, nil when there is none yet.
    func skipLength(_ window: Bytes) -> Int?

    /// Calls `body` with each record of `chunk` and its offset in the chunk.
    func forEachRecord(in chunk: Bytes, _ body: (_ record: Bytes, _ offset: Int) -> Void)

    /// Bytes at the very start of a stream that are no record (a JSON envelope such as
    /// `{"value":[`); the chunker skips them. `head` is the stream's first bytes.
    func streamStart(_ head: Bytes) -> Int

    /// The last record of `chunk` that sets context for the records after it (a W3C or
    /// Exchange `#Fields:` header), nil when there is none. The chunker hands the context in
    /// force at a chunk's start to the parser with that chunk (`ParseContext.streamHeader`),
    /// so a header read in one chunk governs the rows of the next.
    func lastContext(in chunk: Bytes) -> Bytes?
}

extension Framer {
    public func streamStart(_ head: Bytes) -> Int { 0 }
    public func lastContext(in chunk: Bytes) -> Bytes? { nil }
}
