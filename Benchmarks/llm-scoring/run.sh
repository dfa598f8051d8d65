#!/usr/bin/env bash
# Issue 15's LLM scorer figures against llm-sim (in-process, real loopback sockets):
#   1. tokens per candidate with the job's prefix cached vs a prefix made unique per candidate (same resumes)
#   2. candidates per minute at a TPM limit, and the share of the limit used in steady state
# The resumes are the committed sample (bench-data/sample, the nasty set left out), extracted as the engine does.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/opt/swift/usr/bin:$PATH
TPM="${TPM:-200000}"
DURATION="${DURATION:-180}"
MEASURE_FROM="${MEASURE_FROM:-60}"
SCRATCH_PATH="${SCRATCH_PATH:-.build}"
out="Benchmarks/results/llm-scoring-$(date -u +%Y%m%dT%H%M%SZ).txt"
mkdir -p Benchmarks/results
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

scripts/install-deps.sh test
swift build -c release --product resume-ingest --scratch-path "$SCRATCH_PATH"
bin="$SCRATCH_PATH/release/resume-ingest"

ls bench-data/sample/files/* | grep -v '/nasty-' > "$work/files.txt"
EXTRACT_WORK_DIR="$work/extract" xargs "$bin" extract --text < "$work/files.txt" > "$work/texts.ndjson"

{
    echo "# llm-scoring benchmarks $(date -u +%FT%TZ) on $(nproc) cores"
    echo
    "$bin" llm-score-bench "$work/texts.ndjson" --part tokens --log-level warning
    echo
    "$bin" llm-score-bench "$work/texts.ndjson" --part throughput --tpm "$TPM" --duration "$DURATION" \
        --measure-from "$MEASURE_FROM" --log-level warning
} | tee "$out"
