#!/usr/bin/env bash
# Issue 9's figures, in one run on this machine, against the private PostgreSQL (scripts/pg):
#   1. `import` of the 2,000-document mix without scans (rules parser) against `extract --quiet` on the same
#      files: documents/s ratio (goal >= 0.9: the spool, parser and database cost at most 10%). Alternating
#      rounds, median.
#   2. the same kind of import as one .tar.zst of MEMORY_DOCS documents (default 10,000): RSS of the import
#      process at every 1,000 committed rows.
#   3. upload -> committed row latency, p50 and p99, at half the sustained rate (the import rate of 1.),
#      open loop, one file per request: `received_at` (acknowledged) to `updated_at` (the Sink's transaction).
#   4. crash test: the suite's SIGKILL x5 under upload load (Tests/PipelineTests/CrashTests.swift): acknowledged
#      uploads lost, rows duplicated.
#   5. restart reuse: import REUSE_DOCS documents (default 500) through llm-sim, SIGKILL half-way, import
#      again: resumes the LLM is sent again although their content was committed (goal 0).
# Results: Benchmarks/results/pipeline-*.txt
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/opt/swift/usr/bin:$PATH
MIX="${MIX:-.data/bench-data/mix-noscan}"
MIX10K="${MIX10K:-.data/bench-data/mix10k-noscan}"
ROUNDS="${ROUNDS:-2}"
MEMORY_DOCS="${MEMORY_DOCS:-10000}"
REUSE_DOCS="${REUSE_DOCS:-500}"
LATENCY_DOCS="${LATENCY_DOCS:-600}"
SCRATCH_PATH="${SCRATCH_PATH:-.build}"
PARTS="${PARTS:-1 2 3 4 5}"   # which of the five figures to measure (3 needs 1's rate, else RATE)
part() { [[ " $PARTS " == *" $1 "* ]]; }
out="Benchmarks/results/pipeline-$(date -u +%Y%m%dT%H%M%SZ).txt"
mkdir -p Benchmarks/results
work="$(mktemp -d /var/tmp/pipeline-bench.XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

scripts/install-deps.sh bench
[[ -d "$MIX/files" ]] || /usr/bin/python3 bench-data/generate.py --set mix --count 2000 --no-scans --out "$MIX"
swift build -c release --product resume-ingest --scratch-path "$SCRATCH_PATH"
bin="$SCRATCH_PATH/release/resume-ingest"
# shellcheck source=../database.sh
source Benchmarks/database.sh
rows() { # rows URL [WHERE]: documents of the default tenant
    psql -X -At "$1" -c "SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false)" \
        -c "SELECT count(*) FROM documents ${2:-}" | tail -1
}
now() { date +%s.%N; }
calc() { /usr/bin/python3 -c "import sys; print($1)"; }
files="$MIX/files"
count=$(find "$files" -type f | wc -l)

{
echo "# pipeline benchmark $(date -u +%FT%TZ) on $(nproc) cores; PostgreSQL $(psql -X -At "$admin" -c 'show server_version')"
echo "# corpus: $files ($count documents, $(du -sh "$files" | cut -f1)); rules parser (no OPENAI_API_KEY)"

# --- 1. import vs extract -----------------------------------------------------------------------------
if part 1; then
ratios=()
for round in $(seq 1 "$ROUNDS"); do
    t0=$(now)
    "$bin" extract --quiet "$files" >/dev/null 2>"$work/extract.log"
    t1=$(now)
    url="$(fresh pipeline_bench)"
    rm -rf "$work/spool"
    t2=$(now)
    env -u OPENAI_API_KEY DATABASE_URL="$url" IMPORT_SPOOL_DIR="$work/spool" LOG_LEVEL=warning \
        "$bin" import --quiet --json "$files" >"$work/import.json" 2>"$work/import.log"
    t3=$(now)
    extract_s=$(calc "$t1 - $t0")
    import_s=$(calc "$t3 - $t2")
    ratio=$(calc "$extract_s / $import_s")
    ratios+=("$ratio")
    echo "round $round: extract --quiet $(calc "round($count / $extract_s, 1)") docs/s ($(calc "round($extract_s, 1)") s)," \
        "import $(calc "round($count / $import_s, 1)") docs/s ($(calc "round($import_s, 1)") s): ratio $(calc "round($ratio, 3)")" \
        "— rows $(rows "$url"), $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["parsed"], "parsed,", d["failed"], "failed")' "$work/import.json")"
    import_rate=$(calc "$count / $import_s")
done
median=$(printf '%s\n' "${ratios[@]}" | sort -g | python3 -c 'import sys,statistics; print(round(statistics.median(float(x) for x in sys.stdin), 3))')
echo "import / extract --quiet, docs/s: median ratio $median over $ROUNDS rounds (goal >= 0.9)"
fi

# --- 2. RSS over a long import of one .tar.zst --------------------------------------------------------
if part 2; then
src="$files"
if [[ -d "$MIX10K/files" ]]; then src="$MIX10K/files"; fi
n=$(find "$src" -type f | sed -n "1,${MEMORY_DOCS}p" | wc -l)
(cd "$src" && find . -type f | sort | sed -n "1,${MEMORY_DOCS}p" | tar -cf - -T - | zstd -q -T0 -o "$work/corpus.tar.zst")
url="$(fresh pipeline_memory)"
rm -rf "$work/spool"
env -u OPENAI_API_KEY DATABASE_URL="$url" IMPORT_SPOOL_DIR="$work/spool" LOG_LEVEL=warning \
    "$bin" import --quiet "$work/corpus.tar.zst" 2>"$work/memory.log" &
pid=$!
pids+=("$pid")
next=1000
line="RSS (MiB) at committed rows:"
peak=0
while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status" 2>/dev/null || echo 0)
    ((rss > peak)) && peak=$rss
    done_rows=$(rows "$url" 2>/dev/null || echo 0)
    while ((done_rows >= next)); do line+=" ${next}:${rss}"; next=$((next + 1000)); done
    sleep 0.5
done
wait "$pid" || true
echo "$line"
echo "one .tar.zst of $n documents ($(du -h "$work/corpus.tar.zst" | cut -f1)): rows $(rows "$url"), peak RSS ${peak} MiB"
fi

# --- 3. upload -> committed row latency at half the sustained rate -------------------------------------
if part 3; then
url="$(fresh pipeline_latency)"
rm -rf "$work/spool"
port=18480
env -u OPENAI_API_KEY DATABASE_URL="$url" SPOOL_DIR="$work/spool" LOG_LEVEL=warning \
    "$bin" serve --host 127.0.0.1 --port "$port" 2>"$work/serve.log" &
spid=$!
pids+=("$spid")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
import_rate="${RATE:-${import_rate:-50}}"
rate=$(calc "round($import_rate / 2, 2)")
/usr/bin/python3 - "$files" "$port" "$rate" "$LATENCY_DOCS" <<'PY'
import os, sys, time, threading, http.client, uuid
files, port, rate, n = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
paths = sorted(os.path.join(files, f) for f in os.listdir(files))[:n]
lock = threading.Lock(); status = {}
def post(path):
    boundary = uuid.uuid4().hex
    data = open(path, "rb").read()
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{os.path.basename(path)}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("POST", "/api/v1/bulk-parse-resumes", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    s = c.getresponse().status
    with lock: status[s] = status.get(s, 0) + 1
start = time.monotonic(); threads = []
for i, p in enumerate(paths):   # open loop: each request at its intended time, whatever the others do
    delay = start + i / rate - time.monotonic()
    if delay > 0: time.sleep(delay)
    t = threading.Thread(target=post, args=(p,)); t.start(); threads.append(t)
for t in threads: t.join()
print(f"sent {len(paths)} uploads at {rate}/s open loop: statuses {status}", file=sys.stderr)
PY
for _ in $(seq 600); do [[ -z "$(ls -A "$work/spool/incoming" 2>/dev/null)" ]] && break; sleep 0.2; done
kill -TERM "$spid"; wait "$spid" || true
psql -X -At "$url" -c "SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false)" -c "
    SELECT 'upload -> committed row at ' || '$rate' || ' uploads/s (half of ' || round($import_rate::numeric, 1) || '): '
        || count(*) || ' rows, p50 ' || round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 0)
        || ' ms, p99 ' || round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 0) || ' ms, max '
        || round(max(ms)::numeric, 0) || ' ms'
    FROM (SELECT extract(epoch FROM updated_at - received_at) * 1000 AS ms FROM documents) d" | tail -1
