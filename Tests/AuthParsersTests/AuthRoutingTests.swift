import AuthParsers
import SpoorKit
import Testing

/// The auth parsers are reached by the program names their daemons log under.
@Suite struct AuthRoutingTests {
    @Test func routes() throws {
        #expect(try SSHDParser(config: PluginConfig()).routes.contains(.program("sshd-session")))
        #expect(try SudoParser(config: PluginConfig()).routes == [.program("sudo")])
        #expect(try SuParser(config: PluginConfig()).routes.contains(.program("su")))
        #expect(try PAMParser(config: PluginConfig()).routes == [.anyProgram])
    }
}
