import Foundation
import Testing

/// An output that cannot take the data — a file over the size limit (what a full disk does
/// to a write, without filling one), a path that cannot be a directory — stops the job with
/// an error naming the path and what to do, exposes nothing, and advances no state.
@Suite struct OutputFailureTests {
    /// Runs `spoor` under `ulimit -f blocks` (512-byte blocks).
    static func spoorLimited(_ fx: Fixture, blocks: Int, _ args: [String]) throws -> (status: Int32, stderr: String) {
        let r = try runProcess(URL(fileURLWithPath: "/bin/sh"),
                               ["-c", "ulimit -f \(blocks) && exec \"$0\" \"$@\"", spoorBinary.path] + args)
        return (r.status, r.stderr)
    }

    @Test(arguments: ["parquet", "ndjson"])
    func aFullOutputFailsCleanlyAndTheRerunCompletes(format: String) throws {
        let fx = try Fixture()
        defer { fx.remove() }
        try fx.write("logs/auth.log", IncrementalCrashTests.lines(0..<6_000))
        let out = fx.url("out").path
        let args = ["ingest", fx.url("logs").path, "--out", out, "-q", "--year", "2026", "--format", format]

        let failed = try Self.spoorLimited(fx, blocks: 40, args)
        #expect(failed.status == 1, "\(failed.stderr)")
        #expect(failed.stderr.contains("cannot write \(out)/.staging/"), "\(failed.stderr)")
        #expect(failed.stderr.contains("File too large — a file size limit (ulimit -f) stopped it"), "\(failed.stderr)")
        #expect(try fx.files(under: out + "/events").isEmpty, "a failed job exposed files")
        #expect(!FileManager.default.fileExists(atPath: out + "/_state.json"), "state advanced past a failed job")

        let rerun = try fx.spoor(args)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try fx.files(under: out + "/.staging").isEmpty, "the failed job's staging was not cleaned")
        if format == "ndjson" {
            let ids = try IncrementalCrashTests.eventIDs(fx, out)
            #expect(ids.count == 6_000 && Set(ids).count == 6_000)
        } else {
            let files = try fx.files(under: out + "/events")
            #expect(!files.isEmpty && files.allSatisfy { $0.hasSuffix(".parquet") })
            let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: fx.url("out/_manifest.json"))) as? [String: Any]
            let rows = (manifest?["files"] as? [[String: Any]] ?? []).filter { ($0["kind"] as? String) == "events" }
                .reduce(0) { $0 + ($1["rows"] as? Int ?? 0) }
            #expect(rows == 6_000)
        }
    }

    @Test func anOutputThatCannotBeADirectoryIsAConfigurationError() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        try fx.write("logs/auth.log", IncrementalCrashTests.lines(0..<10))
        try fx.write("taken", "a file, not a directory\n")
        let r = try fx.spoor(["ingest", fx.url("logs").path, "--out", fx.url("taken/out").path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--out: cannot create \(fx.url("taken/out").path): Not a directory"), "\(r.stderr)")
        #expect(r.stderr.contains("hint: choose a directory this user can write for --out"))
    }
}
