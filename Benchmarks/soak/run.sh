#!/usr/bin/env bash
# The bounded chaos soak (issue 11): `make soak`, SOAK_SECONDS of traffic (default 600: a quarter baseline, the
# rest under attack), then a drain of at most SOAK_DRAIN_SECONDS, then the figures. Everything on loopback, every
# process started here stopped on exit. See Benchmarks/soak/README.md.
#   SOAK_SECONDS        traffic time, baseline included (default 600)
#   SOAK_DRAIN_SECONDS  longest wait for the engine to store every acknowledged upload (default 600)
#   SOAK_CLIENTS        legitimate closed-loop clients (default 2)
#   SOAK_LLM_RPM        llm-sim's requests per minute (default 60; the engine believes 500 until told)
#   SOAK_LLM_ERRORS     llm-sim's share of 500/503 answers (default 0.1), SOAK_LLM_DROPS closed mid-answer (0.02)
#   SOAK_EXTRACT_TIMEOUT_MS  the converters' wall-clock limit (default 5000; the hanging stub sleeps a day)
#   SOAK_SKIP_BUILD=1   use the release binary as it is
# Exit status: 0 when every goal is met, 1 when one is missed, 2 when the soak could not run.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/opt/swift/usr/bin:$PATH
SOAK_SECONDS="${SOAK_SECONDS:-600}"
SOAK_DRAIN_SECONDS="${SOAK_DRAIN_SECONDS:-600}"
SOAK_CLIENTS="${SOAK_CLIENTS:-2}"
SOAK_LLM_RPM="${SOAK_LLM_RPM:-60}"
SOAK_LLM_ERRORS="${SOAK_LLM_ERRORS:-0.1}"
SOAK_LLM_DROPS="${SOAK_LLM_DROPS:-0.02}"
SOAK_EXTRACT_TIMEOUT_MS="${SOAK_EXTRACT_TIMEOUT_MS:-5000}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="Benchmarks/results/soak-$stamp.txt"
mkdir -p Benchmarks/results
work="$(mktemp -d /var/tmp/soak.XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    sleep 1
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    # The hanging stub's sleeps, should the engine have left any: found by their exact command line, ended by pid.
    for f in /proc/[0-9]*/cmdline; do
        if [[ "$(tr '\0' ' ' 2>/dev/null <"$f")" == "sleep 86399 " ]]; then
            p="${f#/proc/}"
            kill -KILL "${p%/cmdline}" 2>/dev/null || true
        fi
    done
    rm -rf "$work"
    # The private cluster is left as found: stopped again if this run started it.
    if [[ "${pg_was_running:-yes}" == no ]]; then scripts/pg stop || true; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

scripts/install-deps.sh soak
if [[ "${SOAK_SKIP_BUILD:-0}" != 1 ]]; then
    swift build -c release --product resume-ingest
fi
bin=.build/release/resume-ingest
[[ -x "$bin" ]] || { echo "soak: no $bin" >&2; exit 2; }
if scripts/pg status >/dev/null 2>&1; then pg_was_running=yes; else pg_was_running=no; fi
# shellcheck source=../database.sh
source Benchmarks/database.sh
url="$(fresh soak)"

# The private cluster's data directory and binaries, for `pg_ctl restart -m fast` mid-run.
pgdata="$(readlink -m .data/pg)"
pgbin="/usr/lib/postgresql/$(cat "$pgdata/PG_VERSION")/bin"
if [[ $(id -u) -eq 0 ]]; then as_pg="runuser -u postgres --"; else as_pg=""; fi
pg_restart="cd / && $as_pg $pgbin/pg_ctl restart -s -w -t 60 -m fast -D $pgdata -l $pgdata/postgresql.log"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port="$(free_port)"
llm_port="$(free_port)"

# A converter that hangs: an `unrtf` first on EXTRACT_PATH that sleeps a day in a child (a grandchild of serve)
# and waits for it. RTF documents then reach EXTRACT_TIMEOUT_MS, and their process group must be killed.
mkdir -p "$work/stub-bin"
cat >"$work/stub-bin/unrtf" <<'EOF'
#!/bin/sh
sleep 86399 &
wait
EOF
chmod 755 "$work/stub-bin/unrtf"

"$bin" llm-sim --port "$llm_port" --rpm "$SOAK_LLM_RPM" --tpm 100000000 --error-rate "$SOAK_LLM_ERRORS" \
    --drop-rate "$SOAK_LLM_DROPS" --latency-base-ms 200 --latency-per-token-ms 0.2 --latency-jitter 0.3 \
    >"$work/llm-sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -s "http://127.0.0.1:$llm_port/v1/models" >/dev/null 2>&1 && break; sleep 0.1; done

mkdir -p "$work/spool"
env DATABASE_URL="$url" SPOOL_DIR="$work/spool" LOG_LEVEL=warning HOST=127.0.0.1 PORT="$port" \
    EXTRACT_PATH="$work/stub-bin:/usr/local/bin:/usr/bin:/bin" EXTRACT_TIMEOUT_MS="$SOAK_EXTRACT_TIMEOUT_MS" \
    OPENAI_API_KEY=sk-soak OPENAI_BASE_URL="http://127.0.0.1:$llm_port/v1" \
    "$bin" serve >"$work/serve.log" 2>&1 &
