/// Text that events reference for as long as its owner lives (a loaded rule, a module's
/// constant, an input's path): its bytes are set without a copy per event
/// (`EventBuilder.set(_:stable:)`), and read in place, with no `String` retained.
public final class StableText: @unchecked Sendable {
    public let bytes: Bytes
    public let text: String

    public init(_ text: String) {
        self.text = text
        let utf8 = Array(text.utf8)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, utf8.count), alignment: 1)
        utf8.withUnsafeBytes { buffer.copyMemory(from: $0) }
        bytes = Bytes(start: buffer.baseAddress, count: utf8.count)
    }

    deinit { UnsafeMutableRawBufferPointer(mutating: bytes).deallocate() }
}
