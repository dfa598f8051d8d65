#!/usr/bin/env bash
# Runs the built test bundle and keeps its whole output in .build/test-output.log. When the run fails, the
# end of the output (what CI shows) repeats what matters: the fatal error, the failed tests, and the tests
# that started but never finished (the one that crashed is among them).
set -uo pipefail
cd "$(dirname "$0")/.."
log=.build/test-output.log
mkdir -p .build
# A crash prints the crashed thread only, without registers or the image list, so the frames stay in view.
# The loop thread held for 2 s or more (a blocking call on it) is said in the log, between the tests that ran then.
export LOOP_STALL_WARN_MS="${LOOP_STALL_WARN_MS:-2000}"
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=yes,threads=crashed,registers=none,images=none,sanitize=no}"
swift test --skip-build "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
    echo
    echo "=== swift test failed (exit $status); full output in $log ==="
    grep -E "Fatal error|Assertion failed|Precondition failed|crashed|error:" "$log" | sed -n 1,20p
    grep -E "^✘ " "$log" | sed -n 1,40p
    # Tests that started and never passed, failed or were skipped.
    python3 - "$log" <<'PY'
import re, sys
started, ended = [], set()
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = re.match(r'^◇ Test "(.*)" started\.', line)
    if m:
        started.append(m.group(1))
    m = re.match(r'^[✔✘➜] Test "(.*?)"(?: with \d+ test cases?)? (passed|failed|skipped)', line)
    if m:
        ended.add(m.group(1))
unfinished = [t for t in started if t not in ended]
if unfinished:
    print("unfinished tests:")
    for t in unfinished:
        print("  " + t)
PY
fi
exit "$status"
