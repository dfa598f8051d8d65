// swift-tools-version:6.1
import PackageDescription

// The engine's package. System libraries come from Debian (`make deps` installs them);
// Swift packages are the few well-kept ones each piece needs, chosen in DESIGN.md's spirit:
// a library where one fits, by hand only what none does well.
let package = Package(
    name: "resume-ingest",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "resume-ingest", targets: ["resume-ingest"]),
        .library(name: "Ingest", targets: ["Ingest"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.1.0"),
        // Writes the zips ExtractPool's tests read (the readers themselves are Archive's, on zlib).
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.19"),
    ],
    targets: [
        // MARK: C libraries, one system-library target each (module map + shim header).
        .systemLibrary(name: "CLibUV", pkgConfig: "libuv", providers: [.apt(["libuv1-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // zlib (libz). Not "CZlib": ZIPFoundation, which ExtractPool's tests still use to write zips, declares a
        // clang module of that name, and two modules of one name cannot meet in a build.
        .systemLibrary(name: "CLibZ", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CMagic", providers: [.apt(["libmagic-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // The one piece of C written here: vfork + rlimits + exec (see Sources/CSpawn/spawn.c for why).
        .target(name: "CSpawn"),

        // MARK: Stages.
        // Resume archives (zip, tar, tar.gz, tar.zst) read entry by entry as a stream, with limits.
        .target(
            name: "Archive",
            dependencies: ["CLibZ", "CZstd"]
        ),
        .target(
            name: "Ingest",
            dependencies: [
                "CLibUV",
                "CSpawn",
                "CZstd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "ExtractPool",
            dependencies: [
                "Archive",
                "Ingest",
                "CMagic",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "LLMBatcher",
            dependencies: [
                "Ingest",
                "CCurl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .target(
            name: "Sink",
            dependencies: [
                "Ingest",
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .executableTarget(
            name: "resume-ingest",
            dependencies: [
                "Ingest",
                "ExtractPool",
                "LLMBatcher",
                "Sink",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Tests.
        .target(
            name: "TestSupport",
            dependencies: [
                "Ingest",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "IngestTests",
            dependencies: [
                "Ingest",
                "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["HTTP/h11_reference.py"]
        ),
        .testTarget(
            name: "ArchiveTests",
            dependencies: [
                "Archive",
                "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "ExtractPoolTests",
            dependencies: [
                "ExtractPool", "Ingest", "TestSupport",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        .testTarget(
            name: "LLMBatcherTests",
            dependencies: ["LLMBatcher", "Ingest", "TestSupport"]
        ),
        .testTarget(
            name: "SinkTests",
            dependencies: ["Sink", "Ingest", "TestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
