#!/usr/bin/env bash
# Runs a libFuzzer target over the pure parsers for a while.
#
#   scripts/fuzz.sh http|http-response|multipart|tar SECONDS
#
# Builds with swiftc -sanitize=fuzzer,address (SwiftPM's renamed `main` does not satisfy libFuzzer's), seeds from
# the committed corpus in Tests/Fuzz/corpus/<target> (read only: new inputs go to .fuzz-build/corpus-<target>),
# writes crashes to .fuzz-build/artifacts/, and exits non-zero when the fuzzer found a crash or the build failed.
# Commit every crash found as a seed in the corpus once fixed, and as a regression fixture in the tests.
# The mutation seed is fixed (FUZZ_SEED, default 1) so that `make test` explores the same inputs each run and
# a crash it reports is reproducible; FUZZ_SEED=0 lets libFuzzer pick one, for exploring.
set -euo pipefail

usage() {
    echo "usage: $0 http|http-response|multipart|tar SECONDS" >&2
    exit 2
}

[[ $# -eq 2 ]] || usage
target="$1"
seconds="$2"
[[ "$seconds" =~ ^[0-9]+$ ]] || usage

cd "$(dirname "$0")/.."
flags=()

case "$target" in
    http)
        # The pure parser files only: the server (Sources/HTTP1/Server) and HTTPResponse import more.
        sources=(
            Sources/HTTP1/Parser/HTTPParseError.swift
            Sources/HTTP1/Parser/HTTPParserLimits.swift
            Sources/HTTP1/Parser/HTTPHeaders.swift
            Sources/HTTP1/Parser/HTTPRequestHead.swift
            Sources/HTTP1/Parser/HTTPSyntax.swift
            Sources/HTTP1/Parser/HTTPFieldLine.swift
            Sources/HTTP1/Parser/HTTPRequestHeadBuilder.swift
            Sources/HTTP1/Parser/HTTPRequestParser.swift
            Tests/Fuzz/HTTPParserFuzz.swift
        )
        ;;
    http-response)
        # loadgen's client-side parser: one file, no dependencies.
        sources=(Sources/HTTP1/Parser/HTTPResponseParser.swift Tests/Fuzz/HTTPResponseParserFuzz.swift)
        ;;
    multipart)
        shopt -s nullglob
        sources=(Sources/HTTP1/Multipart/*.swift Tests/Fuzz/MultipartParserFuzz.swift)
        ;;
    tar)
        # The tar state machine and what it needs: headers, the entry kinds, the archive errors.
        sources=(
            Sources/Archive/Tar/TarParser.swift
            Sources/Archive/Tar/TarHeader.swift
            Sources/Archive/ArchiveEntry.swift
            Sources/Archive/ArchiveEntryFailure.swift
            Sources/Archive/ArchiveError.swift
            Sources/Archive/Policy/EntryName.swift
            Tests/ArchiveTests/TarFuzzDriver.swift
            Tests/Fuzz/TarParserFuzz.swift
        )
        flags=(-D TAR_FUZZER)
        ;;
    *)
        usage
        ;;
esac

for source in "${sources[@]}"; do
    [[ -f "$source" ]] || { echo "fuzz.sh: missing $source" >&2; exit 2; }
done

build=.fuzz-build
corpus="Tests/Fuzz/corpus/$target"
binary="$build/$target-fuzz"
mkdir -p "$build/artifacts" "$build/corpus-$target" "$corpus"

echo "fuzz.sh: building $binary" >&2
# ld.gold warns about every ASan thunk it cannot export; keep the rest of the compiler's output.
{ swiftc -sanitize=fuzzer,address -parse-as-library -O -swift-version 6 -package-name resume_ingest "${flags[@]}" "${sources[@]}" -o "$binary" 2>&1 1>&3 \
    | { grep -v "Cannot export local symbol" || true; } >&2; } 3>&1

echo "fuzz.sh: fuzzing $target for ${seconds}s (corpus $corpus)" >&2
status=0
# Swift's backtracer can hang for minutes under ASan after a crash; libFuzzer reports the crash itself.
SWIFT_BACKTRACE=enable=no "$binary" "$build/corpus-$target" "$corpus" \
    -max_total_time="$seconds" \
    -seed="${FUZZ_SEED:-1}" \
    -artifact_prefix="$build/artifacts/$target-" \
    -print_final_stats=1 \
    -max_len=4096 || status=$?
if [[ $status -ne 0 ]]; then
    echo "fuzz.sh: $target fuzzer failed (exit $status); reproducers in $build/artifacts/" >&2
    exit "$status"
fi
echo "fuzz.sh: $target: no crash in ${seconds}s" >&2
