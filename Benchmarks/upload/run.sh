#!/usr/bin/env bash
# Whole-process upload benchmarks for resume-ingest (issue "Ingest"); what and why: README.md here.
#
#   1. Throughput: POST /api/v1/bulk-parse-resumes over loopback with wrk (16 connections, keep-alive),
#      one file part per request, 100 KiB and 1 MiB, against nginx storing each body in a file of its own
#      (client_body_in_file_only on) measured in the same run; requests/s, MB/s and the ratio ours/nginx.
#   2. Memory: peak RSS (VmHWM) of a fresh server after 16 concurrent 1 GiB uploads, minus the same after
#      16 concurrent 1 KiB uploads.
#
# Knobs (environment): DURATION (15 s per measured run), WARMUP (3 s), CONNECTIONS (16), WRK_THREADS (2),
# SIZES ("102400 1048576"), NGINX_WORKERS (auto), MEM_COUNT (16), MEM_SMALL (1024), MEM_BIG (1073741824),
# SETTLE (62 s: see settle()), OURS_WRAPPER (a command prefix for our server, for diagnosis only: e.g.
# "eatmydata" turns its fsyncs into no-ops to show what durability costs), SKIP_THROUGHPUT=1, SKIP_MEMORY=1, WORK_PARENT (/tmp: spools and nginx's prefix,
# one filesystem).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export PATH="/opt/swift/usr/bin:$PATH"

DURATION=${DURATION:-15}
WARMUP=${WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-16}
WRK_THREADS=${WRK_THREADS:-2}
SIZES=${SIZES:-"102400 1048576"}
NGINX_WORKERS=${NGINX_WORKERS:-auto}
MEM_COUNT=${MEM_COUNT:-16}
MEM_SMALL=${MEM_SMALL:-1024}
MEM_BIG=${MEM_BIG:-1073741824}
SETTLE=${SETTLE:-62}
OURS_WRAPPER=${OURS_WRAPPER:-}
SKIP_THROUGHPUT=${SKIP_THROUGHPUT:-0}
SKIP_MEMORY=${SKIP_MEMORY:-0}
WORK_PARENT=${WORK_PARENT:-/tmp}
UPLOAD_PATH=/api/v1/bulk-parse-resumes

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------------------
# Processes this script starts, and the cleanup that ends them (only these, by pid).

WORK=""
OURS_PID=""
NGINX_PID=""
CLIENT_PID=""

