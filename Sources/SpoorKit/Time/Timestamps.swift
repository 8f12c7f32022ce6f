/// Timestamp formats that more than one parser reads.
public enum Timestamps {
    /// A month's three-letter English abbreviation (`Jan`) → 1...12.
    @inline(__always)
    public static func month(_ b: Bytes) -> Int? {
        guard b.count >= 3 else { return nil }
        let key = (UInt32(b[0] | 0x20) << 16) | (UInt32(b[1] | 0x20) << 8) | UInt32(b[2] | 0x20)
        switch key {
        case 0x6A616E: return 1   // jan
        case 0x666562: return 2
        case 0x6D6172: return 3
        case 0x617072: return 4
        case 0x6D6179: return 5
        case 0x6A756E: return 6
        case 0x6A756C: return 7
        case 0x617567: return 8
        case 0x736570: return 9
        case 0x6F6374: return 10
        case 0x6E6F76: return 11
        case 0x646563: return 12
        default: return nil
        }
    }

    /// `Mmm dd hh:mm:ss[.ffffff]` (day space- or zero-padded) at the start of `b`.
    /// Returns the wall-clock parts and the length read.
    public static func rfc3164(_ b: Bytes) -> (month: Int, day: Int, secondOfDay: Int, micros: Int, length: Int)? {
        guard b.count >= 15, let month = month(b), b[3] == 0x20 else { return nil }
        var i = 4
        if b[i] == 0x20 { i += 1 }
        var day = 0
        while i < b.count, b[i] &- 0x30 < 10, day < 100 { day = day * 10 + Int(b[i] &- 0x30); i += 1 }
        guard day >= 1, day <= 31, i + 9 <= b.count, b[i] == 0x20 else { return nil }
        i += 1
        guard let sod = clock(b, i) else { return nil }
        i += 8
        var micros = 0
        if i < b.count, b[i] == 0x2E {
            (micros, i) = fraction(b, i + 1)
        }
        return (month, day, sod, micros, i)
    }

    /// `hh:mm:ss` at `i` → seconds of the day.
    @inline(__always)
    static func clock(_ b: Bytes, _ i: Int) -> Int? {
        guard i + 8 <= b.count, b[i + 2] == 0x3A, b[i + 5] == 0x3A,
              let h = two(b, i), let m = two(b, i + 3), let s = two(b, i + 6),
              h < 24, m < 60, s <= 60 else { return nil }
        return h * 3600 + m * 60 + min(s, 59)
    }

    @inline(__always)
    static func two(_ b: Bytes, _ i: Int) -> Int? {
        let a = b[i] &- 0x30, c = b[i + 1] &- 0x30
        guard a < 10, c < 10 else { return nil }
        return Int(a) * 10 + Int(c)
    }

    /// Decimal fraction digits at `i` → µs (extra digits dropped) and the index after them.
    @inline(__always)
    static func fraction(_ b: Bytes, _ start: Int) -> (Int, Int) {
        var i = start, micros = 0, digits = 0
        while i < b.count, b[i] &- 0x30 < 10 {
            if digits < 6 { micros = micros * 10 + Int(b[i] &- 0x30); digits += 1 }
            i += 1
        }
        while digits < 6 { micros *= 10; digits += 1 }
        return (micros, i)
    }

    /// ISO 8601 / RFC 3339 at the start of `b`: `YYYY-MM-DD[T ]hh:mm:ss[.f][Z|±hh[:]mm]`.
    /// Returns µs since the epoch (a stamp without offset is read in `clock`'s zone) and the
    /// length read.
    public static func iso8601(_ b: Bytes, clock: ZoneClock) -> (micros: Int64, length: Int)? {
        guard b.count >= 19, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54 || b[10] == 0x20,
              let y1 = two(b, 0), let y2 = two(b, 2), let mo = two(b, 5), let d = two(b, 8),
              mo >= 1, mo <= 12, d >= 1, d <= 31,
              let sod = Timestamps.clock(b, 11) else { return nil }
        var i = 19, micros = 0
        if i < b.count, b[i] == 0x2E || b[i] == 0x2C { (micros, i) = fraction(b, i + 1) }
        let local = CivilTime.days(year: y1 * 100 + y2, month: mo, day: d) * 86_400 + Int64(sod)
        var utc: Int64
        if i < b.count, b[i] == 0x5A {
            utc = local; i += 1
        } else if i + 3 <= b.count, b[i] == 0x2B || b[i] == 0x2D, let oh = two(b, i + 1) {
            var j = i + 3, om = 0
            if j < b.count, b[j] == 0x3A { j += 1 }
            if j + 2 <= b.count, let m = two(b, j) { om = m; j += 2 }
            let offset = Int64(oh * 3600 + om * 60)
            utc = b[i] == 0x2B ? local - offset : local + offset
            i = j
        } else {
            utc = clock.utc(localSeconds: local)
        }
        return (utc * 1_000_000 + Int64(micros), i)
    }
}
