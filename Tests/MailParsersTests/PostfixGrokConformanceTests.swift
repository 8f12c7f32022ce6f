import Foundation
import SpoorTestSupport
import Testing

/// postfix-grok-patterns' test cases: `data` is a Postfix message after `postfix/<daemon>[pid]: `
/// (the daemon is in the pattern name). Each becomes a syslog line; every listed result field
/// that has a Spoor equivalent must hold `str(expected)`.
@Suite(.enabled(if: Corpora.available, Corpora.missing))
struct PostfixGrokConformanceTests {
    /// Where a grok field lives in a Spoor event.
    enum Target {
        case field(String)
        case label(String)
        /// No Spoor equivalent; the reason. Counted apart, never as a pass.
        case unmapped(String)
    }

    /// The one table from postfix-grok-patterns' names to Spoor's.
    static let mapping: [String: Target] = [
        "postfix_queueid": .field("email.local_id"),          // NOQUEUE = no queue id: the field must be absent
        "postfix_client_ip": .field("source.ip"),
        "postfix_client_hostname": .field("source.domain"),   // "unknown" = no name: the field must be absent
        "postfix_client_port": .field("source.port"),
        "postfix_server_ip": .field("destination.ip"),
        "postfix_server_port": .field("destination.port"),
        "postfix_relay_hostname": .label("relay_host"),
        "postfix_relay_ip": .field("destination.ip"),
        "postfix_relay_port": .field("destination.port"),
        "postfix_sasl_method": .field("auth.method"),
        "postfix_sasl_username": .field("user.name"),
        "postfix_from": .field("email.from.address"),
        "postfix_to": .field("email.to.address"),
        "postfix_message-id": .field("email.message_id"),
        "postfix_status": .label("status"),
        "postfix_dsn": .label("dsn"),
        "postfix_action": .label("action"),
        "postfix_smtp_stage": .label("smtp_stage"),
        "postfix_status_code": .label("smtp_code"),
        "postfix_status_code_enhanced": .label("dsn"),
        "postfix_status_data": .label("reply_object"),
        "postfix_status_message": .label("reply_text"),
        "postfix_smtp_response": .label("response"),
        "postfix_pipe_response": .label("response"),
        "postfix_local_response": .label("response"),
        "postfix_error_response": .label("response"),
        "postfix_message_level": .label("level"),
        "postfix_command_counter_data": .label("counters"),
        "postfix_tls_trustlevel": .label("tls_trust"),
        "postfix_tls_version": .label("tls_version"),
        "postfix_tls_cipher": .label("tls_cipher"),
        "postfix_tls_cipher_size": .label("tls_bits"),
        "postfix_tls_key_exchange": .label("tls_key_exchange"),
        "postfix_tls_server_signature": .label("tls_server_signature"),
        "postfix_tls_server_signature_size": .label("tls_server_signature_bits"),
        "postfix_tls_server_signature_curve": .label("tls_server_signature_curve"),
        "postfix_tls_server_digest": .label("tls_server_digest"),
        "postfix_anvil_conn_count": .label("count"),
        "postfix_anvil_conn_rate": .label("rate"),
        "postfix_anvil_conn_period": .label("period"),
        "postfix_anvil_cache_size": .label("cache_size"),
        "postfix_anvil_timestamp": .label("peak_time"),
        "postfix_service": .label("service"),
        "postfix_bounce_queueid": .label("notification_id"),
        "postfix_bounce_recipient": .label("notify"),
        "postfix_bounce_reason": .label("notification"),
        "postfix_milter_result": .label("milter"),
        "postfix_postscreen_access": .label("postscreen"),
        "postfix_postscreen_violation": .label("violation"),
        "postfix_postscreen_violation_time": .label("after"),
        "postfix_postscreen_dnsbl_rank": .label("dnsbl_rank"),
        "postfix_postscreen_cache_retained": .label("retained"),
        "postfix_postscreen_cache_dropped": .label("dropped"),
        "postfix_postscreen_toobusy_data": .label("reply_text"),
        "postfix_verify_cleanup_type": .label("cleanup"),
        "postfix_verify_cache_retained": .label("retained"),
        "postfix_verify_cache_dropped": .label("dropped"),
        "postfix_postsuper_action": .label("action"),
        "postfix_postsuper_summary_action": .label("action"),
        "postfix_postsuper_summary_count": .label("count"),
        "postfix_version": .label("version"),
        "postfix_config_path": .label("config"),
        "postfix_termination_signal": .label("signal"),
        "postfix_dnsbl_domain": .label("dnsbl"),
        "postfix_dnsbl_result": .label("dnsbl_result"),
        "postfix_scache_hits": .label("hits"),
        "postfix_scache_miss": .label("miss"),
        "postfix_scache_success": .label("success"),
        "postfix_scache_timestamp": .label("interval_start"),
        "postfix_scache_domains": .label("domains"),
        "postfix_scache_addresses": .label("addresses"),
        "postfix_scache_connection": .label("connections"),
        "postfix_proxy_result": .label("proxy"),
        "postfix_proxy_smtp_stage": .label("smtp_stage"),
        "postfix_proxy_status_code": .label("smtp_code"),
        "postfix_proxy_status_code_enhanced": .label("dsn"),
        "postfix_pix_workaround": .label("workarounds"),
        "postfix_tls_error": .label("error"),

        "postfix_keyvalue_data": .unmapped("grok's raw key=value remainder; Spoor splits it into fields"),
        "postfix_message": .unmapped("free text after the level or queue id; Spoor keeps the record, not a message column"),
        "postfix_smtpd_lostconn_data": .unmapped("the condition's words; Spoor says it in event.action (lost-connection, timeout, tls-error, …)"),
        "postfix_smtp_lostconn_data": .unmapped("same, for the delivery agents; the error text is label error"),
        "postfix_smtp_lostconn_reason": .unmapped("the phase of a lost connection; label while"),
        "postfix_client_ip_unknown": .unmapped("the literal 'unknown' where there is no address; Spoor leaves source.ip empty"),
        "postfix_milter_message": .unmapped("grok's split of a milter reply; Spoor keeps labels matched / reply_text"),
        "postfix_milter_data": .unmapped("same"),
        "postfix_prepend_type": .unmapped("header_checks PREPEND parts; Spoor keeps labels check / matched / reply_text"),
        "postfix_prepend_trigger": .unmapped("same"),
        "postfix_prepend_value": .unmapped("same"),
        "postfix_proxy_message": .unmapped("the whole proxy reply including its code; Spoor splits code/dsn/text"),
        "postfix_discarded_ehlo_keywords": .unmapped("configuration notice with no event meaning"),
    ]

