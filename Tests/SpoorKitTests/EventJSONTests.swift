import Foundation
import Testing
@testable import SpoorKit

/// The event encoder reserves room once and then stores without checks, so these tests give
/// it the longest output its values can make, and every kind of value.
@Suite("Event JSON")
struct EventJSONTests {
    /// What every event starts with here (an event needs a time and a dataset).
    static let head = "{\"@timestamp\":\"1970-01-01T00:00:00.000000Z\",\"event.dataset\":\"t\""

    /// One committed event of `set`, encoded after `prefix` bytes already in the buffer.
    static func encode(prefix: Int = 0, _ set: (EventBuilder) -> Void) -> (json: [UInt8], written: Int, bound: Int) {
        let builder = EventBuilder()
        withBytes(of: "record") { record in
            builder.begin(record: record)
            builder.set(.timestamp, int: 0)
            builder.set(.eventDataset, "t")
            set(builder)
            #expect(builder.commit())
        }
        var out = ByteBuffer(capacity: 16)
        for _ in 0..<prefix { out.append(0x20) }
        var bound = 0
        builder.batch.withReader { r in
            bound = JSONWriter.bound(r.slots(of: r.events[0]))
            JSONWriter.appendEvent(r.events[0], r, to: &out)
        }
        return (Array(out.array.dropFirst(prefix)), out.count - prefix, bound)
    }

    static func object(_ json: [UInt8]) throws -> [String: Any] {
        #expect(json.last == 0x0A)
        return try #require(JSONSerialization.jsonObject(with: Data(json.dropLast())) as? [String: Any])
    }

    @Test("Values that are all escapes, in every kind of field, stay within the room reserved")
    func worstCaseEscapes() throws {
        let control = String(repeating: "\u{01}", count: 4000)
        for prefix in [0, 1, 15, 16, 17] {
            let (json, written, bound) = Self.encode(prefix: prefix) { e in
                e.set(.timestamp, int: -1)
                e.set(.eventDataset, string: control)
                e.set(.sourceASOrganization, string: control + "\"\\")
                e.set(.userExists, bool: true)
                e.set(.sourcePort, int: .min)
                e.set(.processPID, int: .max)
                e.append(.emailTo, string: control)
                e.append(.emailTo, string: "")
                e.label(String(repeating: "\n", count: 9), string: control)
                e.label("k", string: "")
            }
            #expect(written <= bound, "prefix \(prefix)")
            let o = try Self.object(json)
            #expect(o["@timestamp"] as? String == "1969-12-31T23:59:59.999999Z")
            #expect(o["event.dataset"] as? String == control)
            #expect(o["source.as.organization.name"] as? String == control + "\"\\")
            #expect(o["user.exists"] as? Bool == true)
            #expect((o["source.port"] as? NSNumber)?.int64Value == .min)
            #expect((o["process.pid"] as? NSNumber)?.int64Value == .max)
            #expect(o["email.to.address"] as? [String] == [control, ""])
            #expect(o["labels"] as? [String: String] == [String(repeating: "\n", count: 9): control, "k": ""])
        }
    }

    @Test("A time whose year has more than four digits, or is before year 0, keeps four digits")
    func yearsOutsideFourDigits() throws {
        // 12345-06-07 and -1-06-07 (2 BC): the digit-pair table is read only within its 100 entries.
        for (year, date) in [(12_345, "2345-06-07"), (-1, "9999-06-07")] {
            let micros = CivilTime.days(year: year, month: 6, day: 7) * 86_400_000_000
            let (json, _, _) = Self.encode { $0.set(.timestamp, int: micros) }
            #expect(String(decoding: json, as: UTF8.self).hasPrefix("{\"@timestamp\":\"\(date)T00:00:00.000000Z\""), "year \(year)")
        }
    }

    @Test("Numbers of every length and sign read back as they were")
    func numbers() throws {
        var values: [Int64] = [0, -1, .min, .max, .min + 1, .max - 1]
        var p: Int64 = 1
        for _ in 0..<19 {
            values += [p - 1, p, p + 1, -p, -(p - 1), -(p + 1)]
            if p <= Int64.max / 10 { p *= 10 }
        }
        for v in values {
            let (json, _, _) = Self.encode { $0.set(.sourcePort, int: v) }
            #expect(String(decoding: json, as: UTF8.self) == Self.head + ",\"source.port\":\(v)}\n", "value \(v)")
        }
    }

    @Test("A false, a time and plain strings of every length up to past the short copies")
    func plainValues() throws {
        let text = String(repeating: "abcdefghij", count: 7)
        for length in 0...70 {
            let value = String(text.prefix(length))
            let (json, written, bound) = Self.encode { e in
                e.set(.userExists, bool: false)
                e.set(.timestamp, int: 1_767_225_600_123_456)
                e.set(.userName, string: value)
            }
            #expect(written <= bound)
            #expect(String(decoding: json, as: UTF8.self)
                == "{\"@timestamp\":\"2026-01-01T00:00:00.123456Z\",\"event.dataset\":\"t\",\"user.exists\":false,\"user.name\":\"\(value)\"}\n")
        }
    }
}
