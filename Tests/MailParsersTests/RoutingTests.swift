import MailParsers
import SpoorKit
import SpoorTestSupport
import Testing

/// Each mail parser is reached by the program names its daemon logs under.
@Suite struct MailRoutingTests {
    @Test func routesCoverTheDaemonsProgramNames() throws {
        let postfix = try PostfixParser(config: PluginConfig())
        #expect(postfix.routes.contains(.programPrefix("postfix/")))
        let dovecot = try DovecotParser(config: PluginConfig())
        #expect(dovecot.routes.contains(.program("imap-login")) && dovecot.routes.contains(.program("dovecot")))
        let exim = try EximParser(config: PluginConfig())
        #expect(exim.routes.contains(.format("exim")))
        #expect(withBytes(of: "2013-06-12 03:57:58 login authenticator failed for (ylmf-pc) [120.196.140.45]: 535 Incorrect authentication data\n") {
            exim.sniff($0)
        } > 0)
    }
}