    /// Patterns that are parts of a message, not a message a daemon logs: not run.
    static let fragments: Set<String> = ["COMMAND_COUNTER_DATA", "DELAYS", "TLS_FEATURES", "RELAY"]

    /// The daemon (syslog program after `postfix/`) of a pattern name.
    static func daemon(_ name: String) -> String {
        switch name {
        case "SCRIPT": "postfix-script"
        default: name.lowercased().replacingOccurrences(of: "_", with: "-")
        }
    }

    /// Python's `str()` of a decoded JSON value.
    static func text(_ v: Any) -> String {
        if let s = v as? String { return s }
        if let n = v as? NSNumber { return "\(n)" }
        return "\(v)"
    }

    @Test func grokCases() {
        let records = Corpora.jsonLines("postfix-grok-patterns/postfix_cases.jsonl")
        #expect(records.count > 100)
        let tester = makeTester(year: 2005)
        var checked = 0, right = 0, unmapped = 0, casesRun = 0, casesRight = 0, skipped = 0
        var unknownFields = Set<String>()
        var wrong: [String] = []
        for r in records {
            guard let pattern = r["pattern"] as? String, let data = r["data"] as? String,
                  let results = r["results"] as? [String: Any] else { continue }
            let name = pattern.replacingOccurrences(of: "^%{POSTFIX_", with: "").replacingOccurrences(of: "}$", with: "")
                .replacingOccurrences(of: "}", with: "")
            if Self.fragments.contains(name) { skipped += 1; continue }
            casesRun += 1
            let e = parse("Jan  1 00:00:00 mx postfix/\(Self.daemon(name))[123]: \(data)", with: tester)
            var allRight = true
            for (key, value) in results.sorted(by: { $0.key < $1.key }) {
                guard let target = Self.mapping[key] else { unknownFields.insert(key); allRight = false; continue }
                let expected = Self.text(value)
                let actual: String?
                switch target {
                case .unmapped: unmapped += 1; continue
                case .field(let f): actual = f == "email.to.address" ? e.to.first : e[f]
                case .label(let l): actual = e.label(l)
                }
                checked += 1
                // Postfix's placeholders for "none" and empty values: Spoor stores no value.
                let absentMeant = expected.isEmpty || (key == "postfix_queueid" && expected == "NOQUEUE")
                    || (key == "postfix_client_hostname" && expected == "unknown")
                if absentMeant ? actual == nil : actual == expected {
                    right += 1
                } else {
                    allRight = false
                    wrong.append("\(name) \(key): expected '\(expected)', got '\(actual ?? "nil")' — \(data.prefix(100))")
                }
            }
            if allRight { casesRight += 1 }
        }
        let share = Double(right) / Double(max(checked, 1))
        print("postfix-grok-patterns: \(right)/\(checked) checked fields right = \(String(format: "%.1f", share * 100))%; "
              + "\(casesRight)/\(casesRun) cases fully right; \(unmapped) fields unmapped (not counted); \(skipped) fragment cases not run")
        for w in wrong { print("  wrong: \(w)") }
        #expect(unknownFields.isEmpty, "grok fields missing from the mapping table: \(unknownFields.sorted())")
        #expect(share >= 0.95, "postfix-grok-patterns share \(share) is below 0.95")
    }
}
