#!/usr/bin/env python3
"""Stalls a server: SIGSTOP to a process and its children for FOR seconds every EVERY seconds, then SIGCONT.

    stall.py PID EVERY FOR FIRST LOG.jsonl

The first stall begins FIRST seconds after the start. Every stall appends {"stop": t, "cont": t} (monotonic
seconds since the start) to LOG.jsonl. On SIGTERM or SIGINT the processes get SIGCONT before this one exits,
so a stall never outlives the run. The children are found again at every stall (nginx may replace a worker).
"""
import json
import os
import signal
import sys
import time


def family(pid: int) -> list[int]:
    pids = [pid]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                text = f.read()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2:].split()[1]) == pid:
            pids.append(int(entry))
    return pids


def send(pids: list[int], sig: int) -> None:
    for p in pids:
        try:
            os.kill(p, sig)
        except ProcessLookupError:
            pass


def main() -> None:
    pid, every, length, first, log = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    stopped: list[int] = []

    def on_signal(signum, frame):
        send(stopped, signal.SIGCONT)
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    start = time.monotonic()
    next_stop = start + first
    while True:
        time.sleep(max(0.0, next_stop - time.monotonic()))
        stopped = family(pid)
        t_stop = time.monotonic()
        send(stopped, signal.SIGSTOP)
        time.sleep(max(0.0, t_stop + length - time.monotonic()))
        send(stopped, signal.SIGCONT)
        t_cont = time.monotonic()
        stopped = []
        with open(log, "a") as f:
            f.write(json.dumps({"stop": round(t_stop - start, 3), "cont": round(t_cont - start, 3)}) + "\n")
        next_stop += every


if __name__ == "__main__":
    main()
