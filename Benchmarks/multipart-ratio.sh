#!/usr/bin/env bash
# Runs the MultipartParse benchmark (our streaming multipart parser and vapor/multipart-kit's on the same 16 x 1 MiB
# random-byte body, fed in 64 KiB chunks) and prints each one's throughput at the median wall-clock time, and the ratio:
#   ours 11.6 GB/s, multipart-kit 0.49 GB/s, ratio 23.7x
# Extra arguments go to `swift package benchmark` (e.g. --max-duration / --max-iterations are per benchmark in code).
set -euo pipefail
cd "$(dirname "$0")"

log=$(mktemp)
trap 'rm -f "$log"' EXIT

swift package --disable-sandbox benchmark --target MultipartParse --no-progress "$@" >"$log" 2>&1 || {
    cat "$log" >&2
    exit 1
}

python3 - "$log" <<'PY'
import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
scale = {"ns": 1e-9, "μs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}
rates = {}
for name in ("ingest", "multipart-kit"):
    section = re.search(rf"^{re.escape(name)} (\d+) bytes$(.*?)(?:^\S[^\n]*bytes$|\Z)", text, re.M | re.S)
    if section is None:
        sys.exit(f"no '{name}' benchmark in the output:\n{text}")
    size = int(section.group(1))
    row = re.search(r"Time \(wall clock\) \((\w+)\)[^│]*│([^\n]*)", section.group(2))
    if row is None:
        sys.exit(f"no wall-clock row for '{name}'")
    cells = [cell.strip() for cell in row.group(2).split("│")]
    p50 = float(cells[2]) * scale[row.group(1)]  # columns: p0 p25 p50 ...
    rates[name] = size / p50 / 1e9
ours, theirs = rates["ingest"], rates["multipart-kit"]
print(f"ours {ours:.2f} GB/s, multipart-kit {theirs:.2f} GB/s, ratio {ours / theirs:.1f}x")
PY
