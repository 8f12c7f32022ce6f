import SpoorKit

/// What the mail parsers share: building rules whose closures read groups by name (resolved
/// once, when the rule is built), and storing clients, users, addresses and replies the same
/// way in every MTA and IMAP parser.
enum Mail {
    typealias Then = @Sendable (PatternMatch, EventBuilder) -> Void

    /// A `MessageRule` whose closure is made with a resolver of group names to numbers, so the
    /// closure reads `m[n]` (no lookup per record). A name the pattern lacks traps at build time.
    static func rule(_ id: String, prefix: String? = nil, contains: String? = nil, _ pattern: String,
                     fields: [String: Field] = [:], set constants: [(Field, StaticString)] = [],
                     then make: ((String) -> Int) -> Then) -> MessageRule {
        let compiled = try! Pattern(pattern)
        let body = make { name in
            guard let n = compiled.group(name) else { preconditionFailure("rule '\(id)' reads group '\(name)', which the pattern does not have") }
            return n
        }
        return try! MessageRule(id, prefix: prefix, contains: contains, pattern, fields: fields, set: constants, then: body)
    }

    /// A rule without a closure.
    static func rule(_ id: String, prefix: String? = nil, contains: String? = nil, _ pattern: String,
                     fields: [String: Field] = [:], set constants: [(Field, StaticString)] = []) -> MessageRule {
        try! MessageRule(id, prefix: prefix, contains: contains, pattern, fields: fields, set: constants)
    }

    /// The remote client: an address (`source.ip`, IPv4-mapped IPv6 normalised; a name goes to
    /// `source.domain`), its host name, its port. `unknown` (Postfix's word for "none") is no value.
    @inline(__always)
    static func client(host: Bytes?, ip: Bytes?, port: Bytes?, _ e: EventBuilder) {
        if let host, host.count > 0, !host.equals("unknown") { e.set(.sourceDomain, host) }
        if var ip, ip.count > 0, !ip.equals("unknown") {
            if ip.hasPrefix("IPv6:") || ip.hasPrefix("ipv6:") { ip = ip.dropFirst(5) }
            MessageRule.store(ip, .sourceIP, e)
        }
        if let port, let n = port.decimal() { e.set(.sourcePort, int: n) }
    }

    /// The account as written: `user.name`, and `user.email` too when it is an address.
    @inline(__always)
    static func user(_ name: Bytes?, _ e: EventBuilder) {
        guard let name, name.count > 0 else { return }
        e.set(.userName, name)
        if name.firstIndex(of: 0x40) != nil { e.set(.userEmail, name) }
    }

    /// `auth.method` upper-cased (`login` → `LOGIN`), as the vocabulary writes mechanisms.
    static func method(_ name: Bytes?, _ e: EventBuilder) {
        guard let name, name.count > 0, name.count <= 64 else { return }
        var needsCopy = false
        for c in name where c >= 0x61 && c <= 0x7A { needsCopy = true; break }
        guard needsCopy else { e.set(.authMethod, name); return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: name.count) { buffer in
            for (i, c) in name.enumerated() { buffer[i] = c >= 0x61 && c <= 0x7A ? c - 0x20 : c }
            e.set(.authMethod, Bytes(buffer))
        }
    }

    /// The mechanism an Exim authenticator (a driver name the admin chose) stands for:
    /// `dovecot_login` → LOGIN, `plain_server` → PLAIN, `cram_md5` → CRAM-MD5; otherwise the name.
    static func authenticatorMethod(_ name: Bytes, _ e: EventBuilder) {
        let lower = name.string.lowercased()
        if lower.contains("cram") { e.set(.authMethod, "CRAM-MD5") }
        else if lower.contains("digest") { e.set(.authMethod, "DIGEST-MD5") }
        else if lower.contains("plain") { e.set(.authMethod, "PLAIN") }
        else if lower.contains("login") { e.set(.authMethod, "LOGIN") }
        else if lower.contains("ntlm") || lower.contains("spa") { e.set(.authMethod, "NTLM") }
        else if lower.contains("xoauth") || lower.contains("oauth") { e.set(.authMethod, "XOAUTH2") }
        else if lower.contains("external") || lower.contains("tls") { e.set(.authMethod, "EXTERNAL") }
        else { method(name, e) }
    }

