import Foundation
import SpoorKit
import Testing

/// Jobs over a growing archive read only what is new; a job killed at any moment leaves a
/// dataset that a re-run completes with every record exactly once.
@Suite struct IncrementalCrashTests {
    static func lines(_ range: Range<Int>) -> String {
        range.map { i in
            "Jan  3 10:\(String(format: "%02d", i / 60 % 60)):\(String(format: "%02d", i % 60)) mx1 sshd[\(100 + i)]: Failed password for invalid user u\(i) from 192.0.2.\(i % 250 + 1) port \(1000 + i) ssh2\n"
        }.joined()
    }

    /// Every event id in the dataset's visible event files (not staging).
    static func eventIDs(_ fx: Fixture, _ out: String) throws -> [String] {
        var ids: [String] = []
        for file in try fx.files(under: out + "/events") {
            #expect(!file.hasSuffix(".inprogress"), "a reader would see a torn file: \(file)")
            guard file.hasSuffix(".ndjson.lz4") else { continue }
            for row in try decodeLZ4Frames(Data(contentsOf: URL(fileURLWithPath: file))).split(separator: 0x0A) {
                let object = try JSONSerialization.jsonObject(with: Data(row)) as? [String: Any]
                ids.append(object?["event.id"] as? String ?? "")
            }
        }
        return ids
    }

    @Test func growingAndRotatedFilesAreReadOnce() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let out = fx.url("out").path
        try fx.write("logs/auth.log", Self.lines(0..<300))
        #expect(try fx.spoor(["ingest", fx.url("logs").path, "--out", out, "-q", "--year", "2026", "--format", "ndjson"]).status == 0)
        #expect(try Self.eventIDs(fx, out).count == 300)

        // Unchanged: nothing new, no file written.
        let filesBefore = try fx.files(under: out + "/events").count
        let again = try fx.spoor(["ingest", fx.url("logs").path, "--out", out, "--year", "2026", "--format", "ndjson"])
        #expect(again.stderr.contains("nothing new"))
        #expect(try fx.files(under: out + "/events").count == filesBefore)

        // The log grows, then is rotated and gzipped, and a new log starts.
        let handle = try FileHandle(forWritingTo: fx.url("logs/auth.log"))
        handle.seekToEndOfFile()
        handle.write(Data(Self.lines(300..<450).utf8))
        try handle.close()
        try fx.sh("mv logs/auth.log logs/auth.log.1 && gzip -n logs/auth.log.1")
        try fx.write("logs/auth.log", Self.lines(1000..<1040))
        let third = try fx.spoor(["ingest", fx.url("logs").path, "--out", out, "--year", "2026", "--format", "ndjson"])
        #expect(third.stderr.contains("records in  190 = events 190"), "\(third.stderr)")
        let ids = try Self.eventIDs(fx, out)
        #expect(ids.count == 490)
        #expect(Set(ids).count == 490)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: fx.url("out/_manifest.json"))) as? [String: Any]
        #expect((manifest?["jobs"] as? [Any])?.count == 2)   // the run with nothing new added no job
    }

    @Test func killedJobsLeaveNothingTornAndRerunsCompleteExactlyOnce() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let out = fx.url("out").path
        // Big enough that a debug build takes a few hundred milliseconds; several files.
        for f in 0..<4 { try fx.write("logs/auth\(f).log", Self.lines(f * 40_000..<(f + 1) * 40_000)) }
        for delay in [0.05, 0.15, 0.3, 0.6] {
            let p = try fx.startSpoor(["ingest", fx.url("logs").path, "--out", out, "-q", "--year", "2026", "--format", "ndjson"])
            Thread.sleep(forTimeInterval: delay)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            // Whatever the moment, readers never see a torn file, and no id is there twice.
            let ids = try Self.eventIDs(fx, out)
            #expect(Set(ids).count == ids.count)
        }
        #expect(try fx.spoor(["ingest", fx.url("logs").path, "--out", out, "-q", "--year", "2026", "--format", "ndjson"]).status == 0)
        let ids = try Self.eventIDs(fx, out)
        #expect(ids.count == 160_000)
        #expect(Set(ids).count == 160_000)
        let journals = (try? FileManager.default.contentsOfDirectory(atPath: out + "/_journal")) ?? []
        #expect(journals.isEmpty)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: out + "/.staging"))?.isEmpty ?? true)
    }

    @Test func aCommitCutShortIsFinishedAtTheNextStart() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let root = fx.url("out").path
        // A job that wrote its journal and then died before moving its files.
        let store = try DatasetStore(root: root)
        try fx.write("out/.staging/j1/events/event.dataset=sshd/date=2026-01-03/part-j1-1.ndjson.lz4", "x")
        let journal: [String: Any] = [
            "job": "j1", "files": ["events/event.dataset=sshd/date=2026-01-03/part-j1-1.ndjson.lz4"],
            "state": ["streams": []], "manifest": ["schemaVersion": 1, "files": [], "jobs": []],
        ]
        try JSONSerialization.data(withJSONObject: journal).write(to: fx.url("out/_journal/j1.json"))
        _ = store
        _ = try DatasetStore(root: root)   // the next start
        #expect(FileManager.default.fileExists(atPath: root + "/events/event.dataset=sshd/date=2026-01-03/part-j1-1.ndjson.lz4"))
        #expect(!FileManager.default.fileExists(atPath: root + "/_journal/j1.json"))
        #expect(FileManager.default.fileExists(atPath: root + "/_state.json"))
        // A staging directory without a journal is a job that never committed: removed.
        try fx.write("out/.staging/j2/events/x.ndjson.lz4", "y")
        _ = try DatasetStore(root: root)
        #expect(!FileManager.default.fileExists(atPath: root + "/.staging/j2"))
    }
}

extension Fixture {
    /// Starts the built `spoor` binary without waiting.
    func startSpoor(_ args: [String]) throws -> Process {
        let binary = spoorBinary
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }
}
