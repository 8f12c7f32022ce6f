/// A run of complete records of one input, owned by whoever holds it; the unit of work.
final class Chunk: @unchecked Sendable {
    let input: InputFile
    private let storage: UnsafeMutableRawBufferPointer
    let count: Int
    /// Offset of the first byte in the decoded input, and line number of the first record.
    let startOffset: Int64
    let startLine: Int64
    /// Records the reader could not frame (overlong, undecodable tail), already dead.
    let deadLetters: [DeadLetter]
    /// Compressed input bytes consumed since the previous chunk of this input (progress).
    let consumed: Int64
    /// Where the storage goes back to, if it came from a pool.
    let pool: BufferPool?
    /// The context record (a `#Fields:` header) in force at the chunk's start.
    let context: [UInt8]?
    /// Its place among the chunks of its stream (0, 1, ...), in the order they were made.
    let sequence: Int
    /// Its input's place in the job and its own among the input's chunks (see `InputFeed`);
    /// set by the reader before the chunk is queued.
    var place = (input: 0, ordinal: 0)

    init(input: InputFile, storage: UnsafeMutableRawBufferPointer, count: Int, startOffset: Int64,
         startLine: Int64, deadLetters: [DeadLetter], consumed: Int64, pool: BufferPool? = nil, context: [UInt8]? = nil) {
        self.pool = pool
        self.context = context
        self.input = input
        self.storage = storage
        self.count = count
        self.startOffset = startOffset
        self.startLine = startLine
        self.deadLetters = deadLetters
        self.consumed = consumed
        sequence = input.order.issue()
    }

    deinit {
        if let pool { pool.give(storage) } else { storage.deallocate() }
    }

    var bytes: Bytes { Bytes(rebasing: storage[0..<count]) }
}
