import SpoorKit

/// A strptime-like timestamp format, compiled once and read on the capture's bytes.
///
/// Directives: `%Y` year, `%y` two-digit year (20yy), `%m` month, `%d`/`%e` day (1–2
/// digits, a leading space allowed), `%b`/`%h` month name (`Jan`, `January`), `%H` hour,
/// `%I` hour (12-hour, with `%p`), `%p` AM/PM, `%M` minute, `%S` second (with an optional
/// `.`/`,` fraction), `%f` fraction digits, `%z` offset (`Z`, `+hh`, `+hhmm`, `+hh:mm`), `%s`
/// seconds since the epoch (optional fraction), `%T` = `%H:%M:%S`, `%F` = `%Y-%m-%d`, `%%`.
/// A space matches one or more spaces; any other character matches itself. Without a year,
/// the stamp takes the input's year (the file's modification time, or `--year`); without an
/// offset, it is read in the module's `timezone`, else the job's.
public struct TimestampFormat: Sendable {
    enum Part: Sendable, Equatable {
        case year4, year2, month, day, monthName, hour, hour12, ampm, minute, second, fraction, offset, epoch
        case literal(UInt8), spaces
    }

    public let source: String
    let parts: [Part]
    public let hasYear: Bool
    public let hasOffset: Bool

    /// What is wrong with a format, at a UTF-8 offset in it.
    public struct Failure: Error, Sendable {
        public let offset: Int
        public let message: String
    }

    public init(_ source: String) throws(Failure) {
        self.source = source
        var parts: [Part] = []
        let s = Array(source.utf8)
        var i = 0
        while i < s.count {
            let c = s[i]
            if c == 0x20 { parts.append(.spaces); while i < s.count, s[i] == 0x20 { i += 1 }; continue }
            guard c == 0x25 else { parts.append(.literal(c)); i += 1; continue }
            guard i + 1 < s.count else { throw Failure(offset: i, message: "'%' at the end of the format") }
            switch s[i + 1] {
            case UInt8(ascii: "Y"): parts.append(.year4)
            case UInt8(ascii: "y"): parts.append(.year2)
            case UInt8(ascii: "m"): parts.append(.month)
            case UInt8(ascii: "d"), UInt8(ascii: "e"): parts.append(.day)
            case UInt8(ascii: "b"), UInt8(ascii: "h"), UInt8(ascii: "B"): parts.append(.monthName)
            case UInt8(ascii: "H"): parts.append(.hour)
            case UInt8(ascii: "I"): parts.append(.hour12)
            case UInt8(ascii: "p"): parts.append(.ampm)
            case UInt8(ascii: "M"): parts.append(.minute)
            case UInt8(ascii: "S"): parts.append(.second)
            case UInt8(ascii: "f"): parts.append(.fraction)
            case UInt8(ascii: "z"): parts.append(.offset)
            case UInt8(ascii: "s"): parts.append(.epoch)
            case UInt8(ascii: "T"): parts += [.hour, .literal(0x3A), .minute, .literal(0x3A), .second]
            case UInt8(ascii: "F"): parts += [.year4, .literal(0x2D), .month, .literal(0x2D), .day]
            case 0x25: parts.append(.literal(0x25))
            default:
                throw Failure(offset: i, message: "unknown directive '%\(Character(Unicode.Scalar(s[i + 1])))'"
                              + " (known: %Y %y %m %d %e %b %B %h %H %I %p %M %S %f %z %s %T %F %%)")
            }
            i += 2
        }
        let has = { (p: Part) in parts.contains(p) }
        if !has(.epoch) {
            guard has(.month) || has(.monthName), has(.day) else {
                throw Failure(offset: 0, message: "the format names no date: it needs %m or %b, and %d (or %s)")
            }
            guard has(.hour) || has(.hour12) else { throw Failure(offset: 0, message: "the format names no hour (%H, %I or %T)") }
        }
        if has(.hour12) != has(.ampm) { throw Failure(offset: 0, message: "%I needs %p (and %p needs %I)") }
        self.parts = parts
        hasYear = has(.year4) || has(.year2) || has(.epoch)
        hasOffset = has(.offset) || has(.epoch)
    }

