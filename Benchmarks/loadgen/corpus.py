#!/usr/bin/env python3
"""Writes the memory leg's corpus: distinct files of varied sizes adding up to TOTAL bytes.

    corpus.py DIR TOTAL_BYTES [MIN_BYTES MAX_BYTES] [SEED]

Sizes are log-uniform between MIN (20 KiB) and MAX (2 MiB), so small files are many and large ones carry most of
the bytes, as in a real resume corpus. Each file starts with a line naming it and continues with a slice, at an
offset of its own, of a 4 MiB block of seeded pseudo-random bytes: no two files are equal, and writing 10 GiB is
bound by the disk, not by a random generator. Files go 250 to a folder (DIR/files/d0000/f000000.bin ...), and
DIR/corpus.json, outside the replayed folder, records the parameters; when they match, nothing is written again.
"""
import json
import math
import os
import random
import sys


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    root, total = sys.argv[1], int(sys.argv[2])
    lo = int(sys.argv[3]) if len(sys.argv) > 3 else 20 << 10
    hi = int(sys.argv[4]) if len(sys.argv) > 4 else 2 << 20
    seed = sys.argv[5] if len(sys.argv) > 5 else "loadgen-corpus-1"
    params = {"total": total, "min": lo, "max": hi, "seed": seed}
    marker = os.path.join(root, "corpus.json")
    try:
        with open(marker) as f:
            done = json.load(f)
        if {k: done.get(k) for k in params} == params:
            print(json.dumps(done))
            return
    except (OSError, ValueError):
        pass
    rng = random.Random(seed)
    block = rng.randbytes(4 << 20)
    written = count = 0
    while written < total:
        size = min(int(math.exp(rng.uniform(math.log(lo), math.log(hi)))), max(lo, total - written))
        folder = os.path.join(root, "files", f"d{count // 250:04d}")
        if count % 250 == 0:
            os.makedirs(folder, exist_ok=True)
        head = f"loadgen corpus file {count} of seed {seed}, {size} bytes\n".encode()
        offset = rng.randrange(0, len(block) - size) if size < len(block) else 0
        with open(os.path.join(folder, f"f{count:06d}.bin"), "wb") as f:
            f.write(head)
            f.write(memoryview(block)[offset:offset + size - len(head)])
        written += size
        count += 1
    done = dict(params, files=count, bytes=written)
    with open(marker, "w") as f:
        json.dump(done, f)
    print(json.dumps(done))


if __name__ == "__main__":
    main()
