import CLZ4
import Foundation
import Testing

/// Behaviour rules in an ingest job: `findings/` beside `events/`, committed with them,
/// listed in the manifest, readable as NDJSON (liblz4) and as Parquet (DuckDB).
@Suite struct FindingsDatasetTests {
    static let shippedRules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("rules").path

    /// An enumeration from one address, a spray from another that ends in a login, and a
    /// benign user who mistypes once.
    static var log: String {
        var log = ""
        for i in 0..<12 {
            log += "Jan  5 10:\(String(format: "%02d", i)):00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 550 5.1.1 <u\(i)@example.net>: Recipient address rejected: User unknown in virtual mailbox table; from=<x@evil.example> to=<u\(i)@example.net> proto=ESMTP helo=<probe>\n"
        }
        for (i, user) in ["alice", "bob", "carol", "dave", "erin", "frank"].enumerated() {
            log += "Jan  5 11:0\(i):00 mx1 postfix/smtpd[1]: warning: unknown[198.51.100.4]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=\(user)@example.net\n"
        }
        log += "Jan  5 11:09:00 mx1 postfix/smtpd[1]: 4B00AB0001: client=unknown[198.51.100.5], sasl_method=LOGIN, sasl_username=carol@example.net\n"
        log += "Jan  5 12:00:00 mx1 postfix/smtpd[1]: warning: unknown[192.0.2.8]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=gina@example.net\n"
        log += "Jan  5 12:00:30 mx1 postfix/smtpd[1]: 4B00AB0002: client=unknown[192.0.2.8], sasl_method=LOGIN, sasl_username=gina@example.net\n"
        return log
    }

