import Foundation

/// `_manifest.json`: what a job read, what it counted and which files it made visible.
/// A reader that trusts only the files listed here never reads a partial job.
public struct DatasetManifest: Codable, Sendable {
    public var job: String
    public var schemaVersion: Int
    public var startedAt: String
    public var finishedAt: String
    public var inputs: [InputDescriptor]
    public var members: [MemberRecord]
    public var counts: JobSummary
    public var files: [OutputFile]

    public init(job: String, startedAt: String, finishedAt: String, inputs: [InputDescriptor], members: [MemberRecord],
                counts: JobSummary, files: [OutputFile]) {
        self.job = job
        schemaVersion = Schema.version
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.inputs = inputs
        self.members = members
        self.counts = counts
        self.files = files
    }

    /// Writes `directory/_manifest.json` under a temporary name, then renames it.
    public func write(to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        let final = URL(fileURLWithPath: directory).appendingPathComponent("_manifest.json")
        let temporary = URL(fileURLWithPath: directory).appendingPathComponent("._manifest.json.inprogress")
        try data.write(to: temporary, options: .atomic)
        guard rename(temporary.path, final.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: final.path])
        }
    }
}
