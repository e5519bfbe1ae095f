// swift-tools-version:6.0
// NetIDWallet: the netid wallet core for iOS apps.
//
// Three targets, two of them in the product:
// - NetIDWalletFFI, a binary XCFramework (the Rust core as a static library for device arm64 and
//   simulator arm64 + x86_64, with the generated C header and module map under
//   Headers/NetIDWalletFFI/), built by ios/build-xcframework.sh and not committed;
// - NetIDWallet, the generated Swift bindings (Sources/NetIDWallet/Generated, written by
//   scripts/gen-bindings.sh, never edited by hand), with the generated string tables
//   (Sources/NetIDWallet/Resources) and NetIDStrings, which reads them through Bundle.module;
//   Swift 5 language mode, see below;
// - NetIDWalletHost, the hand-written host glue (Sources/NetIDWalletHost: KeychainKeyWrapper,
//   SecureEnclaveSecureArea, LocalAuthenticationUserAuthenticator, PromptText, and nextStep /
//   reason on the error enums) in Swift 6 language mode: complete strict concurrency checking.
// Apps `import NetIDWallet` and `import NetIDWalletHost`. See docs/swift.md.
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
        .library(name: "NetIDWallet", targets: ["NetIDWallet", "NetIDWalletHost"]),
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
            swiftSettings: [
                // The generated Swift of uniffi 0.32.2 needs Swift 5 language mode: its async
                // host-trait (callback interface) code does not pass Swift 6 strict concurrency
                // checking. Revisit when uniffi is upgraded.
                .swiftLanguageMode(.v5),
            ],
            linkerSettings: [
                // The Rust core draws randomness from SecRandomCopyBytes and keeps keys in the
                // Keychain; both live in Security.framework.
                .linkedFramework("Security"),
            ]
        ),
        .target(
            name: "NetIDWalletHost",
            dependencies: ["NetIDWallet"],
            path: "Sources/NetIDWalletHost",
            // Swift 6 language mode (the package default below, stated here too so that it cannot
            // silently change): data-race safety is checked completely and its findings are errors.
            swiftSettings: [
                .swiftLanguageMode(.v6),
            ],
            linkerSettings: [
                // Secure Enclave keys and keychain items.
                .linkedFramework("Security"),
                // The Face ID / Touch ID sheet (LAContext) and AES-GCM key wrapping.
                .linkedFramework("LocalAuthentication"),
                .linkedFramework("CryptoKit"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
