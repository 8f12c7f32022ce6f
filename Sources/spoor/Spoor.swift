import ArgumentParser

@main
struct Spoor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spoor",
        abstract: "Turn mail and authentication logs into one normalized, partitioned dataset.",
        discussion: """
            Spoor reads log files and archives (plain, gzip, zstd, xz, bzip2, lz4, tar — found by
            content, not by name), parses every record into one event schema, and writes a
            Hive-partitioned dataset. Nothing is dropped silently: every record becomes an event,
            a dead letter (with its raw bytes and the reason), or is counted as filtered.

            Examples:
              spoor ingest /var/log/archive --out out/
              spoor parse 'Sep  3 14:02:11 mx1 sshd[2211]: Failed password for invalid user admin from 203.0.113.7 port 51234 ssh2'
              spoor plugins
              spoor test parsers/          # the inline tests of parser modules
            """,
        subcommands: [IngestCommand.self, ParseCommand.self, ReportCommand.self, PluginsCommand.self, SchemaCommand.self, RulesCommand.self,
                      TestCommand.self, NewCommand.self, ValidateCommand.self]
    )
}
