#!/usr/bin/env bash
# What the converters' sandbox (EXTRACT_SANDBOX, bubblewrap) costs per document; what and why: README.md here.
#
# `resume-ingest extract --quiet --concurrency $CONCURRENCY` over the same files with EXTRACT_SANDBOX=off and with
# EXTRACT_SANDBOX=bwrap, RUNS rounds; the order alternates (odd rounds off first, even rounds bwrap first) so that
# neither mode always runs on a warmer or quieter machine. One untimed run of each first. Per run: wall seconds
# from process start to exit, and the CPU of the process tree (the engine and every converter, from a cgroup). Both
# modes must give the same summary counts (documents, extracted, failed, codes, converter starts).
# Prints medians, the bwrap/off ratio (median of the per-round ratios), the extra wall and CPU milliseconds per
# document and per converter start, and saves it all to Benchmarks/results/extract-sandbox-<UTC time>.txt.
#
# Knobs (environment): FILES (bench-data/sample/files: every format, scans and the nasty set), RUNS (5),
# CONCURRENCY (nproc), RUN_TIMEOUT (600 s per process), BIN (a resume-ingest binary; default: build release),
# SCRATCH_PATH (.build; .build-bench keeps clear of another build in the same checkout), WORK_PARENT (/tmp).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export PATH="/opt/swift/usr/bin:$PATH"
PYTHON=/usr/bin/python3

FILES=${FILES:-$REPO/bench-data/sample/files}
RUNS=${RUNS:-5}
CONCURRENCY=${CONCURRENCY:-$(nproc)}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
BIN=${BIN:-}
SCRATCH_PATH=${SCRATCH_PATH:-.build}
WORK_PARENT=${WORK_PARENT:-/tmp}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

WORK=$(mktemp -d "$WORK_PARENT/extract-sandbox-bench.XXXXXX")
CGROUP=""
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    rm -rf "$WORK"
    # Empty by now: every process the runs started has exited.
    if [[ -n "$CGROUP" ]]; then rmdir "$CGROUP" 2>/dev/null || true; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')

if ! command -v bwrap >/dev/null || ! command -v pdftotext >/dev/null; then
    log "installing the converters and bubblewrap (scripts/install-deps.sh run)"
    "$REPO/scripts/install-deps.sh" run
fi

if [[ -z "$BIN" ]]; then
    log "building resume-ingest (release, --scratch-path $SCRATCH_PATH)"
    (cd "$REPO" && swift build -c release --scratch-path "$SCRATCH_PATH" --product resume-ingest) >"$WORK/build.log" 2>&1 ||
        { tail -n 20 "$WORK/build.log" >&2; die "build failed"; }
    BIN="$(cd "$REPO" && swift build -c release --scratch-path "$SCRATCH_PATH" --show-bin-path)/resume-ingest"
fi
[[ -x "$BIN" ]] || die "no binary at $BIN"

# The comparison means nothing unless bwrap really works here: the engine's own probe says.
sandbox_line=$(EXTRACT_SANDBOX=bwrap "$BIN" doctor 2>&1 | grep '^sandbox ' || true)
[[ "$sandbox_line" == *"= ok: sandboxed"* ]] || die "converters cannot be sandboxed here: ${sandbox_line:-no sandbox line from doctor}"
log "$sandbox_line"
DOCS=$(find "$FILES" -type f | wc -l)
((DOCS > 0)) || die "no files under $FILES"

# CPU of the measured process tree from a cgroup of our own. Not `times` (what run.sh uses): bubblewrap's outer
# process does not wait(2) for the sandbox's init, so a sandboxed converter's CPU never reaches the engine's
# children's rusage, and the sandboxed runs would look free. cgroup v2 (cpu.stat) or v1 (cpuacct); without
# either the CPU columns are left out.
CGROUP=""
CPU_FILE=""
if [[ -f /sys/fs/cgroup/cgroup.controllers ]] && mkdir "/sys/fs/cgroup/extract-sandbox-bench-$$" 2>/dev/null; then
    CGROUP="/sys/fs/cgroup/extract-sandbox-bench-$$"
    CPU_FILE="$CGROUP/cpu.stat"
elif [[ -d /sys/fs/cgroup/cpuacct ]] && mkdir "/sys/fs/cgroup/cpuacct/extract-sandbox-bench-$$" 2>/dev/null; then
    CGROUP="/sys/fs/cgroup/cpuacct/extract-sandbox-bench-$$"
    CPU_FILE="$CGROUP/cpuacct.usage"
else
    log "no cgroup of our own (needs root and cgroup v2 or v1 cpuacct): CPU is not measured"
fi
cpu_ms() { # the cgroup's CPU so far, in ms (0 without one)
    [[ -n "$CPU_FILE" ]] || { echo 0; return; }
    if [[ "$CPU_FILE" == */cpu.stat ]]; then
        awk '$1 == "usage_usec" {printf "%d\n", $2 / 1000}' "$CPU_FILE"
    else
        awk '{printf "%d\n", $1 / 1000000}' "$CPU_FILE"
    fi
}

