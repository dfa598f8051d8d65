#!/usr/bin/env bash
# Extraction pool benchmarks for resume-ingest (issue 3, "Measure"); what and why: README.md here.
#
#   1. Throughput: documents/s of `resume-ingest extract --quiet --probe-loop --concurrency $(nproc)` over the bench
#      mix without scans (2,000 documents, generated once into .data/bench-data/mix-noscan), against the same
#      converters driven directly by `xargs -P $(nproc)`, one best CLI converter per file, grouped by format, all groups
#      back to back in one timed region. RUNS rounds, alternating ours/xargs; each round also runs ours over each
#      format group alone (small groups repeated up to GROUP_MIN documents; the xargs time of a group is its own
#      sub-interval of the xargs run) for per-format ratios, and ours over one file (the process's fixed cost).
#   2. Loop stall per converter start under that load (spawn_loop_*, loop_busy_*, loop_cpu_* from --probe-loop,
#      medians over the rounds), and spawncost.c: what uv_spawn (fork in libuv 1.44) would stall a loop thread for,
#      against posix_spawn (clone(CLONE_VM|CLONE_VFORK)), with a 64 MiB and a 1 GiB resident heap.
#   3. Memory: VmRSS of one extract run over the 2,000 documents, sampled every SAMPLE_MS by a background sampler;
#      RSS at 10/25/50/75/100 % of the run and the peak; the same over the directory passed twice (4,000 documents).
# Prints a summary and saves it to Benchmarks/results/extract-<UTC time>.txt.
#
# Knobs (environment): COUNT (2000), DATA_DIR (.data/bench-data/mix-noscan, generated with --no-scans when it has no
# manifest.jsonl; delete it to regenerate), RUNS (3), CONCURRENCY (nproc), RUN_TIMEOUT (300 s per process: past it the
# run counts as a hang and the script stops), SPAWN_COUNT (200), SPAWN_HEAPS_MIB ("64 1024"), SAMPLE_MS (100),
# GROUP_MIN (600: documents per per-format run of ours), SKIP_GROUPS=1, SKIP_SPAWNCOST=1, SKIP_MEMORY=1, WORK_PARENT
# (/tmp), SCRATCH_PATH (.build; .build-bench keeps clear of another build running in the same checkout).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export PATH="/opt/swift/usr/bin:$PATH"
PYTHON=/usr/bin/python3

COUNT=${COUNT:-2000}
DATA_DIR=${DATA_DIR:-$REPO/.data/bench-data/mix-noscan}
RUNS=${RUNS:-3}
CONCURRENCY=${CONCURRENCY:-$(nproc)}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
SPAWN_COUNT=${SPAWN_COUNT:-200}
SPAWN_HEAPS_MIB=${SPAWN_HEAPS_MIB:-"64 1024"}
SAMPLE_MS=${SAMPLE_MS:-100}
GROUP_MIN=${GROUP_MIN:-600}
SKIP_GROUPS=${SKIP_GROUPS:-0}
SKIP_SPAWNCOST=${SKIP_SPAWNCOST:-0}
SKIP_MEMORY=${SKIP_MEMORY:-0}
WORK_PARENT=${WORK_PARENT:-/tmp}
SCRATCH_PATH=${SCRATCH_PATH:-.build}
FORMATS=(pdf doc docx odt rtf html txt)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------------------
# Processes this script starts in the background, and the cleanup that ends them (only these, by pid).

WORK=""
MEM_PID=""
SAMPLER_PID=""

