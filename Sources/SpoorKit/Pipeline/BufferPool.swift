import Synchronization

/// Chunk buffers, reused: a fresh 2 MB allocation per chunk costs page faults on every
/// byte (the kernel zeroes new pages), a reused one does not. Holds at most `keep` idle
/// buffers; the pipeline's bounded queues bound how many are in use.
final class BufferPool: Sendable {
    let size: Int
    private let keep: Int
    /// Idle buffers by address (all are `size` bytes).
    private let idle = Mutex<[Int]>([])

    init(size: Int, keep: Int) {
        self.size = size
        self.keep = keep
    }

    deinit { idle.withLock { for a in $0 { buffer(at: a).deallocate() } } }

    func take() -> UnsafeMutableRawBufferPointer {
        idle.withLock { $0.popLast() }.map(buffer(at:)) ?? .allocate(byteCount: size, alignment: 16)
    }

    func give(_ buffer: UnsafeMutableRawBufferPointer) {
        guard buffer.count == size else { buffer.deallocate(); return }
        let address = Int(bitPattern: buffer.baseAddress)
        let kept = idle.withLock { list -> Bool in
            guard list.count < keep else { return false }
            list.append(address)
            return true
        }
        if !kept { buffer.deallocate() }
    }

    private func buffer(at address: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: address), count: size)
    }
}
