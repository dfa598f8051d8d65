#!/usr/bin/python3
"""Per-layout scores of the rule-based parser on a layouts set: writes one manifest per layout (and one per
layout's flattened twins) beside the set's manifest and runs `resume-ingest score-rules` on each.

    swift build -c release --product resume-ingest
    /usr/bin/python3 bench-data/score_layouts.py .data/bench-data/layouts-holdout [--bin .build/release/resume-ingest]

On a holdout set, report these scores; do not read its documents or misses to tune the parser.
"""

import argparse
import collections
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="a layouts set (holds manifest.jsonl)")
    ap.add_argument("--bin", default=".build/release/resume-ingest", help="the resume-ingest executable")
    a = ap.parse_args()
    groups = collections.defaultdict(list)
    with open(os.path.join(a.dir, "manifest.jsonl"), encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            if e.get("record") and "layout" in e:
                groups[e["layout"] + ("-flat" if e["flattened"] else "")].append(line)
    failed = 0
    for name in sorted(groups):
        path = os.path.join(a.dir, f"manifest-{name}.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(groups[name])
        print(f"## {name} ({len(groups[name])} documents)", flush=True)
        r = subprocess.run([a.bin, "score-rules", path, "--repeats", "1"], capture_output=True, text=True)
        print(r.stdout if r.returncode == 0 else r.stderr[-2000:], flush=True)
        failed += r.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
