/// Values of `event.outcome`. The campaign report reads these, so parsers use the enum,
/// never a literal.
public enum Outcome: Sendable, CaseIterable {
    case success, failure, unknown

    public var text: StaticString {
        switch self {
        case .success: "success"
        case .failure: "failure"
        case .unknown: "unknown"
        }
    }
}

/// Values of `event.reason` that the campaign accounting decides on (see the report contract).
public enum Reason: Sendable, CaseIterable {
    case unknownUser, badPassword, locked, disabled, expired, mfaRequired, mfaFailed
    case tooManyAttempts, notPermitted, relayDenied, policy

    public var text: StaticString {
        switch self {
        case .unknownUser: "unknown_user"
        case .badPassword: "bad_password"
        case .locked: "locked"
        case .disabled: "disabled"
        case .expired: "expired"
        case .mfaRequired: "mfa_required"
        case .mfaFailed: "mfa_failed"
        case .tooManyAttempts: "too_many_attempts"
        case .notPermitted: "not_permitted"
        case .relayDenied: "relay_denied"
        case .policy: "policy"
        }
    }
}
