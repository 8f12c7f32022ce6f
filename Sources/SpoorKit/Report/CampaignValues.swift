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
    /// A value: its id (its spelling) and its class. -1 in both for none.
    struct Value: Sendable {
        var id: Int32
        var cls: Int32
        static let none = Value(id: -1, cls: -1)
    }

    private var interner = ByteInterner<Int32>()
    /// Each value's text, by id.
    private(set) var strings: [String] = []
    private var classes: [String: Int32] = [:]

    /// The number of values (ids and classes are below it).
    var count: Int { strings.count }

    /// The value of `bytes` (a hash and a compare when seen before).
    @inline(__always)
    mutating func value(_ bytes: Bytes) -> Value { value(bytes, hash: ByteInterner<Int32>.hash(bytes)) }

    /// `value` with the bytes' hash already made (see `touch`).
    @inline(__always)
    mutating func value(_ bytes: Bytes, hash: UInt64) -> Value {
        if let (id, cls) = interner.find(bytes, hash: hash) { return Value(id: id, cls: cls) }
        return add(bytes)
    }

    /// Reads what looking up a value of hash `hash` will read first (see `ByteInterner.touch`).
    @inline(__always)
    func touch(_ hash: UInt64) -> UInt64 { interner.touch(hash) }

    /// The value of a text made from values (an account after normalization).
    mutating func value(text: String) -> Value {
        withBytes(of: text) { value($0) }
    }

    private mutating func add(_ bytes: Bytes) -> Value {
        let text = bytes.string
        let id = Int32(strings.count)
        let cls = classes[text] ?? id
        if cls == id { classes[text] = id }
        strings.append(text)
        _ = interner.add(bytes, cls)
        return Value(id: id, cls: cls)
    }
}
