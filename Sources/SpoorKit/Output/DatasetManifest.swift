/// `_manifest.json`: every file the dataset's jobs made visible, and what each job read and
/// counted. A reader that trusts only the files listed here never reads a partial job.
public struct DatasetManifest: Codable, Sendable {
    public var schemaVersion = Schema.version
    public var files: [OutputFile] = []
    public var jobs: [JobRecord] = []

    public init() {}

    /// The manifest after `job` added `files`.
    public func adding(_ job: JobRecord, files new: [OutputFile]) -> DatasetManifest {
        var m = self
        m.schemaVersion = Schema.version
        m.files += new
        m.jobs.append(job)
        return m
    }
}

/// One job: when, what it read, what it counted, which files it added.
public struct JobRecord: Codable, Sendable {
    public var job: String
    public var startedAt: String
    public var finishedAt: String
    public var inputs: [InputDescriptor]
    public var members: [MemberRecord]
    public var counts: JobSummary
    public var files: [String]

    public init(job: String, startedAt: String, finishedAt: String, inputs: [InputDescriptor], members: [MemberRecord],
                counts: JobSummary, files: [String]) {
        self.job = job
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.inputs = inputs
        self.members = members
        self.counts = counts
        self.files = files
    }
}
