import Foundation
import Testing

/// docs/writing-parsers.md never rots: every ```console test block runs with the built
/// `spoor` in a scratch directory (each ```… file=PATH block written there first, in
/// document order), and what it prints must be what the guide shows.
///
/// In a shown output, a line `...` stands for any lines (none included) and `...` inside
/// a line for any text; a last line `[exit N]` is the expected exit status (else 0).
@Suite struct DocTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    enum Step {
        case file(path: String, text: String)
        case command(line: Int, command: String, expected: [String], status: Int32)
    }

    /// The guide's steps, in order.
    static func steps(_ markdown: String) -> [Step] {
        var steps: [Step] = []
        let lines = markdown.components(separatedBy: "\n")
        var i = 0
        while i < lines.count {
            let fence = lines[i]
            guard fence.hasPrefix("```"), fence.count > 3 else { i += 1; continue }
            let info = fence.dropFirst(3).split(separator: " ").map(String.init)
            var body: [String] = []
            let start = i + 1
            i += 1
            while i < lines.count, lines[i] != "```" { body.append(lines[i]); i += 1 }
            i += 1
            if let file = info.first(where: { $0.hasPrefix("file=") }) {
                steps.append(.file(path: String(file.dropFirst(5)), text: body.joined(separator: "\n") + "\n"))
            } else if info.first == "console", info.contains("test") {
                var j = 0
                while j < body.count {
                    guard body[j].hasPrefix("$ ") else { j += 1; continue }
                    let command = String(body[j].dropFirst(2))
                    let line = start + j + 1
                    var expected: [String] = []
                    j += 1
                    while j < body.count, !body[j].hasPrefix("$ ") { expected.append(body[j]); j += 1 }
                    var status: Int32 = 0
                    if let last = expected.last, last.hasPrefix("[exit "), let n = Int32(last.dropFirst(6).dropLast()) {
                        status = n
                        expected.removeLast()
                    }
                    steps.append(.command(line: line, command: command, expected: expected, status: status))
                }
            }
        }
        return steps
    }

    /// Whether `actual` is what `expected` shows, with `...` wildcards.
    static func matches(_ expected: [String], _ actual: [String]) -> Bool {
        guard let first = expected.first else { return actual.isEmpty }
        if first == "..." {
            let rest = Array(expected.dropFirst())
            return (0...actual.count).contains { matches(rest, Array(actual.dropFirst($0))) }
        }
        guard let line = actual.first, lineMatches(first, line) else { return false }
        return matches(Array(expected.dropFirst()), Array(actual.dropFirst()))
    }

    static func lineMatches(_ pattern: String, _ line: String) -> Bool {
        let parts = pattern.components(separatedBy: "...")
        guard parts.count > 1 else { return pattern == line }
        guard line.hasPrefix(parts[0]), line.hasSuffix(parts[parts.count - 1]),
              line.count >= parts[0].count + parts[parts.count - 1].count else { return false }
        var rest = Substring(line.dropFirst(parts[0].count).dropLast(parts[parts.count - 1].count))
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let r = rest.range(of: part) else { return false }
            rest = rest[r.upperBound...]
        }
        return true
    }

    @Test func writingParsersGuideRunsAsShown() throws {
        let guide = try String(contentsOf: Self.root.appendingPathComponent("docs/writing-parsers.md"), encoding: .utf8)
        let steps = Self.steps(guide)
        let commands = steps.filter { if case .command = $0 { true } else { false } }.count
        #expect(commands >= 8, "the guide's console test blocks were not found")
        let binaries = Self.root.appendingPathComponent(".build/debug")
        #expect(FileManager.default.fileExists(atPath: binaries.appendingPathComponent("spoor").path), "build spoor first")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-doc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        for step in steps {
            switch step {
            case .file(let path, let text):
                let url = scratch.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: url)
            case .command(let line, let command, let expected, let status):
                var env = ProcessInfo.processInfo.environment
                env["PATH"] = binaries.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
                let r = try runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", command], in: scratch, environment: env,
                                       mergingOutput: true)
                var output = r.stdout.components(separatedBy: "\n")
                if output.last == "" { output.removeLast() }
                #expect(r.status == status,
                        "docs/writing-parsers.md:\(line): `\(command)` exited \(r.status), the guide shows \(status)\n\(output.joined(separator: "\n"))")
                #expect(Self.matches(expected, output),
                        "docs/writing-parsers.md:\(line): `\(command)` printed\n\(output.joined(separator: "\n"))\n— the guide shows —\n\(expected.joined(separator: "\n"))")
            }
        }
    }

    @Test func wildcardsOfTheShownOutput() {
        #expect(Self.matches(["a", "...", "d"], ["a", "b", "c", "d"]))
        #expect(Self.matches(["a", "...", "b"], ["a", "b"]))
        #expect(!Self.matches(["a", "b"], ["a", "b", "c"]))
        #expect(Self.lineMatches("x ... z", "x y y z"))
        #expect(!Self.lineMatches("x ... z", "x y y"))
        #expect(Self.lineMatches("{\"a\":1,...,\"c\":3,...}", "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}"))
    }
}
