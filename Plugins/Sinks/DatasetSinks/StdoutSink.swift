import SpoorKit
#if canImport(Glibc)
import Glibc
#endif

/// Streams events as plain NDJSON on stdout (for a downstream detector: `--out -`); dead
/// letters go to stderr as NDJSON, so stdout carries events only.
public final class StdoutSink: Sink {
    public static let manifest = PluginManifest(
        id: "stdout", kind: .sink, version: "1.0.0",
        summary: "Events as NDJSON on stdout, dead letters as NDJSON on stderr")

    public struct Payload: Sendable {
        var events: [UInt8]
        var rows: Int
        var deadLetters: [UInt8]
    }

    private let job: JobContext
    private let counts = Counter()

    public init(config: PluginConfig, job: JobContext) throws { self.job = job }

    public func encode(_ batch: EventBatch, input: InputFile) -> Payload {
        var json = ByteBuffer(capacity: batch.events.count * 512)
        batch.withReader { reader in
            for event in reader.events { JSONWriter.appendEvent(event, reader, to: &json) }
        }
        var dead = ByteBuffer()
        for letter in batch.deadLetters { JSONWriter.appendDeadLetter(letter, input: input, job: job, to: &dead) }
        return Payload(events: json.array, rows: batch.events.count, deadLetters: dead.array)
    }

    public func write(_ payload: Payload) throws {
        try writeAll(1, payload.events)
        try writeAll(2, payload.deadLetters)
        counts.add(payload.rows)
    }

    public func finish() throws -> [OutputFile] {
        [OutputFile(path: "-", rows: counts.value, bytes: 0, kind: "events")]
    }

    private func writeAll(_ fd: Int32, _ data: [UInt8]) throws {
        var done = 0
        while done < data.count {
            let n = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, data.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SinkFailure(path: fd == 1 ? "stdout" : "stderr", operation: "write", errno: errno)
            }
            done += n
        }
    }
}

/// Only the sink thread writes it; `finish` reads it after that thread ended.
private final class Counter: @unchecked Sendable {
    var value = 0
    func add(_ n: Int) { value += n }
}
