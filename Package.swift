// swift-tools-version: 6.1
import PackageDescription

/// A system library reached through a module map and one shim header; nothing else lives there.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, path: "Sources/\(name)", pkgConfig: pkgConfig, providers: [.apt([apt])])
}

/// The hot path runs on classes the pipeline owns per thread; dynamic exclusivity checks on
/// them cost ~15% of ingest time, so release builds of the SDK and the plugins drop them
/// (debug builds, which the tests use, keep them).
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

/// A built-in plugin: a target under Plugins/<kind>/<name> that depends on the SDK.
func plugin(_ name: String, kind: String, extra: [Target.Dependency] = []) -> Target {
    .target(name: name, dependencies: ["SpoorKit"] + extra, path: "Plugins/\(kind)/\(name)", swiftSettings: hotPath)
}

let package = Package(
    name: "Spoor",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SpoorKit", targets: ["SpoorKit"]),
        .executable(name: "spoor", targets: ["spoor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        systemLibrary("CPCRE2", pkgConfig: "libpcre2-8", apt: "libpcre2-dev"),
        systemLibrary("CLZ4", pkgConfig: "liblz4", apt: "liblz4-dev"),
        systemLibrary("CArchive", pkgConfig: "libarchive", apt: "libarchive-dev"),
        systemLibrary("CZlib", pkgConfig: "zlib", apt: "zlib1g-dev"),
        systemLibrary("CZstd", pkgConfig: "libzstd", apt: "libzstd-dev"),
        systemLibrary("CMaxMindDB", pkgConfig: "libmaxminddb", apt: "libmaxminddb-dev"),

        // A prefetch hint for loops over scattered memory (Swift has none).
        .target(name: "CPrefetch"),
        // Linux and glibc calls Swift's C library module does not declare (syncfs, mallopt, …).
        .target(name: "CLinux"),
        // The growable buffer of the hot paths' per-value appends (SpoorKit's and SpoorParquet's).
        .target(name: "GrowableBuffer", swiftSettings: hotPath),
        .target(name: "SpoorKit", dependencies: ["CPCRE2", "CLZ4", "CLinux", "GrowableBuffer"], swiftSettings: hotPath),
        .target(name: "SpoorParquet", dependencies: ["CLZ4", "CZstd", "CLinux", "GrowableBuffer"], swiftSettings: hotPath),
        .target(name: "SpoorRules", dependencies: ["SpoorKit", "CPrefetch", .product(name: "Yams", package: "Yams")], swiftSettings: hotPath),
        // Declarative parser modules (YAML + PCRE2): the file format, its loader and its runtime.
        .target(name: "SpoorModules", dependencies: ["SpoorKit", .product(name: "Yams", package: "Yams")], swiftSettings: hotPath),

        plugin("FileSources", kind: "Sources", extra: ["CArchive", "CZlib"]),
        plugin("LineFramer", kind: "Framers"),
        plugin("JSONFramer", kind: "Framers"),
        plugin("XMLEventFramer", kind: "Framers"),
        plugin("SyslogParsers", kind: "Parsers"),
        plugin("AuthParsers", kind: "Parsers"),
        plugin("MailParsers", kind: "Parsers"),
        plugin("MicrosoftParsers", kind: "Parsers"),
        // The parsers shipped as declarative modules, embedded in the binary.
        .target(name: "DeclarativeParsers", dependencies: ["SpoorKit", "SpoorModules"], path: "Plugins/Parsers/DeclarativeParsers",
                resources: [.embedInCode("modules/sudo.yaml"), .embedInCode("modules/su.yaml"), .embedInCode("modules/roundcube.yaml")]),
        plugin("DatasetSinks", kind: "Sinks", extra: ["CLZ4", "SpoorParquet"]),
        plugin("DirectoryEnrichers", kind: "Enrichers"),
        plugin("GeoIPEnricher", kind: "Enrichers", extra: ["CMaxMindDB"]),

        // The built-in plugins in one registry: what the CLI runs and the tests parse with.
        .target(
            name: "SpoorBuiltins",
            dependencies: [
                "SpoorKit", "FileSources", "LineFramer", "JSONFramer", "XMLEventFramer", "SyslogParsers", "AuthParsers",
                "MailParsers", "MicrosoftParsers", "DatasetSinks", "DirectoryEnrichers",
                "GeoIPEnricher", "SpoorRules", "SpoorModules", "DeclarativeParsers",
            ]
        ),
        .executableTarget(
            name: "spoor",
            dependencies: [
                "CLinux", "SpoorKit", "SpoorBuiltins", "DatasetSinks", "SpoorModules", "SpoorRules", "DeclarativeParsers",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),

        .testTarget(name: "SpoorKitTests", dependencies: ["SpoorKit"]),
        .testTarget(name: "FileSourcesTests", dependencies: ["FileSources", "SpoorKit"]),
        // Helpers the parser tests share: the tester, the corpora, fail2ban's case selection.
        .target(name: "SpoorTestSupport", dependencies: ["SpoorBuiltins", "SpoorKit"], path: "Tests/SpoorTestSupport"),
        .testTarget(name: "AuthParsersTests", dependencies: ["SpoorTestSupport", "SpoorBuiltins", "AuthParsers", "SyslogParsers", "SpoorKit"]),
        .testTarget(name: "LineFramerTests", dependencies: ["LineFramer", "SpoorKit"]),
        .testTarget(name: "SpoorParquetTests", dependencies: ["SpoorParquet"]),
        .testTarget(name: "MailParsersTests", dependencies: ["SpoorTestSupport", "MailParsers", "SpoorKit"]),
        .testTarget(name: "MicrosoftParsersTests", dependencies: ["SpoorTestSupport", "MicrosoftParsers", "JSONFramer", "XMLEventFramer", "SpoorKit"]),
        .testTarget(name: "SpoorRulesTests", dependencies: ["SpoorTestSupport", "SpoorRules", "SpoorKit"]),
        .testTarget(name: "DirectoryEnrichersTests", dependencies: ["SpoorTestSupport", "DirectoryEnrichers", "GeoIPEnricher", "SpoorKit"]),
        .testTarget(name: "SpoorModulesTests", dependencies: ["SpoorTestSupport", "SpoorModules", "DeclarativeParsers", "SpoorBuiltins", "SpoorKit"]),
        .testTarget(name: "EndToEndTests", dependencies: ["spoor", "SpoorBuiltins", "DatasetSinks", "SpoorKit", "CLZ4"]),
    ],
    swiftLanguageModes: [.v6]
)
