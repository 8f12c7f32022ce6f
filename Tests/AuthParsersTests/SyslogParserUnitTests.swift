import SpoorKit
@testable import SyslogParsers
import SpoorTestSupport
import Testing

/// The envelope's pieces on their own.
@Suite struct SyslogParserUnitTests {
    @Test func tagSplitsProgramPidAndMessage() {
        withBytes(of: "postfix/smtpd[123]: connect from x") { b in
            let (program, pid, message) = SyslogParser.tag(b)
            #expect(program.string == "postfix/smtpd" && pid?.string == "123" && message.string == "connect from x")
        }
        withBytes(of: "no tag here") { b in
            let (program, _, message) = SyslogParser.tag(b)
            #expect(program.count == 0 && message.string == "no tag here")
        }
    }

    @Test func tai64nLabelsAreUTC() {
        // @4000000000000000 + 10 s is the epoch; daemontools' convention, leap seconds not applied.
        #expect(withBytes(of: "@400000000000000a00000000") { SyslogParser.tai64n($0) } == 0)
        #expect(withBytes(of: "@40000000000000") { SyslogParser.tai64n($0) } == nil)
    }
}