spid=$!
pids+=("$spid")
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/health" >/dev/null || { tail -20 "$work/serve.log" >&2; exit 2; }

set +e
python3 Benchmarks/soak/driver.py --port "$port" --serve-pid "$spid" --database-url "$url" \
    --files bench-data/sample/files --spool "$work/spool" --pg-restart "$pg_restart" \
    --llm-port "$llm_port" --llm-rpm "$SOAK_LLM_RPM" --pg-port "$(scripts/pg url | sed 's/.*:\([0-9]*\)\/.*/\1/')" \
    --seconds "$SOAK_SECONDS" --drain-seconds "$SOAK_DRAIN_SECONDS" --clients "$SOAK_CLIENTS" \
    --summary "$work/summary.json"
status=$?
set -e
kill -0 "$spid" 2>/dev/null && serve_alive=yes || serve_alive="NO (exited: see the log tail below)"
[[ -f "$work/summary.json" ]] || { echo "soak: the driver wrote no figures (exit $status)" >&2; tail -30 "$work/serve.log" >&2; exit 2; }

python3 - "$work/summary.json" "$SOAK_SECONDS" "$serve_alive" "$stamp" >"$out" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
g = s["goals"]
print(f"# chaos soak {sys.argv[4]}: {sys.argv[2]} s of traffic (a quarter baseline), serve alive at the end: {sys.argv[3]}")
print(f"acknowledged uploads lost:            {g['acknowledged uploads lost']}  (goal 0; of {s['acknowledged files']} acknowledged files {s['acknowledged by client kind']})")
print(f"duplicated rows:                      {g['duplicated rows']}  (goal 0)")
print(f"smuggling payloads accepted:          {g['smuggling payloads accepted']}  (goal 0)")
print(f"cut/slow/bomb uploads stored:         {g['refused/cut/slow uploads stored (DISCONNECT-, SLOWBODY-, ZBOMB-)']}  (goal 0)")
print(f"rows no client was acknowledged for:  {g['rows not acknowledged (unknown to any client)']}  (goal 0; plus {s['rows whose client gave up before the answer (stored, fine)']} whose legitimate client gave up before the answer)")
print(f"peak RSS of serve (VmHWM):            {s['peak RSS VmHWM KiB'] // 1024} MiB  (RSS start/end/max sampled KiB: {s['RSS KiB at start / end / max sampled']})")
b, a, m = s["descriptors before / after / max sampled"]
print(f"open descriptors of serve:            before {b}, after {a} (idle), max sampled {m}  (goal: equal)")
cls = s["every 10 s: time, RSS MiB, descriptors by class"]
if cls:
    print(f"descriptors by class, first/last:     {cls[0][2]} / {cls[-1][2]}")
print(f"converter processes left:             {g['converter processes left (children of serve, warm LibreOffice aside)']} children of serve, {g['hanging stub' + chr(39) + 's sleeps left anywhere']} stub sleeps anywhere  (goal 0)")
lb, la = s["latency baseline"], s["latency attack"]
print(f"legitimate upload latency, baseline:  n={lb['n']} p50 {lb['p50_ms']} ms, p99 {lb['p99_ms']} ms, max {lb['max_ms']} ms")
print(f"legitimate upload latency, attacks:   n={la['n']} p50 {la['p50_ms']} ms, p99 {la['p99_ms']} ms, max {la['max_ms']} ms")
print(f"p99 attacks / baseline:               {s['p99 ratio attack/baseline']}  (goal <= 3)")
print(f"slowest legitimate uploads:          " + ", ".join(f"{x[0]} ms at {x[1]}" for x in s["slowest legitimate uploads (ms, UTC start, body bytes, encoding)"][:5]))
print(f"drain after traffic:                  {s['drain seconds']} s; spool tmp/ entries left {s['spool tmp/ entries left']}")
em = {l.split(" ")[0]: l.split(" ")[-1] for l in s["engine metrics at the end"] if " " in l}
print(f"LLM (engine's /metrics):              {em.get('llm_requests_total')} requests, {em.get('llm_rate_limited_total')} answered 429, {em.get('llm_server_errors_total')} 5xx, {em.get('llm_transport_errors_total')} transport errors")
print(f"Sink (engine's /metrics):             {em.get('sink_reconnects_total')} reconnects, {em.get('sink_retries_total')} retries, {em.get('sink_rows_committed_total')} rows committed")
print(f"goals missed:                         {', '.join(s['missed']) or 'none'}")
print()
print("## details")
print(json.dumps({k: v for k, v in s.items() if k not in ('goals',)}, indent=1, default=str))
PY
{
    echo
    echo "## serve's log, last 40 lines of $(wc -l <"$work/serve.log")"
    tail -40 "$work/serve.log"
    echo "## llm-sim's log, last 5 lines"
    tail -5 "$work/llm-sim.log"
} >>"$out"
sed -n '1,/^## details/p' "$out"
echo "results: $out"
exit "$status"
