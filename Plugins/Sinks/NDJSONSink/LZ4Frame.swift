import CLZ4

/// One complete LZ4 frame per call. Frames concatenate: `lz4 -d` decodes a file of them as
/// one stream, which is what lets every worker compress its own batches in parallel.
enum LZ4Frame {
    static func compress(_ input: [UInt8]) -> [UInt8] {
        var prefs = LZ4F_preferences_t()
        prefs.frameInfo.blockSizeID = LZ4F_max4MB
        prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled
        prefs.frameInfo.contentSize = UInt64(input.count)
        let bound = LZ4F_compressFrameBound(input.count, &prefs)
        // Compress into a scratch buffer, then keep an exactly sized copy: a payload waiting
        // in a queue must not hold the worst-case bound.
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: bound, alignment: 16)
        defer { scratch.deallocate() }
        let n = input.withUnsafeBytes { src in
            LZ4F_compressFrame(scratch.baseAddress, bound, src.baseAddress, input.count, &prefs)
        }
        precondition(LZ4F_isError(n) == 0, "LZ4F_compressFrame failed with a sufficient bound")
        return Array(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
    }
}
