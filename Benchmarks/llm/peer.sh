#!/usr/bin/env bash
# Issue 10's end-to-end figures: the engine's LLM path against the Python service it replaces
# (../shared/peers/pystack: one request per resume, 8 synchronous clients), in one run on this machine, on the
# same files, against the same endpoint model:
#   llm-sim answering after 400 ms + 10 ms per output token, limits high enough not to bind (RPM/TPM knobs).
# For each side, a fresh llm-sim (its counters are the bill) and a fresh database:
#   pystack: upload_load.py, 8 clients, one file per request, every file once; time = the load's elapsed time.
#   engine:  `resume-ingest import` of the same folder; time = first byte to last committed row (import's wall).
# Prints time, resumes/s, prompt / cached / completion tokens per resume and the cost per resume at gpt-4o-mini
# prices (input $0.15, cached input $0.075, output $0.60 per million tokens), and the ratios.
#
# The corpus is generated (bench-data, --sizes long,xlong: 4-12 k characters of text, pdf/docx/doc/odt/rtf/
# html/txt): realistic in length and format, not real resumes (the held-out real set is checked by the team).
# Knobs: COUNT (120), RPM (100000), TPM (100000000), LATENCY_BASE_MS (400), LATENCY_PER_TOKEN_MS (10),
# CONTEXT_WINDOW (the simulator's, 128000; the engine is not told it),
# PEERS (../shared/peers), ENGINE_ENV (extra VAR=value settings for the engine, e.g. "LLM_MAX_CONCURRENCY=64").
# Results: Benchmarks/results/llm-peer-*.txt
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/opt/swift/usr/bin:$PATH
COUNT="${COUNT:-120}"
RPM="${RPM:-100000}"
TPM="${TPM:-100000000}"
LATENCY_BASE_MS="${LATENCY_BASE_MS:-400}"
LATENCY_PER_TOKEN_MS="${LATENCY_PER_TOKEN_MS:-10}"
CONTEXT_WINDOW="${CONTEXT_WINDOW:-128000}"
PEERS="${PEERS:-../shared/peers}"
ENGINE_ENV="${ENGINE_ENV:-}"
SCRATCH_PATH="${SCRATCH_PATH:-.build}"
out="Benchmarks/results/llm-peer-$(date -u +%Y%m%dT%H%M%SZ).txt"
mkdir -p Benchmarks/results
work="$(mktemp -d /var/tmp/llm-peer.XXXXXX)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

[[ -f "$PEERS/pystack/app.py" ]] || { echo "pystack not found under $PEERS (set PEERS)" >&2; exit 2; }
scripts/install-deps.sh test
swift build -c release --product resume-ingest --scratch-path "$SCRATCH_PATH"
bin="$SCRATCH_PATH/release/resume-ingest"
source Benchmarks/database.sh

venv=.data/pystack-venv
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r "$PEERS/pystack/requirements.txt"
fi

corpus=.data/bench-data/llm-long-$COUNT
if [[ ! -f "$corpus/manifest.jsonl" ]]; then
    /usr/bin/python3 bench-data/generate.py --set mix --count "$COUNT" --no-scans --sizes long,xlong --out "$corpus"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 300); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

# llm-sim in the background; sets $sim_port and $sim_pid, logs to $1.
start_sim() {
    sim_port=$(free_port)
    "$bin" llm-sim --port "$sim_port" --rpm "$RPM" --tpm "$TPM" --latency-base-ms "$LATENCY_BASE_MS" \
        --latency-per-token-ms "$LATENCY_PER_TOKEN_MS" --context-window "$CONTEXT_WINDOW" --log-level info >"$1" 2>&1 &
    sim_pid=$!
    pids+=("$sim_pid")
    for _ in $(seq 100); do grep -q "listening\|started\|port" "$1" 2>/dev/null && break; sleep 0.1; done
    sleep 0.3
}
# Stops llm-sim and prints its bill as JSON: requests, documents, prompt, cached, completion tokens.
stop_sim() {
    kill -TERM "$sim_pid"
    wait "$sim_pid" 2>/dev/null || true
    python3 - "$1" <<'PY'
import json, re, sys
line = [l for l in open(sys.argv[1]) if "llm-sim stopped" in l][-1]
def field(name):
    m = re.search(r"(?<![\w])" + name + r"=(\d+)", line)
    return int(m.group(1)) if m else 0
print(json.dumps({k: field(k) for k in ["requests", "completed", "documents", "429_requests", "429_tokens",
                                          "prompt_tokens", "cached_tokens", "completion_tokens", "tokens_admitted",
                                          "truncated", "context_length_exceeded", "peak_in_flight"]}))
PY
}

files=$(find "$corpus/files" -type f | wc -l)

# 1. pystack
start_sim "$work/sim-pystack.log"
py_db=$(fresh llm_peer_pystack)
py_port=$(free_port)
OPENAI_BASE_URL="http://127.0.0.1:$sim_port/v1" OPENAI_API_KEY=sk-bench DATABASE_URL="$py_db" \
    SPOOL_DIR="$work/pystack-spool" "$venv/bin/python" "$PEERS/pystack/app.py" --host 127.0.0.1 --port "$py_port" \
    --log-level warning >"$work/pystack.log" 2>&1 &
