import Foundation

/// Turns local wall-clock times of one IANA zone into UTC, fast.
///
/// Year-less syslog stamps are local time. The zone's offset changes twice a year at most,
/// so offsets are cached per local hour; one `ZoneClock` per worker thread.
public final class ZoneClock {
    public let zone: TimeZone
    private let isUTC: Bool
    private var cachedHour: Int64 = .min
    private var cachedOffset: Int64 = 0

    public init(zone: TimeZone) {
        self.zone = zone
        isUTC = zone.secondsFromGMT() == 0 && zone.nextDaylightSavingTimeTransition == nil
    }

    /// Looks a zone up by IANA name ("Europe/Zurich", "UTC").
    public static func zone(named name: String) throws(ConfigError) -> TimeZone {
        guard let z = TimeZone(identifier: name) else {
            throw ConfigError(origin: "--timezone", message: "unknown time zone '\(name)'",
                              hint: suggestion(for: name, among: TimeZone.knownTimeZoneIdentifiers).map { "did you mean '\($0)'?" }
                                  ?? "use an IANA name such as UTC, Europe/Berlin or America/New_York")
        }
        return z
    }

    /// UTC seconds of local wall-clock seconds (as if the wall clock were UTC).
    @inline(__always)
    public func utc(localSeconds: Int64) -> Int64 {
        if isUTC { return localSeconds }
        let hour = localSeconds >= 0 ? localSeconds / 3600 : (localSeconds - 3599) / 3600
        if hour != cachedHour {
            // The offset in force at that wall time: guess with the offset at the wall time
            // read as UTC, then correct once (right except inside the DST gap/overlap hour).
            let first = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(localSeconds))))
            cachedOffset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(localSeconds - first))))
            cachedHour = hour
        }
        return localSeconds - cachedOffset
    }

    /// The local calendar date of UTC seconds.
    public func localDate(utcSeconds: Int64) -> (year: Int, month: Int, day: Int) {
        let offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(utcSeconds))))
        let local = utcSeconds + offset
        return CivilTime.date(days: local >= 0 ? local / 86_400 : (local - 86_399) / 86_400)
    }
}

/// Resolves the year of year-less timestamps (RFC 3164) against a reference time.
///
/// A log is written before it is closed: a stamp is placed in the latest year that does not
/// put it after the reference (the file's or archive member's modification time), with a
/// day of slack for clock and zone skew. So a file rotated in January gets its December
/// lines in the old year and its January lines in the new one, and every chunk of a file
/// resolves on its own — no line-order state, so chunks parse in parallel.
public struct YearResolver: Sendable {
    let year: Int
    let ordinal: Int

    /// Reference date in the log's zone.
    public init(referenceYear: Int, month: Int, day: Int) {
        year = referenceYear
        ordinal = month * 32 + day + 1   // a day of slack
    }

    /// Every stamp in `year` (the job pinned it).
    public init(pinnedYear: Int) {
        year = pinnedYear
        ordinal = Int.max
    }

    @inline(__always)
    public func year(month: Int, day: Int) -> Int {
        month * 32 + day <= ordinal ? year : year - 1
    }
}
