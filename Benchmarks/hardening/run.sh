#!/usr/bin/env bash
# Hardening measurements (issue 11) against a release `serve` on loopback, without a database (the findings are
# in front of it). Results: Benchmarks/results/hardening-*.txt
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/opt/swift/usr/bin:$PATH
swift build -c release --product resume-ingest >/dev/null
work="$(mktemp -d /var/tmp/hardening.XXXXXX)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SPOOL_DIR="$work/spool" PORT=$port HOST=127.0.0.1 .build/release/resume-ingest serve >"$work/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
out="Benchmarks/results/hardening-$(date -u +%Y%m%dT%H%M%SZ).txt"
mkdir -p Benchmarks/results
{
    echo "# hardening measurements, commit $(git rev-parse --short HEAD), $(date -u +%FT%TZ)"
    echo "## finding 1: zstd amplification"
    python3 Benchmarks/hardening/zstd_amplification.py "$port" "$pid"
} | tee "$out"
