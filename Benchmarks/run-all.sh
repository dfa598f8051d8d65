#!/usr/bin/env bash
# Every benchmark of the engine, each a ratio against a named peer measured in the same run:
#   1. multipart parsing: ours vs vapor/multipart-kit on the same bytes (package-benchmark)
#   2. uploads over loopback: ours vs nginx-light, plus peak RSS flatness (needs root for nginx)
#   3. extraction: ours vs the same converters under xargs -P, loop stall per spawn (and uv_spawn vs
#      posix_spawn), RSS over 2,000/4,000 documents
#   4. LibreOffice: warm bridge vs cold soffice per document
#   5. LLM batcher vs its limits, rules parser vs ground truth
#   6. Sink: binary COPY through the Sink vs psql \copy and vs one INSERT per row, CPU, memory
#   7. the whole pipeline: import vs extract, RSS over 10,000 documents, upload->row latency, crashes, reuse
#   8. the partner API: auth cost, fair share between tenants, NDJSON export
#   9. loadgen: closed loop vs wrk and locust, open loop against a stalling server, RSS over a 10 GiB corpus,
#      two engines behind nginx vs one
set -euo pipefail
cd "$(dirname "$0")"
echo "== multipart parse (ours vs multipart-kit) =="
./multipart-ratio.sh
echo
echo "== uploads over loopback (ours vs nginx) and memory =="
./upload/run.sh
echo
echo "== extraction pool (ours vs converters under xargs), loop stall, memory =="
./extract/run.sh
echo
echo "== LibreOffice warm vs cold =="
./office/run.sh
echo
echo "== LLM batcher against llm-sim =="
./llm/run.sh
echo
echo "== rules parser against bench-data ground truth =="
./rules/run.sh
echo
echo "== candidate scoring: the built-in scorer (speed by text length, Spearman's rho vs ground truth, evidence) =="
./scoring/run.sh
echo
echo "== candidate scoring: the LLM scorer against llm-sim (cached prefix tokens, candidates/min at a TPM limit) =="
./llm-scoring/run.sh
echo
echo "== Sink (ours vs psql \\copy and per-row INSERT) =="
./sink/run.sh
echo
echo "== pipeline: import vs extract, memory over a long import, upload->row latency, crash test, restart reuse =="
./pipeline/run.sh
echo
echo "== the partner API: auth cost, fair share between tenants, NDJSON export (ours vs psql \\copy) =="
./api/run.sh
echo
echo "== loadgen: closed loop (vs wrk, locust), open loop vs stalls, memory over 10 GiB, two engines vs one =="
./loadgen/run.sh
