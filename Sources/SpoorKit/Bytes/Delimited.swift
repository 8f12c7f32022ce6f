/// Rows of delimited text: W3C extended logs (space-separated, `-` for empty) and CSV
/// (comma-separated, `"…"` quoting with `""` inside), as slices of the record.
public enum Delimited {
    /// The fields of a W3C row.
    public static func w3c(_ row: Bytes, into fields: inout [Bytes]) {
        fields.removeAll(keepingCapacity: true)
        var start = 0
        while start <= row.count {
            let end = row.firstIndex(of: 0x20, from: start) ?? row.count
            fields.append(row.slice(start, end))
            start = end + 1
        }
    }

    /// The fields of a CSV row; a quoted field is returned without its quotes, and
    /// `quoted[i]` says whether it still holds `""` pairs to undo (`unquote`).
    /// Returns false when a quote is not closed.
    @discardableResult
    public static func csv(_ row: Bytes, into fields: inout [Bytes], quoted: inout [Bool]) -> Bool {
        fields.removeAll(keepingCapacity: true)
        quoted.removeAll(keepingCapacity: true)
        var i = 0
        while true {
            if i < row.count, row[i] == 0x22 {
                var j = i + 1, doubled = false
                while true {
                    guard let q = row.firstIndex(of: 0x22, from: j) else { return false }
                    if q + 1 < row.count, row[q + 1] == 0x22 { doubled = true; j = q + 2; continue }
                    fields.append(row.slice(i + 1, q))
                    quoted.append(doubled)
                    i = q + 1
                    break
                }
                guard i < row.count else { return true }
                guard row[i] == 0x2C else { return false }
                i += 1
            } else {
                let end = row.firstIndex(of: 0x2C, from: i) ?? row.count
                fields.append(row.slice(i, end))
                quoted.append(false)
                if end == row.count { return true }
                i = end + 1
            }
        }
    }

    /// A quoted CSV field with its `""` pairs made single.
    public static func unquote(_ field: Bytes, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        var i = 0
        while i < field.count {
            out.append(field[i])
            i += field[i] == 0x22 && i + 1 < field.count && field[i + 1] == 0x22 ? 2 : 1
        }
    }

    /// Column names of a `#Fields: a b c` (W3C) or `#Fields: a,b,c` (Exchange) header.
    public static func header(_ line: Bytes) -> [String] {
        var body = line.hasPrefix("#Fields:") ? line.dropFirst(8) : line
        body = body.trimmed()
        let separator: UInt8 = body.firstIndex(of: 0x2C) != nil ? 0x2C : 0x20
        return body.string.split(separator: Character(Unicode.Scalar(separator)), omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: [" "]) }
    }
}

/// A header's column positions, cached per worker: rows are mapped without reparsing the
/// header or hashing a name per row.
public final class HeaderColumns {
    private var header: [UInt8] = []
    public private(set) var names: [String] = []
    private var index: [String: Int] = [:]

    public init() {}

    /// Makes `line` the current header when it differs from the cached one.
    public func use(_ line: Bytes) {
        if line.count == header.count, line.elementsEqual(header) { return }
        header = Array(line)
        names = Delimited.header(line)
        index = [:]
        for (i, n) in names.enumerated() where index[n.lowercased()] == nil { index[n.lowercased()] = i }
    }

    public var isEmpty: Bool { names.isEmpty }

    /// Position of a column (names compared lower-cased).
    public func position(_ name: String) -> Int? { index[name] }
}

extension String {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
