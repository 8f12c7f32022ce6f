/// The values a worker's campaign counts name (addresses, accounts, actor ids, user agents,
/// rule ids, countries, AS names), interned: each distinct byte string gets an id and, once,
/// its `String`.
///
/// The tally compares values as `String`s, and two byte strings can be one `String` (the
/// same text in two Unicode normalizations, or invalid bytes repaired alike). So each value
/// also has a class, the id of the first value equal to it as a `String`: counts are keyed by
/// class, as the tally's dictionaries and sets would key them, and name the value by the
/// spelling they saw first, as those would keep it.
struct CampaignValues {
    private var interner = ByteInterner()
    /// Each value's text, by id.
    private(set) var strings: [String] = []
    /// Each value's class, by id.
    private(set) var classOf: [Int32] = []
    private var classes: [String: Int32] = [:]

    /// The id of `bytes` (a hash and a compare when seen before).
    @inline(__always)
    mutating func id(_ bytes: Bytes) -> Int32 {
        let (id, isNew) = interner.insert(bytes)
        if isNew { named(id) }
        return id
    }

    /// The id of a value made as text (an account after normalization).
    mutating func id(text: String) -> Int32 {
        withBytes(of: text) { id($0) }
    }

    private mutating func named(_ id: Int32) {
        let text = interner.string(id)
        strings.append(text)
        classOf.append(classes[text] ?? id)
        if classes[text] == nil { classes[text] = id }
    }
}
