import Foundation
@testable import SpoorKit
import Testing

/// The worker offers the campaign tally only the events `CampaignCounter.mayCount` lets
/// through; the tally must come out as if it had been offered every event.
@Suite struct CampaignGateTests {
    @Test func theFirstLookDropsNoEventThatCounts() throws {
        // The values the classification compares, and others.
        let categories = ["authentication", "email", "session", nil]
        let actions = ["recipient-check", "account-lookup", "login", "delivery", nil]
        let outcomes = ["success", "failure", nil]
        let reasons = ["unknown_user", "bad_password", "locked", "mfa_failed", "relay_denied", nil]
        let exists: [Bool?] = [true, false, nil]
        var every = CampaignCounter(), gated = CampaignCounter()
        let builder = EventBuilder()
        var n = 0, offered = 0
        for category in categories { for action in actions { for outcome in outcomes { for reason in reasons { for known in exists {
            builder.begin(record: UnsafeRawBufferPointer(start: nil, count: 0))
            builder.set(.timestamp, int: 1_760_000_000_000_000 + Int64(n) * 60_000_000)
            builder.set(.eventDataset, string: "test")
            for (field, value) in [(Field.eventCategory, category), (.eventAction, action), (.eventOutcome, outcome), (.eventReason, reason)] {
                if let value { builder.set(field, string: value) }
            }
            if let known { builder.set(.userExists, bool: known) }
            builder.set(.userName, string: "user\(n % 7)")
            builder.set(.sourceIP, string: "192.0.2.\(n % 13)")
            builder.set(.eventID, string: "event-\(n)")
            #expect(builder.commit())
            every.addLast(of: builder)
            if CampaignCounter.mayCount(builder) {
                offered += 1
                gated.addLast(of: builder)
            }
            n += 1
        } } } } }
        every.flush(builder.batch)
        gated.flush(builder.batch)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(offered < n, "the first look passes some events by")
        #expect(every.tally.sources.values.contains { $0.probeAttempts > 0 && $0.attackAttempts > 0 })
        #expect(try encoder.encode(gated.tally) == encoder.encode(every.tally))
    }
}