stop_pid() { # pid
    local pid=$1 i
    [[ -n "$pid" ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_pid "$SAMPLER_PID"
    stop_pid "$MEM_PID"
    if [[ -n "$WORK" && -d "$WORK" ]]; then rm -rf "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

WORK=$(mktemp -d "$WORK_PARENT/extract-bench.XXXXXX")
# Each document's private directory (the engine empties this folder at start-up): ours, not the caller's .data/.
export EXTRACT_WORK_DIR="$WORK/extract-work"
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')

# ---------------------------------------------------------------------------------------------------------
# What the benchmark needs.

install_missing() {
    local tool missing=0
    for tool in pdftotext antiword pandoc unrtf soffice qpdf pkg-config; do
        command -v "$tool" >/dev/null || missing=1
    done
    [[ -e /usr/include/uv.h ]] || missing=1
    "$PYTHON" -c 'import PIL' 2>/dev/null || missing=1
    if ((missing)); then
        log "installing the converters and the generator's tools (scripts/install-deps.sh test)"
        "$REPO/scripts/install-deps.sh" test
    fi
    if ! command -v gcc >/dev/null; then
        log "installing gcc (for spawncost.c)"
        local sudo=""
        [[ $(id -u) -ne 0 ]] && sudo=sudo
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends gcc libc6-dev >/dev/null
    fi
}

build() {
    local attempt
    for attempt in 1 2 3 4 5; do
        log "building resume-ingest (release, --scratch-path $SCRATCH_PATH), attempt $attempt"
        if (cd "$REPO" && swift build -c release --scratch-path "$SCRATCH_PATH" --product resume-ingest) \
            >"$WORK/build.log" 2>&1; then
            BIN="$(cd "$REPO" && swift build -c release --scratch-path "$SCRATCH_PATH" --show-bin-path)/resume-ingest"
            [[ -x "$BIN" ]] || die "no binary at $BIN"
            return 0
        fi
        tail -n 15 "$WORK/build.log" >&2
        log "build failed (sources may be mid-edit); retrying in 60 s"
        sleep 60
    done
    die "build failed 5 times; see the output above"
}

# The corpus is cached: generated only when DATA_DIR has no manifest (into a temporary folder renamed at the end,
# so an interrupted generation leaves nothing that looks complete).
ensure_corpus() {
    if [[ -s "$DATA_DIR/manifest.jsonl" ]]; then
        log "corpus: $DATA_DIR (cached)"
    else
        local tmp="$DATA_DIR.partial" began=$EPOCHREALTIME
        log "generating $COUNT documents without scans into $DATA_DIR (about 1 min for 2,000 on 2 cores)"
        rm -rf "$tmp"
        mkdir -p "$(dirname "$DATA_DIR")"
        (cd "$REPO" && "$PYTHON" bench-data/generate.py --set mix --count "$COUNT" --no-scans --out "$tmp") >&2
        rm -rf "$DATA_DIR"
        mv "$tmp" "$DATA_DIR"
        GENERATED_SECONDS=$(elapsed "$began" "$EPOCHREALTIME")
    fi
    # One NUL-separated list of absolute paths per format (what the bytes are, from the manifest), and the counts.
    "$PYTHON" - "$DATA_DIR" "$WORK" "${FORMATS[@]}" <<'PY'
import json, os, sys
data, work, formats = sys.argv[1], sys.argv[2], sys.argv[3:]
lists = {f: [] for f in formats}
with open(os.path.join(data, "manifest.jsonl"), encoding="utf-8") as f:
    for line in f:
        o = json.loads(line)
        if o["format"] not in lists:
            sys.exit(f"{o['file']}: format {o['format']} has no xargs peer (a mix with scans?)")
        if o["expected"]["status"] != "extracted":
            sys.exit(f"{o['file']}: expected to fail; the throughput mix must be all extractable")
        lists[o["format"]].append(os.path.join(data, o["file"]))
for fmt, paths in lists.items():
    with open(os.path.join(work, f"list-{fmt}"), "wb") as out:
        out.write(b"".join(p.encode() + b"\0" for p in sorted(paths)))
    with open(os.path.join(work, f"count-{fmt}"), "w") as out:
        out.write(f"{len(paths)}\n")
PY
    TOTAL=0
    local fmt n
    for fmt in "${FORMATS[@]}"; do
        n=$(<"$WORK/count-$fmt")
        TOTAL=$((TOTAL + n))
    done
    local on_disk
    on_disk=$(find "$DATA_DIR/files" -type f | wc -l)
    ((on_disk == TOTAL)) || die "$DATA_DIR: $on_disk files but $TOTAL in the manifest; delete it to regenerate"
    log "corpus: $TOTAL documents ($(for f in "${FORMATS[@]}"; do printf '%s %s ' "$f" "$(<"$WORK/count-$f")"; done))"
}

elapsed() { # EPOCHREALTIME-start EPOCHREALTIME-end -> seconds with 6 decimals
    local a=${1/./} b=${2/./} d
    d=$((10#$b - 10#$a))
    printf '%d.%06d' $((d / 1000000)) $((d % 1000000))
}

summary_field() { # summary-line key
    sed -n "s/.*[[:space:]]$2=\\([0-9.]*\\).*/\\1/p; s/^$2=\\([0-9.]*\\).*/\\1/p" <<<"$1" | head -n 1
}

# CPU accounting around each measured run: the whole machine's busy time (/proc/stat) and this shell's waited-for
# descendants (`times`: the measured process and, through it, every converter it reaped). The difference is what
# everything else on the machine used meanwhile (other builds and tests share it); both go in the results.
CLK_TCK=$(getconf CLK_TCK)
cpu_snapshot() { # sets SNAP_MACHINE_MS and SNAP_CHILDREN_MS
    local cpu user nice system idle iowait irq softirq steal line
    read -r cpu user nice system idle iowait irq softirq steal _ </proc/stat
    SNAP_MACHINE_MS=$(((user + nice + system + irq + softirq + steal) * 1000 / CLK_TCK))
    times >"$WORK/times" # a builtin with a redirection: no subshell, so the counts are this shell's
    { read -r _ && read -r line; } <"$WORK/times"
    [[ $line =~ ^([0-9]+)m([0-9]+)\.([0-9]{3})s\ ([0-9]+)m([0-9]+)\.([0-9]{3})s$ ]] || die "times printed: $line"
    local r=("${BASH_REMATCH[@]}")
    SNAP_CHILDREN_MS=$(((10#${r[1]} + 10#${r[4]}) * 60000 + (10#${r[2]} + 10#${r[5]}) * 1000 + 10#${r[3]} + 10#${r[6]}))
}

cpu_delta() { # machine-ms-before children-ms-before -> "own-cpu-s other-cpu-s" (after a new cpu_snapshot)
    local own=$((SNAP_CHILDREN_MS - $2)) machine=$((SNAP_MACHINE_MS - $1)) other
    other=$((machine - own))
    ((other >= 0)) || other=0 # the two clocks tick differently; a few ms below zero is rounding
    printf '%d.%03d\t%d.%03d' $((own / 1000)) $((own % 1000)) $((other / 1000)) $((other % 1000))
}

# ---------------------------------------------------------------------------------------------------------
# Ours: one extract process over paths. Appends "ours <round> <group> <files> <wall s> <summary>" to results.

run_ours() { # round group expected-documents paths...
    local round=$1 group=$2 expected=$3 began ended rc=0 line documents failed m0 c0
    shift 3
    cpu_snapshot
    m0=$SNAP_MACHINE_MS c0=$SNAP_CHILDREN_MS
    began=$EPOCHREALTIME
    timeout -k 10 "$RUN_TIMEOUT" "$BIN" extract --quiet --probe-loop --concurrency "$CONCURRENCY" "$@" \
        >/dev/null 2>"$WORK/ours.err" || rc=$?
    ended=$EPOCHREALTIME
    cpu_snapshot
    ((rc != 124 && rc != 137)) || die "extract ($group, round $round) did not finish in $RUN_TIMEOUT s: a hang? $(tail -n 5 "$WORK/ours.err")"
    ((rc == 0)) || die "extract ($group, round $round) exited with $rc: $(tail -n 20 "$WORK/ours.err")"
    line=$(grep '^documents=' "$WORK/ours.err" | tail -n 1) || die "extract printed no summary: $(tail -n 20 "$WORK/ours.err")"
    documents=$(summary_field "$line" documents)
    failed=$(summary_field "$line" failed)
    if ((documents != expected || failed != 0)); then
        log "extract ($group, round $round): $line"
        log "failing documents (rerun without --quiet):"
        "$BIN" extract --concurrency "$CONCURRENCY" "$@" 2>/dev/null | grep -v '"status":"extracted"' | head -n 20 >&2 || true
        die "extract processed $documents of $expected documents with $failed failures: an engine bug to report"
    fi
    printf 'ours\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$group" "$expected" "$(elapsed "$began" "$ended")" \
        "$(cpu_delta "$m0" "$c0")" "$line" >>"$WORK/results.tsv"
    log "ours  round $round $group: $expected docs in $(elapsed "$began" "$ended") s"
}

# ---------------------------------------------------------------------------------------------------------
# The peer: the best CLI converter per format, xargs -P over each group. One timed region for all groups; each
# group's own interval is recorded too.

peer_command() { # format -> PEER (array), {} is the file
    case $1 in
        pdf) PEER=(pdftotext -layout -enc UTF-8 {} -) ;;
        doc) PEER=(antiword -m UTF-8.txt -w 0 {}) ;;
        docx) PEER=(pandoc -f docx -t plain --wrap=none {}) ;;
        odt) PEER=(pandoc -f odt -t plain --wrap=none {}) ;;
        rtf) PEER=(unrtf --text {}) ;; # not pandoc: unrtf is the engine's own RTF converter and ~30x faster per file
        html) PEER=(pandoc -f html -t plain --wrap=none {}) ;;
        txt) PEER=(cat {}) ;;
        *) die "no peer for $1" ;;
    esac
}

