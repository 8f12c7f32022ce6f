import GrowableBuffer

/// The byte buffer every encoder writes into (JSON lines, LZ4 frames, the campaign file):
/// appends are plain stores into malloc'd memory, with no uniqueness or bounds checks per
/// byte (what makes `[UInt8]` appends slow when an encoder writes a hundred million small
/// pieces). The same storage as a batch's arena, under the name its writers know.
public typealias ByteBuffer = GrowableBuffer<UInt8>