    /// µs since the epoch, when all of `b` reads as this format.
    /// - Parameters:
    ///   - clock: the zone of stamps without an offset.
    ///   - years: the year of stamps without one.
    @inline(__always)
    public func read(_ b: Bytes, clock: ZoneClock, years: YearResolver) -> Int64? {
        var year = -1, month = 1, day = 1, hour = 0, minute = 0, second = 0, micros = 0
        var pm: Bool?
        var offset: Int?
        var epoch: Int64?
        var i = 0
        @inline(__always) func digits(_ min: Int, _ max: Int) -> Int? {
            var n = 0, k = 0
            while k < max, i < b.count, b[i] &- 0x30 < 10 { n = n * 10 + Int(b[i] &- 0x30); i += 1; k += 1 }
            return k >= min ? n : nil
        }
        @inline(__always) func fraction() -> Int {
            var n = 0, k = 0
            while i < b.count, b[i] &- 0x30 < 10 { if k < 6 { n = n * 10 + Int(b[i] &- 0x30); k += 1 }; i += 1 }
            while k < 6 { n *= 10; k += 1 }
            return n
        }
        for part in parts {
            switch part {
            case .year4: guard let v = digits(4, 4) else { return nil }; year = v
            case .year2: guard let v = digits(2, 2) else { return nil }; year = 2000 + v
            case .month: guard let v = digits(1, 2), v >= 1, v <= 12 else { return nil }; month = v
            case .day:
                if i < b.count, b[i] == 0x20 { i += 1 }
                guard let v = digits(1, 2), v >= 1, v <= 31 else { return nil }; day = v
            case .monthName:
                guard i + 3 <= b.count, let m = Timestamps.month(b.slice(i, i + 3)) else { return nil }
                month = m; i += 3
                while i < b.count, b[i] | 0x20 >= 0x61, b[i] | 0x20 <= 0x7A { i += 1 }   // the full name's rest
            case .hour: guard let v = digits(1, 2), v < 24 else { return nil }; hour = v
            case .hour12: guard let v = digits(1, 2), v >= 1, v <= 12 else { return nil }; hour = v % 12
            case .ampm:
                guard i + 2 <= b.count, b[i + 1] | 0x20 == 0x6D else { return nil }
                switch b[i] | 0x20 { case 0x61: pm = false; case 0x70: pm = true; default: return nil }
                i += 2
            case .minute: guard let v = digits(2, 2), v < 60 else { return nil }; minute = v
            case .second:
                guard let v = digits(2, 2), v <= 60 else { return nil }; second = min(v, 59)
                if i + 1 < b.count, b[i] == 0x2E || b[i] == 0x2C, b[i + 1] &- 0x30 < 10 { i += 1; micros = fraction() }
            case .fraction:
                guard i < b.count, b[i] &- 0x30 < 10 else { return nil }; micros = fraction()
            case .offset:
                guard i < b.count else { return nil }
                if b[i] == 0x5A || b[i] == 0x7A { offset = 0; i += 1; continue }
                guard b[i] == 0x2B || b[i] == 0x2D else { return nil }
                let sign = b[i] == 0x2D ? -1 : 1
                i += 1
                guard let h = digits(2, 2) else { return nil }
                var m = 0
                if i < b.count, b[i] == 0x3A { i += 1 }
                if i + 2 <= b.count, b[i] &- 0x30 < 10, let v = digits(2, 2) { m = v }
                offset = sign * (h * 3600 + m * 60)
            case .epoch:
                guard let v = digits(1, 12) else { return nil }
                epoch = Int64(v)
                if i + 1 < b.count, b[i] == 0x2E, b[i + 1] &- 0x30 < 10 { i += 1; micros = fraction() }
            case .literal(let c):
                guard i < b.count, b[i] == c else { return nil }; i += 1
            case .spaces:
                guard i < b.count, b[i] == 0x20 else { return nil }
                while i < b.count, b[i] == 0x20 { i += 1 }
            }
        }
        guard i == b.count else { return nil }
        if let epoch { return epoch * 1_000_000 + Int64(micros) }
        if pm == true { hour += 12 }
        if year < 0 { year = years.year(month: month, day: day) }
        let local = CivilTime.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        let utc = offset.map { local - Int64($0) } ?? clock.utc(localSeconds: local)
        return utc * 1_000_000 + Int64(micros)
    }
}
