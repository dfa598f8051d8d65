#!/usr/bin/env python3
"""CPU accounting for the upload benchmark, from /proc (Linux only).

    cpu.py snapshot PID...        -> "<cpu seconds of each PID and its direct children> <busy seconds of the machine>"
    cpu.py run OUT_FILE -- CMD... -> runs CMD, then writes the CPU seconds it used (user+sys) to OUT_FILE

The machine's busy time is every CPU's non-idle, non-iowait time from /proc/stat, summed.
"""
import os
import resource
import subprocess
import sys

TICK = os.sysconf("SC_CLK_TCK")


def stat_fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    # The command name is in parentheses and may hold spaces; the fields after it are plain.
    return text[text.rindex(")") + 2:].split()


def process_seconds(pids):
    wanted = {int(p) for p in pids}
    family = set(wanted)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(stat_fields(entry)[1]) in wanted:
                    family.add(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    total = 0
    for pid in family:
        try:
            fields = stat_fields(pid)
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, ValueError, IndexError):
            pass
    return total / TICK


def busy_seconds():
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / TICK


def main():
    if sys.argv[1] == "snapshot":
        print(f"{process_seconds(sys.argv[2:]):.2f} {busy_seconds():.2f}")
    elif sys.argv[1] == "run":
        out, command = sys.argv[2], sys.argv[sys.argv.index("--") + 1:]
        code = subprocess.call(command)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(out, "w") as f:
            f.write(f"{usage.ru_utime + usage.ru_stime:.2f}\n")
        sys.exit(code)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