    @Test func ndjsonFindingsPointAtTheirEvidence() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        try fx.write("logs/mail.log", Self.log)
        let out = fx.url("out").path
        let run = try fx.spoor(["ingest", fx.url("logs").path, "--out", out, "--format", "ndjson", "--year", "2026",
                                "--rules", Self.shippedRules])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("findings    3 from behaviour rules"), "\(run.stderr)")
        // A job this small is correlated all at its end: those windows count too (they printed 0).
        let peak = run.stderr.split(separator: "\n").first { $0.hasPrefix("findings") }?
            .split(separator: "(at most ").last?.split(separator: " ").first.flatMap { Int($0) }
        #expect((peak ?? 0) >= 3, "\(run.stderr)")
        // Without a GeoIP/ASN database the AS rule cannot group its 12 probes, and says so.
        #expect(run.stderr.contains("rules       network-enumeration: none of the 12 events it counts had source.as.number "
                                    + "(they come from a GeoIP/ASN database: --geoip FILE), so it found nothing\n"), "\(run.stderr)")
        let files = try fx.files(under: out + "/findings")
        #expect(files.count == 1 && files[0].hasSuffix(".ndjson.lz4") && files[0].contains("/findings/date=2026-01-05/part-"))
        let lines = try decodeLZ4Frames(Data(contentsOf: URL(fileURLWithPath: files[0])))
        let findings = String(decoding: lines, as: UTF8.self).split(separator: "\n")
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let byRule = Dictionary(uniqueKeysWithValues: findings.map { ($0["rule.id"] as? String ?? "", $0) })
        #expect(Set(byRule.keys) == ["account-enumeration", "password-spray", "success-after-failures"])
        let enumeration = try #require(byRule["account-enumeration"])
        #expect(enumeration["threat.technique.id"] as? String == "T1589.002")
        #expect(enumeration["finding.value_count"] as? Int == 12 && enumeration["finding.evidence_total"] as? Int == 12)
        #expect(enumeration["window.start"] as? String == "2026-01-05T10:00:00.000000Z")
        #expect(enumeration["window.end"] as? String == "2026-01-05T10:11:00.000000Z")
        #expect((enumeration["source.ips"] as? [String]) == ["203.0.113.9"])
        #expect((enumeration["user.accounts"] as? [String])?.count == 12)
        let spray = try #require(byRule["success-after-failures"])
        #expect(spray["threat.technique.id"] as? String == "T1078" && spray["finding.group"] as? String == "source.ip/24=198.51.100.0")
        // Every evidence id is an event of the dataset.
        var ids: Set<String> = []
        for f in try fx.files(under: out + "/events") {
            for line in String(decoding: try decodeLZ4Frames(Data(contentsOf: URL(fileURLWithPath: f))), as: UTF8.self).split(separator: "\n") {
                if let e = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let id = e["event.id"] as? String { ids.insert(id) }
            }
        }
        for f in findings {
            let evidence = f["finding.evidence"] as? [String] ?? []
            #expect(!evidence.isEmpty && evidence.allSatisfy(ids.contains))
        }
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/_manifest.json"))) as? [String: Any]
        let kinds = (manifest?["files"] as? [[String: Any]])?.compactMap { $0["kind"] as? String } ?? []
        #expect(kinds.contains("findings"))
        // The campaign report places every finding, by its ids in findings/.
        let report = try fx.spoor(["report", out, "--json"])
        let r = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any], "\(report.stderr)")
        var placed: [[String: Any]] = (r["unattributed"] as? [String: Any])?["findings"] as? [[String: Any]] ?? []
        for entry in ((r["actors"] as? [[String: Any]]) ?? []) + ((r["clusters"] as? [[String: Any]]) ?? []) {
            placed += entry["findings"] as? [[String: Any]] ?? []
        }
        #expect(placed.reduce(0) { $0 + ($1["findings"] as? Int ?? 0) } == 3, "\(placed)")
        #expect(Set(placed.flatMap { $0["finding_ids"] as? [String] ?? [] }) == Set(findings.compactMap { $0["finding.id"] as? String }))
    }

    @Test(.enabled(if: PythonReaders.available, PythonReaders.missing))
    func parquetFindingsReadWithDuckDB() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        try fx.write("logs/mail.log", Self.log)
        let out = fx.url("out").path
        let run = try fx.spoor(["ingest", fx.url("logs").path, "--out", out, "--year", "2026", "-q", "--rules", Self.shippedRules])
        #expect(run.status == 0, "\(run.stderr)")
        let printed = try PythonReaders.run("""
            import sys, duckdb
            rows = duckdb.sql(f"select \\"rule.id\\", \\"threat.technique.id\\", \\"finding.event_count\\", \\"finding.value_count\\", len(\\"finding.evidence\\"), \\"window.start\\"::varchar, date from read_parquet('{sys.argv[1]}/findings/**/*.parquet', hive_partitioning=true) order by 1").fetchall()
            for r in rows: print(*r, sep="|")
            e = duckdb.sql(f"select count(*) from read_parquet('{sys.argv[1]}/events/**/*.parquet', hive_partitioning=true) where \\"event.id\\" in (select unnest(\\"finding.evidence\\") from read_parquet('{sys.argv[1]}/findings/**/*.parquet'))").fetchall()[0][0]
            print("evidence events", e)
            """, [out])
        #expect(printed == """
            account-enumeration|T1589.002|12|12|12|2026-01-05 10:00:00+00|2026-01-05
            password-spray|T1110.003|6|6|6|2026-01-05 11:00:00+00|2026-01-05
            success-after-failures|T1078|7|0|7|2026-01-05 11:00:00+00|2026-01-05
            evidence events 19

            """, "\(printed)")
    }
    /// `--compression zstd` compresses the findings' pages as it does the events'.
    @Test(.enabled(if: PythonReaders.available, PythonReaders.missing))
    func findingsUseTheJobsParquetCompression() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        try fx.write("logs/mail.log", Self.log)
        let out = fx.url("out").path
        let run = try fx.spoor(["ingest", fx.url("logs").path, "--out", out, "--year", "2026", "-q", "--compression", "zstd",
                                "--rules", Self.shippedRules])
        #expect(run.status == 0, "\(run.stderr)")
        let printed = try PythonReaders.run("""
            import sys, duckdb
            for kind in ("events", "findings"):
                rows = duckdb.sql(f"select distinct compression from parquet_metadata('{sys.argv[1]}/{kind}/**/*.parquet')").fetchall()
                print(kind, *sorted(r[0] for r in rows))
            """, [out])
        #expect(printed == "events ZSTD\nfindings ZSTD\n", "\(printed)")
    }

    /// Entra sign-in from the actor's network, then an Office 365 inbox rule that forwards
    /// the same mailbox: the mailbox-rule behaviour fires, with the actor of its evidence.
    @Test func aForwardingRuleAfterASuspiciousSignInIsAFinding() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        try fx.write("logs/signins.json", #"{"id":"s1","createdDateTime":"2026-01-05T10:00:00Z","userPrincipalName":"CEO@example.net","ipAddress":"203.0.113.5","status":{"errorCode":0}}"# + "\n")
        try fx.write("logs/audit.json", #"{"CreationTime":"2026-01-05T10:05:00","Operation":"New-InboxRule","Workload":"Exchange","UserId":"ceo@example.net","ClientIP":"203.0.113.5:5555","Parameters":[{"Name":"ForwardTo","Value":"drop@evil.example"}]}"# + "\n")
        for f in try FileManager.default.contentsOfDirectory(atPath: Self.shippedRules) {
            try fx.write("rules/" + f, try String(contentsOfFile: Self.shippedRules + "/" + f, encoding: .utf8))
        }
        try fx.write("rules/infrastructure.yaml", "indicators:\n  - {id: phosphorus-net, actor: phosphorus, ip: [203.0.113.0/24]}\n")
        let out = fx.url("out").path
        let run = try fx.spoor(["ingest", fx.url("logs").path, "--out", out, "--format", "ndjson", "-q", "--rules", fx.url("rules").path])
        #expect(run.status == 0, "\(run.stderr)")
        let files = try fx.files(under: out + "/findings")
        var findings: [[String: Any]] = []
        for f in files {
            let text = String(decoding: try decodeLZ4Frames(Data(contentsOf: URL(fileURLWithPath: f))), as: UTF8.self)
            findings += text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
        let f = try #require(findings.first { $0["rule.id"] as? String == "mailbox-rule-after-suspicious-sign-in" }, "\(findings)")
        #expect(f["threat.technique.id"] as? String == "T1114.003" && f["threat.group.id"] as? String == "G0059")
        #expect(f["finding.group"] as? String == "account=ceo@example.net" && f["finding.event_count"] as? Int == 2)
        #expect(f["window.end"] as? String == "2026-01-05T10:05:00.000000Z")
    }

    /// With `--out -` the detection rules still tag the streamed events; the summary says
    /// that findings and the campaign tally need a dataset instead of leaving them out unsaid.
    @Test func streamedEventsAreTaggedAndTheSummarySaysWhatNeedsADataset() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        try fx.write("logs/mail.log", Self.log)
        let run = try fx.spoor(["ingest", fx.url("logs").path, "--out", "-", "--year", "2026", "--rules", Self.shippedRules])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("\"rules\":\"probe\""), "\(run.stdout.prefix(600))")
        #expect(run.stderr.contains("rules       events are tagged; behaviour rules (findings) and the campaign tally (spoor report) need a dataset: --out DIR"),
                "\(run.stderr)")
    }

    /// A spray spread over two logs of one morning, and a larger log of a later day with one
    /// more failure from the same address. Read largest first, the later log moved the
    /// address's clock three weeks on, so each morning log's failures came late and made a
    /// window of their own (three accounts each: no finding). Read oldest first, the two
    /// morning logs meet in one window.
    @Test func logsOfOnePeriodInSeveralFilesMeetInOneWindow() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        var mail = "", auth = "", later = ""
        for (i, user) in ["alice", "bob", "carol"].enumerated() {
            mail += "Jan  5 10:0\(i):00 mx1 postfix/smtpd[1]: warning: unknown[198.51.100.4]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=\(user)@example.net\n"
        }
        for (i, user) in ["dave", "erin", "frank"].enumerated() {
            auth += "Jan  5 10:0\(i + 3):00 imap1 sshd[2]: Failed password for \(user) from 198.51.100.4 port 4022\(i) ssh2\n"
        }
        later += "Jan 26 09:00:00 mx1 postfix/smtpd[1]: warning: unknown[198.51.100.4]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=gina@example.net\n"
        for i in 0..<2_000 {
            later += "Jan 26 09:\(String(format: "%02d", i / 60)):\(String(format: "%02d", i % 60)) mx1 postfix/smtpd[1]: connect from mail\(i).example.com[192.0.2.\(i % 250)]\n"
        }
        try fx.write("logs/mail.log.1", mail)
        try fx.write("logs/auth.log.1", auth)
        try fx.write("logs/mail.log", later)
        let day = 86_400.0, jan5 = 1_767_571_200.0
        for (file, time) in [("mail.log.1", jan5 + 0.5 * day), ("auth.log.1", jan5 + 0.5 * day), ("mail.log", jan5 + 21 * day)] {
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: time)], ofItemAtPath: fx.url("logs/" + file).path)
        }
        let out = fx.url("out").path
        let run = try fx.spoor(["ingest", fx.url("logs").path, "--out", out, "--format", "ndjson", "-q", "--year", "2026",
                                "--workers", "1", "--rules", Self.shippedRules])
        #expect(run.status == 0, "\(run.stderr)")
        var findings: [[String: Any]] = []
        for f in try fx.files(under: out + "/findings") {
            for line in String(decoding: try decodeLZ4Frames(Data(contentsOf: URL(fileURLWithPath: f))), as: UTF8.self).split(separator: "\n") {
                if let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] { findings.append(o) }
            }
        }
        let spray = findings.filter { $0["rule.id"] as? String == "password-spray" }
        #expect(spray.count == 1, "\(findings)")
        #expect(spray.first?["finding.value_count"] as? Int == 6 && spray.first?["window.start"] as? String == "2026-01-05T10:00:00.000000Z")
    }

    /// A file of several chunks whose windows depend on the order of its events: the
    /// findings are the same with one worker and with four, however the workers finish.
    @Test func findingsDoNotDependOnTheNumberOfWorkers() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        var log = ""
        log.reserveCapacity(5 << 20)
        // 24 h of failed logins, one every 3 s, for 7 accounts from 40 addresses: brute
        // force windows of 10 minutes cut at places that only the event order decides.
        for i in 0..<28_800 {
            let s = i * 3
            log += String(format: "Jan  5 %02d:%02d:%02d mx1 sshd[%d]: Failed password for user%d from 198.51.%d.%d port %d ssh2\n",
                          s / 3600, s / 60 % 60, s % 60, 1000 + i, i % 7, i % 5, 10 + i % 8, 40000 + i % 20000)
        }
        try fx.write("logs/auth.log", log)
        let one = try findingLines(fx, workers: 1)
        #expect(one.count > 100)
        for _ in 0..<2 { #expect(try findingLines(fx, workers: 4) == one) }
    }

    /// Four auth logs of one day from four servers, two chunks each, read side by side. A
    /// spray from one address tries two accounts on each server: no log alone reaches the
    /// rule's five. Merged by time, the four make one window of eight accounts; and the
    /// findings (of the noise too, whose windows depend on the order of events) are the
    /// same with one worker, two and four.
    @Test func logsReadSideBySideAreMergedByTimeTheSameWayEveryTime() throws {
        let fx = try Fixture()
        defer { fx.remove() }
        var logs = [String](repeating: "", count: 4)
        var sprayed = 0
        for i in 0..<64_000 {
            let s = i * 86_400 / 64_000
            logs[i % 4] += String(format: "Jan  5 %02d:%02d:%02d mx%d sshd[%d]: Failed password for user%d from 198.51.%d.%d port %d ssh2\n",
                                  s / 3600, s / 60 % 60, s % 60, i % 4, 1000 + i, i % 7, i % 5, 10 + i % 8, 40000 + i % 20000)
            // Spray attempt k at 10:00 + 5k minutes, on server k % 4.
            if sprayed < 8, s >= 36_000 + 300 * sprayed {
                let k = sprayed
                logs[k % 4] += String(format: "Jan  5 %02d:%02d:%02d mx%d sshd[9]: Failed password for spray%d from 203.0.113.77 port 50000 ssh2\n",
                                      s / 3600, s / 60 % 60, s % 60, k % 4, k)
                sprayed += 1
            }
        }
        for (n, log) in logs.enumerated() {
            #expect(log.utf8.count > 1 << 20, "each log is more than one chunk")
            try fx.write("logs/mx\(n).log", log)
        }
        let one = try findingLines(fx, workers: 1)
        let spray = one.filter { $0.contains(#""rule.id":"password-spray""#) && $0.contains("source.ip=203.0.113.77") }
        #expect(spray.count == 1 && spray.first?.contains(#""finding.value_count":8"#) == true, "\(spray)")
        #expect(one.count > 100)
        #expect(try findingLines(fx, workers: 2) == one)
        for _ in 0..<2 { #expect(try findingLines(fx, workers: 4) == one) }
    }

    /// The findings of `logs/` ingested with the shipped rules and `workers` workers, as
    /// NDJSON lines in sorted order.
    func findingLines(_ fx: Fixture, workers: Int) throws -> [String] {
        let out = fx.url("out-\(workers)-\(UUID().uuidString)").path
        let run = try fx.spoor(["ingest", fx.url("logs").path, "--out", out, "--format", "ndjson", "-q", "--year", "2026",
                                "--workers", String(workers), "--rules", Self.shippedRules])
        #expect(run.status == 0, "\(run.stderr)")
        var lines: [String] = []
        for f in try fx.files(under: out + "/findings") {
            lines += String(decoding: try decodeLZ4Frames(Data(contentsOf: URL(fileURLWithPath: f))), as: UTF8.self)
                .split(separator: "\n").map(String.init)
        }
        return lines.sorted()
    }
}
