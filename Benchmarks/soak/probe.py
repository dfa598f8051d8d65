#!/usr/bin/env python3
"""Single-attack probes that reproduce what the soak found, one at a time, against a running `serve`
(see Benchmarks/soak/README.md, "Findings"). Python standard library only, loopback only, bounded in time.

  probe.py pipelined --port P --pid PID [--path /metrics] [--conns 8] [--requests 2000] [--seconds 20]
      CONNS connections each write REQUESTS pipelined GETs of PATH and never read. Meanwhile GET /health is
      timed every 50 ms on another connection. Prints the longest /health wait and serve's RSS growth.
  probe.py slowbody --port P [--conns 1] [--every 5] [--seconds 120]
      CONNS uploads whose bodies trickle one byte every EVERY seconds: prints whether and when serve ended them,
      then what a legitimate upload gets (start serve with MAX_CONNECTIONS=CONNS to see the door closed).
"""
import argparse
import socket
import sys
import threading
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pipelined(a):
    req = f"GET {a.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode() * a.requests
    stalls = []
    stop = threading.Event()

    def health():
        while not stop.is_set():
            t0 = time.monotonic()
            try:
                s = socket.create_connection(("127.0.0.1", a.port), timeout=30)
                s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                while s.recv(4096):
                    pass
                s.close()
            except OSError:
                pass
            stalls.append((time.monotonic() - t0, time.strftime("%H:%M:%S")))
            stop.wait(0.05)

    rss0 = rss_kib(a.pid)
    h = threading.Thread(target=health)
    h.start()
    time.sleep(2)
    base = max(x[0] for x in stalls) if stalls else 0
    socks = []
    t_start = time.monotonic()
    for _ in range(a.conns):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", a.port))
        s.setblocking(False)
        sent = 0
        deadline = time.monotonic() + 5
        while sent < len(req) and time.monotonic() < deadline:
            try:
                sent += s.send(req[sent:])
            except BlockingIOError:
                time.sleep(0.01)
        socks.append((s, sent))
    peak = rss0
    while time.monotonic() - t_start < a.seconds:
        peak = max(peak, rss_kib(a.pid))
        time.sleep(0.2)
    stop.set()
    h.join()
    for s, _ in socks:
        s.close()
    worst = max(stalls)
    print(f"{a.conns} connections x {a.requests} pipelined GET {a.path}, never read "
          f"({sum(x[1] for x in socks)} bytes of requests accepted by the kernel)")
    print(f"GET /health: {len(stalls)} timed, longest {worst[0] * 1000:.0f} ms at {worst[1]} "
          f"(before the attack: {base * 1000:.0f} ms)")
    print(f"serve RSS: {rss0 // 1024} MiB before, peak {peak // 1024} MiB during ({(peak - rss0) // 1024} MiB more)")


def slowbody(a):
    head = (b"POST /api/v1/bulk-parse-resumes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; "
            b"boundary=probe\r\nContent-Length: 1000000\r\n\r\n--probe\r\nContent-Disposition: form-data; "
            b"name=\"files\"; filename=\"SLOWBODY-probe.txt\"\r\n\r\n")
    socks = []
    for _ in range(a.conns):
        s = socket.create_connection(("127.0.0.1", a.port), timeout=5)
        s.sendall(head)
        s.setblocking(False)
        socks.append(s)
    t0 = time.monotonic()
    sent = 0
    ended = 0
    while time.monotonic() - t0 < a.seconds and socks:
        for s in list(socks):
            try:
                chunk = s.recv(4096)
                first = chunk.split(b"\r\n")[0].decode(errors="replace") if chunk else "closed"
                print(f"serve ended one after {time.monotonic() - t0:.1f} s: {first}")
                ended += 1
                socks.remove(s)
                s.close()
                continue
            except BlockingIOError:
                pass
            except OSError as e:
                print(f"serve ended one after {time.monotonic() - t0:.1f} s: {e}")
                ended += 1
                socks.remove(s)
                continue
            s.send(b"x")
        sent += 1
        time.sleep(a.every)
    print(f"{len(socks)} of {a.conns} trickling bodies still open after {a.seconds:.0f} s "
          f"({sent} body bytes each, one per {a.every:g} s)")
    # What a legitimate client gets meanwhile (with MAX_CONNECTIONS at --conns, a 503).
    body = (b"--probe\r\nContent-Disposition: form-data; name=\"files\"; filename=\"legit.txt\"\r\n\r\n"
            b"Jane Doe, engineer\r\n--probe--\r\n")
    c = socket.create_connection(("127.0.0.1", a.port), timeout=10)
    try:
        c.sendall(b"POST /api/v1/bulk-parse-resumes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; "
                  b"boundary=probe\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    except OSError:
        pass
    answer = c.recv(65536)
    c.close()
    print("a legitimate upload meanwhile:", answer.split(b"\r\n")[0].decode(errors="replace"),
          answer.rsplit(b"\r\n\r\n", 1)[-1][:110].decode(errors="replace"))
    for s in socks:
        s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pipelined")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--path", default="/metrics")
    p.add_argument("--conns", type=int, default=8)
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--seconds", type=float, default=20)
    p = sub.add_parser("slowbody")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--every", type=float, default=5)
    p.add_argument("--conns", type=int, default=1)
    p.add_argument("--seconds", type=float, default=120)
    a = ap.parse_args()
    {"pipelined": pipelined, "slowbody": slowbody}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