py_pid=$!
pids+=("$py_pid")
wait_http "http://127.0.0.1:$py_port/health"
"$venv/bin/python" "$PEERS/upload_load.py" "http://127.0.0.1:$py_port/api/v1/bulk-parse-resumes" \
    --dir "$corpus/files" --concurrency 8 --files-per-request 1 --count "$files" --timeout 600 >"$work/pystack.json"
kill "$py_pid"; wait "$py_pid" 2>/dev/null || true
stop_sim "$work/sim-pystack.log" >"$work/pystack-bill.json"

# 2. the engine
start_sim "$work/sim-engine.log"
en_db=$(fresh llm_peer_engine)
# shellcheck disable=SC2086
env $ENGINE_ENV OPENAI_BASE_URL="http://127.0.0.1:$sim_port/v1" OPENAI_API_KEY=sk-bench DATABASE_URL="$en_db" \
    IMPORT_SPOOL_DIR="$work/engine-spool" EXTRACT_WORK_DIR="$work/extract" \
    "$bin" import --json --quiet --log-level warning "$corpus/files" >"$work/engine.json" 2>"$work/engine.log"
stop_sim "$work/sim-engine.log" >"$work/engine-bill.json"

python3 - "$work" "$files" "$TPM" "$RPM" "$LATENCY_BASE_MS" "$LATENCY_PER_TOKEN_MS" "$CONTEXT_WINDOW" <<'PY' | tee "$out"
import json, sys
work, files, tpm, rpm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
base, per_token = sys.argv[5], sys.argv[6]
py = json.load(open(f"{work}/pystack.json"))
en = json.load(open(f"{work}/engine.json"))
bills = {k: json.load(open(f"{work}/{k}-bill.json")) for k in ("pystack", "engine")}
def seconds(side):
    return py["elapsed_s"] if side == "pystack" else en["seconds"]
def parsed(side):
    return py.get("resumes_ok", py.get("ok")) if side == "pystack" else en["parsed"]
binding = tpm < 10_000_000 or rpm < 10_000
print("# the LLM path against pystack, one run, same files and endpoint model")
print(f"files: {files}; endpoint: {base} ms + {per_token} ms per output token; RPM {rpm}, TPM {tpm} "
      f"({'binding' if binding else 'not binding'}); context window {sys.argv[7]}")
print("cost at gpt-4o-mini prices: input $0.15, cached input $0.075, output $0.60 per million tokens")
rows = {}
for side in ("pystack", "engine"):
    b = bills[side]
    ok = max(1, parsed(side) or 0)
    answered = max(1, b["documents"])
    uncached = b["prompt_tokens"] - b["cached_tokens"]
    bill = (uncached * 0.15 + b["cached_tokens"] * 0.075 + b["completion_tokens"] * 0.60) / 1e6
    t = seconds(side)
    # The bucket starts full: what could be admitted in t seconds is one bucket plus t seconds of refill.
    admissible = tpm + tpm / 60 * t
    rows[side] = dict(seconds=t, parsed=parsed(side), requests=b["requests"],
                      r429=b["429_requests"] + b["429_tokens"], prompt=b["prompt_tokens"] / answered,
                      cached=b["cached_tokens"] / answered, completion=b["completion_tokens"] / answered,
                      per_answer=bill / answered, per_parsed=bill / ok, per_minute=ok / t * 60,
                      admitted=b["tokens_admitted"] / admissible, truncated=b["truncated"],
                      overflows=b["context_length_exceeded"], peak=b["peak_in_flight"])
    r = rows[side]
    print(f"{side:8s} {r['seconds']:7.1f} s  parsed {r['parsed']}/{files}  {r['per_minute']:.1f} resumes/min  "
          f"requests {r['requests']} (429: {r['r429']}, cut at max_tokens: {r['truncated']}, "
          f"context_length_exceeded: {r['overflows']}, peak in flight {r['peak']})")
    print(f"{'':8s} per answered resume: prompt {r['prompt']:.0f}, cached {r['cached']:.0f}, "
          f"completion {r['completion']:.0f} tokens, ${r['per_answer'] * 1000:.4f} per 1,000; "
          f"per parsed resume ${r['per_parsed'] * 1000:.4f} per 1,000; tokens admitted / TPM {r['admitted']:.3f}")
p, e = rows["pystack"], rows["engine"]
print(f"speed: engine {p['seconds'] / e['seconds']:.2f}x pystack's time, "
      f"{e['per_minute'] / p['per_minute']:.2f}x its parsed resumes per minute (goal >= 5x unbound, >= 1.5x bound)")
print(f"cost: engine {e['per_answer'] / p['per_answer']:.2f}x pystack per answered resume, "
      f"{e['per_parsed'] / p['per_parsed']:.2f}x per parsed resume (goal <= 0.8x)")
if binding:
    share = e["r429"] / max(1, e["requests"])
    print(f"binding limit: engine admitted {e['admitted']:.3f} of TPM (goal >= 0.95), "
          f"{share * 100:.2f}% of its requests answered 429 (goal <= 1%)")
PY
echo "saved $out" >&2
