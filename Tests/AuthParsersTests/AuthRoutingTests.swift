import AuthParsers
import SpoorBuiltins
import SpoorKit
import Testing

/// The auth parsers are reached by the program names their daemons log under.
@Suite struct AuthRoutingTests {
    @Test func routes() throws {
        #expect(try SSHDParser(config: PluginConfig()).routes.contains(.program("sshd-session")))
        // sudo and su are declarative modules now (Plugins/Parsers/DeclarativeParsers/modules).
        let parsers = try builtinRegistry().makeParsers()
        #expect(parsers.first { $0.id == "sudo" }?.parser.routes == [.program("sudo")])
        #expect(parsers.first { $0.id == "su" }?.parser.routes.contains(.program("su")) == true)
        #expect(try PAMParser(config: PluginConfig()).routes == [.anyProgram])
    }
}
