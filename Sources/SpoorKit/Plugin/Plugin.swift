/// The common shape of every plugin: a manifest, and a constructor from validated
/// configuration. The registry calls `init(config:)` once per job, before input is read; a
/// constructor that throws stops the job with the plugin's error.
public protocol Plugin: Sendable {
    static var manifest: PluginManifest { get }
    init(config: PluginConfig) throws
}
