import Foundation
import Testing
@testable import spoor

/// The README's schema table is `spoor schema --markdown`: the schema has one definition.
@Test func readmeSchemaTableIsTheSchema() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    let begin = try #require(readme.range(of: "<!-- schema:begin -->\n"))
    let end = try #require(readme.range(of: "<!-- schema:end -->"))
    let table = String(readme[begin.upperBound..<end.lowerBound])
    #expect(table == SchemaCommand.render(markdown: true), "run: spoor schema --markdown, and paste it between the schema markers")
}
