/// Calendar arithmetic on the proleptic Gregorian calendar, without Foundation: the hot
/// path turns every timestamp into µs and every event's µs into a partition date.
public enum CivilTime {
    /// Days since 1970-01-01 of a date (Howard Hinnant's algorithm).
    @inline(__always)
    public static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of a day number.
    public static func date(days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(yoe + era * 400 + (m <= 2 ? 1 : 0)), Int(m), Int(d))
    }

    /// Seconds since the epoch of a wall-clock time read as UTC.
    @inline(__always)
    public static func seconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64 {
        days(year: year, month: month, day: day) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// Day number of a µs timestamp (floor).
    @inline(__always)
    public static func day(ofMicros micros: Int64) -> Int64 {
        let s = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        return s >= 0 ? s / 86_400 : (s - 86_399) / 86_400
    }

    /// `YYYY-MM-DD` of a day number, as bytes appended to `out`.
    public static func appendDate(days: Int64, to out: inout [UInt8]) {
        let (y, m, d) = date(days: days)
        appendDigits(y, 4, &out); out.append(0x2D)
        appendDigits(m, 2, &out); out.append(0x2D)
        appendDigits(d, 2, &out)
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ` of a µs timestamp, as the events' JSON writes it.
    public static func appendISO8601(micros: Int64, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(byteCount: 27, alignment: 1) { b in
            _ = JSONWriter.writeISO8601(micros: micros, b.baseAddress!)
            out.append(contentsOf: UnsafeRawBufferPointer(b))
        }
    }

    public static func iso8601(micros: Int64) -> String {
        var out: [UInt8] = []
        appendISO8601(micros: micros, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @inline(__always)
    static func appendDigits(_ value: Int, _ width: Int, _ out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var v = value
        while divisor > 0 {
            out.append(UInt8(truncatingIfNeeded: 0x30 + (v / divisor) % 10))
            v %= divisor * 10
            divisor /= 10
        }
    }
}
