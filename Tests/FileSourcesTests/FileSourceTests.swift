import Foundation
import Testing
import SpoorKit
import FileSources

// MARK: - Fixtures

/// One decoded member as a user of `FileSource` sees it.
struct Member {
    var input: String
    var path: String?
    var encoding: String
    var referenceTime: Int64
    var bytes: [UInt8]
    var error: DecodeError?
}

/// A temporary directory holding `in/` (what the source reads) and `work/` (staging for the tools).
final class Fixture {
    let root: URL
    let dir: URL
    let work: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-filesource-\(UUID().uuidString)")
        dir = root.appendingPathComponent("in")
        work = root.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    /// Writes `bytes` at `relative` under `in/` (or under `base`), creating directories.
    @discardableResult
    func write(_ relative: String, _ bytes: [UInt8], under base: URL? = nil, mtime: Int64? = nil) throws -> URL {
        let url = (base ?? dir).appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        if let mtime {
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: TimeInterval(mtime))],
                                                  ofItemAtPath: url.path)
        }
        return url
    }

    /// `bytes` through a compressor writing to stdout (`gzip -c -n`, `xz -c`, ...).
    func compress(_ bytes: [UInt8], _ command: [String]) throws -> [UInt8] {
        let input = try write("blob-\(UUID().uuidString)", bytes, under: work)
        return try run(command + [input.path])
    }

    /// Runs a tool found on PATH; its stdout.
    @discardableResult
    func run(_ command: [String], in cwd: URL? = nil) throws -> [UInt8] {
        let process = Process()
        process.executableURL = try Fixture.executable(command[0])
        process.arguments = Array(command.dropFirst())
        if let cwd { process.currentDirectoryURL = cwd }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError(message: "\(command.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
        return Array(data)
    }

    static func executable(_ name: String) throws -> URL {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let url = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw FixtureError(message: "\(name) is not on PATH")
    }

    func source(_ extra: [String: ConfigValue] = [:], paths: [String]? = nil) throws -> FileSource {
        var values = extra
        values["paths"] = .list(paths ?? [dir.path])
        return try FileSource(config: PluginConfig(values))
    }

    /// Every member of every input under `in/`, each read to its end or its first error.
    func readAll(bufferSize: Int = 16 * 1024) throws -> [Member] {
        try Fixture.readAll(source(), bufferSize: bufferSize)
    }

    static func readAll(_ source: FileSource, bufferSize: Int = 16 * 1024) throws -> [Member] {
        var members: [Member] = []
        for input in try source.inputs() {
            try source.open(input) { stream in
                var bytes: [UInt8] = []
                var failure: DecodeError?
                var buffer = [UInt8](repeating: 0, count: bufferSize)
                while true {
                    do {
                        let n = try buffer.withUnsafeMutableBytes { try stream.read(into: $0) }
                        if n == 0 { break }
                        bytes.append(contentsOf: buffer[0..<n])
                        if bytes.count > 256 << 20 {
                            Issue.record("stream does not end")
                            break
                        }
                    } catch let error as DecodeError {
                        failure = error
                        break
                    } catch {
                        Issue.record("read threw a \(type(of: error)), not a DecodeError: \(error)")
                        break
                    }
                }
                members.append(Member(input: input.path, path: stream.memberPath, encoding: stream.encoding,
                                      referenceTime: stream.referenceTime, bytes: bytes, error: failure))
            }
        }
        return members
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Deterministic log lines, ~100 bytes each, varied enough not to compress to nothing.
func logText(lines: Int, seed: UInt64 = 1) -> [UInt8] {
    var state = seed
    var out: [UInt8] = []
    out.reserveCapacity(lines * 110)
    for i in 0..<lines {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let line = "Jan  5 10:\(i / 60 % 60):\(i % 60) host sshd[\(state >> 48)]: Failed password for user\(state >> 36 & 0xFFF)"
            + " from 10.\(state >> 8 & 255).\(state >> 16 & 255).\(state >> 24 & 255) port \(state >> 32 & 0xFFFF) ssh2\n"
        out.append(contentsOf: line.utf8)
    }
    return out
}

// MARK: - Tests

@Suite("FileSource")
struct FileSourceTests {
    @Test("A plain file is one member, encoding plain, bytes identical, reference time = file mtime")
    func plainFile() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let text = logText(lines: 500) + [0xFF, 0xFE, 0x0D, 0x0A] + Array("no newline at the end".utf8)
        try fx.write("auth.log", text, mtime: 1_500_000_000)

        let inputs = try fx.source().inputs()
        #expect(inputs.count == 1)
        #expect(inputs.first?.size == Int64(text.count))
        #expect(inputs.first?.modified == 1_500_000_000)

        let members = try fx.readAll()
        #expect(members.count == 1)
        let m = try #require(members.first)
        #expect(m.path == nil)
        #expect(m.encoding == "plain")
        #expect(m.error == nil)
        #expect(m.bytes == text)
        #expect(m.referenceTime == 1_500_000_000)
    }

    @Test("gzip is decoded; without a header mtime the file's mtime is the reference")
    func gzip() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let text = logText(lines: 3000)
        let gz = try fx.compress(text, ["gzip", "-c", "-n"])
        try fx.write("auth.log.1.gz", gz, mtime: 1_600_000_000)

        let members = try fx.readAll(bufferSize: 7919)
        #expect(members.count == 1)
        let m = try #require(members.first)
        #expect(m.encoding == "gzip")
        #expect(m.path == nil)
        #expect(m.error == nil)
        #expect(m.bytes.count == text.count)
        #expect(m.bytes == text)
        #expect(m.referenceTime == 1_600_000_000)
    }

    @Test("Concatenated gzip (cat a.gz b.gz) yields both members' bytes, in order")
    func concatenatedGzip() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let a = logText(lines: 800, seed: 7)
        let b = Array("second member, short\n".utf8) + logText(lines: 300, seed: 9)
        let gzA = try fx.compress(a, ["gzip", "-c", "-n"])
        let gzB = try fx.compress(b, ["gzip", "-c", "-n"])
        try fx.write("c.gz", gzA + gzB)

        let members = try fx.readAll()
        #expect(members.count == 1)
        let m = try #require(members.first)
        #expect(m.encoding == "gzip")
        #expect(m.error == nil)
        #expect(m.bytes == a + b)
    }

    @Test("Zero padding after the last gzip member is ignored; other trailing bytes are an error")
    func gzipTrailingBytes() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let text = logText(lines: 100)
        let gz = try fx.compress(text, ["gzip", "-c", "-n"])
        try fx.write("padded.gz", gz + [UInt8](repeating: 0, count: 1000))
        try fx.write("trailing.gz", gz + Array("garbage".utf8))

        let members = try fx.readAll()
        #expect(members.count == 2)
        let padded = try #require(members.first { $0.input.hasSuffix("padded.gz") })
        #expect(padded.error == nil)
        #expect(padded.bytes == text)
        let trailing = try #require(members.first { $0.input.hasSuffix("trailing.gz") })
        #expect(trailing.bytes == text)
        #expect(trailing.error?.message.contains("not gzip") == true)
    }

    @Test("zstd, xz, bzip2 and lz4 are decoded and named", arguments: [
        ("zstd", ["zstd", "-q", "-c"]),
        ("xz", ["xz", "-c"]),
        ("bzip2", ["bzip2", "-c"]),
        ("lz4", ["lz4", "-q", "-c"]),
    ])
    func otherCompressions(encoding: String, command: [String]) throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let text = logText(lines: 3000, seed: 3)
        let compressed = try fx.compress(text, command)
        #expect(compressed != text)
        try fx.write("data.\(encoding)", compressed)

        let members = try fx.readAll()
        #expect(members.count == 1)
        let m = try #require(members.first)
        #expect(m.encoding == encoding)
        #expect(m.path == nil)
        #expect(m.error == nil)
        #expect(m.bytes.count == text.count)
        #expect(m.bytes == text)
    }

    @Test("A tar.gz holding a text file and a .gz gives one stream per entry, named by its path in the tar")
    func tarGz() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let a = logText(lines: 400, seed: 11)
        let b = logText(lines: 900, seed: 12)
        let staging = fx.work.appendingPathComponent("staging")
        try fx.write("logs/a.log", a, under: staging, mtime: 1_600_000_000)
        try fx.write("logs/b.log.gz", try fx.compress(b, ["gzip", "-c", "-n"]), under: staging, mtime: 1_650_000_000)
        let archive = fx.dir.appendingPathComponent("bundle.tar.gz")
        try fx.run(["tar", "-czf", archive.path, "-C", staging.path, "logs/a.log", "logs/b.log.gz"])

        let members = try fx.readAll()
        #expect(members.map(\.path) == ["logs/a.log", "logs/b.log.gz"])
        #expect(members.map(\.encoding) == ["gzip+tar", "gzip+tar+gzip"])
        #expect(members.allSatisfy { $0.error == nil && $0.input == archive.path })
        #expect(members.first?.bytes == a)
        #expect(members.last?.bytes == b)
        // A tar entry's mtime is its reference time.
        #expect(members.map(\.referenceTime) == [1_600_000_000, 1_650_000_000])
    }

    @Test("A plain tar (with a directory entry) lists only its regular files")
    func plainTar() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let staging = fx.work.appendingPathComponent("staging")
        try fx.write("d/one.log", Array("one\n".utf8), under: staging)
        try fx.write("d/two.log", [], under: staging)
        let archive = fx.dir.appendingPathComponent("x.tar")
        try fx.run(["tar", "--no-recursion", "-cf", archive.path, "-C", staging.path, "d", "d/one.log", "d/two.log"])

        let members = try fx.readAll()
        #expect(members.map(\.path) == ["d/one.log", "d/two.log"])
        #expect(members.allSatisfy { $0.encoding == "tar" && $0.error == nil })
        #expect(members.map(\.bytes) == [Array("one\n".utf8), []])
    }

    @Test("x.log.gz that is plain text is read as plain (detection by content, not name)")
    func misnamedPlainText() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let text = logText(lines: 50)
        try fx.write("x.log.gz", text)

        let members = try fx.readAll()
        #expect(members.count == 1)
        #expect(members.first?.encoding == "plain")
        #expect(members.first?.error == nil)
        #expect(members.first?.bytes == text)
    }

    @Test("A truncated gzip delivers a prefix of the original, then a truncation error")
    func truncatedGzip() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let text = logText(lines: 2000)   // ~200 KB
        #expect(text.count > 150_000)
        let gz = try fx.compress(text, ["gzip", "-c", "-n"])
        try fx.write("cut.gz", Array(gz[0..<(gz.count / 2)]))

        let members = try fx.readAll()
        #expect(members.count == 1)
        let m = try #require(members.first)
        #expect(m.encoding == "gzip")
        let error = try #require(m.error, "a truncated gzip must not end silently")
        #expect(error.message.lowercased().contains("truncat"), "\(error.message)")
        #expect(m.bytes.count > 0)
        #expect(m.bytes.count < text.count)
        #expect(Array(text.prefix(m.bytes.count)) == m.bytes)
    }

    @Test("A gzip cut inside its header or right after it is an error, not an empty member")
    func gzipCutEarly() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let gz = try fx.compress(logText(lines: 100), ["gzip", "-c", "-n"])
        try fx.write("ten.gz", Array(gz[0..<10]))
        try fx.write("twenty.gz", Array(gz[0..<20]))

        let members = try fx.readAll()
        #expect(members.count == 2)
        for m in members {
            #expect(m.encoding == "gzip")
            #expect(m.error?.message.lowercased().contains("truncat") == true, "\(m.input): \(String(describing: m.error))")
        }
    }

    /// A file of 3...7 bytes starting with the gzip magic once trapped ("Index out of range")
    /// in the header-mtime read and took the whole process down; the reading runs in a child
    /// process so that a regression fails this test instead of the whole test run.
    @Test("A file of 3...7 bytes starting with the gzip magic is a decode error, not a crash", arguments: 3...7)
    func tinyGzipDoesNotCrash(length: Int) async throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let header: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]
        try fx.write("tiny.gz", Array(header.prefix(length)))
        let dir = fx.dir.path
        await #expect(processExitsWith: .success) { [dir = dir as String] in
            let members = try Fixture.readAll(FileSource(config: PluginConfig(["paths": .list([dir])])))
            #expect(members.count == 1)
            #expect(members.first?.encoding == "gzip")
            #expect(members.first?.bytes == [])
            #expect(members.first?.error?.message.lowercased().contains("truncat") == true)
        }
    }

    @Test("A gzip with bytes flipped in the middle throws a DecodeError")
    func corruptGzip() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let text = logText(lines: 2000, seed: 5)
        var gz = try fx.compress(text, ["gzip", "-c", "-n"])
        let middle = gz.count / 2
        for i in middle..<(middle + 16) { gz[i] ^= 0xFF }
        try fx.write("bad.gz", gz)

        let members = try fx.readAll()
        #expect(members.count == 1)
        let m = try #require(members.first)
        #expect(m.encoding == "gzip")
        let error = try #require(m.error, "corrupted gzip content was returned silently")
        #expect(error.message.hasPrefix("gzip:"))
        #expect(m.bytes != text)
    }

    @Test("A gzip whose CRC does not match delivers its bytes, then zlib's data check error")
    func gzipBadCRC() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let text = logText(lines: 300, seed: 6)
        var gz = try fx.compress(text, ["gzip", "-c", "-n"])
        gz[gz.count - 8] ^= 0x55   // first byte of the CRC-32 trailer
        try fx.write("crc.gz", gz)

        let members = try fx.readAll()
        let m = try #require(members.first)
        #expect(m.bytes == text)
        let error = try #require(m.error, "a CRC mismatch went unnoticed")
        #expect(error.message.contains("incorrect data check"), "\(error.message)")
    }

    @Test("A file starting with 600 zero bytes is plain, every byte delivered (not an empty tar)")
    func leadingZeros() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let content = [UInt8](repeating: 0, count: 600) + logText(lines: 20)
        try fx.write("zeros.log", content)

        let members = try fx.readAll()
        #expect(members.count == 1)
        #expect(members.first?.encoding == "plain")
        #expect(members.first?.error == nil)
        #expect(members.first?.bytes == content)
    }

    @Test("An empty file is one plain member of 0 bytes, without error")
    func emptyFile() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        try fx.write("empty.log", [])

        let members = try fx.readAll()
        #expect(members.count == 1)
        #expect(members.first?.encoding == "plain")
        #expect(members.first?.path == nil)
        #expect(members.first?.error == nil)
        #expect(members.first?.bytes == [])
    }

    @Test("The gzip header's MTIME is the member's reference time")
    func gzipHeaderMtime() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let text = logText(lines: 10)
        var gz = try fx.compress(text, ["gzip", "-c", "-n"])
        #expect(gz[4..<8].allSatisfy { $0 == 0 })
        let mtime: UInt32 = 1_700_000_000
        for i in 0..<4 { gz[4 + i] = UInt8(truncatingIfNeeded: mtime >> (8 * UInt32(i))) }
        try fx.write("stamped.gz", gz, mtime: 1_500_000_000)

        let members = try fx.readAll()
        let m = try #require(members.first)
        #expect(m.error == nil)
        #expect(m.bytes == text)
        #expect(m.referenceTime == 1_700_000_000)
    }

    @Test("A directory is walked recursively, include/exclude globs applied, inputs sorted")
    func directoryWalk() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        for name in ["z.log", "a.log", "b.txt", "skip.log", "skipped-too.log", "sub/c.log", "sub/skip-me.log",
                     "sub/e.log.gz", "sub/deeper/d.log", "sub/deeper/f.txt"] {
            try fx.write(name, Array("\(name)\n".utf8))
        }
        let prefix = fx.dir.path + "/"
        func relative(_ inputs: [InputDescriptor]) -> [String] {
            inputs.map { $0.path.hasPrefix(prefix) ? String($0.path.dropFirst(prefix.count)) : $0.path }
        }

        let filtered = try fx.source(["include": .list(["*.log"]), "exclude": .list(["skip*"])]).inputs()
        #expect(relative(filtered) == ["a.log", "sub/c.log", "sub/deeper/d.log", "z.log"])
        #expect(filtered.map(\.path) == filtered.map(\.path).sorted())
        #expect(filtered.map(\.size) == relative(filtered).map { Int64($0.utf8.count + 1) })

        let all = try fx.source().inputs()
        #expect(relative(all) == ["a.log", "b.txt", "skip.log", "skipped-too.log", "sub/c.log", "sub/deeper/d.log",
                                  "sub/deeper/f.txt", "sub/e.log.gz", "sub/skip-me.log", "z.log"])

        // A file named explicitly is read even when the globs would leave it out.
        let explicit = try fx.source(["include": .list(["*.log"])], paths: [fx.dir.appendingPathComponent("b.txt").path]).inputs()
        #expect(relative(explicit) == ["b.txt"])
    }

    @Test("A symlink back to a parent directory is walked once, not until the OS gives up")
    func symlinkLoop() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        try fx.write("a.log", Array("a\n".utf8))
        try FileManager.default.createSymbolicLink(atPath: fx.dir.appendingPathComponent("loop").path, withDestinationPath: fx.dir.path)
        let inputs = try fx.source().inputs()
        #expect(inputs.map(\.path) == [fx.dir.appendingPathComponent("a.log").path])
    }

    @Test("A truncated tar.gz reports its fault once, on the member it cut")
    func truncatedTarReportsOnce() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let text = Array((0..<20000).map { "line \($0) of a member that is long enough to span blocks\n" }.joined().utf8)
        try fx.write("t/var/log/a.log", text, under: fx.work)
        let tarGz = try fx.run(["tar", "-czf", "-", "-C", fx.work.appendingPathComponent("t").path, "var"])
        try fx.write("cut.tar.gz", Array(tarGz.prefix(tarGz.count / 2)))
        var opened = 0
        let source = try fx.source()
        for input in try source.inputs() {
            // open() must not throw again for a fault the member's read already reported.
            try source.open(input) { stream in
                opened += 1
                var buffer = [UInt8](repeating: 0, count: 65536)
                var delivered = 0
                var failure: DecodeError?
                while true {
                    do {
                        let n = try buffer.withUnsafeMutableBytes { try stream.read(into: $0) }
                        if n == 0 { break }
                        delivered += n
                    } catch let error as DecodeError {
                        failure = error
                        break
                    } catch { break }
                }
                #expect(failure != nil)
                #expect(delivered > 0 && delivered < text.count)
                #expect(stream.memberPath == "var/log/a.log")
            }
        }
        #expect(opened == 1)
    }

    @Test("A missing path makes the constructor throw a ConfigError naming it")
    func missingPath() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let missing = fx.dir.appendingPathComponent("does-not-exist.log").path
        let error = #expect(throws: ConfigError.self) {
            _ = try FileSource(config: PluginConfig(["paths": .list([fx.dir.path, missing])]))
        }
        #expect(error?.description.contains(missing) == true)
    }
}
