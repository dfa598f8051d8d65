#!/usr/bin/env bash
# Issue 5's figures, all against the same private PostgreSQL (scripts/pg) in one run:
#   1. rows/s and MB/s of realistic rows (≈ 4 KiB text + 2 KiB JSONB + metadata) through the Sink into
#      `documents`, against `psql \copy` of the same rows from a CSV file, and against one INSERT per row
#      (what the Python service did: psql running single-row INSERTs in autocommit). The peers write into
#      tables shaped like `documents` (LIKE … INCLUDING ALL: primary key, unique index, checks).
#   2. the Sink's client CPU per 1,000 rows (process CPU, row generation measured apart and subtracted)
#   3. memory across a long run: RSS sampled every tenth of ROWS_LONG rows (default 1,000,000)
# Each database is fresh; the cluster is the same. Results: Benchmarks/results/sink-*.txt
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/opt/swift/usr/bin:$PATH
ROWS="${ROWS:-100000}"
ROWS_INSERT="${ROWS_INSERT:-5000}"
ROWS_LONG="${ROWS_LONG:-1000000}"
SCRATCH_PATH="${SCRATCH_PATH:-.build}"
out="Benchmarks/results/sink-$(date -u +%Y%m%dT%H%M%SZ).txt"
mkdir -p Benchmarks/results
work="$(mktemp -d /var/tmp/sink-bench.XXXXXX)"
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

