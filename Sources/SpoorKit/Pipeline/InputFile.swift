/// One decoded stream being ingested: a plain file, or one member of an archive.
///
/// Shared read-only by the reader that made it and the workers parsing its chunks; its
/// path bytes live as long as it does, so events reference them instead of copying.
public final class InputFile: Sendable {
    public let path: String
    public let memberPath: String?
    public let encoding: String
    /// Resolves year-less timestamps of this stream.
    public let years: YearResolver
    /// Hash of the stream's identity (member path and first 4 KiB of content): with a
    /// record's offset it makes the event id, stable across runs.
    public let fingerprint: (UInt64, UInt64)
    /// The record parser chosen for this stream, and the framer its records come from.
    public let format: String
    public let framer: String
    /// Where reading starts: decoded bytes and lines an earlier job already read.
    public let resumeOffset: Int64
    public let resumeLines: Int64
    /// The first bytes' length and hash, recorded in the ingest state.
    public let headLength: Int
    public let headHash: UInt64
    /// The order of the stream's chunks, and its per-stream companions (see `StreamOrdered`).
    public let order = StreamOrder()

    private let pathStorage: StableText
    private let memberStorage: StableText?

    public init(path: String, memberPath: String?, encoding: String, years: YearResolver,
                fingerprint: (UInt64, UInt64), format: String, framer: String = "lines",
                resumeOffset: Int64 = 0, resumeLines: Int64 = 0, headLength: Int = 0, headHash: UInt64 = 0) {
        self.resumeOffset = resumeOffset
        self.resumeLines = resumeLines
        self.headLength = headLength
        self.headHash = headHash
        self.path = path
        self.memberPath = memberPath
        self.encoding = encoding
        self.years = years
        self.fingerprint = fingerprint
        self.format = format
        self.framer = framer
        pathStorage = StableText(path)
        memberStorage = memberPath.map(StableText.init)
    }

    public var pathBytes: Bytes { pathStorage.bytes }
    public var memberBytes: Bytes? { memberStorage?.bytes }

    /// `path` or `path//member`, for messages.
    public var displayName: String { memberPath.map { "\(path)//\($0)" } ?? path }
}

/// 64-bit hashes for fingerprints and ids (FNV-1a, then a splitmix finaliser).
public enum Hash {
    @inline(__always)
    public static func fnv1a(_ bytes: Bytes, seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        var h = seed
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    /// A 64-bit hash of bytes taken eight at a time: for keys hashed per event (accounts,
    /// addresses), where `fnv1a`'s byte-by-byte chain is the cost.
    @inline(__always)
    public static func words(_ bytes: Bytes) -> UInt64 {
        var h = UInt64(bytes.count) &* 0x9E37_79B9_7F4A_7C15
        guard let p = bytes.baseAddress else { return mix(h) }
        let n = bytes.count
        var i = 0
        while i + 8 <= n {
            h = (h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        if i < n { h = (h ^ word(p, from: i, to: n)) &* 0xC4CE_B9FE_1A85_EC53 }
        return mix(h)
    }

    /// Bytes `i..<n` at `p` (at most eight) as a little-endian word, zero-filled, in at most
    /// two loads where the bytes allow: the word that ends at `n` shifted into place (`n` of
    /// eight or more; the bytes before `i` it reads are the caller's), or two overlapping
    /// halves. For the tail of a key hashed or remembered per event.
    @inlinable @inline(__always)
    public static func word(_ p: UnsafeRawPointer, from i: Int, to n: Int) -> UInt64 {
        let r = n - i
        guard r > 0 else { return 0 }
        if n >= 8 { return p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) >> UInt64(8 * (8 - r)) }
        if r >= 4 {
            return UInt64(p.loadUnaligned(fromByteOffset: i, as: UInt32.self))
                | UInt64(p.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)) << UInt64(8 * (r - 4))
        }
        var w: UInt64 = 0
        for j in i..<n { w |= UInt64(p.load(fromByteOffset: j, as: UInt8.self)) << UInt64(8 * (j - i)) }
        return w
    }

    @inline(__always)
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
