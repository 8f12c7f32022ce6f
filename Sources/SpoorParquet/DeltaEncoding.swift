import GrowableBuffer
/// DELTA_BINARY_PACKED (Encodings.md): for integer columns whose neighbours are close —
/// timestamps, offsets, line numbers — a few bits a value where PLAIN takes 8 bytes.
///
/// Layout: a header `<block size> <miniblocks per block> <value count> <first value (zigzag)>`
/// (ULEB128), then blocks of 128 deltas: `<min delta (zigzag)>`, one bit-width byte per
/// miniblock, and the miniblocks: 32 deltas each, minus the block's min delta, bit-packed LSB
/// first. The last block's unused miniblocks have width 0 and no body; its last miniblock is
/// padded to 32 values. Deltas wrap (two's complement), as the spec allows.
enum DeltaBinaryPacked {
    static let blockSize = 128
    static let miniblocks = 4
    static let miniblockSize = blockSize / miniblocks

    /// Appends the encoding of `values` to `out`.
    static func append(_ values: UnsafeBufferPointer<Int64>, to out: inout [UInt8]) {
        appendVarint(UInt64(blockSize), to: &out)
        appendVarint(UInt64(miniblocks), to: &out)
        appendVarint(UInt64(values.count), to: &out)
        appendVarint(zigzag(values.first ?? 0), to: &out)
        guard values.count > 1 else { return }
        var deltas = [Int64](repeating: 0, count: blockSize)
        var start = 1
        while start < values.count {
            let n = min(blockSize, values.count - start)
            var minDelta = Int64.max
            for i in 0..<n {
                let d = values[start + i] &- values[start + i - 1]
                deltas[i] = d
                if d < minDelta { minDelta = d }
            }
            appendVarint(zigzag(minDelta), to: &out)
            // Bit widths of the miniblocks, then their bodies.
            var widths = [Int](repeating: 0, count: miniblocks)
            let used = (n + miniblockSize - 1) / miniblockSize
            for m in 0..<used {
                var all: UInt64 = 0
                for i in (m * miniblockSize)..<min(n, (m + 1) * miniblockSize) {
                    all |= UInt64(bitPattern: deltas[i] &- minDelta)
                }
                widths[m] = all == 0 ? 0 : 64 - all.leadingZeroBitCount
            }
            for w in widths { out.append(UInt8(w)) }
            for m in 0..<used {
                let width = widths[m]
                guard width > 0 else { continue }
                var packer = BitPacker()
                for i in (m * miniblockSize)..<((m + 1) * miniblockSize) {
                    packer.put(i < n ? UInt64(bitPattern: deltas[i] &- minDelta) : 0, width: width, into: &out)
                }
                // 32 values × width bits is a whole number of bytes: nothing is left over.
            }
            start += n
        }
    }

    @inline(__always)
    static func zigzag(_ v: Int64) -> UInt64 {
        UInt64(bitPattern: (v << 1) ^ (v >> 63))
    }
}

/// DELTA_BYTE_ARRAY (Encodings.md) for strings that are not dictionary-encoded: each value
/// as the length of the prefix it shares with the previous one and the rest. Ids of one
/// stream (`<stream>-<offset>`) and syslog lines (`Jan  3 10:00:01 mx1 …`) share long
/// prefixes, which this drops before compression sees them.
///
/// Layout: the prefix lengths (DELTA_BINARY_PACKED), then the suffixes as
/// DELTA_LENGTH_BYTE_ARRAY: their lengths (DELTA_BINARY_PACKED), then their bytes.
enum DeltaByteArray {
    /// Appends the encoding of `plain` (PLAIN BYTE_ARRAY values: 4-byte length, bytes) to `out`.
    static func append(plain raw: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        var prefixes = GrowableBuffer<Int64>(capacity: raw.count / 16 + 1)
        var suffixLengths = GrowableBuffer<Int64>(capacity: raw.count / 16 + 1)
        var suffixes = GrowableBuffer<UInt8>(capacity: raw.count)
        if let base = raw.baseAddress {
            var at = 0
            var previous = 0, previousLength = 0
            while at + 4 <= raw.count {
                let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                let start = at + 4
                let shared = sharedPrefix(base + start, base + previous, min(length, previousLength))
                prefixes.append(Int64(shared))
                suffixLengths.append(Int64(length - shared))
                suffixes.append(UnsafeRawBufferPointer(start: base + start + shared, count: length - shared))
                previous = start
                previousLength = length
                at = start + length
            }
        }
        DeltaBinaryPacked.append(prefixes.buffer, to: &out)
        DeltaBinaryPacked.append(suffixLengths.buffer, to: &out)
        out.append(contentsOf: suffixes.buffer)
    }

    /// How many of the first `limit` bytes at `a` and `b` are equal, eight at a time.
    @inline(__always)
    static func sharedPrefix(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ limit: Int) -> Int {
        var n = 0
        while n + 8 <= limit {
            let x = a.loadUnaligned(fromByteOffset: n, as: UInt64.self) ^ b.loadUnaligned(fromByteOffset: n, as: UInt64.self)
            if x != 0 { return n + UInt64(littleEndian: x).trailingZeroBitCount / 8 }
            n += 8
        }
        while n < limit && a.load(fromByteOffset: n, as: UInt8.self) == b.load(fromByteOffset: n, as: UInt8.self) { n += 1 }
        return n
    }
}
