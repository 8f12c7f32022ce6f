/// The C boundary between `spoor` and a plugin loaded at run time (`--plugin libX.so`).
///
/// Host and plugin each link their own copy of SpoorKit, so no Swift value may cross: type
/// metadata is duplicated, casts between the copies fail, and a Swift object from one side is
/// garbage to the other. What crosses is this table of C function pointers, NUL-terminated
/// JSON once at load (the manifest, the configuration), and per record plain pointers and
/// integers. Both sides are written here, so a plugin author implements `Parser` and calls
/// `PluginExport.fill` from the entry point; the loader does the rest.
///
/// ABI version rule: `PluginABI.version` changes whenever the layout of `PluginTable` or
/// `PluginRecord`, a function's signature, or the meaning of a value kind or result code
/// changes. Host and plugin must speak the same version; a plugin built against another
/// SpoorKit is refused at load with both versions named. Schema columns cross by name, so a
/// plugin built before a column was added still loads.
public enum PluginABI {
    public static let version: UInt32 = 1
    /// The symbol every plugin exports: `int32_t spoor_plugin_entry(struct spoor_plugin_table *)`.
    public static let entrySymbol = "spoor_plugin_entry"
}

/// The plugin's entry point: fills the table the host passes; returns 0 when it did, else a
/// nonzero code (its ABI version is then in `abiVersion`).
public typealias PluginEntry = @convention(c) (UnsafeMutableRawPointer?) -> Int32

/// Called by the plugin for each value of the event it produced, and for a failure reason or
/// an explanation line: (host context, plugin field index, value kind, bytes, byte count, number).
public typealias PluginEmit = @convention(c) (UnsafeMutableRawPointer?, UInt32, UInt32, UnsafeRawPointer?, Int, Int64) -> Void

