// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "custos",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "custos", targets: ["custos"]),
        .executable(name: "custos-bench", targets: ["CustosBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/swift-extras/swift-extras-base64.git", from: "1.2.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CArgon2", pkgConfig: "libargon2", providers: [.apt(["libargon2-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        .target(
            name: "CustosCrypto",
            dependencies: [
                "CSodium", "CArgon2",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CustosCapture",
            dependencies: ["CustosCrypto", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CustosCaptureClient",
            dependencies: [
                "CustosCapture", "CustosCore", "CustosCrypto",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CustosCore",
            dependencies: ["CustosCrypto", .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CustosStore",
            dependencies: ["CustosCore", "CustosCrypto", "CSQLite", .product(name: "Logging", package: "swift-log"),
                           .product(name: "Metrics", package: "swift-metrics")],
            swiftSettings: swiftSettings
        ),
        // The composition root and the background services: what every command opens, with no web server in it.
        .target(
            name: "CustosRuntime",
            dependencies: [
                "CustosCore", "CustosStore", "CustosPostgres", "CustosCrypto", "CustosCapture",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The template engine and the pages rendered without a web server (the access report), with the layout's chrome.
        .target(name: "CustosViews", dependencies: ["CustosRuntime", "CustosCore"], swiftSettings: swiftSettings),
        .target(
            name: "CustosPostgres",
            dependencies: [
                "CustosCore", "CustosStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CustosWeb",
            dependencies: [
                "CustosRuntime", "CustosViews", "CustosCore", "CustosStore", "CustosCrypto", "CustosCapture",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "custos",
            dependencies: [
                "CustosWeb", "CustosRuntime", "CustosViews", "CustosCore", "CustosStore", "CustosCrypto", "CustosCapture",
                "CustosCaptureClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "CustosBench",
            dependencies: [
                "CustosWeb", "CustosRuntime", "CustosCore", "CustosStore", "CustosCrypto", "CustosCapture", "CustosCaptureClient", "CSQLite",
                "CustosPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),

        // Test support: drives ceremonies and approvals with in-memory custodian devices (tests only).
        .target(
            name: "CustosTestSupport",
            dependencies: ["CustosRuntime", "CustosCore", "CustosCrypto", "CustosPostgres", "CustosStore",
                           .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log")],
            path: "Tests/CustosTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "CustosCryptoTests", dependencies: ["CustosCrypto"], swiftSettings: swiftSettings),
        .testTarget(name: "CustosStoreTests", dependencies: ["CustosStore", "CustosCore", "CustosCrypto"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CustosPostgresTests",
            // CSQLite builds the SQLite schema that the PostgreSQL one is compared with.
            dependencies: ["CustosPostgres", "CustosStore", "CustosCore", "CustosTestSupport", "CSQLite",
                           .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "CustosCaptureTests", dependencies: ["CustosCapture", "CustosCrypto"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CustosCaptureClientTests",
            dependencies: ["CustosCaptureClient", "CustosCapture", "CustosWeb", "CustosRuntime", "CustosStore", "CustosCore", "CustosCrypto", "CustosTestSupport",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "CustosCoreTests", dependencies: ["CustosCore", "CustosCrypto"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CustosRuntimeTests",
            dependencies: [
                "CustosRuntime", "CustosCore", "CustosStore", "CustosTestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CustosWebTests",
            dependencies: [
                "CustosWeb", "CustosRuntime", "CustosViews", "CustosStore", "CustosCore", "CustosCrypto", "CustosCapture",
                "CustosCaptureClient", "CustosTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                // Only as the reference the pages' own template engine is compared with (TemplateEngineTests).
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
