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
                var acc: UInt64 = 0  // bits not yet written, LSB first; fewer than 8 between puts
                var bits = 0
                @inline(__always) func put(_ v: UInt64, _ w: Int) {
                    acc |= v << UInt64(bits)
                    bits += w
                    while bits >= 8 {
                        out.append(UInt8(truncatingIfNeeded: acc))
                        acc >>= 8
                        bits -= 8
                    }
                }
                for i in (m * miniblockSize)..<((m + 1) * miniblockSize) {
                    let v: UInt64 = i < n ? UInt64(bitPattern: deltas[i] &- minDelta) : 0
                    if width <= 56 {
                        put(v, width)
                    } else {
                        put(v & 0xFFFF_FFFF, 32)
                        put(v >> 32, width - 32)
                    }
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
