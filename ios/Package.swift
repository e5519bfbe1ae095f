// swift-tools-version:6.0
// NetIDWallet: the netid wallet core for iOS apps.
//
// Two targets: NetIDWalletFFI, a binary XCFramework (the Rust core as a static library for
// device arm64 and simulator arm64 + x86_64, with the generated C header and module map), built
// by ios/build-xcframework.sh and not committed; and NetIDWallet, the generated Swift bindings
// (Sources/NetIDWallet/Generated, written by scripts/gen-bindings.sh, never edited by hand) plus
// the host glue beside them in Sources/NetIDWallet (KeychainKeyWrapper, SecureEnclaveSecureArea,
// LocalAuthenticationUserAuthenticator). See docs/swift.md.
import PackageDescription

let package = Package(
    name: "NetIDWallet",
    // The string resources in Sources/NetIDWallet/Resources/<lang>.lproj (en, zh-Hans) are
    // generated from the shared catalogue (docs/i18n.md); English is the fallback.
    defaultLocalization: "en",
    platforms: [
        // Keep in step with IPHONEOS_DEPLOYMENT_TARGET in ios/build-xcframework.sh.
        .iOS(.v15),
    ],
    products: [
        .library(name: "NetIDWallet", targets: ["NetIDWallet"]),
    ],
    targets: [
        .binaryTarget(
            name: "NetIDWalletFFI",
            path: "NetIDWalletFFI.xcframework"
        ),
        .target(
            name: "NetIDWallet",
            dependencies: ["NetIDWalletFFI"],
            path: "Sources/NetIDWallet",
            // NetID.strings per language, read with
            // NSLocalizedString(key, tableName: "NetID", bundle: .module, comment: "").
            resources: [.process("Resources")],
            linkerSettings: [
                // The Rust core draws randomness from SecRandomCopyBytes and keeps keys in the
                // Keychain; both live in Security.framework, as do the glue's Secure Enclave keys.
                .linkedFramework("Security"),
                // The glue's Face ID / Touch ID sheet (LAContext) and AES-GCM key wrapping.
                .linkedFramework("LocalAuthentication"),
                .linkedFramework("CryptoKit"),
            ]
        ),
    ],
    // The generated Swift of uniffi 0.32.2 needs Swift 5 language mode: its async host-trait
    // (callback interface) code does not pass Swift 6 strict concurrency checking. Revisit when
    // uniffi is upgraded.
    swiftLanguageModes: [.v5]
)
