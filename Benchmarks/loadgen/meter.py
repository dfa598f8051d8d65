#!/usr/bin/env python3
"""Runs one client under a time bound and writes what it cost, as /usr/bin/time would.

    meter.py OUT.json TIMEOUT_S -- COMMAND...

COMMAND runs in a session of its own. OUT.json gets {"cpu_s", "user_s", "sys_s", "wall_s", "max_rss_kib", "exit",
"timed_out"}: user+sys CPU of COMMAND and of every descendant it waited for (getrusage(RUSAGE_CHILDREN)), and the
largest peak RSS among them (what `/usr/bin/time -f %M` prints). After TIMEOUT_S, or when this process gets
SIGTERM/SIGINT, COMMAND's session gets SIGTERM, then SIGKILL 5 s later. Exits with COMMAND's status.
"""
import json
import os
import resource
import signal
import subprocess
import sys
import time


def stop(child: subprocess.Popen) -> None:
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if child.poll() is not None:
            return
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        try:
            child.wait(grace)
        except subprocess.TimeoutExpired:
            pass


def main() -> None:
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit(__doc__)
    out, timeout, command = sys.argv[1], float(sys.argv[2]), sys.argv[4:]
    start = time.monotonic()
    child = subprocess.Popen(command, start_new_session=True)

    def on_signal(signum, frame):
        stop(child)
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    timed_out = False
    try:
        code = child.wait(timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        stop(child)
        code = child.wait()
    wall = time.monotonic() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w") as f:
        json.dump({"cpu_s": round(usage.ru_utime + usage.ru_stime, 3), "user_s": round(usage.ru_utime, 3),
                   "sys_s": round(usage.ru_stime, 3), "wall_s": round(wall, 3), "max_rss_kib": usage.ru_maxrss,
                   "exit": code, "timed_out": timed_out}, f)
        f.write("\n")
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
