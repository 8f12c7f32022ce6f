import Foundation
import SpoorKit
import Testing

@Suite struct FindingColumnsTests {
    /// The README's findings table is `FindingColumn`, so the two cannot drift apart.
    @Test func theReadmeListsTheFindingColumns() throws {
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        let block = try #require(readme.components(separatedBy: "<!-- findings:begin -->\n").dropFirst().first?
            .components(separatedBy: "<!-- findings:end -->").first)
        let expected = "| column | type | meaning |\n|---|---|---|\n"
            + FindingColumn.allCases.map { "| `\($0.spec.name)` | \($0.spec.type.rawValue) | \($0.spec.doc) |\n" }.joined()
        #expect(block == expected)
    }
}
