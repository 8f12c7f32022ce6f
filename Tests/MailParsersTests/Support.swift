import SpoorTestSupport
import Testing

// The tester, the corpora and fail2ban's case selection live in SpoorTestSupport.
extension Corpora {
    static let missing = Comment(rawValue: missingReason)
}
