#!/usr/bin/env bash
# Issue 12's figures (tenants, the results API), each against a named peer in the same run:
#   1. auth cost: engine CPU per request of GET /api/v1/tenant with an API key, with a JWT (the same token,
#      and a new token every request), against the same route without auth (no key issued yet: open mode)
#   2. fair share: p50/p99 upload→row latency of tenant B's single uploads while tenant A's 10,000-document
#      import is in the spool, against B alone (same engine, same files' kind)
#   3. results export: NDJSON rows/s from GET /api/v1/batches/{id}/results against psql \copy of the same rows
# Writes Benchmarks/results/api-<time>.txt. Needs the release build, the private PostgreSQL and wrk.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/opt/swift/usr/bin:$PATH
DURATION="${DURATION:-10}"
IMPORT_COUNT="${IMPORT_COUNT:-10000}"
B_UPLOADS="${B_UPLOADS:-120}"
B_INTERVAL="${B_INTERVAL:-0.25}"
SCRATCH_PATH="${SCRATCH_PATH:-.build}"
out="Benchmarks/results/api-$(date -u +%Y%m%dT%H%M%SZ).txt"
mkdir -p Benchmarks/results
work="$(mktemp -d)"
engine_pid=""
cleanup() { [[ -n "$engine_pid" ]] && kill "$engine_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

scripts/install-deps.sh bench
swift build -c release --product resume-ingest --scratch-path "$SCRATCH_PATH"
bin="$SCRATCH_PATH/release/resume-ingest"
source Benchmarks/database.sh
secret="bench-jwt-secret-0123456789abcdef0123456789"

serve() { # serve DB_URL SPOOL [ENV…]: starts the engine, sets $engine_pid and $port
    local url="$1" spool="$2"; shift 2
    env DATABASE_URL="$url" SPOOL_DIR="$spool" LOG_LEVEL=warning "$@" \
        "$bin" serve --host 127.0.0.1 --port 0 --log-level info > "$work/serve.log" 2>&1 &
    engine_pid=$!
    for _ in $(seq 1 300); do
        port=$(grep -o 'port=[0-9]*' "$work/serve.log" | head -1 | cut -d= -f2 || true)
        [[ -n "$port" ]] && return 0
        sleep 0.1
    done
    echo "serve did not start"; cat "$work/serve.log"; exit 1
}
stop() { kill -TERM "$engine_pid"; wait "$engine_pid" 2>/dev/null || true; engine_pid=""; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$engine_pid/stat"; }

# wrk_cpu NAME SCRIPT: DURATION s of GET /api/v1/tenant at 4 connections; prints name, requests, req/s, µs CPU/req
wrk_cpu() {
    local name="$1" script="$2" before after requests
    before=$(cpu_ticks)
    wrk -t1 -c4 -d"${DURATION}s" -s "$script" "http://127.0.0.1:$port/api/v1/tenant" > "$work/wrk.txt"
    after=$(cpu_ticks)
    requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.txt")
    python3 - "$name" "$requests" "$((after - before))" "$DURATION" "${non2xx:-0}" "$(getconf CLK_TCK)" <<'PY'
import sys
name, n, ticks, seconds, bad, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
print(f"{name:<34} {n:>8} requests  {n/seconds:>8.0f}/s  engine CPU {ticks/hz*1e6/max(n,1):6.1f} µs/request  non-2xx {bad}")
if bad:
    sys.exit(f"{name}: {bad} answers were not 2xx")
PY
}

{
echo "# api benchmarks $(date -u +%FT%TZ) on $(nproc) cores, commit $(git rev-parse --short HEAD)"
echo
echo "## 1. auth cost: GET /api/v1/tenant, wrk 1 thread 4 connections ${DURATION}s; engine CPU from /proc"
db=$(fresh api_bench_auth)
serve "$db" "$work/spool1"
cat > "$work/none.lua" <<'LUA'
LUA
wrk_cpu "no auth (open mode, peer)" "$work/none.lua"
key=$(DATABASE_URL="$db" "$bin" tenant create bench --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
sleep 6   # the engine re-reads "keys issued" every AUTH_CACHE_SECONDS (5)
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$key" > "$work/key.lua"
wrk_cpu "API key" "$work/key.lua"
stop
serve "$db" "$work/spool1" JWT_SECRET="$secret"
wrk_cpu "API key (JWT_SECRET set)" "$work/key.lua"
python3 - "$secret" "$work/tokens.txt" 400000 <<'PY'
import base64, hashlib, hmac, json, sys, time
secret, path, count = sys.argv[1].encode(), sys.argv[2], int(sys.argv[3])
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
exp = int(time.time()) + 3600
with open(path, "w") as f:
    for i in range(count):
        body = b64(json.dumps({"tenant": "bench", "exp": exp, "jti": str(i)}).encode())
        sig = b64(hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
        f.write(f"{head}.{body}.{sig}\n")
PY
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$(head -1 "$work/tokens.txt")" > "$work/jwt.lua"
wrk_cpu "JWT, the same token (cached)" "$work/jwt.lua"
cat > "$work/jwts.lua" <<LUA
local tokens = {}
for line in io.lines("$work/tokens.txt") do tokens[#tokens + 1] = line end
local i = 0
request = function()
    i = i + 1
    return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. tokens[(i % #tokens) + 1] })
end
LUA
wrk_cpu "JWT, a new token every request" "$work/jwts.lua"
stop
echo

echo "## 2. fair share: tenant B's single uploads (one file every ${B_INTERVAL}s, $B_UPLOADS uploads), alone and while tenant A's $IMPORT_COUNT-document import is queued"
db=$(fresh api_bench_fair)
serve "$db" "$work/spool2" SINK_BATCH_AGE_MS=100
akey=$(DATABASE_URL="$db" "$bin" tenant create bulk --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
bkey=$(DATABASE_URL="$db" "$bin" tenant create interactive --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
ls .data/bench-data/mix10k-noscan/files | sed -n "1,${IMPORT_COUNT}p" > "$work/a.txt"
tar -cf "$work/a.tar" -C .data/bench-data/mix10k-noscan/files -T "$work/a.txt"
# B's files: another generated set, none with the same bytes as A's (a copy would be reused, not processed).
python3 - .data/bench-data/mix10k-noscan/files "$work/a.txt" .data/bench-data/mix-noscan/files "$((2 * B_UPLOADS))" > "$work/b.txt" <<'PY'
import hashlib, os, sys
a_dir, a_list, b_dir, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sha = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
taken = {sha(os.path.join(a_dir, l.strip())) for l in open(a_list)}
out = []
for name in sorted(os.listdir(b_dir)):
    p = os.path.join(b_dir, name)
    h = sha(p)
    if h not in taken:
        taken.add(h)
        out.append(p)
    if len(out) == n:
        break
print("\n".join(out))
PY
b_phase() { # b_phase FIRST_LINE: B_UPLOADS single uploads from b.txt; prints their ids to stdout
    # The uploads' own subshell waits for them (a bare `wait` here would wait for the engine too).
    sed -n "$1,$(($1 + B_UPLOADS - 1))p" "$work/b.txt" | {
        while read -r f; do
            curl -sS -H "Authorization: Bearer $bkey" -F "files=@$f" "http://127.0.0.1:$port/api/v1/bulk-parse-resumes" \
                | python3 -c 'import json,sys; print(json.load(sys.stdin)["files"][0]["id"])' &
            sleep "$B_INTERVAL"
        done
        wait
    }
}
latency() { # latency IDS_FILE LABEL: waits for the rows, prints p50/p99 of updated_at - received_at
    for _ in $(seq 1 1200); do
        n=$(psql -X -At "$db" -c "SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug='interactive'), false)" \
            -c "SELECT count(*) FROM documents WHERE id = ANY('{$(paste -sd, "$1")}'::uuid[])" | tail -1)
        [[ "$n" -ge "$(wc -l < "$1")" ]] && break
        sleep 0.5
    done
    psql -X -At "$db" -c "SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug='interactive'), false)" -c "
        SELECT '$2' || ': ' || count(*) || ' rows, upload→row p50 ' ||
               round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)) || ' ms, p99 ' ||
               round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)) || ' ms, max ' || round(max(ms)) || ' ms'
        FROM (SELECT extract(epoch FROM updated_at - received_at) * 1000 AS ms FROM documents
              WHERE id = ANY('{$(paste -sd, "$1")}'::uuid[])) x" | tail -1
}
b_phase 1 > "$work/b-alone.ids"
latency "$work/b-alone.ids" "B alone (peer)"
abatch=$(curl -sS -H "Authorization: Bearer $akey" --data-binary "@$work/a.tar" \
    "http://127.0.0.1:$port/api/v1/imports?filename=a.tar" | python3 -c 'import json,sys; print(json.load(sys.stdin)["batch_id"])')
# Until the archive is read into the spool (its batch sealed), then B uploads while A's documents queue.
for _ in $(seq 1 600); do
    sealed=$(curl -sS -H "Authorization: Bearer $akey" "http://127.0.0.1:$port/api/v1/batches/$abatch?items_limit=1" \
        | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("sealed"), d["counts"]["queued"])')
    [[ "$sealed" == True* ]] && break
    sleep 0.5
done
echo "A's import read into the spool: sealed, queued $(echo "$sealed" | cut -d' ' -f2)"
b_phase $((B_UPLOADS + 1)) > "$work/b-busy.ids"
latency "$work/b-busy.ids" "B during the import of A"
queued=$(curl -sS -H "Authorization: Bearer $akey" "http://127.0.0.1:$port/api/v1/batches/$abatch?items_limit=1" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["counts"]["queued"])')
echo "A's documents still queued when B's last row landed: $queued"
echo

echo "## 3. results export: A's batch ($IMPORT_COUNT documents) as NDJSON, against psql \\copy of the same rows"
for _ in $(seq 1 3600); do
    done_=$(curl -sS -H "Authorization: Bearer $akey" "http://127.0.0.1:$port/api/v1/batches/$abatch?items_limit=1" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["completed"])')
    [[ "$done_" == True ]] && break
    sleep 1
done
tid=$(psql -X -At "$db" -c "SELECT id FROM tenants WHERE slug = 'bulk'")
export_api() {
    local cursor="" rows=0 start end
    start=$(date +%s.%N)
    while :; do
        curl -sS -D "$work/h" -o "$work/page" -H "Authorization: Bearer $akey" \
            "http://127.0.0.1:$port/api/v1/batches/$abatch/results?limit=10000${cursor:+&cursor=$cursor}"
        rows=$((rows + $(wc -l < "$work/page")))
        cursor=$(awk 'tolower($1) == "next-cursor:" {print $2}' "$work/h" | tr -d '\r')
        [[ -z "$cursor" ]] && break
    done
    end=$(date +%s.%N)
    python3 -c "print(f'NDJSON /results: {$rows} rows in {$end - $start:.3f} s = {$rows / ($end - $start):.0f} rows/s')"
}
export_psql() {
    local start end rows
    start=$(date +%s.%N)
    rows=$(psql -X -At "$db" -c "SELECT set_config('app.tenant_id', '$tid', false)" -c "\\copy (
        SELECT i.id, d.id, i.batch_id, i.filename, i.declared_type, d.detected_type, i.size_bytes,
               encode(i.content_sha256, 'hex'), coalesce(d.status, 'queued'), d.parsed, d.error_code, d.error_detail,
               d.extractor, d.ocr_used, d.page_count, d.text_chars, d.provider, d.model, d.prompt_tokens,
               d.completion_tokens, d.cost_usd, d.warnings, i.received_at, d.updated_at
        FROM batch_items i LEFT JOIN documents d ON d.tenant_id = i.tenant_id AND d.content_sha256 = i.content_sha256
        WHERE i.batch_id = '$abatch' ORDER BY i.id) TO STDOUT" | tail -n +2 | wc -l)
    end=$(date +%s.%N)
    python3 -c "print(f'psql \\\\copy (peer):  {$rows} rows in {$end - $start:.3f} s = {$rows / ($end - $start):.0f} rows/s')"
}
for run in 1 2 3; do export_api; export_psql; done
stop
} 2>&1 | tee "$out"
echo "wrote $out"