scripts/install-deps.sh bench
swift build -c release --product resume-ingest --scratch-path "$SCRATCH_PATH"
bin="$SCRATCH_PATH/release/resume-ingest"
# shellcheck source=../database.sh
source Benchmarks/database.sh
seconds() { /usr/bin/python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$@"; }
now() { date +%s.%N; }

{
echo "# Sink benchmark $(date -u +%FT%TZ) on $(nproc) cores; PostgreSQL $(psql -X -At "$admin" -c 'show server_version')"
echo "# rows: $ROWS (Sink, psql \\copy), $ROWS_INSERT (per-row INSERT), $ROWS_LONG (memory run)"

# --- psql \copy of the same rows from CSV --------------------------------------------------------------
url="$(fresh sink_bench_copy)"
tenant="$(psql -X -At "$url" -c "SELECT id FROM tenants WHERE slug = 'default'")"
psql -X -q "$url" -c "CREATE TABLE peer (LIKE documents INCLUDING ALL)"
"$bin" sink-bench --rows "$ROWS" --emit-csv "$work/rows.csv" --tenant-id "$tenant"
csv_bytes=$(stat -c %s "$work/rows.csv")
psql -X -q "$admin" -c "CHECKPOINT" >/dev/null
t0=$(now)
columns='id, tenant_id, batch_id, content_sha256, filename, declared_type, detected_type, size_bytes, status, extractor, ocr_used, page_count, text_chars, text, parsed, provider, model, prompt_tokens, completion_tokens, cached_tokens, cost_usd, error_code, error_detail, warnings, received_at'
psql -X -q "$url" -c "\\copy peer ($columns) FROM '$work/rows.csv' CSV"
t1=$(now)
copy_s=$(seconds "$t0" "$t1")
copy_rows=$(psql -X -At "$url" -c "SELECT count(*) FROM peer")
echo "psql \\copy:        $copy_rows rows in ${copy_s}s = $(/usr/bin/python3 -c "print(round($copy_rows/$copy_s))") rows/s, $(/usr/bin/python3 -c "print(round($csv_bytes/$copy_s/1e6,1))") MB/s of CSV ($((csv_bytes / 1048576)) MiB)"
rm -f "$work/rows.csv"

# --- the Sink ----------------------------------------------------------------------------------------------
url="$(fresh sink_bench_sink)"
psql -X -q "$admin" -c "CHECKPOINT" >/dev/null
sink_json="$("$bin" sink-bench --rows "$ROWS" --database-url "$url" --log-level warning)"
echo "sink:              $sink_json"
sink_rows=$(psql -X -At "$url" -c "SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug='default'), false)" -c "SELECT count(*) FROM documents" | tail -1)
echo "sink rows in documents: $sink_rows"

# --- one INSERT per row ------------------------------------------------------------------------------------
url="$(fresh sink_bench_insert)"
psql -X -q "$url" -c "CREATE TABLE peer (LIKE documents INCLUDING ALL)"
"$bin" sink-bench --rows "$ROWS_INSERT" --emit-inserts "$work/inserts.sql" --tenant-id "$tenant"
psql -X -q "$admin" -c "CHECKPOINT" >/dev/null
t0=$(now)
psql -X -q "$url" -v ON_ERROR_STOP=1 -f "$work/inserts.sql" >/dev/null
t1=$(now)
insert_s=$(seconds "$t0" "$t1")
insert_rows=$(psql -X -At "$url" -c "SELECT count(*) FROM peer")
echo "per-row INSERT:    $insert_rows rows in ${insert_s}s = $(/usr/bin/python3 -c "print(round($insert_rows/$insert_s))") rows/s (psql -f, autocommit)"
# The same statements from Python with psycopg2, one execute and one commit per row: the service this replaces.
psql -X -q "$url" -c "TRUNCATE peer"
py_out="$(/usr/bin/python3 - "$url" "$work/inserts.sql" <<'PY'
import re, sys, time, psycopg2
conn = psycopg2.connect(sys.argv[1])
cur = conn.cursor()
# One statement per row; their text spans lines, so split where the next INSERT begins.
statements = re.split(r";\n(?=INSERT INTO )", open(sys.argv[2], encoding="utf-8").read().rstrip().rstrip(";"))
t0 = time.monotonic()
for statement in statements:
    cur.execute(statement)
    conn.commit()
t1 = time.monotonic()
print(len(statements), t1 - t0)
PY
)"
read -r py_rows py_s <<<"$py_out"
echo "per-row INSERT:    $py_rows rows in ${py_s}s = $(/usr/bin/python3 -c "print(round($py_rows/$py_s))") rows/s (Python psycopg2, commit per row)"

/usr/bin/python3 - "$sink_json" "$copy_rows" "$copy_s" "$insert_rows" "$insert_s" "$py_rows" "$py_s" <<'PY'
import json, sys
sink = json.loads(sys.argv[1])
copy_rate = int(sys.argv[2]) / float(sys.argv[3])
insert_rate = int(sys.argv[4]) / float(sys.argv[5])
py_rate = int(sys.argv[6]) / float(sys.argv[7])
print(f"RATIO sink / psql \\copy:                    {sink['rows_per_second'] / copy_rate:.2f}  (goal >= 0.9)")
print(f"RATIO sink / per-row INSERT (psql -f):      {sink['rows_per_second'] / insert_rate:.1f}  (goal >= 20)")
print(f"RATIO sink / per-row INSERT (psycopg2):     {sink['rows_per_second'] / py_rate:.1f}  (goal >= 20)")
print(f"sink client CPU per 1,000 rows: {sink['sink_cpu_ms_per_1000_rows']:.1f} ms "
      f"(row generation {sink['generation_cpu_ms_per_1000_rows']:.1f} ms, subtracted)")
PY

# --- memory across a long run ------------------------------------------------------------------------------
if [[ "$ROWS_LONG" -gt 0 ]]; then
    url="$(fresh sink_bench_long)"
    long_json="$("$bin" sink-bench --rows "$ROWS_LONG" --database-url "$url" --log-level warning --samples 10)"
    echo "long run:          $long_json"
    /usr/bin/python3 - "$long_json" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
s = r["rss_mb_samples"]
print(f"RSS over {int(r['rows']):,} rows (MB, every tenth): {s}; growth after the first tenth: {s[-1] - s[0]:+.1f} MB; "
      f"{r['rows_per_second']:.0f} rows/s")
PY
    psql -X -q "$admin" -c "DROP DATABASE IF EXISTS sink_bench_long WITH (FORCE)" >/dev/null
fi
for db in sink_bench_copy sink_bench_sink sink_bench_insert; do
    psql -X -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
done
} 2>&1 | tee "$out"
echo "results: $out"