stop_pid() { # pid signal seconds
    local pid=$1 sig=$2 secs=$3 i
    [[ -n "$pid" ]] || return 0
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill "-$sig" "$pid" 2>/dev/null || true
    for ((i = 0; i < secs * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid still running after SIG$sig; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_pid "$CLIENT_PID" TERM 5
    stop_pid "$OURS_PID" TERM 15
    stop_pid "$NGINX_PID" QUIT 10
    if [[ -n "$WORK" && -d "$WORK" ]]; then rm -rf "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------------------
# What the benchmark needs.

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

install_missing() {
    local missing=()
    { command -v nginx >/dev/null && [[ -e /usr/lib/nginx/modules/ngx_http_echo_module.so ]]; } || missing+=(nginx-light)
    command -v wrk >/dev/null || missing+=(wrk)
    command -v python3 >/dev/null || missing+=(python3)
    if ((${#missing[@]})); then
        log "installing ${missing[*]}"
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    # The engine's own build dependencies (installs only what is missing).
    if [[ -x "$REPO/scripts/install-deps.sh" ]]; then "$REPO/scripts/install-deps.sh" run; fi
    [[ $(id -u) -eq 0 ]] || die "run as root: nginx runs as root with a private prefix (-p) and config (-c)"
}

build() {
    local attempt
    for attempt in 1 2 3 4 5; do
        log "building resume-ingest (release, --scratch-path .build-bench), attempt $attempt"
        if (cd "$REPO" && swift build -c release --scratch-path .build-bench --product resume-ingest) \
            >"$WORK/build.log" 2>&1; then
            BIN="$(cd "$REPO" && swift build -c release --scratch-path .build-bench --show-bin-path)/resume-ingest"
            [[ -x "$BIN" ]] || die "no binary at $BIN"
            return 0
        fi
        tail -n 15 "$WORK/build.log" >&2
        log "build failed (sources may be mid-edit); retrying in 60 s"
        sleep 60
    done
    die "build failed 5 times; see the output above"
}

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

# ---------------------------------------------------------------------------------------------------------
# The two servers.

start_ours() { # spool-dir [VAR=value...]
    local spool=$1
    shift
    mkdir -p "$spool"
    env HOST=127.0.0.1 PORT="$OURS_PORT" SPOOL_DIR="$spool" LOG_LEVEL=warning \
        SPOOL_HIGH_WATER_FILES=100000000 SPOOL_HIGH_WATER_BYTES=4096GiB "$@" \
        $OURS_WRAPPER "$BIN" serve >>"$WORK/ours.log" 2>&1 &
    OURS_PID=$!
    wait_port "$OURS_PORT" "$OURS_PID" || { tail -n 20 "$WORK/ours.log" >&2; die "our server did not start"; }
}

stop_ours() {
    stop_pid "$OURS_PID" TERM 15
    OURS_PID=""
}

start_nginx() { # prefix
    local prefix=$1
    mkdir -p "$prefix"/{logs,body,proxy,fastcgi,uwsgi,scgi}
    sed -e "s|@PREFIX@|$prefix|g" -e "s|@PORT@|$NGINX_PORT|g" -e "s|@WORKERS@|$NGINX_WORKERS|g" \
        -e 's|^daemon on;|daemon off;|' "$HERE/nginx.conf.in" >"$prefix/nginx.conf"
    nginx -p "$prefix/" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log" &
    NGINX_PID=$!
    wait_port "$NGINX_PORT" "$NGINX_PID" || { cat "$prefix/logs/error.log" >&2; die "nginx did not start"; }
}

stop_nginx() {
    stop_pid "$NGINX_PID" QUIT 10
    NGINX_PID=""
}

# ---------------------------------------------------------------------------------------------------------
# Benchmark 1: throughput.

result_field() { # "RESULT ..." line, key
    sed -n "s/.*[[:space:]]$2=\\([0-9-]*\\).*/\\1/p" <<<"$1"
}

run_wrk() { # port body-file seconds cpu-out -> the RESULT line on stdout
    local out
    out=$(BODY_FILE=$2 BOUNDARY=$BOUNDARY EXPECT_STATUS=202 UPLOAD_PATH=$UPLOAD_PATH \
        python3 "$HERE/cpu.py" run "$4" -- \
        wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${3}s" --timeout 30s -s "$HERE/post.lua" \
        "http://127.0.0.1:$1$UPLOAD_PATH") || die "wrk failed: $out"
    grep '^RESULT ' <<<"$out" || die "wrk printed no RESULT line: $out"
}

check_answers() { # label RESULT-line
    local requests good bad status timeout
    requests=$(result_field "$2" requests)
    good=$(result_field "$2" good)
    bad=$(result_field "$2" bad)
    status=$(result_field "$2" err_status)
    timeout=$(result_field "$2" err_timeout)
    ((requests > 0)) || die "$1: no request completed"
    ((good == requests && bad == 0 && status == 0 && timeout == 0)) ||
        die "$1: not every answer was 202 ($2)"
}

count_files() { # dir name-pattern
    find "$1" -type f -name "$2" | wc -l
}

# On ext4 without a journal (as on the machine these figures come from), every file creation checks the
# free inodes it passes for a deletion time less than 60 s old (300 s while the inode table is dirty) and
# skips them: right after a wipe of tens of thousands of files, open(O_CREAT) costs several times more, and
# whichever server runs next pays for the previous one's files. So each measured run starts only once the
# last wipe has been synced and is SETTLE seconds old (the script's start counts as a wipe, for files
# deleted just before it ran).
LAST_WIPE=$(date +%s)
settle() {
    local left
    sync
    left=$((LAST_WIPE + SETTLE - $(date +%s)))
    if ((left > 0)); then
        log "waiting $left s for the inodes of the last wipe to age (SETTLE=$SETTLE)"
        sleep "$left"
    fi
}

wipe() { # dir
    rm -rf "$1"
    sync
    LAST_WIPE=$(date +%s)
}

# Runs one server at one size: fresh process, warm-up, measured run, checks. Sets R_RPS, R_MBPS, R_CPU_*.
measure() { # which(ours|nginx) size body-file
    local which=$1 size=$2 body=$3 dir port pid warm main files lo hi c0 c1 requests duration_us wrk_cpu
    dir="$WORK/$which-$size"
    settle
    if [[ $which == ours ]]; then
        start_ours "$dir/spool"
        port=$OURS_PORT pid=$OURS_PID
    else
        start_nginx "$dir/nginx"
        port=$NGINX_PORT pid=$NGINX_PID
    fi
    warm=$(run_wrk "$port" "$body" "$WARMUP" "$WORK/wrk-cpu")
    check_answers "$which $size warm-up" "$warm"
    read -r -a c0 < <(python3 "$HERE/cpu.py" snapshot "$pid")
    main=$(run_wrk "$port" "$body" "$DURATION" "$WORK/wrk-cpu")
    read -r -a c1 < <(python3 "$HERE/cpu.py" snapshot "$pid")
    wrk_cpu=$(cat "$WORK/wrk-cpu")
    check_answers "$which $size" "$main"
    sleep 1 # let answers cut off by wrk's stop finish on the server side
    if [[ $which == ours ]]; then
        files=$(count_files "$dir/spool/incoming" '*.data')
        stop_ours
    else
        files=$(count_files "$dir/nginx/body" '*')
        stop_nginx
    fi
    # Every 202 counted by wrk is a stored file; requests cut off when wrk stops (at most one per connection,
    # warm-up and measured run) may have been stored too.
    lo=$(($(result_field "$warm" requests) + $(result_field "$main" requests)))
    hi=$((lo + 2 * CONNECTIONS))
    ((files >= lo && files <= hi)) || die "$which $size: $files files stored, expected $lo..$hi"
    wipe "$dir"
    requests=$(result_field "$main" requests)
    duration_us=$(result_field "$main" duration_us)
    R_RPS=$(python3 -c "print(f'{$requests / ($duration_us / 1e6):.0f}')")
    R_MBPS=$(python3 -c "print(f'{$requests * $size / ($duration_us / 1e6) / 1e6:.1f}')")
    R_P50=$(python3 -c "print(f'{$(result_field "$main" p50_us) / 1000:.1f}')")
    R_P99=$(python3 -c "print(f'{$(result_field "$main" p99_us) / 1000:.1f}')")
    # CPU in cores (CPU seconds per wall second) of the server, of wrk, and of everything else on the machine.
    R_CPU_SERVER=$(python3 -c "print(f'{(${c1[0]} - ${c0[0]}) / ($duration_us / 1e6):.2f}')")
    R_CPU_CLIENT=$(python3 -c "print(f'{$wrk_cpu / ($duration_us / 1e6):.2f}')")
    R_CPU_OTHER=$(python3 -c "print(f'{max(0.0, (${c1[1]} - ${c0[1]}) / ($duration_us / 1e6) - (${c1[0]} - ${c0[0]}) / ($duration_us / 1e6) - $wrk_cpu / ($duration_us / 1e6)):.2f}')")
    log "$which $(human "$size"): $R_RPS req/s, $R_MBPS MB/s, p50 $R_P50 ms, p99 $R_P99 ms, $files files stored," \
        "CPU server $R_CPU_SERVER / wrk $R_CPU_CLIENT / other $R_CPU_OTHER cores"
}

human() { # bytes
    python3 -c "
n = $1
for unit, f in (('GiB', 1 << 30), ('MiB', 1 << 20), ('KiB', 1 << 10)):
    if n >= f and n % f == 0: print(f'{n // f} {unit}'); break
else: print(f'{n} B')"
}

THROUGHPUT_ROWS=()

throughput() {
    local size body ours_rps ours_mbps ratio
    for size in $SIZES; do
        body="$WORK/body-$size.bin"
        python3 "$HERE/make_body.py" "$size" "$BOUNDARY" "$body"
        measure ours "$size" "$body"
        ours_rps=$R_RPS ours_mbps=$R_MBPS
        local ours_row="$R_P50 $R_P99 $R_CPU_SERVER $R_CPU_CLIENT $R_CPU_OTHER"
        measure nginx "$size" "$body"
        ratio=$(python3 -c "print(f'{$ours_rps / $R_RPS:.2f}')")
        THROUGHPUT_ROWS+=("$(human "$size")|$ours_rps|$ours_mbps|$R_RPS|$R_MBPS|$ratio|$ours_row|$R_P50 $R_P99 $R_CPU_SERVER $R_CPU_CLIENT $R_CPU_OTHER")
        rm -f "$body"
    done
}

# ---------------------------------------------------------------------------------------------------------
# Benchmark 2: memory.

vm_hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

MEMORY_ROWS=()

memory_run() { # size -> MEMORY_ROWS, M_HWM (KiB)
    local size=$1 spool="$WORK/mem-$1/spool" start_hwm out stored bad
    start_ours "$spool" MAX_FILE_SIZE=2GiB MAX_REQUEST_SIZE=2GiB MAX_DECOMPRESSED_SIZE=2GiB
    start_hwm=$(vm_hwm_kib "$OURS_PID")
    python3 "$HERE/stream_upload.py" --port "$OURS_PORT" --size "$size" --count "$MEM_COUNT" \
        >"$WORK/stream.out" 2>&1 &
    CLIENT_PID=$!
    if ! wait "$CLIENT_PID"; then
        CLIENT_PID=""
        cat "$WORK/stream.out" >&2
        die "$MEM_COUNT x $(human "$size"): not every upload got 202"
    fi
    CLIENT_PID=""
    out=$(cat "$WORK/stream.out")
    M_HWM=$(vm_hwm_kib "$OURS_PID")
    stop_ours
    stored=$(count_files "$spool/incoming" '*.data')
    bad=$(find "$spool/incoming" -type f -name '*.data' ! -size "${size}c" | wc -l)
    ((stored == MEM_COUNT && bad == 0)) ||
        die "$MEM_COUNT x $(human "$size"): $stored files stored, $bad of the wrong size"
    wipe "$WORK/mem-$size"
    log "memory $MEM_COUNT x $(human "$size"): VmHWM $((start_hwm / 1024)) MiB after start, $((M_HWM / 1024)) MiB after uploads; $out"
    MEMORY_ROWS+=("$MEM_COUNT x $(human "$size")|$start_hwm|$M_HWM|$(sed -n 's/.*"mb_per_s": \([0-9.]*\).*/\1/p' <<<"$out")")
}

memory() {
    local need avail small big
    need=$((MEM_COUNT * MEM_BIG / 1024 + (2 << 20))) # KiB, with 2 GiB to spare
    avail=$(df -Pk "$WORK" | awk 'NR == 2 {print $4}')
    ((avail > need)) || die "memory benchmark needs $((need >> 20)) GiB free under $WORK_PARENT, has $((avail >> 20))"
    memory_run "$MEM_SMALL"
    small=$M_HWM
    memory_run "$MEM_BIG"
    big=$M_HWM
    MEM_DIFF_KIB=$((big - small))
}

# ---------------------------------------------------------------------------------------------------------

install_missing
WORK=$(mktemp -d "$WORK_PARENT/resume-ingest-bench.XXXXXX")
chmod 755 "$WORK"
build
OURS_PORT=$(free_port)
NGINX_PORT=$(free_port)
while [[ $NGINX_PORT == "$OURS_PORT" ]]; do NGINX_PORT=$(free_port); done
BOUNDARY="resumeIngestBench$(python3 -c 'import os; print(os.urandom(12).hex())')"
STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
log "work dir $WORK ($(df -PT "$WORK" | awk 'NR == 2 {print $1 ", " $2}')); ours on :$OURS_PORT, nginx on :$NGINX_PORT"

[[ $SKIP_THROUGHPUT == 1 ]] || throughput
[[ $SKIP_MEMORY == 1 ]] || memory

# ---------------------------------------------------------------------------------------------------------
# Report.

kib_to_mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

report() {
    local row size orps ombps nrps nmbps ratio orest nrest goal
    echo "resume-ingest upload benchmarks, $STARTED"
    echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)," \
        "$(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), kernel $(uname -r)," \
        "spools on $(df -PT "$WORK" | awk 'NR == 2 {print $2}')"
    echo "peer: $(nginx -v 2>&1 | sed 's/.*version: //') (nginx-light), client_body_in_file_only on, worker_processes $NGINX_WORKERS"
    echo "ours: $(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null)$(cd "$REPO" && git diff --quiet HEAD -- Sources 2>/dev/null || echo '+uncommitted')${OURS_WRAPPER:+ (run under $OURS_WRAPPER: NOT a valid figure)}"
    if ((${#THROUGHPUT_ROWS[@]})); then
        echo
        echo "Throughput: wrk -t$WRK_THREADS -c$CONNECTIONS, keep-alive, ${DURATION} s after ${WARMUP} s warm-up; MB = 10^6 bytes of file payload"
        printf '%-8s | %9s %8s | %9s %8s | %11s %5s | %-22s | %-22s\n' size "ours r/s" "MB/s" "nginx r/s" "MB/s" "ours/nginx" goal \
            "ours p50/p99 ms" "nginx p50/p99 ms"
        for row in "${THROUGHPUT_ROWS[@]}"; do
            IFS='|' read -r size orps ombps nrps nmbps ratio orest nrest <<<"$row"
            case $size in "100 KiB") goal=">=0.8" ;; "1 MiB") goal=">=1.0" ;; *) goal="-" ;; esac
            read -r -a o <<<"$orest"
            read -r -a n <<<"$nrest"
            printf '%-8s | %9s %8s | %9s %8s | %10sx %5s | %-22s | %-22s\n' "$size" "$orps" "$ombps" "$nrps" "$nmbps" "$ratio" "$goal" \
                "${o[0]} / ${o[1]}" "${n[0]} / ${n[1]}"
        done
        echo "CPU during the measured runs, in cores (server / wrk / everything else on the machine):"
        for row in "${THROUGHPUT_ROWS[@]}"; do
            IFS='|' read -r size orps ombps nrps nmbps ratio orest nrest <<<"$row"
            read -r -a o <<<"$orest"
            read -r -a n <<<"$nrest"
            printf '  %-8s ours %s / %s / %s   nginx %s / %s / %s\n' "$size" "${o[2]}" "${o[3]}" "${o[4]}" "${n[2]}" "${n[3]}" "${n[4]}"
        done
    fi
    if ((${#MEMORY_ROWS[@]})); then
        echo
        echo "Memory: peak RSS (VmHWM) of a fresh server per row, $MEM_COUNT concurrent streamed uploads"
        printf '%-14s | %14s | %14s | %12s\n' uploads "VmHWM at start" "VmHWM at end" "client MB/s"
        for row in "${MEMORY_ROWS[@]}"; do
            IFS='|' read -r size start end mbps <<<"$row"
            printf '%-14s | %10.1f MiB | %10.1f MiB | %12s\n' "$size" "$(kib_to_mib "$start")" "$(kib_to_mib "$end")" "$mbps"
        done
        printf 'difference (%s minus %s): %.1f MiB (goal < 16 MiB)\n' "$(human "$MEM_BIG")" "$(human "$MEM_SMALL")" \
            "$(kib_to_mib "$MEM_DIFF_KIB")"
    fi
}

mkdir -p "$REPO/Benchmarks/results"
RESULT_FILE="$REPO/Benchmarks/results/upload-$(date -u +%Y%m%dT%H%M%SZ).txt"
report | tee "$RESULT_FILE"
log "saved to ${RESULT_FILE#"$REPO"/}"
