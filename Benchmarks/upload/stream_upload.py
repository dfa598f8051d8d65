#!/usr/bin/env python3
"""Streams N concurrent multipart uploads of SIZE pseudo-random bytes each, generated on the fly.

    stream_upload.py --port PORT --size BYTES [--host 127.0.0.1] [--count 16] [--timeout 600]

Nothing of SIZE is ever held in memory or written to disk on the client side: each upload sends its
multipart head, then slices of a fixed 4 MiB random pool (a different offset for every chunk), then the
closing delimiter, with a precomputed Content-Length. Prints one JSON line with the statuses and timings
and exits non-zero unless every upload got the expected status (202).
"""
import argparse
import http.client
import json
import os
import random
import sys
import threading
import time

CHUNK = 1 << 20
POOL = random.Random(20240601).randbytes(4 << 20)


def upload(index, args, boundary, results):
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="files"; filename="big-{index}.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    started = time.monotonic()
    try:
        conn = http.client.HTTPConnection(args.host, args.port, timeout=args.timeout)
        conn.putrequest("POST", args.path, skip_accept_encoding=True)
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(len(head) + args.size + len(tail)))
        conn.endheaders()
        conn.send(head)
        pool = memoryview(POOL)
        rng = random.Random(index)
        left = args.size
        while left > 0:
            n = min(CHUNK, left)
            offset = rng.randrange(0, len(POOL) - n + 1)
            conn.sock.sendall(pool[offset:offset + n])
            left -= n
        conn.send(tail)
        response = conn.getresponse()
        body = response.read()
        results[index] = {"status": response.status, "seconds": round(time.monotonic() - started, 3),
                          "body": body[:300].decode("utf-8", "replace")}
        conn.close()
    except Exception as error:  # reported, and makes the run fail
        results[index] = {"status": None, "seconds": round(time.monotonic() - started, 3),
                          "error": repr(error)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/api/v1/bulk-parse-resumes")
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--count", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--expect", type=int, default=202)
    args = parser.parse_args()

    boundary = "streamBoundary" + os.urandom(16).hex()
    results = [None] * args.count
    threads = [threading.Thread(target=upload, args=(i, args, boundary, results)) for i in range(args.count)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    ok = sum(1 for r in results if r and r["status"] == args.expect)
    summary = {
        "count": args.count, "size": args.size, "ok": ok, "seconds": round(elapsed, 3),
        "mb_per_s": round(args.count * args.size / elapsed / 1e6, 1),
        "statuses": sorted({str(r["status"]) for r in results}),
        "failures": [r for r in results if not r or r["status"] != args.expect][:3],
    }
    print(json.dumps(summary))
    sys.exit(0 if ok == args.count else 1)


if __name__ == "__main__":
    main()
