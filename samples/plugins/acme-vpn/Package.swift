// swift-tools-version: 6.1
import PackageDescription

// A Spoor plugin: a shared library (`.dynamic`) that `spoor --plugin libAcmeVPN.so` loads at
// run time. It depends on the SpoorKit library of the Spoor package (here by relative path:
// the repository this sample lives in) and must be built against the SpoorKit of the `spoor`
// that loads it: the plugin ABI version is checked at load.
let package = Package(
    name: "AcmeVPN",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AcmeVPN", type: .dynamic, targets: ["AcmeVPN"]),
    ],
    dependencies: [
        .package(name: "Spoor", path: "../../.."),
    ],
    targets: [
        .target(name: "AcmeVPN", dependencies: [.product(name: "SpoorKit", package: "Spoor")]),
        .testTarget(name: "AcmeVPNTests", dependencies: ["AcmeVPN", .product(name: "SpoorKit", package: "Spoor")]),
    ],
    swiftLanguageModes: [.v6]
)
