import Foundation
import Testing

/// Plugins loaded at run time: the sample plugin package (samples/plugins/acme-vpn) is
/// built as a shared library and loaded into the stock `spoor` binary; broken plugins are
/// refused with exit code 2 and a message naming the file and the ABI version.
@Suite(.serialized) struct RuntimePluginTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Builds the sample plugin once per test run (into its own scratch directory, so it
    /// never contends with the build of Spoor itself) and returns its .so.
    static let samplePlugin: Result<String, SamplePluginError> = {
        let package = repo.appendingPathComponent("samples/plugins/acme-vpn").path
        let scratch = repo.appendingPathComponent(".build-plugins/acme-vpn").path
        let started = ContinuousClock.now
        let build = { try? swift(["build", "--package-path", package, "--scratch-path", scratch, "--product", "AcmeVPN"]) }
        guard var built = build() else { return .failure(SamplePluginError(message: "cannot run swift build")) }
        // SwiftPM keeps the source list of the path dependency (Spoor itself) from the last
        // build: a file added to SpoorKit since is "not in scope". Built afresh once, it is.
        if built.status != 0 {
            try? FileManager.default.removeItem(atPath: scratch)
            built = build() ?? built
        }
        guard built.status == 0 else {
            return .failure(SamplePluginError(message: "swift build of the sample plugin failed:\n" + built.output))
        }
        print("sample plugin built in \(started.duration(to: .now)) (swift build --package-path samples/plugins/acme-vpn)")
        let bin = (try? swift(["build", "--package-path", package, "--scratch-path", scratch, "--show-bin-path"]))?.output ?? ""
        return .success(bin.trimmingCharacters(in: .whitespacesAndNewlines) + "/libAcmeVPN.so")
    }()

    struct SamplePluginError: Error, CustomStringConvertible { let message: String; var description: String { message } }

    static let gatewayLog = """
        2026-03-01 10:00:01 gw1 sess=7f3a1 connect user=alice@example.com from=203.0.113.7:51234 method=password
        2026-03-01 10:00:02 gw1 sess=9b2c4 connect user=bob@example.com from=198.51.100.9:40000 method=otp
        2026-03-01 10:00:03 gw1 sess=7f3a1 auth result=reject reason=bad_password
        2026-03-01 10:00:04 gw1 sess=9b2c4 auth result=accept
        2026-03-01 10:00:09 gw1 sess=9b2c4 disconnect

        """

    static let syslog = """
        Mar  1 10:05:00 gw2 acmevpn[311]: sess=c0ffee connect user=carol from=192.0.2.44:6000 method=password
        Mar  1 10:05:01 gw2 sshd[12]: Accepted password for carol from 192.0.2.44 port 6001 ssh2
        Mar  1 10:05:02 gw2 acmevpn[311]: sess=c0ffee auth result=accept

        """

    func events(_ stdout: String) throws -> [[String: Any]] {
        try stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    @Test func theSamplePluginParsesItsFilesAndItsSyslogProgramInTheStockBinary() throws {
        let plugin = try Self.samplePlugin.get()
        let fx = try Fixture()
        defer { fx.remove() }
        try fx.write("logs/gateway.log", Self.gatewayLog)
        try fx.write("logs/messages", Self.syslog)
        let run = try fx.spoor(["ingest", fx.url("logs").path, "--plugin", plugin, "--out", "-", "--year", "2026", "--workers", "2"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("formats     acme.vpn 1, syslog 1"), "\(run.stderr)")
        #expect(run.stderr.contains("records in  8 = events 8 + dead letters 0 + filtered 0  ✓"), "\(run.stderr)")
        let all = try events(run.stdout)
        let logins = all.filter { $0["event.action"] as? String == "vpn-login" }
        #expect(logins.count == 3)
        // The result line names no user: the event has the one of its session's connect line.
        let alice = try #require(logins.first { $0["labels"].flatMap { ($0 as? [String: String])?["session_id"] } == "7f3a1" })
        #expect(alice["user.email"] as? String == "alice@example.com")
        #expect(alice["source.ip"] as? String == "203.0.113.7")
        #expect(alice["event.outcome"] as? String == "failure")
        #expect(alice["event.reason"] as? String == "bad_password")
        #expect(alice["@timestamp"] as? String == "2026-03-01T10:00:03.000000Z")
        // Through syslog: the envelope's host and program, the plugin's fields.
        let carol = try #require(logins.first { $0["user.name"] as? String == "carol" })
        #expect(carol["host.name"] as? String == "gw2")
        #expect(carol["process.name"] as? String == "acmevpn")
        #expect(carol["source.ip"] as? String == "192.0.2.44")
        #expect(carol["event.outcome"] as? String == "success")
        #expect(all.contains { $0["event.dataset"] as? String == "sshd" })
    }

    @Test func everyWorkerHasItsOwnInstanceAndKeepsItsSessions() throws {
        let plugin = try Self.samplePlugin.get()
        let fx = try Fixture()
        defer { fx.remove() }
        // Six files parsed by four workers at once; each file's sessions are its own.
        for f in 0..<6 {
            var text = ""
            for s in 0..<3000 {
                text += "2026-03-01 10:00:00 gw\(f) sess=f\(f)s\(s) connect user=u\(s)@f\(f).example from=192.0.2.\(s % 250 + 1):\(1000 + s)\n"
            }
            for s in 0..<3000 { text += "2026-03-01 10:00:01 gw\(f) sess=f\(f)s\(s) auth result=\(s % 3 == 0 ? "accept" : "reject reason=bad_password")\n" }
            try fx.write("logs/gw\(f).log", text)
        }
        let run = try fx.spoor(["ingest", fx.url("logs").path, "--plugin", plugin, "--out", "-", "--workers", "4"])
        #expect(run.status == 0, "\(run.stderr)")
        let logins = try events(run.stdout).filter { $0["event.action"] as? String == "vpn-login" }
        #expect(logins.count == 18_000)
        let joined = logins.filter { login in
            guard let email = login["user.email"] as? String, let host = login["host.name"] as? String else { return false }
            return email.hasSuffix("@f\(host.dropFirst(2)).example")
        }
        #expect(joined.count == 18_000, "every result joined to its own file's connect line")
    }

    /// A file of several chunks, its sessions opened in the first half and decided in the
    /// second: parsed by two workers, every result still finds its connect line, because the
    /// parser is StreamOrdered (one instance per stream, the chunks in order).
    @Test func aStreamOrderedParserKeepsItsStateAcrossChunksAndWorkers() throws {
        let plugin = try Self.samplePlugin.get()
        let fx = try Fixture()
        defer { fx.remove() }
        var text = ""
        let sessions = 25_000
        for s in 0..<sessions {
            text += "2026-03-01 10:00:00 gw1 sess=s\(s) connect user=user\(s)@example.com from=192.0.2.\(s % 250 + 1):\(1000 + s % 60000) method=password\n"
        }
        for s in 0..<sessions { text += "2026-03-01 11:00:00 gw1 sess=s\(s) auth result=accept\n" }
        #expect(text.utf8.count > 3 << 20, "more than three 1 MiB chunks")
        try fx.write("logs/big.log", text)
        let run = try fx.spoor(["ingest", fx.url("logs").path, "--plugin", plugin, "--out", "-", "--workers", "2", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let logins = try events(run.stdout).filter { $0["event.action"] as? String == "vpn-login" }
        #expect(logins.count == sessions)
        let unknown = logins.filter { ($0["labels"] as? [String: String])?["session_state"] == "unknown" }.count
        #expect(unknown == 0, "results that lost their session: \(unknown)")
        #expect(logins.allSatisfy { login in
            let id = (login["labels"] as? [String: String])?["session_id"] ?? ""
            return login["user.email"] as? String == "user\(id.dropFirst())@example.com"
        })
    }

    @Test func aJobFileAndADirectoryOfPluginsLoadItAndPluginsListsItsFile() throws {
        let plugin = try Self.samplePlugin.get()
        let fx = try Fixture()
        defer { fx.remove() }
        try FileManager.default.createDirectory(at: fx.url("plugins"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: plugin, toPath: fx.url("plugins/libAcmeVPN.so").path)
        try fx.write("plugins/README.txt", "not a plugin: only lib*.so are loaded\n")
        try fx.write("logs/gateway.log", Self.gatewayLog)
        // The plugin's enricher, configured in the job file like a built-in one.
        try fx.write("job.yaml", "inputs: [logs]\nout: '-'\nplugins: [plugins]\nenrichers:\n  acme.vpn.sites: {sites: [gw1=fra]}\n")
        let run = try fx.spoor(["ingest", "--job", fx.url("job.yaml").path])
        #expect(run.status == 0, "\(run.stderr)")
        let vpn = try events(run.stdout).filter { $0["event.dataset"] as? String == "acme.vpn" }
        #expect(vpn.count == 5)
        #expect(vpn.allSatisfy { ($0["labels"] as? [String: String])?["site"] == "fra" }, "\(vpn)")
        let validated = try fx.spoor(["validate", fx.url("job.yaml").path])
        #expect(validated.status == 0 && validated.stdout.contains("plugins: acme-vpn 1.0.0"), "\(validated.stdout)\(validated.stderr)")
        // A configuration the plugin refuses stops the job before any input is read.
        try fx.write("bad.yaml", "inputs: [logs]\nout: '-'\nplugins: [plugins]\nenrichers:\n  acme.vpn.sites: {sites: [gw1]}\n")
        let refused = try fx.spoor(["ingest", "--job", fx.url("bad.yaml").path])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("enricher 'acme.vpn.sites' of plugin") && refused.stderr.contains("'gw1' is not host=site"), "\(refused.stderr)")

        let list = try fx.spoor(["plugins", "--plugin", fx.url("plugins").path])
        #expect(list.status == 0)
        #expect(list.stdout.contains("acme-vpn 1.0.0  \(fx.url("plugins").path)/libAcmeVPN.so  parsers: acme.vpn  enrichers: acme.vpn.sites"), "\(list.stdout)")
        #expect(list.stdout.contains("(plugin acme-vpn)"))
    }

    /// Each broken plugin: exit 2, the file named, the ABI version this spoor expects, no crash.
    @Test func brokenPluginsAreRefusedWithTheFileAndTheExpectedABIVersion() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        try fx.write("junk/libjunk.so", "this is text, not ELF\n")
        try fx.write("empty/README.txt", "no plugin here\n")
        try fx.write("noentry.c", "int something_else(void) { return 1; }\n")
        try fx.write("oldabi.c", """
            #include <stdint.h>
            int32_t spoor_plugin_entry(void *table) { *(uint32_t *)table = 99; return 1; }
            """)
        // ABI 1, a complete table, but a manifest that is not JSON.
        try fx.write("badmanifest.c", """
            #include <stdint.h>
            #include <stddef.h>
            static void *create(uint32_t p, const char *c, char **e) { return 0; }
            static int32_t sniff(void *i, const uint8_t *h, size_t n) { return 0; }
            static int32_t parse(void *i, const void *r, void *emit, void *host) { return 4; }
            static void destroy(void *i) {}
            static void free_string(char *s) {}
            struct table { uint32_t abi, size; const char *manifest; void *create, *sniff, *parse, *destroy, *free_string; };
            int32_t spoor_plugin_entry(struct table *t) {
                t->abi = 1; t->manifest = "{\\"name\\": \\"broken\\", oops";
                t->create = (void *)create; t->sniff = (void *)sniff; t->parse = (void *)parse;
                t->destroy = (void *)destroy; t->free_string = (void *)free_string;
                return 0;
            }
            """)
        for name in ["noentry", "oldabi", "badmanifest"] {
            try fx.sh("cc -shared -fPIC -o lib\(name).so \(name).c || clang -shared -fPIC -o lib\(name).so \(name).c")
        }
        let cases: [(plugin: String, says: String)] = [
            (fx.url("missing/libnothing.so").path, "no such file or directory"),
            (fx.url("empty").path, "the directory holds no lib*.so"),
            (fx.url("junk/libjunk.so").path, "not a loadable shared library"),
            (fx.url("libnoentry.so").path, "has no entry point 'spoor_plugin_entry'"),
            (fx.url("libbadmanifest.so").path, "its manifest is not valid"),
        ]
        for (plugin, says) in cases {
            for command in [["parse", "--plugin", plugin, "x"], ["ingest", "--plugin", plugin, "--out", "-", fx.url("noentry.c").path]] {
                let run = try fx.spoor(command)
                #expect(run.status == 2, "\(command): \(run.stderr)")
                #expect(run.stderr.contains("plugin \(plugin): "), "\(run.stderr)")
                #expect(run.stderr.contains(says), "\(run.stderr)")
                #expect(run.stderr.contains("ABI version 1"), "\(run.stderr)")
            }
        }
        let old = try fx.spoor(["plugins", "--plugin", fx.url("liboldabi.so").path])
        #expect(old.status == 2)
        #expect(old.stderr.contains("plugin \(fx.url("liboldabi.so").path): speaks plugin ABI version 99, this spoor expects ABI version 1"), "\(old.stderr)")
    }

    /// `spoor new parser NAME --swift` writes a package that builds, passes its own test and
    /// loads into the stock binary as written.
    @Test func aScaffoldedPluginBuildsPassesItsTestAndLoads() throws {
        let sources = Self.repo.appendingPathComponent(".build-plugins/scaffold-src")
        let scratch = Self.repo.appendingPathComponent(".build-plugins/scaffold").path
        try? FileManager.default.removeItem(at: sources)
        let fx = try Fixture()
        defer { fx.remove() }
        let made = try fx.spoor(["new", "parser", "acme-sso", "--swift", "--dir", sources.path])
        #expect(made.status == 0, "\(made.stderr)")
        let package = sources.appendingPathComponent("acme-sso")
        for file in ["Package.swift", "Sources/AcmeSso/Entry.swift", "Sources/AcmeSso/AcmeSsoParser.swift",
                     "Tests/AcmeSsoTests/AcmeSsoParserTests.swift", "README.md"] {
            #expect(made.stdout.contains("wrote \(package.appendingPathComponent(file).path)"), "\(made.stdout)")
        }
        let again = try fx.spoor(["new", "parser", "acme-sso", "--swift", "--dir", sources.path])
        #expect(again.status == 2 && again.stderr.contains("exists; not overwritten"))
        let badName = try fx.spoor(["new", "parser", "9 lives", "--swift", "--dir", sources.path])
        #expect(badName.status == 2 && badName.stderr.contains("is not a plugin name"))

        let started = ContinuousClock.now
        let tested = try Self.swift(["test", "--package-path", package.path, "--scratch-path", scratch])
        #expect(tested.status == 0, "\(tested.output)")
        #expect(tested.output.contains("Test run with 1 test"), "\(tested.output)")
        let built = try Self.swift(["build", "--package-path", package.path, "--scratch-path", scratch, "--product", "AcmeSso"])
        #expect(built.status == 0, "\(built.output)")
        print("scaffolded plugin tested and built in \(started.duration(to: .now))")
        let bin = try Self.swift(["build", "--package-path", package.path, "--scratch-path", scratch, "--show-bin-path"])
        let plugin = bin.output.trimmingCharacters(in: .whitespacesAndNewlines) + "/libAcmeSso.so"

        try fx.write("logs/messages", """
            Nov 25 10:00:00 host1 acme-sso[42]: session 17 user alice from 192.0.2.10
            Nov 25 10:00:02 host1 acme-sso[42]: session 17 login failed

            """)
        let run = try fx.spoor(["ingest", fx.url("logs").path, "--plugin", plugin, "--out", "-", "--year", "2026"])
        #expect(run.status == 0, "\(run.stderr)")
        let login = try #require(try events(run.stdout).first { $0["event.type"] as? String == "start" })
        #expect(login["event.dataset"] as? String == "acme-sso")
        #expect(login["user.name"] as? String == "alice")
        #expect(login["source.ip"] as? String == "192.0.2.10")
        #expect(login["event.outcome"] as? String == "failure")
    }

    /// Runs `swift` with arguments; stdout and stderr together.
    static func swift(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let r = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["swift"] + arguments, mergingOutput: true)
        return (r.status, r.stdout)
    }
}