run_one() { # mode round -> appends "mode round wall-s cpu-ms summary" to results.tsv (round 0: warm-up, not kept)
    local mode=$1 round=$2 began ended c0 c1 rc=0 line
    rm -rf "$WORK/work"
    c0=$(cpu_ms)
    began=$EPOCHREALTIME
    (
        if [[ -n "$CGROUP" ]]; then echo "$BASHPID" >"$CGROUP/cgroup.procs"; fi
        EXTRACT_SANDBOX=$mode EXTRACT_WORK_DIR="$WORK/work" exec timeout -k 10 "$RUN_TIMEOUT" \
            "$BIN" extract --quiet --concurrency "$CONCURRENCY" "$FILES"
    ) >/dev/null 2>"$WORK/run.err" || rc=$?
    ended=$EPOCHREALTIME
    c1=$(cpu_ms)
    ((rc == 0)) || die "extract with EXTRACT_SANDBOX=$mode exited with $rc: $(tail -n 20 "$WORK/run.err")"
    line=$(grep '^documents=' "$WORK/run.err" | tail -n 1) || die "extract printed no summary"
    if ((round > 0)); then
        printf '%s\t%s\t%s\t%s\t%s\n' "$mode" "$round" "$("$PYTHON" -c "print(${ended} - ${began})")" \
            "$((c1 - c0))" "$line" >>"$WORK/results.tsv"
    fi
    log "$mode round $round: $line"
}

log "warm-up (untimed): one run of each mode over $DOCS files"
run_one off 0
run_one bwrap 0
for ((round = 1; round <= RUNS; round++)); do
    if ((round % 2)); then
        run_one off "$round"
        run_one bwrap "$round"
    else
        run_one bwrap "$round"
        run_one off "$round"
    fi
done

mkdir -p "$REPO/Benchmarks/results"
RESULT_FILE="$REPO/Benchmarks/results/extract-sandbox-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
    echo "resume-ingest converter sandbox cost, $STARTED"
    echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)," \
        "kernel $(uname -r), $(bwrap --version)"
    echo "ours: $(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null)$(cd "$REPO" && git diff --quiet HEAD -- Sources 2>/dev/null || echo '+uncommitted')," \
        "extract --quiet --concurrency $CONCURRENCY over $FILES ($DOCS files), $RUNS rounds, order alternating"
    "$PYTHON" - "$WORK/results.tsv" <<'PY'
import re, statistics, sys
med = statistics.median
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
runs = {}
for mode, rnd, wall, cpu, summary in rows:
    f = dict(re.findall(r"(\w+)=([0-9.]+)", summary))
    codes = re.search(r"codes=\[([^]]*)\]", summary).group(1)
    runs[(mode, int(rnd))] = dict(wall=float(wall), cpu=int(cpu) / 1000, docs=int(f["documents"]),
                                  extracted=int(f["extracted"]), failed=int(f["failed"]), spawns=int(f["spawns"]),
                                  codes=codes)
rounds = sorted({r for _, r in runs})
same = all((runs[("off", r)]["extracted"], runs[("off", r)]["failed"], runs[("off", r)]["codes"],
            runs[("off", r)]["spawns"]) == (runs[("bwrap", r)]["extracted"], runs[("bwrap", r)]["failed"],
                                           runs[("bwrap", r)]["codes"], runs[("bwrap", r)]["spawns"]) for r in rounds)
print()
print(f"{'round':<6}{'off s':>9}{'bwrap s':>9}{'ratio':>8}{'off CPU s':>11}{'bwrap CPU s':>13}{'CPU ratio':>11}")
ratios, cpu_ratios = [], []
for r in rounds:
    o, b = runs[("off", r)], runs[("bwrap", r)]
    ratios.append(b["wall"] / o["wall"])
    cpu_ratios.append(b["cpu"] / o["cpu"] if o["cpu"] else float("nan"))
    print(f"{r:<6}{o['wall']:>9.2f}{b['wall']:>9.2f}{ratios[-1]:>7.3f}x{o['cpu']:>11.2f}{b['cpu']:>13.2f}{cpu_ratios[-1]:>10.3f}x")
o0 = runs[("off", rounds[0])]
docs, spawns = o0["docs"], o0["spawns"]
ow, bw = med(runs[("off", r)]["wall"] for r in rounds), med(runs[("bwrap", r)]["wall"] for r in rounds)
oc, bc = med(runs[("off", r)]["cpu"] for r in rounds), med(runs[("bwrap", r)]["cpu"] for r in rounds)
print(f"documents per run {docs} ({o0['extracted']} extracted, {o0['failed']} failed: {o0['codes']}), "
      f"converter starts per run {spawns}; same counts in both modes every round: {'yes' if same else 'NO'}")
print(f"median wall: off {ow:.2f} s, bwrap {bw:.2f} s; median ratio bwrap/off {med(ratios):.3f}x "
      f"(rounds: {', '.join(f'{x:.3f}' for x in ratios)})")
print(f"wall per document: off {ow / docs * 1000:.1f} ms, bwrap {bw / docs * 1000:.1f} ms, "
      f"extra {(bw - ow) / docs * 1000:+.1f} ms/doc ({(bw - ow) / max(spawns, 1) * 1000:+.1f} ms per converter start, "
      f"concurrency shares it)")
print(f"CPU per document: off {oc / docs * 1000:.1f} ms, bwrap {bc / docs * 1000:.1f} ms, "
      f"extra {(bc - oc) / docs * 1000:+.1f} ms/doc ({(bc - oc) / max(spawns, 1) * 1000:+.1f} ms per converter start); "
      f"median CPU ratio {med(cpu_ratios):.3f}x")
PY
} | tee "$RESULT_FILE"
log "saved to ${RESULT_FILE#"$REPO"/}"