/// What the plugin hands the host, in C layout (every field 4 or 8 bytes, in this order):
///
///     struct spoor_plugin_table {
///         uint32_t abi_version;       // in: the host's; out: the plugin's
///         uint32_t table_size;        // in: sizeof(struct spoor_plugin_table) of the host
///         const char *manifest;       // JSON, NUL-terminated, lives as long as the process
///         void *(*create)(uint32_t parser, const char *config_json, char **error);
///         int32_t (*sniff)(void *instance, const uint8_t *head, size_t length);
///         int32_t (*parse)(void *instance, const struct spoor_record *, spoor_emit, void *host);
///         void (*destroy)(void *instance);
///         void (*free_string)(char *);
///         void *(*create_enricher)(uint32_t enricher, const char *config_json, char **error);
///         int32_t (*enrich)(void *instance, const struct spoor_value *values, size_t count, spoor_emit, void *host);
///     };
///
/// The first two fields never move: they are how a host and a plugin of different versions
/// find out.
public struct PluginTable {
    public var abiVersion: UInt32 = 0
    public var tableSize: UInt32 = 0
    public var manifest: UnsafePointer<CChar>? = nil
    /// Makes one instance of parser number `parser` (its position in the manifest) from a
    /// configuration object; on failure returns nil and sets `error` (freed with `freeString`).
    public var create: (@convention(c) (UInt32, UnsafePointer<CChar>?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> UnsafeMutableRawPointer?)? = nil
    /// How sure (0...100) the instance's parser is that a stream starting with these bytes is
    /// its format. May run on any thread, concurrently with `parse` of other instances.
    public var sniff: (@convention(c) (UnsafeMutableRawPointer?, UnsafeRawPointer?, Int) -> Int32)? = nil
    /// Parses one record; emits the event's values through the callback; returns a
    /// `PluginResult` code. One instance is only ever used by one thread at a time.
    public var parse: (@convention(c) (UnsafeMutableRawPointer?, UnsafeRawPointer?, PluginEmit?, UnsafeMutableRawPointer?) -> Int32)? = nil
    public var destroy: (@convention(c) (UnsafeMutableRawPointer?) -> Void)? = nil
    public var freeString: (@convention(c) (UnsafeMutablePointer<CChar>?) -> Void)? = nil
    /// Makes one instance of enricher number `enricher`, like `create`; `destroy` frees it.
    public var createEnricher: (@convention(c) (UInt32, UnsafePointer<CChar>?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> UnsafeMutableRawPointer?)? = nil
    /// Enriches one event: `values` (an array of `PluginValue`) are the event's values so far;
    /// the values the enricher added or changed come back through the callback.
    public var enrich: (@convention(c) (UnsafeMutableRawPointer?, UnsafeRawPointer?, Int, PluginEmit?, UnsafeMutableRawPointer?) -> Int32)? = nil

    public init() {}
}

/// One record as it crosses, in C layout (every field 8 bytes). Pointers are valid during
/// the `parse` call only; bytes inside `record` may be referenced by emitted values.
public struct PluginRecord {
    public var message: UnsafeRawPointer?
    public var messageLength: Int
    public var record: UnsafeRawPointer?
    public var recordLength: Int
    /// The syslog program when the record came through the syslog envelope, else empty.
    public var program: UnsafeRawPointer?
    public var programLength: Int
    public var path: UnsafeRawPointer?
    public var pathLength: Int
    /// The member path inside an archive; nil when the input is a plain file.
    public var member: UnsafeRawPointer?
    public var memberLength: Int
    /// The stream's identity: the same pair for every record of one stream.
    public var fingerprint0: UInt64
    public var fingerprint1: UInt64
    /// How year-less stamps of this stream resolve (see `YearResolver`).
    public var year: Int64
    public var yearOrdinal: Int64
    /// Nonzero when the host explains (`spoor parse --explain`): send trace lines.
    public var explain: Int64
}

/// One value of an event as it crosses to an enricher, in C layout (32 bytes): the same
/// (field, kind, bytes, number) as `PluginEmit` carries back, field by the plugin's index.
public struct PluginValue {
    public var field: UInt32
    public var kind: UInt32
    public var bytes: UnsafeRawPointer?
    public var length: Int
    public var number: Int64
}

/// Kinds of values emitted through `PluginEmit`.
public enum PluginValueKind: UInt32 {
    /// `number` is the value (int64, bool 0/1, timestamp µs).
    case number = 0
    /// `bytes` is a string value; for a list column, one more element.
    case bytes = 1
    /// A `labels` entry: `bytes` holds key then value, `number` is the key's length.
    case label = 2
    /// `bytes` is why the record could not be parsed (with result `failure`).
    case failure = 3
    /// `bytes` is one line of explanation.
    case note = 4
}

/// Results of `parse`.
public enum PluginResult: Int32 {
    case event = 0, filtered = 1, notMine = 2, failure = 3
    /// The instance is unusable (it could not be made).
    case broken = 4
}

/// The manifest as JSON: what a plugin says about itself at load.
struct PluginWireManifest: Codable {
    var name: String
    var version: String
    /// The ABI the manifest was written for (the table says it too).
    var abi: UInt32
    /// The schema columns the plugin knows, by its field index: values cross by index and
    /// the host maps them by name.
    var fields: [WireField]
    var parsers: [WireParser]
    /// Absent in a plugin that exports none.
    var enrichers: [WireEnricher]?

    struct WireEnricher: Codable {
        var id: String
        var version: String
        var summary: String
        var options: [WireOption]
    }

    struct WireField: Codable {
        var name: String
        var type: String
    }

    struct WireParser: Codable {
        var id: String
        var version: String
        var summary: String
        /// `program:sshd`, `prefix:postfix/`, `any`, `format:acme.vpn`.
        var routes: [String]
        var framer: String
        var options: [WireOption]
        /// The parser is `StreamOrdered`: one instance per stream, records in order.
        var ordered: Bool?
    }

    struct WireOption: Codable {
        var name: String
        /// string, int, bool, list
        var type: String
        var defaultValue: WireValue?
        var doc: String
    }
}

/// One configuration value as JSON: exactly one field is set.
struct WireValue: Codable {
    var string: String?
    var int: Int?
    var bool: Bool?
    var list: [String]?

    init(_ value: ConfigValue) {
        switch value {
        case .string(let s): string = s
        case .int(let i): int = i
        case .bool(let b): bool = b
        case .list(let l): list = l
        }
    }

    var value: ConfigValue? {
        if let string { return .string(string) }
        if let int { return .int(int) }
        if let bool { return .bool(bool) }
        if let list { return .list(list) }
        return nil
    }
}

/// What `create` receives: the job's time zone and the parser's validated options.
struct WireConfig: Codable {
    var zone: String
    var options: [String: WireValue]
}

extension Route {
    var wire: String {
        switch self {
        case .program(let p): "program:" + p
        case .programPrefix(let p): "prefix:" + p
        case .anyProgram: "any"
        case .format(let f): "format:" + f
        }
    }

    init?(wire: String) {
        if wire == "any" { self = .anyProgram; return }
        guard let colon = wire.firstIndex(of: ":") else { return nil }
        let value = String(wire[wire.index(after: colon)...])
        guard !value.isEmpty else { return nil }
        switch wire[..<colon] {
        case "program": self = .program(value)
        case "prefix": self = .programPrefix(value)
        case "format": self = .format(value)
        default: return nil
        }
    }
}
