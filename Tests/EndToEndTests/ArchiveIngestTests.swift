import CLZ4
import Foundation
import DatasetSinks
import SpoorKit
import Testing
@testable import spoor
import SpoorBuiltins

/// An archive in, a dataset out: every record accounted for, nothing duplicated, no torn
/// file, every output file decodable by liblz4.
@Suite struct ArchiveIngestTests {
    @Test func mixedArchiveBecomesACompleteDataset() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let line = { (i: Int) in "Jan  3 10:\(String(format: "%02d", i / 60 % 60)):\(String(format: "%02d", i % 60)) mx1 sshd[\(100 + i)]: Failed password for invalid user u\(i) from 192.0.2.\(i % 250 + 1) port \(1000 + i) ssh2\n" }
        func lines(_ range: Range<Int>) -> String { range.map(line).joined() }

        try fx.write("plain/auth.log", lines(0..<500))
        try fx.write("gz/auth.log.1", lines(500..<1500)); try fx.sh("gzip -n gz/auth.log.1")
        try fx.write("zst/auth.log.2", lines(1500..<2000)); try fx.sh("zstd -q --rm zst/auth.log.2")
        try fx.write("t/var/log/a.log", lines(2000..<2300))
        try fx.write("t/var/log/b.log", lines(2300..<2600)); try fx.sh("gzip -n t/var/log/b.log")
        try fx.sh("tar -czf tarred.tar.gz -C t var && rm -r t")
        // 30,000 lines gzipped, then cut in half: the records before the cut are kept.
        try fx.write("trunc/auth.log.3", lines(3000..<33000)); try fx.sh("gzip -n trunc/auth.log.3")
        let gz = try Data(contentsOf: fx.url("trunc/auth.log.3.gz"))
        try gz.prefix(gz.count / 2).write(to: fx.url("trunc/auth.log.3.gz"))
        // Invalid UTF-8 inside a record, and a 5 MB line between good ones.
        var bad = Data(lines(40000..<40002).utf8)
        bad.append(contentsOf: Array("Jan  3 11:00:00 mx1 sshd[9]: Failed password for invalid user \u{00}".utf8) + [0xFF, 0xFE, 0xC3])
        bad.append(contentsOf: Array(" from 192.0.2.9 port 1 ssh2\n".utf8))
        try fx.write("bad/utf8.log", bad)
        try fx.write("big/huge.log", lines(50000..<50003) + "Jan  3 11:00:00 mx1 sshd[9]: " + String(repeating: "x", count: 5_000_000) + "\n" + lines(50003..<50005))

        let out = fx.url("out").path
        let registry = builtinRegistry()
        let plan = JobPlan(source: try registry.source("files", config: PluginConfig(["paths": .list([fx.root.path + "/"])])),
                           framers: try registry.makeFramers(), parsers: try registry.makeParsers(), workers: 2,
                           zone: TimeZone(identifier: "UTC")!, pinnedYear: 2026)
        let sink = try NDJSONDatasetSink(config: PluginConfig(), job: JobContext(jobID: "t1", outputDirectory: out, startedAt: 0))
        let result = try Pipeline.run(plan, sink: sink)
        let s = result.summary

        #expect(s.reconciles)
        #expect(s.recordsIn == s.eventsOut + s.deadLetters + s.filtered)
        #expect(s.membersByEncoding["gzip+tar"] == 1 && s.membersByEncoding["gzip+tar+gzip"] == 1)
        #expect(s.membersByEncoding["zstd"] == 1)
        #expect(s.sourceErrors == 1)   // the truncated gzip

