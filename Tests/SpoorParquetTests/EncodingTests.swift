import Testing

@testable import SpoorParquet

/// Decodes the RLE / bit-packed hybrid (no length prefix): the reference the encoder is held to.
func decodeHybrid(_ bytes: [UInt8], bitWidth: Int, count: Int) -> [UInt32]? {
    var out: [UInt32] = []
    var pos = 0
    func varint() -> UInt64? {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while pos < bytes.count {
            let b = bytes[pos]
            pos += 1
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
        }
        return nil
    }
    while out.count < count {
        guard let header = varint() else { return nil }
        if header & 1 == 0 {
            let run = Int(header >> 1)
            var v: UInt32 = 0
            for i in 0..<((bitWidth + 7) / 8) {
                guard pos < bytes.count else { return nil }
                v |= UInt32(bytes[pos]) << (8 * UInt32(i))
                pos += 1
            }
            out.append(contentsOf: repeatElement(v, count: run))
        } else {
            let n = Int(header >> 1) * 8
            var acc: UInt64 = 0
            var bits = 0
            for _ in 0..<n {
                while bits < bitWidth {
                    guard pos < bytes.count else { return nil }
                    acc |= UInt64(bytes[pos]) << UInt64(bits)
                    pos += 1
                    bits += 8
                }
                out.append(UInt32(acc & ((1 << UInt64(bitWidth)) - 1)))
                acc >>= UInt64(bitWidth)
                bits -= bitWidth
            }
        }
    }
    guard pos == bytes.count else { return nil }  // nothing left over
    return Array(out.prefix(count))
}

@Suite("Encodings")
struct EncodingTests {
    @Test("RLE/bit-packed hybrid round-trips runs, literals and their mixes")
    func hybridRoundTrip() {
        var rng = SplitMix(seed: 42)
        for bitWidth in [1, 2, 3, 5, 8, 9, 13, 17, 24, 32] {
            let maxValue = bitWidth == 32 ? UInt64(UInt32.max) : (1 << UInt64(bitWidth)) - 1
            for trial in 0..<40 {
                var values: [UInt32] = []
                let n = trial == 0 ? 0 : Int(rng.next() % 3000) + 1
                while values.count < n {
                    let v = UInt32(rng.next() % (maxValue + 1))
                    let run = rng.next() % 3 == 0 ? Int(rng.next() % 40) + 1 : 1
                    values.append(contentsOf: repeatElement(v, count: min(run, n - values.count)))
                }
                var out: [UInt8] = []
                values.withUnsafeBufferPointer { appendHybrid($0, bitWidth: bitWidth, to: &out) }
                #expect(decodeHybrid(out, bitWidth: bitWidth, count: n) == values, "bit width \(bitWidth), \(n) values")
            }
        }
    }

    @Test("levels: one RLE run for a constant page, with a 4-byte length prefix")
    func levelsPrefix() {
        var out: [UInt8] = []
        [UInt8](repeating: 1, count: 1000).withUnsafeBufferPointer { appendLevels($0, bitWidth: 1, to: &out) }
        // length 3, then varint(1000 << 1) = d0 0f, then the value 1
        #expect(out == [3, 0, 0, 0, 0xD0, 0x0F, 1])
    }

    @Test("booleans are bit-packed LSB first")
    func booleans() {
        var out: [UInt8] = []
        ([1, 0, 1, 1, 0, 0, 0, 0, 1] as [UInt8]).withUnsafeBufferPointer { appendPackedBooleans($0, to: &out) }
        #expect(out == [0b0000_1101, 0b0000_0001])
    }

    @Test("Thrift compact: short and long field headers, zigzag, lists, bools, nesting")
    func compact() {
        var w = CompactWriter()
        w.i32(1, 1)  // delta 1, type i32, zigzag(1) = 2
        w.i64(3, -1)  // delta 2, type i64, zigzag(-1) = 1
        w.bool(4, true)  // delta 1, type true
        w.i32(20, 300)  // delta 16: long form, field id zigzag(20) = 40, value zigzag(300) = 600 = d8 04
        w.beginStruct(21)  // delta 1, struct
        w.bool(1, false)
        w.endStruct()
        w.beginList(22, .i32, count: 15)  // 15 elements: long list header f5 0f
        for _ in 0..<15 { w.elementI32(0) }
        w.finish()
        let expected: [UInt8] =
            [0x15, 0x02, 0x26, 0x01, 0x11, 0x05, 0x28, 0xD8, 0x04, 0x1C, 0x12, 0x00, 0x19, 0xF5, 0x0F]
            + [UInt8](repeating: 0, count: 15) + [0x00]
        #expect(w.bytes == expected)
    }

