import Testing
import SpoorKit

/// A batch's events go to the partitions their values say, however those values are held:
/// a constant, a piece of the record, bytes in the batch's arena.
@Suite struct PartitionIndexTests {
    struct Row { var dataset: String; var host: String?; var micros: Int64 }

    /// The partition index of each row, and each partition's directory.
    static func partitions(_ rows: [Row], _ partitioning: Partitioning) -> (indices: [Int], directories: [String]) {
        let builder = EventBuilder()
        let record = Array("sshd mx1 mx2 sshd".utf8)
        record.withUnsafeBytes { r in
            for (i, row) in rows.enumerated() {
                builder.begin(record: r)
                builder.set(.timestamp, int: row.micros)
                // The same dataset three ways: a constant, the record's bytes, the arena.
                switch (row.dataset, i % 3) {
                case ("sshd", 0): builder.set(.eventDataset, "sshd")
                case ("sshd", 1): builder.set(.eventDataset, Bytes(rebasing: r[0..<4]))
                default: builder.set(.eventDataset, string: row.dataset)
                }
                if let host = row.host { builder.set(.hostName, string: host) }
                #expect(builder.commit())
            }
        }
        var index = PartitionIndex(partitioning)
        var indices: [Int] = []
        builder.batch.withReader { reader in
            for event in reader.events { indices.append(index.index(of: event, reader)) }
        }
        return (indices, index.signatures.map { partitioning.directory(of: $0) })
    }

    static let day: Int64 = 86_400_000_000

    @Test func equalValuesHeldInDifferentPlacesShareAPartition() {
        let rows = (0..<12).map { Row(dataset: $0 % 4 == 3 ? "postfix" : "sshd", host: nil, micros: Int64($0 / 6) * Self.day) }
        let (indices, directories) = Self.partitions(rows, .standard)
        #expect(directories == ["event.dataset=sshd/date=1970-01-01", "event.dataset=postfix/date=1970-01-01",
                                "event.dataset=sshd/date=1970-01-02", "event.dataset=postfix/date=1970-01-02"])
        #expect(indices == (0..<12).map { ($0 / 6) * 2 + ($0 % 4 == 3 ? 1 : 0) })
    }

    @Test func morePartitionsThanPlacesRememberedAndThreeKeys() {
        // 300 hosts, each in the arena: the remembered places fill, the rest go by signature.
        let rows = (0..<900).map { Row(dataset: "sshd", host: "h\($0 % 300)", micros: Int64($0 / 300 % 2) * 3_600_000_000) }
        for keys: [Partitioning.Key] in [[.field(.hostName), .hour], [.field(.eventDataset), .field(.hostName), .hour]] {
            let (indices, directories) = Self.partitions(rows, Partitioning(keys: keys))
            #expect(directories.count == 600)
            #expect(Set(directories).count == 600)
            for (i, index) in indices.enumerated() {
                #expect(directories[index].contains("host.name=h\(i % 300)/") && directories[index].hasSuffix("hour=0\(i / 300 % 2)"))
            }
        }
        // No host: the default partition, whichever way that is found.
        let (indices, directories) = Self.partitions([Row(dataset: "sshd", host: nil, micros: 0), Row(dataset: "sshd", host: nil, micros: 1)],
                                                     Partitioning(keys: [.field(.hostName), .date]))
        #expect(indices == [0, 0])
        #expect(directories == ["host.name=__HIVE_DEFAULT_PARTITION__/date=1970-01-01"])
    }
}
