import AuthParsers
import FileSources
import JSONFramer
import LineFramer
import MailParsers
import MicrosoftParsers
import DatasetSinks
import DirectoryEnrichers
import GeoIPEnricher
import SpoorKit
import SpoorRules
import SyslogParsers
import XMLEventFramer

/// The plugins the `spoor` binary ships with, in one registry. A custom build makes its own
/// registry: this one, then `register` calls for its plugins.
public func builtinRegistry() -> Registry {
    let registry = Registry()
    registry.register(source: FileSource.self)
    registry.register(framer: LineFramer.self)
    registry.register(framer: JSONFramer.self)
    registry.register(framer: HeaderLineFramer.self)
    registry.register(framer: XMLEventFramer.self)
    registry.register(parser: SyslogParser.self)
    registry.register(parser: SSHDParser.self)
    registry.register(parser: PAMParser.self)
    registry.register(parser: SudoParser.self)
    registry.register(parser: SuParser.self)
    registry.register(parser: PostfixParser.self)
    registry.register(parser: DovecotParser.self)
    registry.register(parser: EximParser.self)
    registry.register(parser: SendmailParser.self)
    registry.register(parser: CourierParser.self)
    registry.register(parser: RoundcubeParser.self)
    registry.register(parser: EntraSignInParser.self)
    registry.register(parser: IISParser.self)
    registry.register(parser: ExchangeCSVParser.self)
    registry.register(parser: Office365AuditParser.self)
    registry.register(parser: Office365AuditCSVParser.self)
    registry.register(parser: WindowsEventXMLParser.self)
    registry.register(parser: WindowsEventJSONParser.self)
    registry.register(enricher: AccountDirectoryEnricher.self)
    registry.register(enricher: IPListEnricher.self)
    registry.register(enricher: GeoIPEnricher.self)
    registry.register(enricher: IndicatorAttributor.self)   // last: it reads what the others set
    registry.register(sink: ParquetDatasetSink.self)
    registry.register(sink: NDJSONDatasetSink.self)
    registry.register(sink: StdoutSink.self)
    return registry
}
