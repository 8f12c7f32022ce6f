import SpoorKit
import SpoorModules

/// The parsers Spoor ships as declarative modules (`modules/*.yaml`), embedded in the binary:
/// one definition of each format, readable and testable like a user's module.
public enum ShippedModules {
    /// File name and text of every shipped module.
    public static let sources: [(file: String, text: String)] = [
        ("sudo.yaml", String(decoding: PackageResources.sudo_yaml, as: UTF8.self)),
        ("su.yaml", String(decoding: PackageResources.su_yaml, as: UTF8.self)),
        ("roundcube.yaml", String(decoding: PackageResources.roundcube_yaml, as: UTF8.self)),
    ]

    /// The shipped modules, loaded. A mistake in one is a bug of this build: the tests load
    /// every one of them, so this cannot fail in a released binary.
    public static func load() -> [DeclarativeParser] {
        sources.map { source in
            do {
                return try ModuleLoader.load(text: source.text, path: "(built in) " + source.file)
            } catch {
                preconditionFailure("shipped parser module \(source.file) does not load: \(error)")
            }
        }
    }
}
