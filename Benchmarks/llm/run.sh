#!/usr/bin/env bash
# Issue 4's figures: the LLM batcher against llm-sim (in-process, real loopback sockets).
#   1. budget use: tokens/min admitted ÷ TPM limit in steady state, share of requests answered 429,
#      documents failed (backlog that never runs dry)
#   2. coalescing: billed prompt tokens per resume, 8 resumes per request vs 1 (same documents)
#   3. documents over the context window: failures (a 300-page PDF's text against a small window)
#   4. the batcher's own CPU per document (loop-thread CPU in batcher code, endpoint time excluded)
# The rules parser's precision/recall table is Benchmarks/rules/run.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/opt/swift/usr/bin:$PATH
TPM="${TPM:-200000}"
DURATION="${DURATION:-180}"
MEASURE_FROM="${MEASURE_FROM:-60}"
COUNT="${COUNT:-400}"
SCRATCH_PATH="${SCRATCH_PATH:-.build}"
out="Benchmarks/results/llm-$(date -u +%Y%m%dT%H%M%SZ).txt"
mkdir -p Benchmarks/results
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

scripts/install-deps.sh test
swift build -c release --product resume-ingest --scratch-path "$SCRATCH_PATH"
bin="$SCRATCH_PATH/release/resume-ingest"

data=.data/bench-data/mix-noscan
if [[ ! -f "$data/manifest.jsonl" ]]; then
    /usr/bin/python3 bench-data/generate.py --set mix --count 2000 --no-scans --out "$data"
fi
ls "$data/files" | sed -n "1,${COUNT}p" | sed "s|^|$data/files/|" > "$work/files.txt"
EXTRACT_WORK_DIR="$work/extract" xargs "$bin" extract --text < "$work/files.txt" > "$work/texts.ndjson"
# Short resumes for the coalescing comparison: the one-page documents of the same corpus.
/usr/bin/python3 - "$work/texts.ndjson" "$work/short.ndjson" <<'PY'
import json, sys
with open(sys.argv[1]) as src, open(sys.argv[2], "w") as dst:
    for line in src:
        d = json.loads(line)
        if d.get("status") == "extracted" and len(d.get("text", "")) < 3000:
            dst.write(line)
PY
EXTRACT_WORK_DIR="$work/extract" "$bin" extract --text bench-data/sample/files/nasty-300-pages.pdf > "$work/long.ndjson"

{
    echo "# llm benchmarks $(date -u +%FT%TZ) on $(nproc) cores"
    echo
    echo "## 1. budget use: TPM $TPM, ${DURATION}s, steady state from ${MEASURE_FROM}s, 8 resumes per request"
    "$bin" llm-bench "$work/texts.ndjson" --tpm "$TPM" --duration "$DURATION" --measure-from "$MEASURE_FROM" \
        --coalesce 8 --log-level warning
    echo
    echo "## 2. coalescing: the same 200 short resumes, 8 per request vs 1 per request"
    for c in 8 1; do
        echo "# coalesce=$c"
        "$bin" llm-bench "$work/short.ndjson" --tpm 2000000 --rpm 10000 --duration 300 --measure-from 0 \
            --coalesce "$c" --documents 200 --latency-base 50 --latency-per-token 0.1 --log-level warning
    done
    echo
    echo "## 3. over the context window: a 300-page PDF's text (~1 MB) x 5 against an 8,000-token window"
    "$bin" llm-bench "$work/long.ndjson" --tpm 2000000 --rpm 10000 --duration 120 --measure-from 0 \
        --context-window 8000 --documents 5 --latency-base 50 --latency-per-token 0.1 --log-level warning
} | tee "$out"
echo "saved $out"
