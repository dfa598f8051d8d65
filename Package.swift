// swift-tools-version:6.1
import PackageDescription

// The engine's package. System libraries come from Debian (`make deps` installs them); Swift packages are the
// few well-kept ones each piece needs: a library where one fits, by hand only what none does well.
//
// The module map (../shared/DESIGN.md): arrows only point down.
//
//   resume-ingest (CLI)                       — ArgumentParser; links LLMSimulator for `llm-sim`
//   Pipeline                                  — the Stage door, the typed record, the wiring serve and import share
//   Ingest  ExtractPool  LLMBatcher  Sink     — the four stages (+ LLMSimulator, linked by the CLI and tests only)
//   LoadGen                                   — `loadgen`: HTTP/1.1 load for any upload endpoint (beside the stages)
//   HTTP1  Archive        ResumeModel         — HTTP/1.1 server; archives entry by entry; JSON Resume, rules parser
//   Loop                                      — the runtime every stage stands on
//   CLibUV CLibPQ CMagic CZstd CLibZ CCurl CSpawn — C at arm's length
let package = Package(
    name: "resume-ingest",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "resume-ingest", targets: ["resume-ingest"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        // 4.x: jwt-kit 5 builds on it.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.0"..<"5.0.0"),
        // HS256 JWTs for partners who sign their own tokens (Ingest's authenticator): jwt-kit reads tokens and
        // their claims; the algorithm is pinned and the HMAC checked with swift-crypto (see Authenticator).
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.1.0"),
        // Writes the zips that ExtractPool's tests read (the engine reads zips through Archive, on zlib).
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.19"),
        // loadgen's latency percentiles: HDR histograms (fixed memory, no sampling, 3 significant digits).
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        // MARK: C libraries, one system-library target each (module map + shim header).
        .systemLibrary(name: "CLibUV", pkgConfig: "libuv", providers: [.apt(["libuv1-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CMagic", providers: [.apt(["libmagic-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // zlib (libz). Not "CZlib": ZIPFoundation, which ExtractPool's tests still use to write zips, declares a
        // clang module of that name, and two modules of one name cannot meet in a build.
        .systemLibrary(name: "CLibZ", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // The one piece of C written here: vfork + rlimits + exec (see Sources/CSpawn/spawn.c for why).
        .target(name: "CSpawn"),

        // MARK: The runtime and what the stages share.
        .target(
            name: "Loop",
            dependencies: ["CLibUV", "CSpawn"]
        ),
        .target(
            name: "HTTP1",
            dependencies: ["Loop", .product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "ResumeModel"),
        // Resume archives (zip, tar, tar.gz, tar.zst) read entry by entry as a stream, with limits; DOCX/ODT
        // containers too.
        .target(name: "Archive", dependencies: ["CLibZ", "CZstd"]),

        // MARK: Stages.
        .target(
            name: "Ingest",
            dependencies: [
                "Loop",
                "HTTP1",
                "Archive",
                "CZstd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ]
        ),
        .target(
            name: "ExtractPool",
            dependencies: [
                "Loop",
                "Archive",
                "CMagic",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "LLMBatcher",
            dependencies: [
                "Loop",
                "ResumeModel",
                "CCurl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .target(
            name: "Sink",
            dependencies: [
                "Loop",
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // The OpenAI-compatible simulator: only the executable (`llm-sim`) and the tests link it.
        .target(
            name: "LLMSimulator",
            dependencies: ["Loop", "HTTP1", "ResumeModel", .product(name: "Logging", package: "swift-log")]
        ),

        // `resume-ingest loadgen`: a corpus streamed from disk, closed and open loops on HTTP/1.1 client
        // connections of the loop, HDR percentiles, batch following. Beside the stages: it loads servers, ours
        // or another's, and needs none of the engine's stages.
        .target(
            name: "LoadGen",
            dependencies: [
                "Loop", "HTTP1", "Archive", "CZstd",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),

        // MARK: The pipeline and the executable.
        .target(
            name: "Pipeline",
            dependencies: [
                "Loop", "Archive", "Ingest", "ExtractPool", "LLMBatcher", "Sink", "ResumeModel",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "resume-ingest",
            dependencies: [
                "Pipeline",
                "Loop",
                "Archive",
                "Ingest",
                "ExtractPool",
                "LLMBatcher",
                "LLMSimulator",
                "LoadGen",
                "ResumeModel",
                "Sink",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Tests.
        .target(
            name: "TestSupport",
            dependencies: [
                "Loop",
                "Ingest",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "LoopTests", dependencies: ["Loop", "TestSupport"]),
        .testTarget(
            name: "HTTP1Tests",
            dependencies: ["HTTP1", "Loop", "TestSupport"],
            exclude: ["h11_reference.py"]
        ),
        .testTarget(name: "ResumeModelTests", dependencies: ["ResumeModel"]),
        .testTarget(
            name: "ArchiveTests",
            dependencies: ["Archive", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "IngestTests",
            dependencies: [
                "Ingest", "HTTP1", "Loop",
                "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "ExtractPoolTests",
            dependencies: [
                "ExtractPool", "Loop", "TestSupport",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        .testTarget(
            name: "LLMBatcherTests",
            dependencies: ["LLMBatcher", "LLMSimulator", "ResumeModel", "HTTP1", "Loop", "TestSupport"]
        ),
        .testTarget(
            name: "PipelineTests",
            dependencies: ["Pipeline", "Ingest", "ExtractPool", "LLMBatcher", "LLMSimulator", "Sink", "HTTP1", "Loop",
                           "TestSupport", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "LoadGenTests",
            dependencies: ["LoadGen", "HTTP1", "Loop", "TestSupport"]
        ),
        .testTarget(
            name: "SinkTests",
            dependencies: ["Sink", "Loop", "TestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
