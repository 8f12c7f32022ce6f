import Foundation
import SpoorKit

/// The table printed at the end of a job.
enum Summary {
    static func render(_ result: JobResult, output: String) -> String {
        let s = result.summary
        let rate = s.seconds > 0 ? Double(s.recordsIn) / s.seconds : 0
        let mb = s.seconds > 0 ? Double(s.bytesDecoded) / s.seconds / 1e6 : 0
        var out = "\n"
        out += "inputs      \(s.inputs) files, \(s.members) streams, \(n(s.bytesRead)) bytes read, \(n(s.bytesDecoded)) decoded\n"
        out += "encodings   " + s.membersByEncoding.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
        out += "formats     " + s.membersByFormat.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
        out += "datasets    " + s.eventsByDataset.sorted { $0.value > $1.value }.map { "\($0.key) \(n($0.value))" }.joined(separator: ", ") + "\n"
        if s.sourceErrors > 0 {
            out += "errors      \(s.sourceErrors) streams failed to open or decode (see dead_letter/)\n"
            for m in result.members where m.error != nil {
                out += "            \(m.path)\(m.member.map { "//\($0)" } ?? ""): \(m.error!)\n"
            }
        }
        if s.derivedEvents > 0 { out += "derived     \(n(s.derivedEvents)) email events, one per Postfix message (queue-id correlation)\n" }
        if result.peakOpenWindows > 0 || result.findings > 0 {
            out += "findings    \(n(result.findings)) from behaviour rules (at most \(n(result.peakOpenWindows)) windows open at once)\n"
        }
        let resumed = result.members.filter { $0.resumedAt > 0 }.count
        if resumed > 0 { out += "resumed     \(resumed) streams read by an earlier job: only what follows was read\n" }
        if s.recordsIn == 0 && s.members > 0 {
            out += "nothing new every stream was read by an earlier job; no file written\n"
        }
        out += "records in  \(n(s.recordsIn)) = events \(n(s.eventsOut)) + dead letters \(n(s.deadLetters)) + filtered \(n(s.filtered))"
        out += s.reconciles ? "  ✓\n" : "  ✗ MISMATCH (events written: \(n(s.eventsWritten)))\n"
        out += String(format: "time        %.2f s, %@ records/s, %.1f MB/s decoded\n", s.seconds, n(Int(rate)), mb)
        out += "output      \(output == "-" ? "stdout" : output) (\(result.files.count) files)\n"
        return out
    }

    /// A behaviour rule that found nothing for want of its group-by fields, and where they come from.
    static func keyless(_ r: KeylessRule) -> String {
        let hint = r.groupBy.contains { $0.hasPrefix("source.as.") || $0.hasPrefix("source.geo.") }
            ? " (they come from a GeoIP/ASN database: --geoip FILE)" : ""
        return "rules       \(r.rule): none of the \(n(r.events)) events it counts had \(r.groupBy.joined(separator: ", "))\(hint), so it found nothing\n"
    }

    static func n<T: BinaryInteger>(_ v: T) -> String {
        let digits = String(v)
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }
}

/// A one-line progress display on stderr, only when stderr is a terminal.
final class ProgressLine: Sendable {
    static func makeIfTerminal() -> ProgressLine? { isatty(2) != 0 ? ProgressLine() : nil }

    @Sendable func update(_ p: ProgressSnapshot) {
        let fraction = p.bytesTotal > 0 ? min(1, Double(p.bytesRead) / Double(p.bytesTotal)) : 0
        let mbs = p.seconds > 0 ? Double(p.bytesRead) / p.seconds / 1e6 : 0
        let eps = p.seconds > 0 ? Double(p.events) / p.seconds : 0
        let eta = fraction > 0.01 ? String(format: "%.0f s", p.seconds / fraction - p.seconds) : "?"
        let line = String(format: "\r%d/%d files  %5.1f%%  %.1f MB/s  %@ events/s  ETA %@   ",
                          p.inputsDone, p.inputsTotal, fraction * 100, mbs, Summary.n(Int(eps)), eta)
        FileHandle.standardError.write(line)
    }

    func clear() { FileHandle.standardError.write("\r\u{1B}[K") }
}
