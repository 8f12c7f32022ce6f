import Foundation

/// How a dataset's events are split into Hive partitions: `key=value/…` directories under
/// `events/`. The default is `event.dataset,date`; `--partition-by` (or `partition_by:` in
/// a job file) names other schema fields and time keys, e.g. `date,host.name`.
public struct Partitioning: Sendable, Equatable, CustomStringConvertible {
    public enum Key: Sendable, Equatable {
        /// A scalar schema field's value (null: `__HIVE_DEFAULT_PARTITION__`).
        case field(Field)
        /// The UTC date of `@timestamp`, `YYYY-MM-DD`.
        case date
        /// The UTC month of `@timestamp`, `YYYY-MM`.
        case month
        /// The UTC hour of day of `@timestamp`, `00`–`23`.
        case hour

        var name: String {
            switch self {
            case .field(let f): f.name
            case .date: "date"
            case .month: "month"
            case .hour: "hour"
            }
        }
    }

    public let keys: [Key]

    public static let standard = Partitioning(keys: [.field(.eventDataset), .date])

    public init(keys: [Key]) {
        self.keys = keys
    }

    /// Parses `event.dataset,date`; `origin` names where the text came from, for errors.
    public init(parsing spec: String, origin: String) throws {
        var keys: [Key] = []
        for raw in spec.split(separator: ",") {
            let name = raw.trimmingCharacters(in: .whitespaces)
            let key: Key
            switch name {
            case "date": key = .date
            case "month": key = .month
            case "hour": key = .hour
            default:
                guard let field = Schema.field(named: name) else {
                    throw ConfigError(origin: origin, message: "unknown partition key '\(name)'",
                                      hint: "date, month, hour, or a schema field (spoor schema), e.g. event.dataset,date")
                }
                guard field.spec.type == .string || field.spec.type == .int64 || field.spec.type == .bool else {
                    throw ConfigError(origin: origin, message: "'\(name)' is a \(field.spec.type) column and cannot partition a dataset",
                                      hint: "partition by a column with one value per event")
                }
                key = .field(field)
            }
            guard !keys.contains(key) else { throw ConfigError(origin: origin, message: "partition key '\(name)' appears twice") }
            keys.append(key)
        }
        guard !keys.isEmpty else {
            throw ConfigError(origin: origin, message: "no partition key", hint: "e.g. event.dataset,date")
        }
        self.keys = keys
    }

    public var description: String { keys.map(\.name).joined(separator: ",") }

    /// What tells an event's partition apart, written into `signature` (cleared first): equal
    /// signatures, equal partitions. Cheap enough for every event; the directory name is made
    /// once per partition and batch (`directory(of:)`).
    @inline(__always)
    public func signature(of event: EventHeader, _ reader: BatchReader, into signature: inout [UInt8]) {
        signature.removeAll(keepingCapacity: true)
        for key in keys {
            switch key {
            case .date: appendNumber(CivilTime.day(ofMicros: event.timestamp), to: &signature)
            case .month:
                let d = CivilTime.date(days: CivilTime.day(ofMicros: event.timestamp))
                appendNumber(Int64(d.year * 12 + d.month - 1), to: &signature)
            case .hour:
                let seconds = event.timestamp >= 0 ? event.timestamp / 1_000_000 : (event.timestamp - 999_999) / 1_000_000
                appendNumber(((seconds % 86_400) + 86_400) % 86_400 / 3_600, to: &signature)
            case .field(let field):
                guard let slot = Self.slot(field, of: event, reader) else {
                    signature.append(0)
                    continue
                }
                if slot.kind == .number {
                    signature.append(1)
                    appendNumber(slot.value, to: &signature)
                } else {
                    let bytes = reader.bytes(slot)
                    signature.append(2)
                    appendNumber(Int64(bytes.count), to: &signature)
                    signature.append(contentsOf: bytes)
                }
            }
        }
    }

    /// The slot of a partition key's field in `event` (the dataset's is kept in its header).
    @inline(__always)
    static func slot(_ field: Field, of event: EventHeader, _ reader: BatchReader) -> Slot? {
        field == .eventDataset ? reader.slots[Int(event.datasetSlot)] : reader.slots(of: event).first { $0.field == field }
    }

    /// The partition's directory below `events/`, e.g. `event.dataset=sshd/date=2026-01-03`.
    public func directory(of signature: [UInt8]) -> String {
        var parts: [String] = []
        var at = 0
        func number() -> Int64 {
            defer { at += 8 }
            return signature.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: Int64.self) }
        }
        for key in keys {
            let value: String
            switch key {
            case .date:
                var out: [UInt8] = []
                CivilTime.appendDate(days: number(), to: &out)
                value = String(decoding: out, as: UTF8.self)
            case .month:
                let m = number()
                value = String(m / 12) + "-" + (m % 12 + 1 < 10 ? "0" : "") + String(m % 12 + 1)
            case .hour:
                let h = number()
                value = (h < 10 ? "0" : "") + String(h)
            case .field(let field):
                let tag = signature[at]
                at += 1
                switch tag {
                case 0: value = Self.hiveNull
                case 1:
                    let n = number()
                    value = field.spec.type == .bool ? (n != 0 ? "true" : "false") : String(n)
                default:
                    let count = Int(number())
                    value = Self.hiveValue(signature[at..<(at + count)])
                    at += count
                }
            }
            parts.append(key.name + "=" + value)
        }
        return parts.joined(separator: "/")
    }

    /// What Hive (and DuckDB, Spark) read back as NULL.
    public static let hiveNull = "__HIVE_DEFAULT_PARTITION__"

    /// A partition value safe as a directory name, escaped the way Hive does (`%2F`).
    public static func hiveValue<C: Collection<UInt8>>(_ value: C) -> String {
        var out = ""
        for byte in value {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count < 2 ? "0" : "") + hex
            }
        }
        return out.isEmpty ? hiveNull : out
    }
}

@inline(__always)
private func appendNumber(_ v: Int64, to out: inout [UInt8]) {
    withUnsafeBytes(of: v) { out.append(contentsOf: $0) }
}
