import SpoorKit

/// What `spoor --plugin libAcmeVPN.so` calls once at load: it hands over the parser and the enricher.
@_cdecl("spoor_plugin_entry")
public func spoorPluginEntry(_ table: UnsafeMutableRawPointer?) -> Int32 {
    PluginExport.fill(table, name: "acme-vpn", version: "1.0.0", parsers: [AcmeVPNParser.self], enrichers: [AcmeSiteEnricher.self])
}
