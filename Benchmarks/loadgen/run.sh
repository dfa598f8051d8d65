#!/usr/bin/env bash
# Issue 14's figures for `resume-ingest loadgen`, each against peers measured in the same run on the same server:
#   closed  closed loop, 100 KiB multipart uploads to nginx (client_body_in_file_only): requests/s and client CPU
#           per request of loadgen --concurrency C, wrk (upload.lua) and locust (HttpUser and FastHttpUser), -c C
#   open    open loop against the same nginx stalled (SIGSTOP) for 1 s every 10 s: loadgen --rate R percentiles
#           against the closed-loop p99 of loadgen --concurrency C, wrk (whose histogram is corrected for
#           coordinated omission) and locust FastHttpUser, and against runs without stalls
#   memory  peak RSS of loadgen replaying a 10 GiB corpus of distinct files (20 KiB–2 MiB) once
#   nodes   two `resume-ingest serve` (own spools, one PostgreSQL from scripts/pg) behind nginx against one:
#           accepted uploads/s, committed rows/s and, with --follow poll, upload->result latency
#
#   Benchmarks/loadgen/run.sh [closed|open|memory|nodes|all]...      (default: all; ~8 min without the corpus)
#   PEERS_ONLY=1 Benchmarks/loadgen/run.sh closed open               (wrk, locust and the stalls, no loadgen)
#
# Knobs (environment): DURATION (20 s per closed-loop client), WARMUP (3 s), CONCURRENCY (16), CLIENTS
# ("loadgen wrk locust locust-fast"), PIN (1: server on SERVER_CPU 0, client on CLIENT_CPU 1), OPEN_DURATION (30 s),
# RATE (200/s), OPEN_CONNECTIONS (256), STALL_EVERY (10), STALL_FOR (1), STALL_FIRST (5), MEM_BYTES (10 GiB),
# MEM_CONCURRENCY (16), MEM_TIMEOUT (1800 s), KEEP (1 keeps the corpus under .data/loadgen-corpus),
# NODES_DURATION (20 s), NODES_CONCURRENCY (16), NODES_CORPUS (.data/bench-data/mix-noscan/files), FOLLOW (1),
# RESUME_INGEST (the binary; default .build/release/resume-ingest, built with `make release` when missing),
# PEERS_ONLY (1: no loadgen, no build; the memory and nodes legs are then skipped).
# Raw JSON of every client goes to .data/bench-loadgen/<UTC time>/, the tables to report.md there and to
# Benchmarks/results/loadgen-<UTC time>.md. What each figure means: README.md here.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
export PATH=/opt/swift/usr/bin:$PATH

DURATION="${DURATION:-20}"
WARMUP="${WARMUP:-3}"
CONCURRENCY="${CONCURRENCY:-16}"
CLIENTS="${CLIENTS:-loadgen wrk locust locust-fast}"
PIN="${PIN:-1}"
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-1}"
PAYLOAD_BYTES="${PAYLOAD_BYTES:-102400}"
OPEN_DURATION="${OPEN_DURATION:-30}"
RATE="${RATE:-200}"
OPEN_CONNECTIONS="${OPEN_CONNECTIONS:-256}"
STALL_EVERY="${STALL_EVERY:-10}"
STALL_FOR="${STALL_FOR:-1}"
STALL_FIRST="${STALL_FIRST:-5}"
MEM_BYTES="${MEM_BYTES:-10737418240}"
MEM_CONCURRENCY="${MEM_CONCURRENCY:-16}"
MEM_TIMEOUT="${MEM_TIMEOUT:-1800}"
KEEP="${KEEP:-0}"
NODES_DURATION="${NODES_DURATION:-20}"
NODES_CONCURRENCY="${NODES_CONCURRENCY:-16}"
NODES_CORPUS="${NODES_CORPUS:-.data/bench-data/mix-noscan/files}"
FOLLOW="${FOLLOW:-1}"
PEERS_ONLY="${PEERS_ONLY:-0}"
LOCUST_VERSION=2.47.0
UPLOAD_PATH=/api/v1/bulk-parse-resumes
bin="${RESUME_INGEST:-$root/.build/release/resume-ingest}"