run_xargs() { # round
    local round=$1 fmt began ended g0 g1 rc m0 c0
    cpu_snapshot
    m0=$SNAP_MACHINE_MS c0=$SNAP_CHILDREN_MS
    began=$EPOCHREALTIME
    for fmt in "${FORMATS[@]}"; do
        peer_command "$fmt"
        g0=$EPOCHREALTIME
        rc=0
        timeout -k 10 "$RUN_TIMEOUT" xargs -0 -P "$CONCURRENCY" -I{} "${PEER[@]}" <"$WORK/list-$fmt" \
            >/dev/null 2>>"$WORK/xargs.err" || rc=$?
        g1=$EPOCHREALTIME
        ((rc == 0)) || die "xargs ${PEER[*]} exited with $rc (123: a converter failed): $(tail -n 5 "$WORK/xargs.err")"
        printf 'xargs\t%s\t%s\t%s\t%s\t-\t-\t-\n' "$round" "$fmt" "$(<"$WORK/count-$fmt")" "$(elapsed "$g0" "$g1")" \
            >>"$WORK/results.tsv"
    done
    ended=$EPOCHREALTIME
    cpu_snapshot
    printf 'xargs\t%s\tall\t%s\t%s\t%s\t-\n' "$round" "$TOTAL" "$(elapsed "$began" "$ended")" "$(cpu_delta "$m0" "$c0")" \
        >>"$WORK/results.tsv"
    log "xargs round $round all: $TOTAL docs in $(elapsed "$began" "$ended") s"
}

