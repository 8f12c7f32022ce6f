import CPCRE2

/// A PCRE2 pattern compiled once (with JIT) and matched on record bytes.
///
/// Compiled without UTF mode: subjects are bytes, so a record with invalid UTF-8 is matched
/// like any other instead of being undefined behaviour for the JIT. A pattern is immutable
/// and shared by all workers; each worker brings its own `MatchScratch`.
public final class Pattern: @unchecked Sendable {
    public let source: String
    let code: OpaquePointer
    let jitted: Bool
    /// Capture group numbers by name.
    public let groups: [String: Int]

    public struct Options: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let caseless = Options(rawValue: UInt32(PCRE2_CASELESS))
        public static let anchored = Options(rawValue: UInt32(PCRE2_ANCHORED))
    }

    public init(_ source: String, options: Options = []) throws(PatternError) {
        self.source = source
        var errorCode: Int32 = 0
        var errorOffset = 0
        let compiled: OpaquePointer? = source.utf8CString.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: UInt8.self) {
                pcre2_compile_8($0.baseAddress, $0.count - 1, options.rawValue, &errorCode, &errorOffset, nil)
            }
        }
        guard let compiled else {
            throw PatternError(pattern: source, offset: errorOffset, message: Pattern.message(for: errorCode))
        }
        code = compiled
        jitted = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE)) == 0
        groups = Pattern.names(of: compiled)
    }

    deinit { pcre2_code_free_8(code) }

    /// The number of a named group; a parser resolves names once, at its construction.
    public func group(_ name: String) -> Int? { groups[name] }

    /// Matches `subject`; the result is valid until the scratch's next match.
    @inline(__always)
    public func match(_ subject: Bytes, _ scratch: MatchScratch) -> PatternMatch? {
        guard let base = subject.baseAddress ?? UnsafeRawPointer(bitPattern: 1) else { return nil }
        let p = base.assumingMemoryBound(to: UInt8.self)
        let rc = jitted
            ? pcre2_jit_match_8(code, p, subject.count, 0, 0, scratch.matchData, scratch.context)
            : pcre2_match_8(code, p, subject.count, 0, 0, scratch.matchData, scratch.context)
        if rc < 0 {
            if rc != PCRE2_ERROR_NOMATCH { scratch.errors += 1 }
            return nil
        }
        return PatternMatch(subject: subject, ovector: pcre2_get_ovector_pointer_8(scratch.matchData),
                            count: rc == 0 ? MatchScratch.pairs : Int(rc))
    }

    static func message(for code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = pcre2_get_error_message_8(code, &buffer, buffer.count)
        return n > 0 ? String(decoding: buffer[0..<Int(n)], as: UTF8.self) : "PCRE2 error \(code)"
    }

    private static func names(of code: OpaquePointer) -> [String: Int] {
        var count: UInt32 = 0, entrySize: UInt32 = 0
        var table: UnsafeMutablePointer<UInt8>?
        pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMECOUNT), &count)
        pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMEENTRYSIZE), &entrySize)
        pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMETABLE), &table)
        guard let table else { return [:] }
        var result: [String: Int] = [:]
        for i in 0..<Int(count) {
            let entry = table + i * Int(entrySize)
            let number = Int(entry[0]) << 8 | Int(entry[1])
            result[String(cString: entry + 2)] = number
        }
        return result
    }
}

/// A bad pattern: what it was, where it went wrong, and PCRE2's words for it.
public struct PatternError: Error, CustomStringConvertible, Sendable {
    public let pattern: String
    public let offset: Int
    public let message: String

    public var description: String {
        "bad pattern at offset \(offset): \(message)\n  \(pattern)\n  \(String(repeating: " ", count: offset))^"
    }
}

/// Per-thread match state: PCRE2 match data, a bounded JIT stack and a match limit, so a
/// catastrophic user pattern fails one record instead of hanging the job. Not shareable.
public final class MatchScratch {
    static let pairs = 64
    let matchData: OpaquePointer
    let context: OpaquePointer
    let jitStack: OpaquePointer?
    /// Matches that failed for a reason other than "no match" (limits hit).
    public internal(set) var errors = 0

    public init(matchLimit: UInt32 = 1_000_000) {
        matchData = pcre2_match_data_create_8(UInt32(MatchScratch.pairs), nil)
        context = pcre2_match_context_create_8(nil)
        jitStack = pcre2_jit_stack_create_8(32 * 1024, 1024 * 1024, nil)
        pcre2_set_match_limit_8(context, matchLimit)
        pcre2_jit_stack_assign_8(context, nil, jitStack.map { UnsafeMutableRawPointer($0) })
    }

    deinit {
        pcre2_match_data_free_8(matchData)
        pcre2_match_context_free_8(context)
        if let jitStack { pcre2_jit_stack_free_8(jitStack) }
    }
}

/// The groups of one match, as slices of the subject.
public struct PatternMatch {
    let subject: Bytes
    let ovector: UnsafeMutablePointer<Int>
    let count: Int

    /// Group `i` (0 = the whole match), nil when it did not take part.
    @inline(__always)
    public subscript(_ i: Int) -> Bytes? {
        guard i < count else { return nil }
        let s = ovector[2 * i], e = ovector[2 * i + 1]
        guard s != spoor_pcre2_unset() else { return nil }
        return subject.slice(s, e)
    }
}
