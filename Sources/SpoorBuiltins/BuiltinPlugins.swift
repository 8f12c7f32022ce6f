import AuthParsers
import FileSources
import JSONFramer
import LineFramer
import MailParsers
import MicrosoftParsers
import DatasetSinks
import DeclarativeParsers
import DirectoryEnrichers
import GeoIPEnricher
import SpoorKit
import SpoorModules
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
    registerShipped("sudo", in: registry)
    registerShipped("su", in: registry)
    registry.register(parser: PostfixParser.self)
    registry.register(parser: DovecotParser.self)
    registry.register(parser: EximParser.self)
    registry.register(parser: SendmailParser.self)
    registry.register(parser: CourierParser.self)
    registerShipped("roundcube", in: registry)
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

/// The parsers shipped as declarative modules, loaded once per process.
private let shippedModules: [String: DeclarativeParser] = Dictionary(uniqueKeysWithValues: ShippedModules.load().map { ($0.id, $0) })

/// Registers a shipped module in the place its Swift predecessor had (routing order).
private func registerShipped(_ id: String, in registry: Registry) {
    guard let module = shippedModules[id] else { preconditionFailure("no shipped parser module '\(id)'") }
    registry.register(parser: module.moduleManifest) { _ in module }
}

/// Every shipped declarative module (what `spoor test` runs by default).
public func shippedParserModules() -> [DeclarativeParser] {
    ShippedModules.load()
}
