import Foundation

/// The output directory as a store that changes only by whole jobs.
///
/// A job's sinks write into `.staging/<job>/`, invisible to readers of `events/**`. Its commit
/// first writes a journal (what to move, the new state and manifest) and syncs it, then moves
/// every file into place, writes `_state.json` and `_manifest.json`, and drops the journal.
/// A job killed before its journal existed left only staging files, removed at the next
/// start, and its inputs are not marked read; one killed after is finished at the next start.
/// Either way the dataset holds each record once.
public final class DatasetStore {
    public let root: String
    private let fm = FileManager.default

    struct Journal: Codable {
        var job: String
        var files: [String]          // relative paths, staged under .staging/<job>/
        var state: IngestState
        var manifest: DatasetManifest
        /// The campaign tally of every job so far, in journals of earlier versions; now
        /// `_campaign.json` is staged and named in `files`.
        var campaign: CampaignTally?
    }

    /// Opens (creating) the store and finishes or discards what a crashed job left.
    public init(root: String) throws {
        self.root = root
        for directory in [root, root + "/_journal"] {
            if let reason = Self.makeDirectories(directory) {
                throw ConfigError(origin: "--out", message: "cannot create \(directory): \(reason)",
                                  hint: "choose a directory this user can write for --out")
            }
        }
        for name in (try? fm.contentsOfDirectory(atPath: journalDirectory)) ?? [] where name.hasSuffix(".json") {
            let data = try Data(contentsOf: URL(fileURLWithPath: journalDirectory + "/" + name))
            try apply(try JSONDecoder().decode(Journal.self, from: data))
        }
        for job in (try? fm.contentsOfDirectory(atPath: root + "/.staging")) ?? [] {
            try? fm.removeItem(atPath: root + "/.staging/" + job)
        }
    }

    var journalDirectory: String { root + "/_journal" }

    /// `mkdir -p`; the reason it failed (strerror), or nil.
    static func makeDirectories(_ path: String) -> String? {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST { return String(cString: strerror(errno)) }
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "not a directory"
        }
        return nil
    }

    /// Where a job's sinks write.
    public func staging(job: String) -> String { root + "/.staging/" + job }

    public func loadState() throws -> IngestState {
        let path = root + "/_state.json"
        guard fm.fileExists(atPath: path) else { return IngestState() }
        do {
            return try JSONDecoder().decode(IngestState.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ConfigError(origin: path, message: "the ingest state cannot be read: \(error)",
                              hint: "remove it to ingest every input again, or restore it from a backup")
        }
    }

    /// The campaign tally of every committed job (what `spoor report` reads).
    public func loadCampaign() -> CampaignTally? {
        let path = root + "/_campaign.json"
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else { return nil }
        return (try? CampaignTallyFile.decode([UInt8](data))) ?? (try? JSONDecoder().decode(CampaignTally.self, from: data))
    }

    public func loadManifest() -> DatasetManifest? {
        let path = root + "/_manifest.json"
        return (try? Data(contentsOf: URL(fileURLWithPath: path))).flatMap { try? JSONDecoder().decode(DatasetManifest.self, from: $0) }
    }

    /// Makes a job's staged files visible, with the state and manifest that go with them.
    public func commit(job: String, files: [String], state: IngestState, manifest: DatasetManifest,
                       campaign: CampaignTally? = nil) throws {
        var files = files
        if let campaign {
            // Staged like the job's other files, so the journal names it instead of holding it.
            let staged = staging(job: job)
            try fm.createDirectory(atPath: staged, withIntermediateDirectories: true)
            try writeDurably(to: staged + "/_campaign.json") { write in try CampaignTallyFile.encode(campaign, write) }
            files.append("_campaign.json")
        }
        let journal = Journal(job: job, files: files, state: state, manifest: manifest, campaign: nil)
        try writeDurably(try JSONEncoder().encode(journal), to: journalDirectory + "/" + job + ".json")
        try apply(journal)
    }

    private func apply(_ journal: Journal) throws {
        let staged = staging(job: journal.job)
        for file in journal.files {
            let from = staged + "/" + file, to = root + "/" + file
            if fm.fileExists(atPath: from) {
                try fm.createDirectory(atPath: (to as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                guard rename(from, to) == 0 else {
                    throw JobError(description: "cannot move \(from) to \(to): \(String(cString: strerror(errno)))")
                }
            } else if !fm.fileExists(atPath: to) {
                throw JobError(description: "journal of job \(journal.job) names \(file), which is neither staged nor in place")
            }
        }
        // The moves are durable before the state that counts them is written.
        try syncFileSystem(of: root)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try writeDurably(try encoder.encode(journal.state), to: root + "/_state.json")
        try writeDurably(try encoder.encode(journal.manifest), to: root + "/_manifest.json")
        // Journals of earlier versions held the campaign tally itself.
        if let campaign = journal.campaign {
            try writeDurably(to: root + "/_campaign.json") { write in try CampaignTallyFile.encode(campaign, write) }
        }
        try? fm.removeItem(atPath: staged)
        try fm.removeItem(atPath: journalDirectory + "/" + journal.job + ".json")
        syncDirectory(journalDirectory)
    }

    /// Writes under a temporary name, syncs, renames, syncs the directory.
    private func writeDurably(_ data: Data, to path: String) throws {
        try writeDurably(to: path) { write in try data.withUnsafeBytes { try write($0) } }
    }

    /// The same for bytes `produce` hands over piece by piece (a campaign tally of tens of
    /// MB is never whole in memory).
    private func writeDurably(to path: String, _ produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let temporary = path + ".inprogress"
        func fail(_ code: Int32) -> JobError { JobError(description: "cannot write \(temporary): \(String(cString: strerror(code)))") }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw fail(errno) }
        defer { close(fd) }
        try produce { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 { if errno == EINTR { continue }; throw fail(errno) }
                done += n
            }
        }
        guard fsync(fd) == 0 else { throw fail(errno) }
        guard rename(temporary, path) == 0 else {
            throw JobError(description: "cannot rename \(temporary): \(String(cString: strerror(errno)))")
        }
        syncDirectory((path as NSString).deletingLastPathComponent)
    }

    private func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}
