import Foundation

/// Writes a compiled-plugin package for `spoor new parser NAME --swift`: Package.swift (a
/// `.dynamic` library on the SpoorKit product), a stateful parser to edit, the
/// `spoor_plugin_entry` function, a test target that runs the parser through the plugin
/// ABI, and a README. The package builds and its tests pass as written.
enum SwiftPluginScaffold {
    struct Refusal: Error, CustomStringConvertible {
        let description: String
    }

    /// Writes the package into `dir/NAME/` and returns the paths written. The Spoor package
    /// it depends on is found upward from `dir`, else from the working directory, else taken
    /// from `SPOOR_PACKAGE_PATH`; without any, Package.swift says where to point it.
    static func write(name: String, into dir: String) throws -> [String] {
        guard !name.isEmpty, name.first!.isLetter,
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw Refusal(description: "'\(name)' is not a plugin name: start with a letter; use letters, digits, '-', '_' or '.'")
        }
        let root = URL(fileURLWithPath: dir).appendingPathComponent(name).standardizedFileURL
        guard !FileManager.default.fileExists(atPath: root.path) else {
            throw Refusal(description: "\(root.path) exists; not overwritten")
        }
        let module = moduleName(name)
        let spoor = spoorPackage(from: URL(fileURLWithPath: dir).standardizedFileURL).map { relativePath(from: root, to: $0) }
        let files: [(String, String)] = [
            ("Package.swift", packageManifest(module: module, spoorPath: spoor)),
            ("Sources/\(module)/Entry.swift", entry(name: name, module: module)),
            ("Sources/\(module)/\(module)Parser.swift", parser(name: name, module: module)),
            ("Tests/\(module)Tests/\(module)ParserTests.swift", tests(name: name, module: module)),
            ("README.md", readme(name: name, module: module)),
            (".gitignore", "/.build/\n/Package.resolved\n"),
        ]
        var written: [String] = []
        for (relative, text) in files {
            let url = root.appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
            written.append(url.path)
        }
        return written
    }

    /// `acme-sso` → `AcmeSso`: the target, product and type prefix.
    static func moduleName(_ name: String) -> String {
        name.split(whereSeparator: { "-_.".contains($0) }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// The nearest directory at or above `start` (then the working directory) whose
    /// Package.swift is Spoor's, or `SPOOR_PACKAGE_PATH`.
    static func spoorPackage(from start: URL) -> URL? {
        for origin in [start, URL(fileURLWithPath: FileManager.default.currentDirectoryPath)] {
            var dir = origin
            while true {
                let manifest = dir.appendingPathComponent("Package.swift")
                if let text = try? String(contentsOf: manifest, encoding: .utf8), text.contains("name: \"Spoor\""),
                   text.contains(".library(name: \"SpoorKit\"") {
                    return dir
                }
                let up = dir.deletingLastPathComponent()
                if up.path == dir.path { break }
                dir = up
            }
        }
        return ProcessInfo.processInfo.environment["SPOOR_PACKAGE_PATH"].map { URL(fileURLWithPath: $0).standardizedFileURL }
    }

    static func relativePath(from: URL, to: URL) -> String {
        let a = from.standardizedFileURL.pathComponents, b = to.standardizedFileURL.pathComponents
        var common = 0
        while common < min(a.count, b.count), a[common] == b[common] { common += 1 }
        let path = Array(repeating: "..", count: a.count - common) + b[common...]
        return path.isEmpty ? "." : path.joined(separator: "/")
    }

    static func packageManifest(module: String, spoorPath: String?) -> String {
        let dependency = spoorPath.map { ".package(name: \"Spoor\", path: \"\($0)\")," }
            ?? ".package(name: \"Spoor\", path: \"../spoor\"),   // point this at your Spoor checkout"
        return """
            // swift-tools-version: 6.1
            import PackageDescription

            // A Spoor plugin: `swift build` makes lib\(module).so, which `spoor --plugin` loads at run
            // time. Build it against the SpoorKit of the spoor that loads it: the plugin ABI version
            // is checked at load, and a plugin of another version is refused.
            let package = Package(
                name: "\(module)",
                platforms: [.macOS(.v15)],
                products: [
                    .library(name: "\(module)", type: .dynamic, targets: ["\(module)"]),
                ],
                dependencies: [
                    \(dependency)
                ],
                targets: [
                    .target(name: "\(module)", dependencies: [.product(name: "SpoorKit", package: "Spoor")]),
                    .testTarget(name: "\(module)Tests", dependencies: ["\(module)", .product(name: "SpoorKit", package: "Spoor")]),
                ],
                swiftLanguageModes: [.v6]
            )

            """
    }

    static func entry(name: String, module: String) -> String {
        """
        import SpoorKit

        /// What `spoor --plugin lib\(module).so` calls once at load: it hands over the parsers.
        /// Keep the name and the signature; add parsers to the list.
        @_cdecl("spoor_plugin_entry")
        public func spoorPluginEntry(_ table: UnsafeMutableRawPointer?) -> Int32 {
            PluginExport.fill(table, name: "\(name)", version: "0.1.0", parsers: [\(module)Parser.self])
        }

        """
    }

    static func parser(name: String, module: String) -> String {
        """
        import SpoorKit

        /// Lines of the syslog program `\(name)` where a login's result comes after who logged in,
        /// joined by a session id (edit for your log):
        ///
        ///     Nov 25 10:00:00 host1 \(name)[42]: session 17 user alice from 192.0.2.10
        ///     Nov 25 10:00:02 host1 \(name)[42]: session 17 login failed
        ///
        /// It is `StreamOrdered`: `spoor` gives it one instance per stream and the stream's
        /// records in order, so state kept in `input.context.state(for:)` is that stream's.
        /// A parser that keeps no state across records leaves `StreamOrdered` out: its
        /// streams are then parsed by all workers at once.
        public struct \(module)Parser: Parser, StreamOrdered {
            public static let manifest = PluginManifest(
                id: "\(name)", kind: .parser, version: "0.1.0",
                summary: "\(name): logins, the result joined to its session's user (edit me)")

            public init(config: PluginConfig) throws {}

            /// The syslog program that writes the lines. A whole file format is `.format("\(name)")`
            /// with a `sniff`.
            public var routes: [Route] { [.program("\(name)")] }

            public func parse(_ input: ParserInput, into event: EventBuilder) throws(ParseFailure) -> ParseResult {
                let message = input.message
                guard let afterSession = message.after("session ") else { return .notMine }
                let session = afterSession.token()
                let rest = afterSession.dropFirst(session.count + 1)
                let sessions = input.context.state(for: "\(name).sessions") { Sessions() }
                event.set(.eventDataset, "\(name)")
                event.set(.eventCategory, "authentication")
                event.set(.eventAction, "login")

                if let afterUser = rest.after("user ") {
                    let user = afterUser.token()
                    guard let ip = rest.after(" from ")?.token() else { throw ParseFailure("\(name): session line without 'from'") }
                    sessions.users[Array(session)] = (Array(user), Array(ip))
                    event.set(.eventType, "info")
                    event.set(.userName, user)
                    event.set(.sourceIP, ip)
                    return .event
                }
                if rest.hasPrefix("login ") {
                    event.set(.eventType, "start")
                    if rest.contains("failed") {
                        event.set(outcome: .failure)
                        event.set(reason: .badPassword)
                    } else {
                        event.set(outcome: .success)
                    }
                    if let open = sessions.users.removeValue(forKey: Array(session)) {
                        open.user.withUnsafeBytes { event.set(.userName, $0) }
                        open.ip.withUnsafeBytes { event.set(.sourceIP, $0) }
                    }
                    return .event
                }
                return .notMine
            }
        }

        /// One worker's open sessions: who and from where, by session id.
        final class Sessions {
            var users: [[UInt8]: (user: [UInt8], ip: [UInt8])] = [:]
        }

        """
    }

    static func tests(name: String, module: String) -> String {
        """
        import \(module)
        import SpoorKit
        import Testing

        /// The parser run through the plugin's exported table, as `spoor --plugin` runs it.
        @Suite struct \(module)ParserTests {
            @Test func theResultCarriesTheUserOfItsSession() throws {
                let harness = try PluginHarness(entry: spoorPluginEntry)
                _ = harness.parse("session 17 user alice from 192.0.2.10", parser: "\(name)", program: "\(name)")
                let result = harness.parse("session 17 login failed", parser: "\(name)", program: "\(name)")
                guard case .event(let fields) = result else { Issue.record("no event: \\(result)"); return }
                #expect(fields["user.name"] == "alice")
                #expect(fields["source.ip"] == "192.0.2.10")
                #expect(fields["event.outcome"] == "failure")
                #expect(harness.parse("something else", parser: "\(name)", program: "\(name)") == .notMine)
            }
        }

        """
    }

    static func readme(name: String, module: String) -> String {
        """
        # \(name): a Spoor plugin

        A parser for the syslog program `\(name)`, compiled into a shared library that `spoor`
        loads at run time. Edit `Sources/\(module)/\(module)Parser.swift` and its test.

        ```
        swift test                                  # the parser through the plugin ABI
        swift build                                 # makes .build/debug/lib\(module).so
        spoor parse --plugin .build/debug/lib\(module).so 'Nov 25 10:00:00 host1 \(name)[42]: session 17 user alice from 192.0.2.10'
        spoor ingest /var/log/archive --plugin .build/debug/lib\(module).so --out out/
        spoor plugins --plugin .build/debug/lib\(module).so
        ```

        Build it against the SpoorKit of the `spoor` that loads it (Package.swift points at that
        checkout): `spoor` checks the plugin ABI version at load and refuses a plugin of another
        version, naming the file and the version it expects. Use `swift build -c release` for
        real jobs.

        """
    }
}