    /// A mail address as logged, without the angle brackets; nil when empty (`<>`).
    @inline(__always)
    static func address(_ b: Bytes?) -> Bytes? {
        guard var b else { return nil }
        if b.hasPrefix("<") { b = b.dropFirst(1) }
        if b.hasSuffix(">") { b = b.slice(0, b.count - 1) }
        return b.count > 0 ? b : nil
    }

    /// Whether an SMTP reply about a recipient says the mailbox does not exist: the permanent
    /// enhanced status 5.1.1 (bad destination mailbox) or the words MTAs use for it. (4.1.1 is
    /// also what Postfix answers while an address verification is still pending.)
    static func saysUnknownUser(dsn: Bytes?, text: Bytes?) -> Bool {
        if let dsn, dsn.equals("5.1.1") { return true }
        guard let text, text.count > 0 else { return false }
        return containsCaseless(text, "user unknown") || containsCaseless(text, "unknown user")
            || containsCaseless(text, "no such user") || containsCaseless(text, "unknown recipient")
            || containsCaseless(text, "mailbox unavailable") || containsCaseless(text, "no mailbox")
            || containsCaseless(text, "user not found") || containsCaseless(text, "recipient unknown")
            || containsCaseless(text, "does not exist") && !containsCaseless(text, "domain")
    }

    /// Whether a reject is a refused relay.
    static func saysRelayDenied(_ text: Bytes?) -> Bool {
        guard let text else { return false }
        return containsCaseless(text, "relay access denied") || containsCaseless(text, "relaying denied")
            || containsCaseless(text, "relay not permitted") || containsCaseless(text, "relaying temporarily denied")
            || containsCaseless(text, "unable to relay") || containsCaseless(text, "relay denied")
    }

    /// ASCII case-insensitive substring test (`needle` is lower-case).
    static func containsCaseless(_ hay: Bytes, _ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard n > 0, hay.count >= n else { return n == 0 }
        let p = needle.utf8Start
        var i = 0
        while i <= hay.count - n {
            var j = 0
            while j < n, hay[i + j] | (hay[i + j] &- 0x41 < 26 ? 0x20 : 0) == p[j] { j += 1 }
            if j == n { return true }
            i += 1
        }
        return false
    }

    /// The SMTP reply's code and enhanced status as labels.
    @inline(__always)
    static func reply(code: Bytes?, dsn: Bytes?, _ e: EventBuilder) {
        if let code, code.count > 0 { e.label("smtp_code", code) }
        if let dsn, dsn.count > 0 { e.label("dsn", dsn) }
    }

    @inline(__always)
    static func label(_ key: String, _ value: Bytes?, _ e: EventBuilder) {
        if let value, value.count > 0 { e.label(key, value) }
    }

    /// `host[ip]:port`, `host[private/service]`, `none`, `local`: a relay as Postfix names it →
    /// label `relay` (whole), label `relay_host`, `destination.ip`, `destination.port`.
    static func relay(_ r: Bytes, _ e: EventBuilder) {
        e.label("relay", r)
        guard let open = r.firstIndex(of: 0x5B), let close = r.firstIndex(of: 0x5D, from: open) else { return }
        let host = r.slice(0, open)
        if host.count > 0 { e.label("relay_host", host) }
        let inner = r.slice(open + 1, close)
        if inner.isIPAddress { e.set(.destinationIP, inner) } else if inner.count > 0 { e.label("relay_service", inner) }
        if close + 2 < r.count, r[close + 1] == 0x3A, let port = r.dropFirst(close + 2).decimal() {
            e.set(.destinationPort, int: port)
        }
    }

    /// `name [ip]`, `[ip]`, `name [IPv6:…] (may be forged)`: a peer as Sendmail and Exim write it.
    static func bracketPeer(_ b: Bytes, _ e: EventBuilder) {
        guard let open = b.lastIndex(of: 0x5B), let close = b.firstIndex(of: 0x5D, from: open) else {
            if b.count > 0 { MessageRule.store(b.trimmed(), .sourceIP, e) }
            return
        }
        var host = b.slice(0, open).trimmed()
        if let at = host.firstIndex(of: 0x40) { host = host.dropFirst(at + 1) }
        if let space = host.lastIndex(of: 0x20) { host = host.dropFirst(space + 1) }
        client(host: host.hasPrefix("[") || host.equals("NULL") ? nil : host, ip: b.slice(open + 1, close), port: nil, e)
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes up to the first `byte` (all of them when absent).
    @inline(__always)
    func until(_ byte: UInt8) -> Bytes { slice(0, firstIndex(of: byte) ?? count) }
}
