import SpoorTestSupport
/// The campaign report's record classes (shared/CAMPAIGN.md), decided from normalized fields
/// only — what the parsers must make possible.
enum CampaignClass: Equatable {
    case probe, attack, compromise, none
}

extension Parsed {
    var campaignClass: CampaignClass {
        let reason = self["event.reason"]
        if self["event.action"] == "recipient-check" || self["event.action"] == "account-lookup" {
            return reason == "unknown_user" ? .probe : .none
        }
        guard self["event.category"] == "authentication" else { return .none }
        if reason == "unknown_user" { return .probe }
        if self["event.outcome"] == "success" { return .compromise }
        if self["event.outcome"] == "failure",
           ["bad_password", "locked", "disabled", "expired", "mfa_required", "mfa_failed"].contains(reason ?? "") {
            return .attack
        }
        return .none
    }

    /// The account the report counts: `user.email`, else `user.name`.
    var account: String? { self["user.email"] ?? self["user.name"] }
}
