import ArgumentParser
import SpoorKit

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the event schema: every column, its type and meaning.",
        discussion: "The schema is defined once, in SpoorKit; this prints it (as a Markdown table with --markdown, which is how the README's table is made and checked).")

    @Flag(help: "A Markdown table.")
    var markdown = false

    func run() {
        print(Self.render(markdown: markdown), terminator: "")
    }

    static func render(markdown: Bool) -> String {
        var out = ""
        if markdown {
            out += "| column | type | meaning |\n|---|---|---|\n"
            for f in Field.allCases { out += "| `\(f.name)` | \(f.spec.type.rawValue) | \(f.spec.doc) |\n" }
        } else {
            let width = Field.allCases.map(\.name.count).max() ?? 0
            out += "schema version \(Schema.version)\n"
            for f in Field.allCases {
                out += f.name.padding(toLength: width + 2, withPad: " ", startingAt: 0)
                    + f.spec.type.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0) + f.spec.doc + "\n"
            }
        }
        return out
    }
}