    @Test("dictionary finds equal byte strings and keeps PLAIN entries")
    func dictionary() {
        let d = ByteDictionary()
        var indices: [UInt32] = []
        for i in 0..<5000 {
            var s = "value-\(i % 1234)"
            let (index, _) = s.withUTF8 { d.index(of: UnsafeRawBufferPointer($0)) }
            indices.append(index)
        }
        #expect(d.count == 1234)
        #expect(indices[0] == indices[1234])
        #expect(indices[1] != indices[0])
        let (empty, inserted) = d.index(of: UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(inserted)
        #expect(d.index(of: UnsafeRawBufferPointer(start: nil, count: 0)) == (empty, false))
        #expect(Array(d.plain.prefix(11)) == [7, 0, 0, 0] + Array("value-0".utf8))
    }
}

@Suite("UTF-8 and statistics bounds")
struct UTF8Tests {
    /// Random bytes biased towards UTF-8 lead and continuation bytes.
    static func randomBytes(_ rng: inout SplitMix, count: Int) -> [UInt8] {
        let pool: [UInt8] = [0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0x9F, 0xA0, 0x8F, 0x90]
        return (0..<count).map { _ in
            rng.next() % 3 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : pool[Int(rng.next() % UInt64(pool.count))]
        }
    }

    @Test("validation and U+FFFD repair agree with Swift's own UTF-8 decoder")
    func repairMatchesSwift() {
        var rng = SplitMix(seed: 5)
        for n in 0..<3000 {
            let bytes = Self.randomBytes(&rng, count: n % 23)
            let swift = Array(String(decoding: bytes, as: UTF8.self).utf8)
            bytes.withUnsafeBytes { p in
                #expect(isValidUTF8(p) == (swift == bytes), "\(bytes)")
                #expect(repairedUTF8(p) == swift, "\(bytes)")
            }
        }
        for valid in ["", "plain ascii longer than eight", "Zürich", "東京", "😀🎉", "\u{10FFFF}", "\u{D7FF}\u{E000}"] {
            var s = valid
            #expect(s.withUTF8 { isValidUTF8(UnsafeRawBufferPointer($0)) })
        }
    }

    @Test("shortened min/max stay bounds, valid UTF-8, and short")
    func truncatedBounds() {
        var rng = SplitMix(seed: 11)
        let alphabet: [Unicode.Scalar] = ["a", "z", "\u{7F}", "é", "\u{7FF}", "東", "\u{D7FF}", "\u{FFFF}", "😀", "\u{10FFFF}"]
        for _ in 0..<2000 {
            let length = Int(rng.next() % 40)
            var s = ""
            for _ in 0..<length { s.unicodeScalars.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
            let bytes = Array(s.utf8)
            let limit = Int(rng.next() % 12) + 1
            let lower = truncatedLowerBound(bytes, limit: limit)
            #expect(lower.count <= limit)
            #expect(!bytes.lexicographicallyPrecedes(lower))  // lower ≤ bytes
            #expect(String(validating: lower, as: UTF8.self) != nil)
            if let upper = truncatedUpperBound(bytes, limit: limit) {
                #expect(upper.count <= limit + 4)
                #expect(bytes.count <= limit ? upper == bytes : bytes.lexicographicallyPrecedes(upper))
                #expect(String(validating: upper, as: UTF8.self) != nil)
            } else {
                // only when the prefix that fits is nothing but U+10FFFF
                var fits = 0
                let prefix = s.unicodeScalars.prefix { fits += String($0).utf8.count; return fits <= limit }
                #expect(prefix.allSatisfy { $0 == "\u{10FFFF}" })
            }
        }
    }
}

/// Calls `body` with 40 bytes and a copy, for every length `n` up to 40: first equal
/// (`difference` nil), then differing at each position below `n`.
func forEveryDifference(_ body: (_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int, _ difference: Int?) -> Void) {
    let a: [UInt8] = (0..<40).map { UInt8($0 * 7 & 0xFF) }
    for n in 0...40 {
        for difference in [nil] + (0..<n).map(Optional.some) {
            var b = a
            if let d = difference { b[d] ^= 0x81 }
            a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in body(pa.baseAddress!, pb.baseAddress!, n, difference) } }
        }
    }
}

@Suite("Byte equality")
struct BytesEqualTests {
    @Test("inline equality agrees with memcmp for every length up to 40 and a difference at every position")
    func agreesWithMemcmp() {
        forEveryDifference { a, b, n, difference in
            #expect(bytesEqual(a, b, n) == (difference == nil), "length \(n), byte \(difference ?? -1)")
        }
    }
}

@Suite("DELTA_BYTE_ARRAY")
struct DeltaByteArrayTests {
    @Test("the shared prefix stops at the first difference, at every position of every length up to 40")
    func sharedPrefixAtEveryPosition() {
        forEveryDifference { a, b, n, difference in
            #expect(DeltaByteArray.sharedPrefix(a, b, n) == difference ?? n, "length \(n), byte \(difference ?? -1)")
        }
    }
}
