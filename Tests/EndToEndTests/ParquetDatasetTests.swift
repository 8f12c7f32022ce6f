import Foundation
import Testing

/// The Python readers `make test` installs in `.venv` (DuckDB, pyarrow, polars).
enum PythonReaders {
    static let python = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".venv/bin/python").path
    static var available: Bool { FileManager.default.isExecutableFile(atPath: python) }
    static let missing: Comment = ".venv/bin/python is missing: run `make test` (it installs DuckDB, pyarrow and polars) — Parquet interop NOT checked"

    /// Runs a Python script with arguments; its stdout, or a recorded issue with its stderr.
    static func run(_ script: String, _ args: [String]) throws -> String {
        let r = try runProcess(URL(fileURLWithPath: python), ["-c", script] + args)
        if r.status != 0 { Issue.record("python failed: \(r.stderr)") }
        return r.stdout
    }
}

@Suite(.enabled(if: PythonReaders.available, PythonReaders.missing))
struct ParquetDatasetTests {
    /// One archive ingested twice, as Parquet and as NDJSON: DuckDB, pyarrow and polars read
    /// the Parquet dataset, its count and earliest time are what Spoor counted, and every
    /// column of every event equals the NDJSON one (nulls, empty strings, non-ASCII, invalid
    /// UTF-8 repaired, long strings, lists, maps).
    @Test func everyEngineReadsTheDatasetAndEveryValueRoundTrips() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        try fx.write("in/auth.log", (0..<2000).map { i in
            "Jan  \(i % 9 + 1) 10:00:\(String(format: "%02d", i % 60)) mx1 sshd[\(i)]: Failed password for invalid user u\(i)Zürich東京🙂 from 192.0.2.\(i % 250 + 1) port \(1000 + i) ssh2\n"
        }.joined() + "Jan  3 10:00:00 mx1 sudo:    alice : TTY=pts/0 ; PWD=/h ; USER=root ; COMMAND=/bin/" + String(repeating: "x", count: 100_000) + "\n")
        try fx.write("in/o365.json", #"{"CreationTime":"2026-01-05T10:00:00","Operation":"New-InboxRule","Workload":"Exchange","UserId":"","ClientIP":"203.0.113.5","Parameters":[{"Name":"ForwardTo","Value":""},{"Name":"Name","Value":"ünï"}]}"# + "\n")
        try fx.write("in/track.log", "#Fields: date-time,event-id,message-id,sender-address,recipient-address\n2026-01-05T10:00:00.000Z,SEND,<a@x>,a@x,b@x;c@x;d@x\n2026-01-05T10:00:01.000Z,SEND,<b@x>,,\n")
        var bad = Data("Jan  3 10:00:00 mx1 sshd[1]: Failed password for invalid user \u{0}".utf8)
        bad.append(contentsOf: [0xFF, 0xC3])
        bad.append(contentsOf: Array(" from 192.0.2.9 port 1 ssh2\n".utf8))
        try fx.write("in/bad.log", bad)

        let parquet = try fx.spoor(["ingest", fx.url("in").path, "--out", fx.url("pq").path, "--year", "2026"])
        #expect(parquet.status == 0, "\(parquet.stderr)")
        let ndjson = try fx.spoor(["ingest", fx.url("in").path, "--out", fx.url("nd").path, "--format", "ndjson", "--year", "2026", "-q"])
        #expect(ndjson.status == 0)
        let counted = try #require(parquet.stderr.components(separatedBy: "= events ").dropFirst().first?.split(separator: " ").first)
            .replacingOccurrences(of: ",", with: "")

        let script = #"""
        import sys, json, glob, subprocess, duckdb, pyarrow.parquet as pq, pyarrow.dataset as ds, polars as pl
        pqdir, nddir = sys.argv[1], sys.argv[2]
        con = duckdb.connect()
        n, first = con.sql(f"select count(*), min(\"@timestamp\") from read_parquet('{pqdir}/events/**/*.parquet', hive_partitioning=true)").fetchall()[0]
        codecs = {r[0] for r in con.sql(f"select distinct compression from parquet_metadata('{pqdir}/events/**/*.parquet')").fetchall()}
        types = dict(con.sql(f"select name, type from parquet_schema('{pqdir}/events/**/*.parquet')").fetchall())
        # Every event of the NDJSON dataset, by id.
        want = {}
        for f in glob.glob(f"{nddir}/events/**/*.ndjson.lz4", recursive=True):
            for line in subprocess.run(["lz4", "-dc", f], capture_output=True, check=True).stdout.decode().splitlines():
                e = json.loads(line); want[e["event.id"]] = e
        def norm(v):
            if hasattr(v, "isoformat"): return v.astimezone(__import__("datetime").timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            return v
        mismatches = 0
        rows = pq.read_table(glob.glob(f"{pqdir}/events/**/*.parquet", recursive=True)[0]).schema  # opens
        table = ds.dataset(f"{pqdir}/events", format="parquet", partitioning="hive").to_table().to_pylist()
        for r in table:
            e = want.get(r["event.id"])
            if e is None: mismatches += 1; continue
            for k, v in r.items():
                if k == "date": continue
                v = norm(v)
                if k == "labels": v = dict(v) if v is not None else None
                if v != e.get(k): mismatches += 1; print("mismatch", k, repr(v)[:80], repr(e.get(k))[:80], file=sys.stderr)
        stats = pq.ParquetFile(glob.glob(f"{pqdir}/events/event.dataset=sshd/**/*.parquet", recursive=True)[0]).metadata.row_group(0)
        ts = [stats.column(i) for i in range(stats.num_columns) if stats.column(i).path_in_schema == "@timestamp"][0]
        print(json.dumps({"count": n, "min": first.isoformat(), "codecs": sorted(codecs), "ts_type": types.get("@timestamp"),
                          "polars": pl.read_parquet(f"{pqdir}/events/**/*.parquet").height, "pyarrow": len(table),
                          "ndjson": len(want), "mismatches": mismatches, "stats": ts.statistics.has_min_max and ts.statistics.null_count == 0,
                          "codec_pyarrow": ts.compression}))
        """#
        let out = try PythonReaders.run(script, [fx.url("pq").path, fx.url("nd").path])
        let r = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any], "\(out)")
        #expect("\(r["count"] ?? "")" == counted)
        #expect(r["pyarrow"] as? Int == r["count"] as? Int && r["polars"] as? Int == r["count"] as? Int)
        #expect(r["ndjson"] as? Int == r["count"] as? Int)
        #expect(r["mismatches"] as? Int == 0)
        #expect(r["codecs"] as? [String] == ["LZ4_RAW"])
        #expect(r["codec_pyarrow"] as? String == "LZ4")   // pyarrow's name for codec 7
        #expect(r["stats"] as? Bool == true)
        #expect((r["min"] as? String)?.hasPrefix("2026-01-01T10:00:00") == true)
    }

    /// Jobs killed with SIGKILL at several moments, then a re-run: DuckDB counts every record
    /// once and finds no event id twice.
    @Test func killedParquetJobsRerunToExactlyOnce() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        let out = fx.url("out").path
        for f in 0..<4 { try fx.write("logs/auth\(f).log", IncrementalCrashTests.lines(f * 30_000..<(f + 1) * 30_000)) }
        for delay in [0.1, 0.3, 0.7] {
            let p = try fx.startSpoor(["ingest", fx.url("logs").path, "--out", out, "-q", "--year", "2026"])
            Thread.sleep(forTimeInterval: delay)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        #expect(try fx.spoor(["ingest", fx.url("logs").path, "--out", out, "-q", "--year", "2026"]).status == 0)
        let counts = try PythonReaders.run(#"""
            import sys, duckdb
            print(*duckdb.sql(f"select count(*), count(distinct \"event.id\") from read_parquet('{sys.argv[1]}/events/**/*.parquet', hive_partitioning=true)").fetchall()[0])
            """#, [out])
        #expect(counts.trimmingCharacters(in: .whitespacesAndNewlines) == "120000 120000")
    }

    /// Partition keys and ZSTD from a job file: directories follow the keys, a missing value
    /// is Hive's null, DuckDB's hive partitioning groups the rows as Spoor split them, and
    /// every column chunk is ZSTD.
    @Test func partitionKeysAreConfigurable() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        // sshd lines in two hours; sudo lines have no source.ip (its partition is null).
        try fx.write("logs/auth.log", IncrementalCrashTests.lines(0..<50)
            + IncrementalCrashTests.lines(250..<280).replacingOccurrences(of: "Jan  3 10:", with: "Jan  3 11:")
            + "Jan  3 12:00:00 mx1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls\n")
        try fx.write("job.yaml", "inputs: [logs]\nout: out\nyear: 2026\npartition_by: [hour, source.ip]\ncompression: zstd\n")
        let r = try fx.spoor(["ingest", "--job", fx.url("job.yaml").path, "-q"])
        #expect(r.status == 0, "\(r.stderr)")
        let dirs = Set(try fx.files(under: fx.url("out/events").path).map {
            ($0 as NSString).deletingLastPathComponent.replacingOccurrences(of: fx.url("out/events").path + "/", with: "")
        })
        #expect(dirs.contains("hour=10/source.ip=192.0.2.1") && dirs.contains("hour=11/source.ip=192.0.2.1"), "\(dirs.sorted())")
        #expect(dirs.contains("hour=12/source.ip=__HIVE_DEFAULT_PARTITION__"), "\(dirs.sorted())")
        let rows = try PythonReaders.run(#"""
            import sys, duckdb
            q = f"select hour, count(*), count(\"source.ip\") from read_parquet('{sys.argv[1]}/events/**/*.parquet', hive_partitioning=true) group by hour order by hour"
            for row in duckdb.sql(q).fetchall(): print(*row)
            print(*duckdb.sql(f"select distinct compression from parquet_metadata('{sys.argv[1]}/events/**/*.parquet')").fetchall()[0])
            """#, [fx.url("out").path])
        #expect(rows == "10 50 50\n11 30 30\n12 1 0\nZSTD\n", "\(rows)")

        let bad = try fx.spoor(["ingest", fx.url("logs").path, "--out", fx.url("o2").path, "--partition-by", "date,email.to.address"])
        #expect(bad.status == 2 && bad.stderr.contains("'email.to.address' is a stringList column and cannot partition a dataset"))
    }
}