warm_up() {
    local fmt first
    log "warm-up (untimed): page cache for the corpus and every converter"
    find "$DATA_DIR/files" -type f -exec cat {} + >/dev/null
    for fmt in "${FORMATS[@]}"; do
        peer_command "$fmt"
        first=$(head -z -n 1 "$WORK/list-$fmt" | tr -d '\0')
        "${PEER[@]/\{\}/$first}" >/dev/null 2>&1 || die "${PEER[*]} fails on $first"
    done
    run_ours 0 all "$TOTAL" "$DATA_DIR/files"
    : >"$WORK/results.tsv" # the warm-up run is not a figure
}

throughput() {
    local round fmt paths all reps i
    for ((round = 1; round <= RUNS; round++)); do
        run_ours "$round" all "$TOTAL" "$DATA_DIR/files"
        run_xargs "$round"
        if ((!SKIP_GROUPS)); then
            for fmt in "${FORMATS[@]}"; do
                # Small groups are named several times over (the same files again) until they reach GROUP_MIN
                # documents, so that the process's fixed start and stop (measured below) do not decide the ratio.
                mapfile -d '' -t paths <"$WORK/list-$fmt"
                reps=$(((GROUP_MIN + ${#paths[@]} - 1) / ${#paths[@]}))
                all=()
                for ((i = 0; i < reps; i++)); do all+=("${paths[@]}"); done
                run_ours "$round" "$fmt" "${#all[@]}" "${all[@]}"
            done
            # The fixed cost of one extract process: start, open the extractor, one text file, stop.
            run_ours "$round" startup 1 "$(head -z -n 1 "$WORK/list-txt" | tr -d '\0')"
        fi
    done
}

# ---------------------------------------------------------------------------------------------------------
# uv_spawn against posix_spawn with a big resident heap.

spawncost() {
    local heap
    [[ -e /usr/include/uv.h ]] || die "no /usr/include/uv.h (libuv1-dev)"
    gcc -O2 -Wall -Wextra -o "$WORK/spawncost" "$HERE/spawncost.c" -luv
    for heap in $SPAWN_HEAPS_MIB; do
        log "spawncost: $SPAWN_COUNT x uv_spawn and posix_spawn of /bin/true with a $heap MiB heap"
        timeout -k 10 "$RUN_TIMEOUT" "$WORK/spawncost" "$heap" "$SPAWN_COUNT" >>"$WORK/spawncost.txt" 2>>"$WORK/spawncost.err" ||
            die "spawncost $heap failed: $(tail -n 5 "$WORK/spawncost.err")"
    done
}

# ---------------------------------------------------------------------------------------------------------
# Memory: VmRSS over one run, sampled in the background.

sample_rss() { # pid out deadline-seconds (runs in the background; ends when the process has no VmRSS any more)
    local pid=$1 out=$2 deadline=$3 began=$EPOCHREALTIME rss interval
    interval=$(printf '%d.%03d' $((SAMPLE_MS / 1000)) $((SAMPLE_MS % 1000)))
    while :; do
        # awk takes the file in one read(2). Bash's `read` rereads it after each line (read, lseek back to the
        # newline, read again); /proc regenerates the text every time, and once an earlier line changed width
        # ("State: R (running)" / "S (sleeping)") the next read starts mid-line and VmRSS can be missed.
        rss=$(awk '$1 == "VmRSS:" {print $2}' /proc/"$pid"/status 2>/dev/null) || break
        [[ -n $rss ]] || break # a zombie: the process has exited
        printf '%s %s\n' "$EPOCHREALTIME" "$rss" >>"$out"
        if (($(elapsed "$began" "$EPOCHREALTIME" | cut -d. -f1) >= deadline)); then
            echo timeout >"$out.timeout"
            kill -TERM "$pid" 2>/dev/null || true
            break
        fi
        sleep "$interval"
    done
}

memory_run() { # label expected-documents paths...
    local label=$1 expected=$2 began ended rc=0 line
    shift 2
    : >"$WORK/rss-$label"
    began=$EPOCHREALTIME
    "$BIN" extract --quiet --concurrency "$CONCURRENCY" "$@" >/dev/null 2>"$WORK/mem-$label.err" &
    MEM_PID=$!
    sample_rss "$MEM_PID" "$WORK/rss-$label" "$RUN_TIMEOUT" &
    SAMPLER_PID=$!
    wait "$MEM_PID" || rc=$?
    ended=$EPOCHREALTIME
    MEM_PID=""
    wait "$SAMPLER_PID" || true
    SAMPLER_PID=""
    [[ ! -e "$WORK/rss-$label.timeout" ]] || die "memory run $label did not finish in $RUN_TIMEOUT s: a hang?"
    ((rc == 0)) || die "memory run $label exited with $rc: $(tail -n 20 "$WORK/mem-$label.err")"
    line=$(grep '^documents=' "$WORK/mem-$label.err" | tail -n 1) || die "memory run $label printed no summary"
    (($(summary_field "$line" documents) == expected && $(summary_field "$line" failed) == 0)) ||
        die "memory run $label: $line (expected $expected documents, no failures)"
    printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$expected" "$began" "$ended" "$line" >>"$WORK/memory.tsv"
    log "memory $label: $(wc -l <"$WORK/rss-$label") samples over $(elapsed "$began" "$ended") s, $line"
}

# ---------------------------------------------------------------------------------------------------------

install_missing
build
ensure_corpus
warm_up
log "throughput: $RUNS rounds (ours all, xargs all, ours per format), concurrency $CONCURRENCY"
throughput
((SKIP_SPAWNCOST)) || spawncost
if ((!SKIP_MEMORY)); then
    memory_run 2000 "$TOTAL" "$DATA_DIR/files"
    memory_run 4000 $((TOTAL * 2)) "$DATA_DIR/files" "$DATA_DIR/files"
fi

mkdir -p "$REPO/Benchmarks/results"
RESULT_FILE="$REPO/Benchmarks/results/extract-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
    echo "resume-ingest extraction benchmarks, $STARTED"
    echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)," \
        "$(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), kernel $(uname -r)"
    echo "ours: $(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null)$(cd "$REPO" && git diff --quiet HEAD -- Sources 2>/dev/null || echo '+uncommitted')," \
        "extract --quiet --probe-loop --concurrency $CONCURRENCY"
    echo "peers: xargs -P $CONCURRENCY; $(pdftotext -v 2>&1 | head -n 1), antiword $(dpkg-query -W -f='${Version}' antiword 2>/dev/null)," \
        "$(pandoc --version | head -n 1), unrtf $(unrtf --version 2>&1 | head -n 1), $(xargs --version | head -n 1)"
    echo "corpus: $DATA_DIR ($TOTAL documents, no scans$(for f in "${FORMATS[@]}"; do printf ', %s %s' "$f" "$(<"$WORK/count-$f")"; done))${GENERATED_SECONDS:+, generated in ${GENERATED_SECONDS%.*} s this run}"
    "$PYTHON" - "$WORK" "$SAMPLE_MS" "${FORMATS[*]}" <<'PY'
import os, re, statistics, sys
work, sample_ms, formats = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
med = statistics.median

def fields(summary):
    return {k: v for k, v in re.findall(r"(\w+)=([0-9.]+)", summary)}

rows = []
if os.path.exists(os.path.join(work, "results.tsv")):
    with open(os.path.join(work, "results.tsv")) as f:
        for line in f:
            kind, rnd, group, files, wall, own, other, summary = line.rstrip("\n").split("\t")
            rows.append((kind, int(rnd), group, int(files), float(wall), summary,
                         None if own == "-" else float(own), None if other == "-" else float(other)))

def runs(kind, group):
    return sorted((r for r in rows if r[0] == kind and r[2] == group), key=lambda r: r[1])

ours_all, xargs_all = runs("ours", "all"), runs("xargs", "all")
if ours_all:
    print()
    print("Throughput: documents/s (files / wall seconds from process start to exit), rounds alternate ours, xargs")
    print("(CPU: core-seconds of the measured process tree; others: of everything else on the machine meanwhile)")
    print(f"{'round':<6}{'ours docs/s':>12}{'(engine)':>10}{'xargs docs/s':>14}{'ours/xargs':>12}"
          f"{'ours CPU s':>12}{'xargs CPU s':>13}{'others ours/xargs':>19}")
    ratios = []
    for o, x in zip(ours_all, xargs_all):
        od, xd = o[3] / o[4], x[3] / x[4]
        ratios.append(od / xd)
        print(f"{o[1]:<6}{od:>12.1f}{float(fields(o[5])['docs_per_s']):>10.1f}{xd:>14.1f}{od / xd:>11.2f}x"
              f"{o[6]:>12.1f}{x[6]:>13.1f}{f'{o[7]:.1f} / {x[7]:.1f}':>19}")
    print(f"median ratio ours/xargs: {med(ratios):.2f}x (goal >= 1.0x); "
          f"median docs/s ours {med(o[3] / o[4] for o in ours_all):.1f}, xargs {med(x[3] / x[4] for x in xargs_all):.1f}; "
          f"CPU ms per document ours {med(o[6] / o[3] for o in ours_all) * 1000:.2f}, xargs {med(x[6] / x[3] for x in xargs_all) * 1000:.2f}")
    busy = sum(r[7] for r in rows if r[7] is not None) / sum(r[4] for r in rows if r[7] is not None)
    if busy > 0.1:
        print(f"NOTE: other processes used {busy:.2f} cores on average during the measured runs "
              f"(of {os.cpu_count()}): every absolute figure is low; the alternating ratios less so")
    if runs("ours", formats[0]):
        print()
        print("Per format (ours over that group alone vs its xargs interval; medians over rounds)")
        print("(ours: the group's files named again until >= GROUP_MIN documents; xargs: the group's own interval)")
        print(f"{'format':<7}{'ours':>6}{'xargs':>6}{'ours docs/s':>13}{'xargs docs/s':>14}{'ours/xargs':>12}  peer")
        peers = {"pdf": "pdftotext -layout -enc UTF-8", "doc": "antiword -m UTF-8.txt -w 0",
                 "docx": "pandoc -f docx -t plain", "odt": "pandoc -f odt -t plain", "rtf": "unrtf --text",
                 "html": "pandoc -f html -t plain", "txt": "cat"}
        for fmt in formats:
            o, x = runs("ours", fmt), runs("xargs", fmt)
            if not o or not x:
                continue
            od, xd = med(r[3] / r[4] for r in o), med(r[3] / r[4] for r in x)
            rr = med(a[3] / a[4] / (b[3] / b[4]) for a, b in zip(o, x))
            print(f"{fmt:<7}{o[0][3]:>6}{x[0][3]:>6}{od:>13.1f}{xd:>14.1f}{rr:>11.2f}x  {peers[fmt]}")
        s = runs("ours", "startup")
        if s:
            print(f"fixed cost of one extract process (start, one text file, stop): median {med(r[4] for r in s) * 1000:.0f} ms"
                  f" (runs: {', '.join(f'{r[4] * 1000:.0f}' for r in s)})")
    print()
    print("Loop under full load (full-corpus runs; median over rounds of each run's figure)")
    keys = [("spawn_loop", "loop thread time to start one converter"), ("loop_busy", "wall time per loop iteration outside epoll"),
            ("loop_cpu", "loop thread CPU per iteration")]
    for key, what in keys:
        p99 = med(float(fields(o[5])[f"{key}_p99_ms"]) for o in ours_all)
        mx = med(float(fields(o[5])[f"{key}_max_ms"]) for o in ours_all)
        each = ", ".join(f"{fields(o[5])[f'{key}_p99_ms']}/{fields(o[5])[f'{key}_max_ms']}" for o in ours_all)
        print(f"  {key + '_ms':<14} p99 {p99:.3f}  max {mx:.3f}   (runs p99/max: {each}; {what})")
    f0 = fields(ours_all[0][5])
    print(f"  spawns per run {f0['spawns']}, loop iterations per run {med(int(fields(o[5])['loop_iterations']) for o in ours_all):.0f}, "
          f"office_starts {f0['office_starts']}; goal: spawn stall p99 < 1 ms")

path = os.path.join(work, "spawncost.txt")
if os.path.exists(path):
    print()
    print("Process start cost on the calling thread, /bin/true, microseconds (spawncost.c; a loop thread stalls this long)")
    print(f"{'method':<13}{'heap':>9}{'n':>5}{'p50':>10}{'p99':>10}{'max':>10}")
    results = {}
    for line in open(path):
        f = dict(kv.split("=") for kv in line.split())
        results[(f["method"], f["heap_mib"])] = f
        print(f"{f['method']:<13}{f['heap_mib'] + ' MiB':>9}{f['n']:>5}{float(f['p50_us']):>10.1f}{float(f['p99_us']):>10.1f}{float(f['max_us']):>10.1f}")
    for heap in sorted({h for _, h in results}, key=int):
        u, p = results.get(("uv_spawn", heap)), results.get(("posix_spawn", heap))
        if u and p:
            print(f"  {heap} MiB: uv_spawn/posix_spawn p50 {float(u['p50_us']) / float(p['p50_us']):.0f}x, "
                  f"p99 {float(u['p99_us']) / float(p['p99_us']):.0f}x")

path = os.path.join(work, "memory.tsv")
if os.path.exists(path):
    print()
    print(f"Memory: VmRSS sampled every {sample_ms} ms over one extract run (MiB; % of the run's wall time)")
    print(f"{'documents':<10}{'10%':>8}{'25%':>8}{'50%':>8}{'75%':>8}{'100%':>8}{'peak':>8}{'VmHWM':>8}{'100%-25%':>10}{'samples':>9}{'s':>7}")
    peaks = {}
    for line in open(path):
        label, expected, began, ended, summary = line.rstrip("\n").split("\t")
        began, ended = float(began), float(ended)
        samples = [tuple(map(float, l.split())) for l in open(os.path.join(work, f"rss-{label}"))]
        def at(fraction):
            t = began + fraction * (ended - began)
            before = [kib for ts, kib in samples if ts <= t]
            return (before[-1] if before else samples[0][1]) / 1024
        points = [at(p) for p in (0.10, 0.25, 0.50, 0.75, 1.0)]
        peak = max(kib for _, kib in samples) / 1024
        hwm = int(fields(summary)["peak_rss_kib"]) / 1024
        peaks[label] = hwm
        print(f"{label:<10}" + "".join(f"{v:>8.1f}" for v in points) + f"{peak:>8.1f}{hwm:>8.1f}{points[4] - points[1]:>+10.1f}"
              f"{len(samples):>9}{ended - began:>7.1f}")
    if "2000" in peaks and "4000" in peaks:
        print(f"peak (VmHWM) 4,000 vs 2,000 documents: {peaks['4000']:.1f} vs {peaks['2000']:.1f} MiB "
              f"({peaks['4000'] - peaks['2000']:+.1f} MiB); goal: flat")
PY
} | tee "$RESULT_FILE"
log "saved to ${RESULT_FILE#"$REPO"/}"
