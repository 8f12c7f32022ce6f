/// Writes events and dead letters somewhere (a dataset, stdout).
///
/// Contract: `encode` runs on worker threads, concurrently, on a batch that is valid only
/// during the call: do the expensive work there (serialising, compressing). `write` runs on
/// the one sink thread, in arrival order, and may block: that is the pipeline's
/// back-pressure. `finish` runs once, after the last write; it makes every file durable
/// and visible and says what it wrote.
public protocol Sink: AnyObject, Sendable {
    associatedtype Payload: Sendable

    static var manifest: PluginManifest { get }
    init(config: PluginConfig, job: JobContext) throws

    func encode(_ batch: EventBatch, input: InputFile) -> Payload
    func write(_ payload: Payload) throws
    func finish() throws -> [OutputFile]
}

/// What a sink knows about the job it writes for.
public struct JobContext: Sendable {
    public let jobID: String
    /// Where the sink writes: the job's staging directory inside the dataset (the commit
    /// moves its files into place), or nil for stdout.
    public let outputDirectory: String?
    /// Job start, µs since the epoch: partitions dead letters that carry no time.
    public let startedAt: Int64
    /// How the events are split into directories.
    public let partitioning: Partitioning

    public init(jobID: String, outputDirectory: String?, startedAt: Int64, partitioning: Partitioning = .standard) {
        self.jobID = jobID
        self.outputDirectory = outputDirectory
        self.startedAt = startedAt
        self.partitioning = partitioning
    }
}

/// A file a sink made visible.
public struct OutputFile: Sendable, Codable {
    public let path: String
    public let rows: Int
    public let bytes: Int
    public let kind: String

    public init(path: String, rows: Int, bytes: Int, kind: String) {
        self.path = path
        self.rows = rows
        self.bytes = bytes
        self.kind = kind
    }
}
