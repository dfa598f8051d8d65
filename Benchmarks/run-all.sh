#!/usr/bin/env bash
# Every benchmark of the engine, each a ratio against a named peer measured in the same run:
#   1. multipart parsing: ours vs vapor/multipart-kit on the same bytes (package-benchmark)
#   2. uploads over loopback: ours vs nginx-light, plus peak RSS flatness (needs root for nginx)
set -euo pipefail
cd "$(dirname "$0")"
echo "== multipart parse (ours vs multipart-kit) =="
./multipart-ratio.sh
echo
echo "== uploads over loopback (ours vs nginx) and memory =="
./upload/run.sh