fi

# --- 4. crash test ----------------------------------------------------------------------------------------
if part 4; then
swift build --build-tests >/dev/null 2>&1
swift test --skip-build --filter CrashTests 2>&1 | grep -aE "crash test:|✘ Test|✔ Test"
fi

# --- 5. restart reuse through llm-sim ---------------------------------------------------------------------
if part 5; then
subset="$work/reuse"
mkdir -p "$subset"
find "$files" -type f | sort | sed -n "1,${REUSE_DOCS}p" | xargs -I{} cp {} "$subset/"
url="$(fresh pipeline_reuse)"
rm -rf "$work/spool"
sim() { # sim PORT LOG: llm-sim with limits that do not bind, a real model's latency shape; pid in $simpid
    "$bin" llm-sim --port "$1" --rpm 100000 --tpm 100000000 --latency-base-ms 200 --latency-per-token-ms 1 \
        >/dev/null 2>"$2" &
    simpid=$!
    pids+=("$simpid")
    for _ in $(seq 50); do curl -s "http://127.0.0.1:$1/v1/models" >/dev/null 2>&1 && break; sleep 0.1; done
}
# exec: in the background the function's subshell becomes the import itself, so $! is the import's pid.
llm() { exec env DATABASE_URL="$url" IMPORT_SPOOL_DIR="$work/spool" LOG_LEVEL=warning OPENAI_API_KEY=sk-bench \
    OPENAI_BASE_URL="http://127.0.0.1:$1/v1" "$bin" import --quiet --json "$subset"; }
sim 18491 "$work/sim1.log"; sim1=$simpid
llm 18491 >"$work/reuse1.json" 2>"$work/reuse1.log" &
ipid=$!
half=$((REUSE_DOCS / 2))
while kill -0 "$ipid" 2>/dev/null && (($(rows "$url") < half)); do sleep 0.2; done
kill -9 "$ipid" 2>/dev/null || true; wait "$ipid" 2>/dev/null || true
committed=$(rows "$url"); openai_before=$(rows "$url" "WHERE provider = 'openai'")
kill -TERM "$sim1"; wait "$sim1" 2>/dev/null || true
sim 18492 "$work/sim2.log"; sim2=$simpid
(llm 18492 >"$work/reuse2.json" 2>"$work/reuse2.log") || true
kill -TERM "$sim2"; wait "$sim2" 2>/dev/null || true
openai_after=$(rows "$url" "WHERE provider = 'openai'")
sent=$(grep -o 'documents=[0-9]*' "$work/sim2.log" | tail -1 | cut -d= -f2)
reused=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reused"])' "$work/reuse2.json")
echo "restart reuse: $REUSE_DOCS documents, killed after $committed rows ($openai_before parsed by the LLM);" \
    "second run: $reused reused, $sent resumes sent to the LLM for $((openai_after - openai_before)) new parsed rows;" \
    "resumes of committed content sent again: $((sent - (openai_after - openai_before)))"
fi

} | tee "$out"
echo "results: $out"
