// swift-tools-version:6.1
import PackageDescription

// Microbenchmarks (ordo-one/package-benchmark), kept out of the main build. Run from this folder:
//   swift package benchmark            (all suites)
//   ./multipart-ratio.sh                (our multipart parser against vapor/multipart-kit, as GB/s and a ratio)

/// SwiftPM names a path dependency after its folder: the main package's identity is the name of the folder holding
/// this one (`main` in a usual checkout), whatever that folder is called.
let mainPackage = String(#filePath.split(separator: "/").dropLast(2).last ?? "main")

let package = Package(
    name: "resume-ingest-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(
            url: "https://github.com/ordo-one/package-benchmark.git", from: "1.38.0", traits: ["MallocInterposer"]
        ),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.0"),
    ],
    targets: [
        .executableTarget(
            name: "MultipartParse",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "Ingest", package: mainPackage),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ],
            path: "Benchmarks/MultipartParse",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
