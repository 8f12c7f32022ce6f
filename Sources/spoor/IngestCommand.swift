import ArgumentParser
import CLinux
import Foundation
import DatasetSinks
import SpoorBuiltins
import SpoorKit
import SpoorRules

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Read logs and archives, write the normalized dataset.",
        discussion: """
            Inputs are files, directories (read recursively) or '-' for stdin.
            Compression and tar archives are recognised by their first bytes:
            gzip (also concatenated), zstd, xz, bzip2, lz4 frames, tar, and any
            nesting of them. A truncated or corrupt member costs one dead letter;
            the records before the fault are kept. Each stream's format (syslog,
            exim, entra.signin, o365.audit, iis, exchange, windows.xml, ...) is
            sniffed from its first bytes unless --input-format or a job file's
            formats: says otherwise.

            Output (--out DIR), Parquet with LZ4_RAW by default:
              DIR/events/event.dataset=<d>/date=<YYYY-MM-DD>/part-<job>-<n>.parquet
              DIR/dead_letter/date=<YYYY-MM-DD>/part-<job>-<n>.ndjson.lz4
              DIR/_manifest.json   every file of every job, inputs, counts
              DIR/_state.json      what has been read (see below)
            A job's files appear all together when it ends, or not at all. With
            --format ndjson, events are LZ4-framed NDJSON (lz4 -dc decodes them).
            With --out -, events stream to stdout as NDJSON, dead letters to
            stderr.

            Running a job again reads only what is new: streams are recognised by
            their first bytes, so a grown file is read from where the last job
            stopped and a rotated or gzipped one is not read twice. --full reads
            everything again.

            At the end the job prints records in = events + dead letters +
            filtered, and fails (exit 3) if that does not hold. With --strict, any
            dead letter makes the exit code 4.

            Examples:
              spoor ingest /var/log/archive --out out/
              spoor ingest auth.log.2.gz --year 2025 --out - | my-detector
              spoor ingest --job samples/job.yaml
            """)

    @Argument(help: "Files or directories to read ('-' is stdin).")
    var inputs: [String] = []

    @Option(help: ArgumentHelp("Dataset directory, or '-' for NDJSON on stdout.", valueName: "DIR"))
    var out: String?

    @Option(help: "Output format: parquet (default; LZ4_RAW) or ndjson (LZ4-framed NDJSON).")
    var format: String?

    @Option(help: ArgumentHelp("Parquet page compression: lz4_raw (default), zstd, zstd:LEVEL (1-22; smaller, slower) or uncompressed.",
                               valueName: "CODEC"))
    var compression: String?

    @Option(name: .customLong("partition-by"),
            help: ArgumentHelp("Hive partition keys under events/, in order: schema fields and date, month, hour (default: event.dataset,date).",
                               valueName: "KEYS"))
    var partitionBy: String?

    @Option(name: .customLong("input-format"),
            help: ArgumentHelp("Read every input as this format instead of sniffing each file (see `spoor plugins`).", valueName: "NAME"))
    var formatOverride: String?

    @Option(help: "Worker threads (default: all cores).")
    var workers: Int?

    @OptionGroup var time: TimeOptions

    @OptionGroup var pluginOptions: PluginOptions

    @Option(help: ArgumentHelp("Only files whose path or name matches this glob (repeatable).", valueName: "GLOB"))
    var include: [String] = []

    @Option(help: ArgumentHelp("Leave out files matching this glob (repeatable).", valueName: "GLOB"))
    var exclude: [String] = []

    @Option(help: "A record longer than this many bytes becomes a dead letter (its first bytes kept).")
    var maxRecordBytes: Int?

    @Flag(help: "Do not write event.original (the raw record) into events.")
    var noOriginal = false

    @Option(help: ArgumentHelp("An account list (`address[,alias…]` per line): sets user.exists.", valueName: "FILE"))
    var accounts: String?

    @Option(name: .customLong("ip-list"), help: ArgumentHelp("A CIDR list (`cidr,label` per line): sets labels.ip_list of source.ip.", valueName: "FILE"))
    var ipList: String?

    @Option(help: ArgumentHelp(
        "A rules directory (*.yaml): indicators set threat.group.*, Sigma rules labels.rules and threat.technique.id.",
        discussion: "Behaviour (correlation) rules write findings/ beside events/, and the job adds its probes, "
            + "attacks and compromises to the tally `spoor report` reads. Check a directory first with "
            + "`spoor rules lint DIR` and `spoor rules test DIR`.",
        valueName: "DIR"))
    var rules: String?

    @Option(help: ArgumentHelp("A MaxMind DB (.mmdb; repeatable): country and autonomous system of source.ip.", valueName: "FILE"))
    var geoip: [String] = []

    @Flag(help: "Also write one email event per Postfix message (sender, every recipient, message-id, final status), put together by queue id.")
    var correlateMail = false

    @Flag(help: "Exit with code 4 when any record was dead-lettered.")
    var strict = false

    @Option(help: ArgumentHelp("With --out -, where to keep what was read (the dataset keeps its own in DIR/_state.json).", valueName: "PATH"))
    var state: String?

    @Flag(help: "Ignore what earlier jobs read: ingest every input from its start.")
    var full = false

    @Flag(name: .shortAndLong, help: "No progress line and no summary on stderr.")
    var quiet = false

    @Option(help: ArgumentHelp("A YAML job file; flags given as well override it.", valueName: "FILE"))
    var job: String?

    @OptionGroup var modules: ParserModuleOptions

    func run() throws {
        // A file that outgrows the size limit (`ulimit -f`) then fails with EFBIG and is
        // reported like a full disk, instead of the signal killing the job mid-write.
        signal(SIGXFSZ, SIG_IGN)
        // Batches allocate and free megabytes each (a chunk's copy, its columns): from the
        // heap, and kept there, they are reused instead of mapped, zeroed by page faults
        // and unmapped each time, which took 5% of a 1-core Parquet job. Peak memory is
        // bounded by the pipeline either way.
        spoor_keep_freed_memory(64 << 20, 256 << 20)
        do {
            try ingest()
        } catch let error as ConfigError {
            FileHandle.standardError.write("spoor: \(error)\n")
            throw ExitCode(2)
        } catch let error as JobError {
            FileHandle.standardError.write("spoor: job failed: \(error)\n")
            throw ExitCode(1)
        }
    }

    private func ingest() throws {
        let file = try job.map(JobFile.init(path:)) ?? JobFile()
        let paths = inputs.isEmpty ? file.inputs : inputs
        guard !paths.isEmpty else {
            throw ConfigError(origin: "spoor ingest", message: "no input given", hint: "name files or directories, '-' for stdin, or --job FILE")
        }
        guard let outPath = out ?? file.out else {
            throw ConfigError(origin: "spoor ingest", message: "no output given", hint: "add --out DIR (or --out - for stdout)")
        }
        let formatName = format ?? file.format ?? "parquet"
        guard formatName == "ndjson" || formatName == "parquet" else {
            throw ConfigError(origin: "--format", message: "unknown output format '\(formatName)'", hint: "parquet or ndjson")
        }
        let codec = compression ?? file.compression?.value
        guard codec == nil || formatName == "parquet" else {
            throw ConfigError(origin: compression == nil ? file.compression!.origin : "--compression",
                              message: "compression applies to Parquet output; NDJSON is always LZ4-framed", hint: "drop it, or use --format parquet")
        }
        let parquetConfig = try PluginConfig(codec.map { ["codec": .string($0)] } ?? [:],
                                             origin: compression == nil ? file.compression?.origin ?? "--compression" : "--compression")
            .validated(for: ParquetDatasetSink.manifest)
        let partitioning = try partitionBy.map { try Partitioning(parsing: $0, origin: "--partition-by") }
            ?? file.partitionBy.map { try Partitioning(parsing: $0.spec, origin: $0.origin) } ?? .standard
        let registry = builtinRegistry()
        let userModules = try UserModules.register(file.parserModules + modules.paths, into: registry)
        let zone = try ZoneClock.zone(named: time.timezone ?? file.timezone ?? "UTC")
        let source = try registry.source("files", config: PluginConfig(
            ["paths": .list(paths), "include": .list(include.isEmpty ? file.include : include),
             "exclude": .list(exclude.isEmpty ? file.exclude : exclude)], origin: job ?? "command line"))
        try pluginOptions.load(into: registry, more: file.plugins)
        var plan = JobPlan(source: source, framers: try registry.makeFramers(),
                           parsers: try registry.makeParsers(configs: file.parserConfigs),
                           workers: workers ?? file.workers ?? ProcessInfo.processInfo.activeProcessorCount,
                           zone: zone, pinnedYear: time.year ?? file.year)
        if let limit = maxRecordBytes ?? file.maxRecordBytes {
            guard limit >= 1024 else { throw ConfigError(origin: "--max-record-bytes", message: "must be at least 1024") }
            plan.maxRecordBytes = limit
        }
        plan.keepOriginal = noOriginal ? false : (file.keepOriginal ?? true)
        plan.correlateMail = correlateMail || file.correlateMail == true
        var enricherConfigs = file.enricherConfigs
        if let accounts { enricherConfigs["accounts"] = PluginConfig(["file": .string(accounts)], origin: "--accounts") }
        if let ipList { enricherConfigs["ip-lists"] = PluginConfig(["file": .string(ipList)], origin: "--ip-list") }
        if !geoip.isEmpty { enricherConfigs["geoip"] = PluginConfig(["files": .list(geoip)], origin: "--geoip") }
        if let r = rules ?? file.rules { enricherConfigs["attribution"] = PluginConfig(["rules": .string(r)], origin: "--rules") }
        plan.enrichers = try registry.makeEnrichers(configs: enricherConfigs)
        // The campaign tally costs a little on every probe and attack: kept when attributing
        // into a dataset (--out - has nowhere to keep it).
        plan.keepCampaign = enricherConfigs["attribution"] != nil && outPath != "-"
        // Behaviour rules of the same rules directory: findings/ beside events/ (a dataset
        // only; --out - streams events alone, and the summary says so).
        let loadedRules = plan.enrichers.compactMap({ ($0 as? IndicatorAttributor)?.rules }).first
        if outPath != "-", let rules = loadedRules, rules.hasBehaviour { plan.behaviour = rules.behaviour }
        let skipped = outPath == "-" && loadedRules != nil
            ? "rules       events are tagged; behaviour rules (findings) and the campaign tally (spoor report) need a dataset: --out DIR\n"
            : nil
        let known = Set(plan.formatParsers.keys)
        for (glob, format) in file.formats where !known.contains(format) {
            throw ConfigError(origin: job ?? "job", message: "formats: '\(glob)' names an unknown format '\(format)'",
                              hint: suggestion(for: format, among: Array(known)).map { "did you mean '\($0)'?" }
                                  ?? "known formats: " + known.sorted().joined(separator: ", "))
        }
        plan.formatsByGlob = file.formats + userModules.formatGlobs
        if let forced = try format(named: formatOverride, known: known) { plan.format = forced }

        let started = Date()
        let jobID = Self.jobID(started)
        // The dataset changes by whole jobs: staged, then committed (see DatasetStore).
        let store = outPath == "-" ? nil : try DatasetStore(root: outPath)
        let statePath = store == nil ? state : nil
        if !full {
            plan.state = try store?.loadState() ?? statePath.map(IngestState.load(from:)) ?? IngestState()
        }
        let context = JobContext(jobID: jobID, outputDirectory: store?.staging(job: jobID),
                                 startedAt: Int64(started.timeIntervalSince1970 * 1_000_000), partitioning: partitioning)
        let progress = quiet ? nil : ProgressLine.makeIfTerminal()
        let result: JobResult
        if let store {
            let findings = plan.behaviour == nil ? nil
                : try FindingsDatasetWriter(format: formatName == "parquet" ? .parquet : .ndjson, job: context, codec: codec)
            result = formatName == "parquet"
                ? try Pipeline.run(plan, sink: try ParquetDatasetSink(config: parquetConfig, job: context),
                                   findings: findings, progress: progress?.update)
                : try Pipeline.run(plan, sink: try NDJSONDatasetSink(config: PluginConfig(), job: context), findings: findings,
                                   progress: progress?.update)
            var newState = plan.state
            newState.merge(result.members.filter { $0.headLength > 0 }.map(\.streamState))
            if result.summary.recordsIn == 0 {
                try? FileManager.default.removeItem(atPath: store.staging(job: jobID))
            } else {
                let stamp = ISO8601DateFormatter()
                let record = JobRecord(job: jobID, startedAt: stamp.string(from: started), finishedAt: stamp.string(from: Date()),
                                       inputs: result.inputs, members: result.members, counts: result.summary,
                                       files: result.files.map(\.path))
                let manifest = (store.loadManifest() ?? DatasetManifest()).adding(record, files: result.files)
                // Only a job that attributes counts the campaign: one without --rules leaves the
                // tally as it was (none at all in a new dataset, so that `spoor report` says why).
                var campaign: CampaignTally?
                if plan.keepCampaign {
                    campaign = store.loadCampaign() ?? CampaignTally()
                    campaign!.merge(result.campaign)
                }
                try store.commit(job: jobID, files: result.files.map(\.path), state: newState, manifest: manifest, campaign: campaign)
            }
        } else {
            result = try Pipeline.run(plan, sink: try StdoutSink(config: PluginConfig(), job: context), progress: progress?.update)
            if let statePath {
                var newState = plan.state
                newState.merge(result.members.filter { $0.headLength > 0 }.map(\.streamState))
                try newState.save(to: statePath)
            }
        }
        progress?.clear()
        if !quiet {
            FileHandle.standardError.write(Summary.render(result, output: outPath))
            for line in userModules.lines { FileHandle.standardError.write("parser      \(line)\n") }
            if let skipped { FileHandle.standardError.write(skipped) }
            for rule in result.keylessRules { FileHandle.standardError.write(Summary.keyless(rule)) }
        }
        guard result.summary.reconciles else { throw ExitCode(3) }
        if (strict || file.strict == true) && result.summary.deadLetters > 0 { throw ExitCode(4) }
    }

    private func format(named name: String?, known: Set<String>) throws -> String? {
        guard let name else { return nil }
        guard known.contains(name) else {
            throw ConfigError(origin: "--input-format", message: "unknown format '\(name)'",
                              hint: suggestion(for: name, among: Array(known)).map { "did you mean '\($0)'?" }
                                  ?? "known formats: " + known.sorted().joined(separator: ", "))
        }
        return name
    }

    /// Sortable and unique enough for one machine; shards add their own suffix later.
    static func jobID(_ date: Date) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd'T'HHmmss"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date) + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
    }
}

extension FileHandle {
    func write(_ string: String) { write(Data(string.utf8)) }
}