legs=("$@")
((${#legs[@]})) || legs=(all)
for leg in "${legs[@]}"; do
    case $leg in closed | open | memory | nodes | all) ;; *) echo "usage: $0 [closed|open|memory|nodes|all]..." >&2; exit 2 ;; esac
done
want() { [[ " ${legs[*]} " == *" $1 "* || " ${legs[*]} " == *" all "* ]]; }

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$root/.data/bench-loadgen/$stamp"
mkdir -p "$out" Benchmarks/results
work="$(mktemp -d /tmp/bench-loadgen.XXXXXX)"
chmod 755 "$work"
corpus_dir="$root/.data/loadgen-corpus"
corpus_made=0

# ---------------------------------------------------------------------------------------------------------------
# Every process this script starts, and the cleanup that ends them, by pid only.

NGINX_PID=""
STALL_PID=""
CLIENT_PID=""
ENGINE_PIDS=()

stop_pid() { # pid signal seconds: the signal, then SIGKILL after `seconds`; reaps it
    local pid=$1 sig=$2 secs=$3 i
    [[ -n "$pid" ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill "-$sig" "$pid" 2>/dev/null || true
        for ((i = 0; i < secs * 10; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null || true
}

stop_nginx() {
    [[ -n "$NGINX_PID" ]] || return 0
    # A stalled nginx cannot act on SIGQUIT: wake it (and its worker) first.
    local worker
    for worker in $(pgrep -P "$NGINX_PID" || true); do kill -CONT "$worker" 2>/dev/null || true; done
    kill -CONT "$NGINX_PID" 2>/dev/null || true
    stop_pid "$NGINX_PID" QUIT 10
    NGINX_PID=""
}

stop_engines() {
    local p
    for p in "${ENGINE_PIDS[@]}"; do stop_pid "$p" TERM 20; done
    ENGINE_PIDS=()
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_pid "$STALL_PID" TERM 5 # stall.py sends SIGCONT before it exits
    stop_pid "$CLIENT_PID" TERM 15 # meter.py stops its client's session
    stop_nginx
    stop_engines
    rm -rf "$work"
    if ((corpus_made)) && [[ $KEEP != 1 ]]; then rm -rf "$corpus_dir"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------------------------
# What the run needs.

scripts/install-deps.sh bench
have_loadgen=0
if [[ $PEERS_ONLY != 1 ]]; then
    if [[ ! -x "$bin" && -z "${RESUME_INGEST:-}" ]]; then
        log "building the release binary (make release)"
        make -s release
    fi
    [[ -x "$bin" ]] || die "no binary at $bin"
    "$bin" loadgen --help >/dev/null 2>&1 ||
        die "$bin has no loadgen command; build a newer one, or run the peers alone with PEERS_ONLY=1"
    have_loadgen=1
fi

venv="$root/.data/venv-locust"
if { [[ " $CLIENTS " == *" locust"* ]] && want closed; } || want open; then
    if ! "$venv/bin/locust" --version 2>/dev/null | grep -q "locust $LOCUST_VERSION "; then
        log "installing locust $LOCUST_VERSION into ${venv#"$root"/}"
        rm -rf "$venv"
        /usr/bin/python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "locust==$LOCUST_VERSION"
    fi
fi

# Server on one core, client on the other: on 2 cores neither then takes CPU from the other, and "client CPU per
# request" is the only CPU the client had (README.md, "Fairness").
server_pin=()
client_pin=()
if [[ $PIN == 1 ]] && (($(nproc) >= 2)); then
    server_pin=(taskset -c "$SERVER_CPU")
    client_pin=(taskset -c "$CLIENT_CPU")
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() { # port pid
    local i
    for ((i = 0; i < 200; i++)); do
        kill -0 "$2" 2>/dev/null || return 1
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    return 1
}

start_nginx() { # template [servers]: a fresh nginx in a prefix of its own; sets NGINX_PID and NGINX_PORT
    local template=$1 servers=${2:-} prefix
    prefix="$(mktemp -d "$work/nginx.XXXXXX")"
    mkdir -p "$prefix"/{logs,body,proxy,fastcgi,uwsgi,scgi}
    NGINX_PORT=$(free_port)
    python3 - "$here/$template" "$prefix/nginx.conf" "$prefix" "$NGINX_PORT" "$servers" <<'PY'
import sys
src, dst, prefix, port, servers = sys.argv[1:6]
text = open(src).read().replace("@PREFIX@", prefix).replace("@PORT@", port)
text = text.replace("@SERVERS@", servers).replace("@COUNT@", str(servers.count("server ")))
open(dst, "w").write(text)
PY
    "${server_pin[@]}" nginx -p "$prefix/" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log" &
    NGINX_PID=$!
    wait_port "$NGINX_PORT" "$NGINX_PID" || { cat "$prefix/logs/error.log" >&2; die "nginx did not start"; }
}

# ---------------------------------------------------------------------------------------------------------------
# The clients. Each runs under meter.py (CPU of its process tree, peak RSS, a time bound) and leaves
# $out/<leg>-<slug>.json, one record (report.py); its own output stays beside it.

metered() { # meter-json timeout-s stdout-file command...: in the background, so a signal reaches cleanup at once
    local rc=0
    python3 "$here/meter.py" "$1" "$2" -- "${@:4}" >"$3" 2>"$3.stderr" &
    CLIENT_PID=$!
    wait "$CLIENT_PID" || rc=$?
    CLIENT_PID=""
    return "$rc"
}

skipped() { # leg slug label reason
    python3 -c 'import json,sys; print(json.dumps({"label": sys.argv[1], "skipped": sys.argv[2]}))' "$3" "$4" \
        >"$out/$1-$2.json"
}

run_wrk() { # leg slug label seconds url [KEY=VALUE...]
    local leg=$1 slug=$2 label=$3 secs=$4 url=$5 base="$out/$1-$2"
    shift 5
    log "$leg: $label, ${secs} s"
    metered "$base.meter.json" $((secs + 60)) "$base.wrk.txt" \
        "${client_pin[@]}" env PAYLOAD="$payload" BOUNDARY="$boundary" UPLOAD_PATH="$UPLOAD_PATH" \
        wrk -t1 -c"$CONCURRENCY" -d"${secs}s" --timeout 30s -s "$here/upload.lua" "$url" ||
        die "$label failed: $(tail -n 5 "$base.wrk.txt.stderr" "$base.wrk.txt")"
    python3 "$here/report.py" wrk "$base.wrk.txt" "$base.meter.json" "$label" "$@" >"$base.json"
}

run_locust() { # leg slug label user-class seconds [KEY=VALUE...]
    local leg=$1 slug=$2 label=$3 class=$4 secs=$5 base="$out/$1-$2"
    shift 5
    log "$leg: $label, ${secs} s"
    metered "$base.meter.json" $((secs + 90)) "$base.locust.txt" \
        "${client_pin[@]}" env PAYLOAD="$payload" BOUNDARY="$boundary" UPLOAD_PATH="$UPLOAD_PATH" \
        "$venv/bin/locust" -f "$here/locustfile.py" --headless -u "$CONCURRENCY" -r "$CONCURRENCY" \
        -t "${secs}s" --stop-timeout 5 -H "http://127.0.0.1:$NGINX_PORT" --csv "$base.locust" \
        --only-summary --loglevel WARNING --exit-code-on-error 0 "$class" ||
        die "$label failed: $(tail -n 5 "$base.locust.txt.stderr")"
    python3 "$here/report.py" locust "$base.locust" "$base.meter.json" "$label" "$@" >"$base.json"
}

run_loadgen() { # leg slug label timeout-s [KEY=VALUE...] -- loadgen arguments...
    local leg=$1 slug=$2 label=$3 timeout=$4 base="$out/$1-$2" extras=() rc=0
    shift 4
    while (($#)) && [[ $1 != -- ]]; do extras+=("$1"); shift; done
    shift
    log "$leg: $label"
    metered "$base.meter.json" "$timeout" "$base.raw.json" "${client_pin[@]}" "$bin" loadgen "$@" --json || rc=$?
    if ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$base.raw.json" 2>/dev/null; then
        die "$label: exit $rc and no JSON on stdout: $(tail -n 5 "$base.raw.json.stderr")"
    fi
    ((rc == 0)) || log "$label: loadgen exited $rc (its JSON is kept; errors show in the table)"
    python3 "$here/report.py" loadgen "$base.raw.json" "$base.meter.json" "$label" "${extras[@]}" >"$base.json"
}

make_payload() { # the 100 KiB file every client of legs 1 and 2 sends: seeded pseudo-random bytes
    mkdir -p "$work/payload"
    payload="$work/payload/upload-$PAYLOAD_BYTES.bin"
    boundary="resume-ingest-bench-$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
    python3 - "$payload" "$PAYLOAD_BYTES" "$boundary" <<'PY'
import random, sys
path, size, boundary = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
data = random.Random(size).randbytes(size)
assert boundary not in data
open(path, "wb").write(data)
PY
}

warm_up() { # url: WARMUP s of wrk, not recorded (first files in the body folder, connections, caches)
    ((WARMUP > 0)) || return 0
    metered "$work/warm.meter.json" $((WARMUP + 60)) "$work/warm.txt" "${client_pin[@]}" \
        env PAYLOAD="$payload" BOUNDARY="$boundary" UPLOAD_PATH="$UPLOAD_PATH" \
        wrk -t1 -c"$CONCURRENCY" -d"${WARMUP}s" --timeout 30s -s "$here/upload.lua" "$1" >/dev/null ||
        die "warm-up failed: $(cat "$work/warm.txt" "$work/warm.txt.stderr")"
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# ---------------------------------------------------------------------------------------------------------------
# 1. Closed loop.

leg_closed() {
    local url client
    make_payload
    start_nginx nginx-store.conf.in
    url="http://127.0.0.1:$NGINX_PORT$UPLOAD_PATH"
    log "closed: nginx :$NGINX_PORT, $CONCURRENCY connections, load average $(loadavg)"
    warm_up "$url"
    for client in $CLIENTS; do
        case $client in
        loadgen)
            if ((have_loadgen)); then
                run_loadgen closed loadgen loadgen $((DURATION + 60)) -- "$url" --corpus "$work/payload" \
                    --concurrency "$CONCURRENCY" --duration "${DURATION}s" --timeout 30s
            else
                skipped closed loadgen loadgen "PEERS_ONLY=1"
            fi
            ;;
        wrk) run_wrk closed wrk wrk "$DURATION" "$url" ;;
        locust) run_locust closed locust "locust HttpUser" UploadUser "$DURATION" ;;
        locust-fast) run_locust closed locust-fast "locust FastHttpUser" FastUploadUser "$DURATION" ;;
        *) die "unknown client $client in CLIENTS" ;;
        esac
    done
    stop_nginx
}

# ---------------------------------------------------------------------------------------------------------------
# 2. Open loop against a stalling server.

start_stalls() { # slug
    python3 "$here/stall.py" "$NGINX_PID" "$STALL_EVERY" "$STALL_FOR" "$STALL_FIRST" "$out/open-$1.stalls.jsonl" &
    STALL_PID=$!
}

stop_stalls() {
    stop_pid "$STALL_PID" TERM 5
    STALL_PID=""
}

leg_open() {
    local url
    make_payload
    start_nginx nginx-store.conf.in
    url="http://127.0.0.1:$NGINX_PORT$UPLOAD_PATH"
    log "open: nginx :$NGINX_PORT, stalled ${STALL_FOR} s every ${STALL_EVERY} s; load average $(loadavg)"
    warm_up "$url"
    run_wrk open wrk-steady "wrk -c$CONCURRENCY, no stall" "$OPEN_DURATION" "$url" server=steady
    if ((have_loadgen)); then
        run_loadgen open loadgen-rate-steady "loadgen --rate $RATE, no stall" $((OPEN_DURATION + 90)) server=steady \
            -- "$url" --corpus "$work/payload" --rate "$RATE" --connections "$OPEN_CONNECTIONS" \
            --duration "${OPEN_DURATION}s" --timeout 30s
        start_stalls loadgen-rate
        run_loadgen open loadgen-rate "loadgen --rate" $((OPEN_DURATION + 90)) server=stalling \
            -- "$url" --corpus "$work/payload" --rate "$RATE" --connections "$OPEN_CONNECTIONS" \
            --duration "${OPEN_DURATION}s" --timeout 30s
        stop_stalls
        start_stalls loadgen-closed
        run_loadgen open loadgen-closed "loadgen --concurrency $CONCURRENCY" $((OPEN_DURATION + 90)) server=stalling \
            -- "$url" --corpus "$work/payload" --concurrency "$CONCURRENCY" --duration "${OPEN_DURATION}s" --timeout 30s
        stop_stalls
    else
        skipped open loadgen-rate "loadgen --rate" "PEERS_ONLY=1"
        skipped open loadgen-closed "loadgen --concurrency $CONCURRENCY" "PEERS_ONLY=1"
    fi
    start_stalls wrk
    run_wrk open wrk "wrk -c$CONCURRENCY" "$OPEN_DURATION" "$url" server=stalling
    stop_stalls
    # wrk corrects its histogram for coordinated omission (README.md): locust is the plain closed loop.
    start_stalls locust
    run_locust open locust "locust FastHttpUser -u $CONCURRENCY" FastUploadUser "$OPEN_DURATION" server=stalling
    stop_stalls
    stop_nginx
}

# ---------------------------------------------------------------------------------------------------------------
# 3. Memory over a 10 GiB corpus.

leg_memory() {
    local avail info files bytes
    if ((!have_loadgen)); then
        skipped memory loadgen loadgen "PEERS_ONLY=1"
        return
    fi
    if [[ ! -f "$corpus_dir/corpus.json" ]]; then
        avail=$(( $(df -Pk "$root/.data" | awk 'NR == 2 {print $4}') * 1024 ))
        ((avail > MEM_BYTES + (4 << 30))) || die "memory: needs $((MEM_BYTES >> 30)) GiB + 4 GiB free under .data"
    fi
    log "memory: corpus of $((MEM_BYTES >> 20)) MiB under ${corpus_dir#"$root"/} (kept only with KEEP=1)"
    [[ -f "$corpus_dir/corpus.json" ]] || corpus_made=1
    info=$(timeout 1800 python3 "$here/corpus.py" "$corpus_dir" "$MEM_BYTES")
    files=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["files"])' "$info")
    bytes=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["bytes"])' "$info")
    start_nginx nginx-store.conf.in
    # Each file once: one file per request, as many requests as files.
    run_loadgen memory loadgen loadgen "$MEM_TIMEOUT" \
        corpus="$(awk -v b="$bytes" 'BEGIN {printf "%.1f GiB", b / 1073741824}'), $files files" \
        -- "http://127.0.0.1:$NGINX_PORT/discard" --corpus "$corpus_dir/files" \
        --concurrency "$MEM_CONCURRENCY" --requests "$files" --timeout 30s
    stop_nginx
    if ((corpus_made)) && [[ $KEEP != 1 ]]; then rm -rf "$corpus_dir"; fi
}

# ---------------------------------------------------------------------------------------------------------------
# 4. Two engines behind nginx against one.

rows() { # url: documents of the default tenant
    psql -X -At "$1" -c "SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false)" \
        -c "SELECT count(*) FROM documents" | tail -1
}

start_engine() { # database-url spool log: one `serve` on a free port; appends to ENGINE_PIDS, sets ENGINE_PORT
    local url=$1 spool=$2 logf=$3 pid port i
    env -u OPENAI_API_KEY DATABASE_URL="$url" SPOOL_DIR="$spool" LOG_LEVEL=warning \
        "$bin" serve --host 127.0.0.1 --port 0 --log-level info >"$logf" 2>&1 &
    pid=$!
    ENGINE_PIDS+=("$pid")
    for ((i = 0; i < 300; i++)); do
        port=$(grep -o 'port=[0-9]*' "$logf" | head -1 | cut -d= -f2 || true)
        [[ -n "$port" ]] && { ENGINE_PORT=$port; return 0; }
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 20 "$logf" >&2
    die "serve did not start"
}

leg_nodes() {
    local n mode db servers i rows0 rows1 t0 t1 follow
    if ((!have_loadgen)); then
        skipped nodes loadgen "1 and 2 engines" "PEERS_ONLY=1"
        return
    fi
    if [[ ! -d "$NODES_CORPUS" ]]; then
        [[ $NODES_CORPUS == .data/bench-data/mix-noscan/files ]] || die "nodes: no corpus at $NODES_CORPUS"
        log "nodes: generating the 2,000-document mix without scans (bench-data/generate.py, about 2 minutes)"
        /usr/bin/python3 bench-data/generate.py --set mix --count 2000 --no-scans --out .data/bench-data/mix-noscan
    fi
    # shellcheck source=../database.sh
    source Benchmarks/database.sh
    for mode in accept follow; do
        [[ $mode == follow && $FOLLOW != 1 ]] && continue
        follow=()
        [[ $mode == follow ]] && follow=(--follow poll)
        for n in 1 2; do
            db="$(fresh "loadgen_nodes_${n}_$mode")"
            servers=""
            for ((i = 1; i <= n; i++)); do
                start_engine "$db" "$work/spool-$n-$mode-$i" "$out/nodes-$n-$mode-engine$i.log"
                servers+="        server 127.0.0.1:$ENGINE_PORT;"$'\n'
            done
            start_nginx nginx-proxy.conf.in "$servers"
            rows0=$(rows "$db")
            t0=$(date +%s.%N)
            run_loadgen nodes "$n-$mode" "$n engine(s), $mode" $((NODES_DURATION + 120)) engines="$n" mode="$mode" \
                -- "http://127.0.0.1:$NGINX_PORT$UPLOAD_PATH" --corpus "$NODES_CORPUS" \
                --concurrency "$NODES_CONCURRENCY" --duration "${NODES_DURATION}s" --timeout 30s "${follow[@]}"
            t1=$(date +%s.%N)
            rows1=$(rows "$db")
            python3 - "$out/nodes-$n-$mode.json" "$rows0" "$rows1" "$t0" "$t1" <<'PY'
import json, sys
path, r0, r1, t0, t1 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
rec = json.load(open(path))
rec.update(rows_committed=r1 - r0, rows_window_s=round(t1 - t0, 3), rows_per_s=round((r1 - r0) / (t1 - t0), 1))
json.dump(rec, open(path, "w"))
PY
            stop_nginx
            stop_engines
        done
    done
}

# ---------------------------------------------------------------------------------------------------------------

started="$(date -u +%FT%TZ)"
load_start="$(loadavg)"
want closed && leg_closed
want open && leg_open
want memory && leg_memory
want nodes && leg_nodes

report() {
    local loadgen_version="not run (PEERS_ONLY=1)"
    ((have_loadgen)) && loadgen_version="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources 2>/dev/null || echo '+uncommitted'), $bin"
    echo "# loadgen benchmark, $started"
    echo
    echo "- machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)," \
        "$(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), kernel $(uname -r);" \
        "load average at start $load_start, at end $(loadavg) (the machine is shared: other work shows here)"
    echo "- pinning: ${server_pin[*]:-none} for the server, ${client_pin[*]:-none} for the client"
    echo "- loadgen: $loadgen_version"
    echo "- peers: $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), locust $LOCUST_VERSION" \
        "($("$venv/bin/python" --version 2>/dev/null || echo 'no venv')), $(nginx -v 2>&1 | sed 's/.*version: //') (nginx-light)"
    echo "- raw JSON: ${out#"$root"/}/"
    if want closed; then
        echo
        echo "## 1. Closed loop: $((PAYLOAD_BYTES / 1024)) KiB uploads, $CONCURRENCY connections, ${DURATION} s each, nginx client_body_in_file_only"
        echo
        python3 "$here/report.py" table closed "$out"
    fi
    if want open; then
        echo
        echo "## 2. Open loop at $RATE/s against nginx stalled ${STALL_FOR} s every ${STALL_EVERY} s (${OPEN_DURATION} s runs)"
        echo
        python3 "$here/report.py" table open "$out"
    fi
    if want memory; then
        echo
        echo "## 3. Memory: loadgen replaying the corpus once, $MEM_CONCURRENCY connections, to nginx discarding bodies"
        echo
        python3 "$here/report.py" table memory "$out"
    fi
    if want nodes; then
        echo
        echo "## 4. Engines behind nginx (one PostgreSQL): $NODES_CONCURRENCY connections, ${NODES_DURATION} s, corpus $NODES_CORPUS"
        echo
        python3 "$here/report.py" table nodes "$out"
    fi
}

report | tee "$out/report.md"
cp "$out/report.md" "Benchmarks/results/loadgen-$stamp.md"
log "raw JSON and report: ${out#"$root"/}/; table also in Benchmarks/results/loadgen-$stamp.md"
