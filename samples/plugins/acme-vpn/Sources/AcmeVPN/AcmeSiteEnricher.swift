import SpoorKit

/// Names the site of each Acme gateway (`labels.site`), from a list in the job file:
///
///     enrichers:
///       acme.vpn.sites: {sites: [gw1=fra, gw2=ams]}
///
/// An example of an enricher exported by a plugin: it reads a field the parser set
/// (`host.name`) and adds one.
public struct AcmeSiteEnricher: Enricher {
    public static let manifest = PluginManifest(
        id: "acme.vpn.sites", kind: .enricher, version: "1.0.0",
        summary: "labels.site of Acme gateways, by host name",
        options: [OptionSpec("sites", .list, default: .list([]), "host=site pairs, e.g. gw1=fra")])

    /// A handful of gateways: scanned, no allocation per event.
    let sites: [(host: [UInt8], site: String)]

    public init(config: PluginConfig) throws {
        var sites: [(host: [UInt8], site: String)] = []
        for pair in config.list("sites") ?? [] {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ConfigError(origin: config.origin, message: "acme.vpn.sites: '\(pair)' is not host=site")
            }
            sites.append((Array(parts[0].utf8), String(parts[1])))
        }
        self.sites = sites
    }

    public func enrich(_ event: EventBuilder, context: ParseContext) {
        guard let host = event.value(of: .hostName),
              let hit = sites.first(where: { $0.host.elementsEqual(host) }) else { return }
        event.label("site", string: hit.site)
    }
}
