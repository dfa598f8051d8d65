#!/usr/bin/env bash
# The built-in candidate scorer (issue 15, "Measure"): candidates scored per second per core, its agreement with
# a ranking made from bench-data's ground truth (Spearman's ρ per generated job), and the share of its reasons
# whose quote verifies. What the figures mean: README.md here.
#
# 1. builds the release binary;
# 2. generates, when missing, the 2,000-document mix `make bench-data` writes (default seed) and a set of long
#    resumes (generate.py --sizes long,xlong: 3-7 pages, the 3-16 k characters real resumes reach); the
#    generator needs soffice, pdftoppm, qpdf: scripts/install-deps.sh test;
# 3. copies up to 300 text documents from /usr/share/doc (html, txt, md, rst of 3-16 KB): text our generator
#    did not write, though not resumes (no records: throughput and evidence only);
# 4. runs `resume-ingest bench-score` on each, and on the committed bench-data/sample;
# 5. times the scorer at BEFORE (the commit before the word index) against this tree in one process, on the long
#    set's texts and parses (before-after.sh; `score-rules --dump` writes them once);
# 6. saves the reports to Benchmarks/results/scoring-<UTC time>.txt.
#
# Knobs (environment): COUNT (2000), LONG (300), JOBS (20: generated jobs), SEED (15: the jobs' seed), REPEATS (3:
# timed runs, the median is reported), BEFORE (1950584), SCRATCH (.build: the SwiftPM scratch path),
# EXTRACT_CONCURRENCY.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
export PATH=/opt/swift/usr/bin:$PATH
COUNT=${COUNT:-2000}
LONG=${LONG:-300}
JOBS=${JOBS:-20}
SEED=${SEED:-15}
REPEATS=${REPEATS:-3}
SCRATCH=${SCRATCH:-.build}

swift build -c release --scratch-path "$SCRATCH" --product resume-ingest
BIN="$SCRATCH/release/resume-ingest"

# The mix at its default size is the one `make bench-data` writes.
MIX=.data/bench-data/mix
[[ "$COUNT" == 2000 ]] || MIX=.data/bench-data/mix-$COUNT
if [[ ! -s "$MIX/manifest.jsonl" ]]; then
    /usr/bin/python3 bench-data/generate.py --set mix --count "$COUNT" --out "$MIX"
fi
LONGDATA=.data/bench-data/mix-long-$LONG
if [[ ! -s "$LONGDATA/manifest.jsonl" ]]; then
    /usr/bin/python3 bench-data/generate.py --set mix --count "$LONG" --sizes long,xlong --no-scans --out "$LONGDATA"
fi
DOCS=.data/bench-data/usr-share-doc
if [[ ! -d "$DOCS" ]]; then
    mkdir -p "$DOCS"
    find /usr/share/doc -type f \( -name '*.html' -o -name '*.txt' -o -name '*.md' -o -name '*.rst' \) \
        -size +3k -size -16k 2>/dev/null | LC_ALL=C sort | head -300 | while read -r f; do
        cp "$f" "$DOCS/$(echo "${f#/usr/share/doc/}" | tr / _)"
    done
fi

DUMP=$LONGDATA-dump
if [[ ! -d "$DUMP" ]]; then
    "$BIN" score-rules "$LONGDATA/manifest.jsonl" --repeats 1 --dump "$DUMP" --log-level warning >/dev/null
fi

mkdir -p Benchmarks/results
REPORT="Benchmarks/results/scoring-$(date -u +%Y%m%dT%H%M%SZ).txt"
run() { "$BIN" bench-score "$1" --jobs "$JOBS" --seed "$SEED" --repeats "$REPEATS" --log-level warning; }
{
    echo "# built-in candidate scorer: throughput, agreement with ground truth, evidence"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)"
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
    echo
    echo "## $MIX (generate.py --set mix --count $COUNT, default seed)"
    run "$MIX/manifest.jsonl"
    echo
    echo "## $LONGDATA (generate.py --set mix --count $LONG --sizes long,xlong --no-scans, default seed)"
    run "$LONGDATA/manifest.jsonl"
    echo
    echo "## bench-data/sample (committed; written by the same generator)"
    run bench-data/sample/manifest.jsonl
    echo
    echo "## $DOCS ($(ls "$DOCS" | wc -l) documents from /usr/share/doc: not resumes, not generated, no records)"
    run "$DOCS"
    echo
    echo "## the scorer before the word index against this tree, in one process, on $LONGDATA (texts ×1, ×2, ×4)"
    BEFORE=${BEFORE:-1950584} "$HERE/before-after.sh" "$DUMP" 1 2 4
} | tee "$REPORT"
echo "saved $REPORT" >&2