        // Read the dataset back with liblz4; no temporary file may be visible.
        var events: [[String: Any]] = [], dead: [[String: Any]] = []
        for file in try fx.files(under: out) {
            #expect(!file.hasSuffix(".inprogress"), "torn file left behind: \(file)")
            guard file.hasSuffix(".ndjson.lz4") else { continue }
            for row in try decodeLZ4Frames(Data(contentsOf: URL(fileURLWithPath: file))).split(separator: 0x0A) {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(row)) as? [String: Any])
                if file.contains("/dead_letter/") { dead.append(object) } else { events.append(object) }
            }
        }
        #expect(events.count == s.eventsOut)
        #expect(dead.count == s.deadLetters)
        let ids = events.compactMap { $0["event.id"] as? String }
        #expect(Set(ids).count == events.count, "duplicate event ids")

        // Every intact line is an event, exactly once.
        func linesOf(_ suffix: String) -> [Int] {
            events.filter { ($0["log.file.path"] as? String)?.hasSuffix(suffix) == true || ($0["log.file.member"] as? String)?.hasSuffix(suffix) == true }
                .compactMap { $0["log.file.line"] as? Int }.sorted()
        }
        #expect(linesOf("plain/auth.log") == Array(1...500))
        #expect(linesOf("gz/auth.log.1.gz") == Array(1...1000))
        #expect(linesOf("zst/auth.log.2.zst") == Array(1...500))
        #expect(linesOf("var/log/a.log") == Array(1...300))
        #expect(linesOf("var/log/b.log.gz") == Array(1...300))

        // The truncated member: a run of lines from 1, then one dead letter that says why.
        let truncated = linesOf("trunc/auth.log.3.gz")
        #expect(truncated.count > 1000 && truncated.count < 30000)
        #expect(truncated == Array(1...truncated.count))
        let cut = dead.filter { ($0["log.file.path"] as? String)?.hasSuffix("auth.log.3.gz") == true }
        #expect(cut.count == 1)
        #expect((cut.first?["error.message"] as? String)?.contains("truncated") == true)

        // Invalid UTF-8 survives as an event (U+FFFD in the JSON); the dead letter keeps exact bytes.
        let utf8 = events.filter { ($0["log.file.path"] as? String)?.hasSuffix("utf8.log") == true }
        #expect(utf8.count == 3)
        #expect(utf8.contains { ($0["user.name"] as? String)?.contains("\u{FFFD}") == true })

        // The 5 MB line is one dead letter with its length; its neighbours are events.
        #expect(linesOf("big/huge.log") == [1, 2, 3, 5, 6])
        let huge = dead.filter { ($0["log.file.path"] as? String)?.hasSuffix("huge.log") == true }
        #expect(huge.count == 1)
        #expect(huge.first?["log.file.line"] as? Int == 4)
        #expect((huge.first?["record.length"] as? Int ?? 0) > 5_000_000)
    }

    @Test func cliExitCodesAndErrors() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        try fx.write("in/x.log", "Jan  3 10:00:00 h sshd[1]: Accepted password for a from 192.0.2.1 port 2 ssh2\nnot syslog\n")
        let strict = try fx.spoor(["ingest", fx.url("in").path, "--out", fx.url("out").path, "--strict", "-q", "--format", "ndjson"])
        #expect(strict.status == 4)
        let missing = try fx.spoor(["ingest", fx.url("nowhere").path, "--out", fx.url("out2").path])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nowhere"))
        let ok = try fx.spoor(["ingest", fx.url("in").path, "--out", fx.url("out3").path, "--format", "ndjson"])
        #expect(ok.status == 0)
        #expect(ok.stderr.contains("records in  2 = events 1 + dead letters 1 + filtered 0"))
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: fx.url("out3/_manifest.json"))) as? [String: Any]
        #expect((manifest?["files"] as? [Any])?.count == 2)
        let stdout = try fx.spoor(["ingest", fx.url("in").path, "--out", "-", "-q"])
        #expect(stdout.stdout.split(separator: "\n").count == 1)
        #expect(stdout.stderr.contains("not syslog"))
    }
}

/// Decodes a file of concatenated LZ4 frames.
func decodeLZ4Frames(_ data: Data) throws -> [UInt8] {
    var ctx: OpaquePointer?
    #expect(LZ4F_isError(LZ4F_createDecompressionContext(&ctx, UInt32(LZ4F_VERSION))) == 0)
    defer { LZ4F_freeDecompressionContext(ctx) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    // What the decoder still expects: 0 once a frame has ended.
    var expecting = 0
    try data.withUnsafeBytes { (src: UnsafeRawBufferPointer) in
        var offset = 0
        while offset < src.count {
            var dstSize = buffer.count
            var srcSize = src.count - offset
            let rc = buffer.withUnsafeMutableBytes { LZ4F_decompress(ctx, $0.baseAddress, &dstSize, src.baseAddress! + offset, &srcSize, nil) }
            if LZ4F_isError(rc) != 0 { throw DecodeError(String(cString: LZ4F_getErrorName(rc))) }
            expecting = rc
            out.append(contentsOf: buffer[0..<dstSize])
            offset += srcSize
            if srcSize == 0 && dstSize == 0 { throw DecodeError("LZ4 stream stalled") }
        }
    }
    if expecting != 0 { throw DecodeError("LZ4 frame not ended") }
    return out
}

/// A temporary directory with helpers to fill it.
struct Fixture {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    func write(_ relative: String, _ text: String) throws { try write(relative, Data(text.utf8)) }

    func write(_ relative: String, _ data: Data) throws {
        let u = url(relative)
        try FileManager.default.createDirectory(at: u.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: u)
    }

    func sh(_ command: String) throws {
        let r = try runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", command], in: root)
        #expect(r.status == 0, "\(command) failed: \(r.stderr)")
    }

    func files(under path: String) throws -> [String] {
        let e = FileManager.default.enumerator(atPath: path)
        var out: [String] = []
        while let f = e?.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path + "/" + f, isDirectory: &isDir), !isDir.boolValue { out.append(path + "/" + f) }
        }
        return out
    }

    /// Runs the built `spoor` binary.
    func spoor(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try runSpoor(args)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

/// The `spoor` binary `swift build` made, which the end-to-end tests run as a user would.
let spoorBinary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent(".build/debug/spoor")

/// Runs the built `spoor` with `args` (in `directory`, if given) and waits for it.
func runSpoor(_ args: [String], in directory: URL? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    try runProcess(spoorBinary, args, in: directory)
}

/// Runs a program and waits for it: its status, stdout and stderr (with `mergingOutput`,
/// both in `stdout`, in the order written). The one way these tests start a process.
func runProcess(_ executable: URL, _ args: [String], in directory: URL? = nil, environment: [String: String]? = nil,
                mergingOutput: Bool = false) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = executable
    p.arguments = args
    if let directory { p.currentDirectoryURL = directory }
    if let environment { p.environment = environment }
    let out = Pipe(), err = mergingOutput ? out : Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = mergingOutput ? Data() : err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}
