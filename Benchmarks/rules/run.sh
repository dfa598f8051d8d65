#!/usr/bin/env bash
# The rule-based parser (issue 4, "rules parser: precision/recall per field"): field-level precision and recall
# against bench-data ground truth, overall and per format, and parse time per document next to its peer in the
# same run, the extraction of the same document. What the figures mean and why the weak fields are weak:
# README.md here.
#
# 1. builds the release binary;
# 2. generates a COUNT-document mix with the default seed (cached under .data/bench-data/mix-COUNT; the
#    generator needs soffice, pdftoppm, qpdf: scripts/install-deps.sh test);
# 3. runs `resume-ingest score-rules` on it and on the committed bench-data/sample;
# 4. saves both reports to Benchmarks/results/rules-<UTC time>.txt.
#
# Knobs (environment): COUNT (500), LAYOUTS (300: documents in each split of the layouts set), SCRATCH (.build: the SwiftPM scratch path), REPEATS (20: parses per document
# when timing), EXTRACT_CONCURRENCY (the pool's default).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
export PATH=/opt/swift/usr/bin:$PATH
COUNT=${COUNT:-500}
SCRATCH=${SCRATCH:-.build}
REPEATS=${REPEATS:-20}
DATA=.data/bench-data/mix-$COUNT

swift build -c release --scratch-path "$SCRATCH" --product resume-ingest
BIN="$SCRATCH/release/resume-ingest"

if [[ ! -s "$DATA/manifest.jsonl" ]]; then
    /usr/bin/python3 bench-data/generate.py --set mix --count "$COUNT" --out "$DATA"
fi
# The layouts set (issue 13): job-board exports, Europass, columns, tables, text boxes, headers and footers,
# each with flattened twins. The parser is tuned on dev only; holdout is scored, never read.
LAYOUTS=${LAYOUTS:-300}
for split in dev holdout; do
    out=.data/bench-data/layouts-$split-$LAYOUTS
    if [[ ! -s "$out/manifest.jsonl" ]]; then
        /usr/bin/python3 bench-data/generate.py --set layouts --split "$split" --count "$LAYOUTS" --out "$out"
    fi
done

mkdir -p Benchmarks/results
REPORT="Benchmarks/results/rules-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
    echo "# rules parser vs bench-data ground truth"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)"
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
    echo
    echo "## $DATA (generate.py --set mix --count $COUNT, default seed)"
    "$BIN" score-rules "$DATA/manifest.jsonl" --repeats "$REPEATS" --log-level warning
    echo
    echo "## $DATA flattened (score-rules --flatten: the same text without its line breaks)"
    "$BIN" score-rules "$DATA/manifest.jsonl" --flatten --repeats "$REPEATS" --log-level warning
    echo
    for split in holdout dev; do
        echo "## .data/bench-data/layouts-$split-$LAYOUTS (generate.py --set layouts --split $split, default seed)"
        "$BIN" score-rules ".data/bench-data/layouts-$split-$LAYOUTS/manifest.jsonl" --repeats "$REPEATS" \
            --log-level warning
        echo
    done
    echo "## bench-data/sample (committed)"
    "$BIN" score-rules bench-data/sample/manifest.jsonl --repeats "$REPEATS" --log-level warning
} | tee "$REPORT"
echo "saved $REPORT" >&2
