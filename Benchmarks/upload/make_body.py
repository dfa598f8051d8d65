#!/usr/bin/env python3
"""Writes one multipart/form-data request body (a single `files` part of seeded pseudo-random bytes).

    make_body.py SIZE_BYTES BOUNDARY OUT_FILE [SEED]

The same file is sent, byte for byte, to every server of the upload benchmark (wrk reads it in post.lua).
"""
import random
import sys


def main() -> None:
    size, boundary, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else size
    data = random.Random(seed).randbytes(size)
    delimiter = ("\r\n--" + boundary).encode()
    if delimiter in data or data.startswith(delimiter[2:]):
        sys.exit("the random bytes contain the boundary; pick another seed")
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="files"; filename="bench-{size}.bin"\r\n'
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    with open(out, "wb") as f:
        f.write(head)
        f.write(data)
        f.write(tail)


if __name__ == "__main__":
    main()
