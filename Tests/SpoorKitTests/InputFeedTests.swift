@testable import SpoorKit
import Testing

/// The order in which the behaviour rules see chunks: however the chunks and the ends of
/// inputs arrive, the same merge by time.
@Suite struct InputFeedTests {
    /// A chunk: its input, its place there, and its earliest event time (nil: none).
    struct Piece: Equatable, CustomStringConvertible {
        var input: Int, ordinal: Int, time: Int64?
        var description: String { "\(input).\(ordinal)@\(time.map(String.init) ?? "-")" }
    }

    enum Arrival { case piece(Piece), end(input: Int, chunks: Int) }

    func fed(_ arrivals: [Arrival], inputs: Int, width: Int) -> [Piece] {
        let feed = InputFeed<Piece>(inputs: inputs, width: width, limit: 100) { $0.time }
        var out: [Piece] = []
        for a in arrivals {
            switch a {
            case .piece(let p): out += feed.add(p, input: p.input, ordinal: p.ordinal)
            case .end(let input, let chunks): out += feed.end(input: input, chunks: chunks)
            }
        }
        return out + feed.rest()
    }

    /// Three logs of one period: each input's chunks stay in order, and of the inputs' next
    /// chunks the earliest goes first (a chunk without events as soon as it is next).
    @Test func chunksAreMergedByTimeWhateverOrderTheyArriveIn() {
        let pieces = [
            Piece(input: 0, ordinal: 0, time: 10), Piece(input: 0, ordinal: 1, time: 40), Piece(input: 0, ordinal: 2, time: 70),
            Piece(input: 1, ordinal: 0, time: 20), Piece(input: 1, ordinal: 1, time: nil), Piece(input: 1, ordinal: 2, time: 50),
            Piece(input: 2, ordinal: 0, time: 5), Piece(input: 2, ordinal: 1, time: 45),
        ]
        let ends: [Arrival] = [.end(input: 0, chunks: 3), .end(input: 1, chunks: 3), .end(input: 2, chunks: 2)]
        let expected = [(2, 0), (0, 0), (1, 0), (1, 1), (0, 1), (2, 1), (1, 2), (0, 2)]
            .map { i, o in pieces.first { $0.input == i && $0.ordinal == o }! }
        for _ in 0..<200 {
            // Arrivals in any order: workers finish chunks in any order, and an input's end
            // may overtake its last chunks on the way to the sink.
            var arrivals = pieces.map(Arrival.piece) + ends
            arrivals.shuffle()
            #expect(fed(arrivals, inputs: 3, width: 4) == expected, "arrivals \(arrivals)")
        }
    }

    /// Inputs beyond the merge's width wait until an earlier one is done, so a later week
    /// does not run ahead of the logs of this one.
    @Test func anInputBeyondTheWidthWaitsForAnEarlierOneToEnd() {
        let arrivals: [Arrival] = [
            .piece(Piece(input: 1, ordinal: 0, time: 1)),
            .piece(Piece(input: 0, ordinal: 0, time: 50)),
            .piece(Piece(input: 0, ordinal: 1, time: 60)),
            .end(input: 0, chunks: 2),
            .end(input: 1, chunks: 1),
        ]
        #expect(fed(arrivals, inputs: 2, width: 1).map(\.description) == ["0.0@50", "0.1@60", "1.0@1"])
        #expect(fed(arrivals, inputs: 2, width: 2).map(\.description) == ["1.0@1", "0.0@50", "0.1@60"])
    }

    /// A long log among short ones: when a short one is done, the next joins the merge, so
    /// the short logs of later hours meet the long one's chunks of those hours.
    @Test func whenAnInputIsDoneTheNextJoinsTheMerge() {
        let arrivals: [Arrival] = [
            .piece(Piece(input: 0, ordinal: 0, time: 10)), .piece(Piece(input: 0, ordinal: 1, time: 20)),
            .piece(Piece(input: 0, ordinal: 2, time: 30)),
            .piece(Piece(input: 1, ordinal: 0, time: 11)), .end(input: 1, chunks: 1),
            .piece(Piece(input: 2, ordinal: 0, time: 21)), .end(input: 2, chunks: 1),
            .end(input: 0, chunks: 3),
        ]
        #expect(fed(arrivals, inputs: 3, width: 2).map(\.description) == ["0.0@10", "1.0@11", "0.1@20", "2.0@21", "0.2@30"])
    }

    /// A chunk that never comes holds back what follows it, which is still fed at the end.
    @Test func whatIsHeldAtTheEndIsFedInInputAndChunkOrder() {
        let arrivals: [Arrival] = [
            .piece(Piece(input: 1, ordinal: 1, time: 3)),
            .piece(Piece(input: 0, ordinal: 1, time: 2)),
            .piece(Piece(input: 1, ordinal: 0, time: 1)),
        ]
        #expect(fed(arrivals, inputs: 2, width: 2).map(\.description) == ["0.1@2", "1.0@1", "1.1@3"])
    }

    /// A reader waits once the limit is reached and a chunk of its own is held; the reader
    /// of an input whose next chunk the merge waits for holds none, and reads on.
    @Test func aReaderWaitsOnlyWhileItsOwnChunksAreHeldAtTheLimit() {
        let feed = InputFeed<Piece>(inputs: 2, width: 2, limit: 2) { $0.time }
        // Input 1 runs ahead: the merge waits for input 0's first chunk.
        #expect(feed.add(Piece(input: 1, ordinal: 0, time: 5), input: 1, ordinal: 0).isEmpty)
        #expect(!feed.wouldWait(input: 1))
        #expect(feed.add(Piece(input: 1, ordinal: 1, time: 6), input: 1, ordinal: 1).isEmpty)
        #expect(feed.wouldWait(input: 1) && !feed.wouldWait(input: 0))
        // Input 0's chunk comes: it goes first (earlier), then input 1's, once 0 has ended.
        #expect(feed.add(Piece(input: 0, ordinal: 0, time: 1), input: 0, ordinal: 0).map(\.description) == ["0.0@1"])
        #expect(feed.end(input: 0, chunks: 1).map(\.description) == ["1.0@5", "1.1@6"])
        #expect(!feed.wouldWait(input: 1))
    }
}
