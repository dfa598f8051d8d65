#!/usr/bin/env python3
"""The chaos soak's driver (issue 11): legitimate uploads to a running `resume-ingest serve`, a baseline phase
without attacks, then an attack phase that mixes in hostile clients and a PostgreSQL restart, then a bounded
drain, then the counts. Python standard library only; every loop is bounded in time; loopback only.

Run by Benchmarks/soak/run.sh, which starts the engine, llm-sim and the private PostgreSQL and cleans them up.
See Benchmarks/soak/README.md for what each attack is and what each figure means.
"""
import argparse
import http.client
import io
import json
import os
import random
import select
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
import zipfile

# Filenames that must never become rows: every request carrying one is refused, cut or smuggled.
NEVER_STORED = ("SMUGGLED-", "DISCONNECT-", "SLOWBODY-", "ZBOMB-")
STUB_MARKER = "86399"  # the hanging converter stub's `sleep 86399`
API = "/api/v1/bulk-parse-resumes"


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}            # file id -> (sha256 hex, filename, kind)  (every 202 'queued' entry)
        self.latencies = {"baseline": [], "attack": []}
        self.legit_status = {}     # phase -> {status: count}
        self.legit_errors = {}     # phase -> {error: count}
        self.legit_unacked_names = set()  # legitimate filenames whose request ended without a readable answer
        self.attack = {}           # attack name -> {outcome: count}
        self.hold = {}             # attack name -> [seconds the server kept the connection]
        self.events = []
        self.slow = []             # (latency, wall-clock start, body bytes, encoding) of legitimate uploads
        self.phase = "warmup"
        self.stop_attacks = threading.Event()
        self.stop_legit = threading.Event()

    def count(self, name, outcome, n=1):
        with self.lock:
            d = self.attack.setdefault(name, {})
            d[outcome] = d.get(outcome, 0) + n

    def held(self, name, seconds):
        with self.lock:
            self.hold.setdefault(name, []).append(seconds)

    def event(self, text):
        with self.lock:
            self.events.append(f"{time.strftime('%H:%M:%S')} {text}")
        log(text)


S = State()


# --- files --------------------------------------------------------------------------------------------------

def load_corpus(folder, kinds):
    corpus = []
    for name in sorted(os.listdir(folder)):
        ext = name.rsplit(".", 1)[-1].lower()
        if ext in kinds:
            with open(os.path.join(folder, name), "rb") as f:
                corpus.append((name, ext, f.read()))
    return corpus


def variant(ext, data, token):
    """The same resume with `token` in it, still a valid file of its kind, so that every upload is new content
    (documents are unique per tenant and content: a repeated file would be reused, not stored again)."""
    t = token.encode()
    if ext == "pdf":
        return data + b"\n%soak " + t + b"\n"          # a comment after %%EOF
    if ext in ("txt",):
        return data + b"\n" + t + b"\n"
    if ext in ("html", "htm"):
        return data + b"\n<!-- " + t + b" -->\n"
    if ext == "rtf":
        i = data.rstrip().rfind(b"}")
        return data[:i] + b"{\\*\\soak " + t + b"}" + data[i:]   # an ignorable destination
    if ext in ("docx", "odt") and zipfile.is_zipfile(io.BytesIO(data)):
        src = zipfile.ZipFile(io.BytesIO(data))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():                   # same order, same compression (odt's mimetype first)
                dst.writestr(info, src.read(info))
            dst.comment = t
        return out.getvalue()
    return data + b"\0soak " + t + b"\0" * (512 - (len(t) + 6) % 512)  # .doc, .png: trailing bytes


def multipart(files, boundary=None):
    """files: [(filename, bytes)] -> (content type, body)."""
    boundary = boundary or "soak" + uuid.uuid4().hex
    out = io.BytesIO()
    for name, data in files:
        out.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
                  f"Content-Type: application/octet-stream\r\n\r\n".encode())
        out.write(data)
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", out.getvalue()


# zstd frames written by hand (RFC 8878): raw blocks carry bytes as they are, RLE blocks repeat one byte. No
# compressor is needed, and the inflation is exact.
def zstd_frame(pieces, window_log=20):
    """pieces: [("raw", bytes) | ("rle", byte value, count)] -> one frame, no content size, no checksum."""
    out = bytearray(struct.pack("<I", 0xFD2FB528))
    out.append(0x00)                                     # frame header descriptor: window descriptor follows
    out.append((window_log - 10) << 3)                   # window size 2^window_log
    block_max = min(1 << window_log, 128 * 1024)
    blocks = []
    for p in pieces:
        if p[0] == "raw":
            data = p[1]
            for i in range(0, len(data), block_max):
                blocks.append((0, data[i:i + block_max]))
        else:
            left = p[2]
            while left > 0:
                n = min(left, block_max)
                blocks.append((1, bytes([p[1]]), n))
                left -= n
    for i, b in enumerate(blocks):
        last = 1 if i == len(blocks) - 1 else 0
        if b[0] == 0:
            out += struct.pack("<I", last | (0 << 1) | (len(b[1]) << 3))[:3] + b[1]
        else:
            out += struct.pack("<I", last | (1 << 1) | (b[2] << 3))[:3] + b[1]
    return bytes(out)


# --- HTTP helpers -------------------------------------------------------------------------------------------

def connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def first_response_complete(buf):
    if b"\r\n\r\n" not in buf:
        return False
    head, rest = buf.split(b"\r\n\r\n", 1)
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(rest) >= int(line.split(b":", 1)[1])
    return True


def read_responses(s, seconds, first_only=False):
    """Reads until the server closes or `seconds` pass (or, with first_only, one whole response arrived):
    (status codes seen, closed by server, raw bytes)."""
    deadline = time.monotonic() + seconds
    buf = b""
    closed = False
    while time.monotonic() < deadline and not (first_only and first_response_complete(buf)):
        r, _, _ = select.select([s], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, OSError):
            closed = True
            break
        if not chunk:
            closed = True
            break
        buf += chunk
    statuses = [int(line.split(b" ")[1]) for line in buf.split(b"\r\n") if line.startswith(b"HTTP/1.1 ")
                and len(line.split(b" ")) > 1 and line.split(b" ")[1].isdigit()]
    return statuses, closed, buf


def rst_close(s):
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    s.close()


def record_ack(body, kind):
    try:
        doc = json.loads(body)
    except ValueError:
        return 0
    n = 0
    with S.lock:
        for f in doc.get("files", []):
            if f.get("status") == "queued":
                S.acked[f["id"]] = (f.get("sha256", ""), f.get("filename", ""), kind)
                n += 1
    return n


# --- legitimate clients -------------------------------------------------------------------------------------

def legit_client(port, corpus, rng, think, use_zstd_share, kind="legit", fixed=None, record_latency=True):
    conn = None
    seq = 0
    while not S.stop_legit.is_set():
        seq += 1
        picks = [fixed] if fixed else [rng.choice(corpus) for _ in range(rng.choice((1, 1, 2, 3)))]
        files = []
        for name, ext, data in picks:
            token = uuid.uuid4().hex
            files.append((f"{kind}-{token[:12]}-{name}", variant(ext, data, token)))
        ctype, body = multipart(files)
        headers = {"Content-Type": ctype}
        if rng.random() < use_zstd_share:              # a legitimate zstd body (raw blocks: ratio 1)
            body = zstd_frame([("raw", body)])
            headers["Content-Encoding"] = "zstd"
        phase = S.phase
        t0 = time.monotonic()
        status, err = None, None
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("POST", API, body, headers)
            resp = conn.getresponse()
            payload = resp.read()
            status = resp.status
            if status == 202:
                record_ack(payload, kind)
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as e:
            err = type(e).__name__
            try:
                conn.close()
            except Exception:
                pass
            conn = None
        dt = time.monotonic() - t0
        with S.lock:
            if status is not None:
                d = S.legit_status.setdefault(phase, {})
                d[status] = d.get(status, 0) + 1
                if status == 202 and record_latency and phase in S.latencies:
                    S.latencies[phase].append(dt)
                    S.slow.append((dt, time.time() - dt, len(body), "zstd" if "Content-Encoding" in headers else ""))
            else:
                d = S.legit_errors.setdefault(phase, {})
                d[err] = d.get(err, 0) + 1
                for name, _ in files:
                    S.legit_unacked_names.add(name)
        S.stop_legit.wait(think * (0.5 + rng.random()))


# --- attacks ------------------------------------------------------------------------------------------------

def attack_slowloris_heads(port, rng, conns):
    """Request heads that trickle in one byte a second: the server must answer 408 within HEADER_TIMEOUT_MS."""
    name = "slowloris-head"
    open_ = {}  # socket -> (opened at, bytes left)
    head = (f"POST {API} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
            + "".join(f"X-Slow-{i}: {'a' * 20}\r\n" for i in range(40))).encode()
    while not S.stop_attacks.is_set():
        while len(open_) < conns:
            try:
                s = connect(port)
                s.setblocking(False)
                open_[s] = [time.monotonic(), head, 0.0]
                S.count(name, "opened")
            except OSError:
                S.count(name, "connect failed")
                break
        now = time.monotonic()
        for s, st in list(open_.items()):
            if now - st[2] >= 1.0 and st[1]:
                try:
                    s.send(st[1][:1])
                    st[1] = st[1][1:]
                    st[2] = now
                except BlockingIOError:
                    pass
                except OSError:
                    pass
            try:
                chunk = s.recv(4096)
                if chunk or chunk == b"":
                    S.count(name, "408" if b" 408 " in chunk else ("closed" if not chunk else "other answer"))
                    S.held(name, now - st[0])
                    s.close()
                    del open_[s]
                    continue
            except BlockingIOError:
                pass
            except OSError:
                S.count(name, "reset")
                S.held(name, now - st[0])
                s.close()
                del open_[s]
                continue
            if not st[1]:
                S.count(name, "head finished before any answer")
                S.held(name, now - st[0])
                s.close()
                del open_[s]
        S.stop_attacks.wait(0.2)
    for s, st in open_.items():
        S.count(name, "still open at the end")
        S.held(name, time.monotonic() - st[0])
        s.close()


def attack_slow_bodies(port, rng, conns, trickle_every, hold_max):
    """Valid heads with a body that trickles (one byte every `trickle_every` s, under BODY_IDLE_TIMEOUT_MS) or
    stops. The driver gives up on a connection after `hold_max` s: a server that kept it that long has no bound
    on a slow body."""
    name = "slowloris-body"
    open_ = {}
    while not S.stop_attacks.is_set():
        while len(open_) < conns:
            try:
                s = connect(port)
            except OSError:
                S.count(name, "connect failed")
                break
            boundary = "slow" + uuid.uuid4().hex
            pre = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
                   f"filename=\"SLOWBODY-{uuid.uuid4().hex[:12]}.txt\"\r\nContent-Type: text/plain\r\n\r\n").encode()
            head = (f"POST {API} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; "
                    f"boundary={boundary}\r\nContent-Length: 1000000\r\n\r\n").encode()
            mode = "trickle" if len(open_) % 2 == 0 else "silent"
            try:
                s.sendall(head + pre + b"Jane Doe, engineer. ")
            except OSError:
                s.close()
                continue
            s.setblocking(False)
            open_[s] = [time.monotonic(), time.monotonic(), mode]
            S.count(name, f"opened ({mode})")
        now = time.monotonic()
        for s, st in list(open_.items()):
            gone = None
            try:
                chunk = s.recv(4096)
                gone = "408" if b" 408 " in chunk else ("closed" if not chunk else "other answer")
            except BlockingIOError:
                pass
            except OSError:
                gone = "reset"
            if gone:
                S.count(name, f"{gone} ({st[2]})")
                S.held(f"{name} ({st[2]})", now - st[0])
                s.close()
                del open_[s]
                continue
            if now - st[0] > hold_max:
                S.count(name, f"still open after {hold_max:.0f} s ({st[2]}); driver closed it")
                S.held(f"{name} ({st[2]})", now - st[0])
                s.close()
                del open_[s]
                continue
            if st[2] == "trickle" and now - st[1] >= trickle_every:
                try:
                    s.send(b"x")
                    st[1] = now
                except OSError:
                    pass
        S.stop_attacks.wait(0.5)
    for s, st in open_.items():
        S.count(name, f"still open at the end ({st[2]})")
        S.held(f"{name} ({st[2]})", time.monotonic() - st[0])
        s.close()


def attack_pipelined(port, rng, conns, per_conn, hold):
    """Hundreds of pipelined GET /metrics in one write, responses never read, the connection held `hold` s."""
    name = "pipelined-never-read"
    req = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * per_conn
    open_ = {}
    while not S.stop_attacks.is_set():
        while len(open_) < conns:
            try:
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.settimeout(5)
                s.connect(("127.0.0.1", port))
                s.setblocking(False)
                sent = 0
                t_end = time.monotonic() + 5
                while sent < len(req) and time.monotonic() < t_end:
                    try:
                        sent += s.send(req[sent:])
                    except BlockingIOError:
                        time.sleep(0.05)
                open_[s] = time.monotonic()
                S.count(name, "opened")
                S.count(name, "requests written", sent // (len(req) // per_conn))
            except OSError:
                S.count(name, "connect failed")
                break
        now = time.monotonic()
        for s, t in list(open_.items()):
            if now - t > hold:
                S.count(name, f"held {hold:.0f} s unread, driver closed it")
                rst_close(s) if rng.random() < 0.5 else s.close()
                del open_[s]
        S.stop_attacks.wait(1.0)
    for s in open_:
        s.close()


def smuggling_payloads(tag):
    """(variant name, bytes): each an outer request with a framing ambiguity and an inner upload whose file is
    named SMUGGLED-<variant>-<tag>.txt. Whatever a server makes of the outer request, the inner one must never
    be stored."""
    out = []
    for variant_name in ("cl-te", "te-cl", "dup-cl", "dup-cl-same-then-te", "chunk-size-overflow",
                         "chunk-size-negative", "chunk-size-0x", "chunk-size-space", "obs-fold-te",
                         "obs-fold-cl", "te-xchunked", "te-chunked-identity", "cl-plus", "te-tab-space",
                         "lf-only-chunk"):
        ctype, inner_body = multipart([(f"SMUGGLED-{variant_name}-{tag}.txt",
                                        f"smuggled resume {uuid.uuid4().hex}\nJohn Smuggler\n".encode())])
        inner = (f"POST {API} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ctype}\r\n"
                 f"Content-Length: {len(inner_body)}\r\n\r\n").encode() + inner_body
        h = f"POST {API} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=outer\r\n"
        chunked_inner = f"{len(inner):x}\r\n".encode() + inner + b"\r\n0\r\n\r\n"
        if variant_name == "cl-te":       # front end uses CL (the whole thing), back end TE (stops at 0)
            body = b"0\r\n\r\n" + inner
            p = (h + f"Content-Length: {len(body)}\r\nTransfer-Encoding: chunked\r\n\r\n").encode() + body
        elif variant_name == "te-cl":     # front end TE (the inner is in a chunk), back end CL (4 bytes)
            p = (h + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n").encode() + chunked_inner
        elif variant_name == "dup-cl":
            p = (h + f"Content-Length: 5\r\nContent-Length: {5 + len(inner)}\r\n\r\n").encode() + b"hello" + inner
        elif variant_name == "dup-cl-same-then-te":
            p = (h + "Content-Length: 5, 5\r\nTransfer-Encoding: chunked\r\n\r\n").encode() + b"0\r\n\r\n" + inner
        elif variant_name == "chunk-size-overflow":  # 2^64 + 5 wraps to 5 in a careless parser
            p = (h + "Transfer-Encoding: chunked\r\n\r\n").encode() + b"10000000000000005\r\nhello\r\n0\r\n\r\n" + inner
        elif variant_name == "chunk-size-negative":
            p = (h + "Transfer-Encoding: chunked\r\n\r\n").encode() + b"-5\r\nhello\r\n0\r\n\r\n" + inner
        elif variant_name == "chunk-size-0x":
            p = (h + "Transfer-Encoding: chunked\r\n\r\n").encode() + b"0x5\r\nhello\r\n0\r\n\r\n" + inner
        elif variant_name == "chunk-size-space":
            p = (h + "Transfer-Encoding: chunked\r\n\r\n").encode() + b"5 5\r\nhello\r\n0\r\n\r\n" + inner
        elif variant_name == "obs-fold-te":  # Transfer-Encoding folded onto a continuation line
            p = (h + f"Content-Length: {len(inner) + 5}\r\nTransfer-Encoding:\r\n chunked\r\n\r\n").encode() \
                + b"0\r\n\r\n" + inner
        elif variant_name == "obs-fold-cl":
            p = (h + f"X-Folded: a\r\n Content-Length: 0\r\nContent-Length: {len(inner)}\r\n\r\n").encode() + inner
        elif variant_name == "te-xchunked":
            p = (h + f"Content-Length: {len(chunked_inner)}\r\nTransfer-Encoding: xchunked\r\n\r\n").encode() \
                + chunked_inner
        elif variant_name == "te-chunked-identity":
            p = (h + "Transfer-Encoding: chunked, identity\r\n\r\n").encode() + chunked_inner
        elif variant_name == "cl-plus":
            p = (h + f"Content-Length: +{len(inner)}\r\n\r\n").encode() + inner
        elif variant_name == "te-tab-space":
            p = (h + f"Content-Length: 5\r\nTransfer-Encoding : chunked\r\n\r\n").encode() + b"0\r\n\r\n" + inner
        else:  # lf-only-chunk: bare LF line ends in the chunk framing
            p = (h + "Transfer-Encoding: chunked\r\n\r\n").encode() + b"5\nhello\n0\n\n" + inner
        out.append((variant_name, p))
    return out


def attack_smuggling(port, rng, every):
    name = "smuggling"
    n = 0
    # The control: the inner upload alone, as a plain request, is a valid upload (202), so that a missing
    # SMUGGLED- row means the framing was refused and not that the inner request was malformed.
    ctype, body = multipart([(f"SMUGGLECONTROL-{uuid.uuid4().hex[:8]}.txt",
                              f"smuggled resume {uuid.uuid4().hex}\nJohn Smuggler\n".encode())])
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("POST", API, body, {"Content-Type": ctype})
        r = c.getresponse()
        payload = r.read()
        c.close()
        if r.status == 202:
            record_ack(payload, "smuggling-control")
        S.count(name, f"control (the inner upload alone): {r.status}")
    except (OSError, http.client.HTTPException) as e:
        S.count(name, f"control: {type(e).__name__}")
    while not S.stop_attacks.is_set():
        n += 1
        for variant_name, payload in smuggling_payloads(f"{n}-{uuid.uuid4().hex[:8]}"):
            if S.stop_attacks.is_set():
                break
            try:
                s = connect(port)
                s.sendall(payload)
                statuses, closed, buf = read_responses(s, 3)
                s.close()
            except OSError:
                S.count(name, f"{variant_name}: connection error")
                continue
            if not statuses:
                outcome = "no answer" + (", closed" if closed else "")
            else:
                outcome = ",".join(str(x) for x in statuses) + (", closed" if closed else ", left open")
            S.count(name, f"{variant_name}: {outcome}")
            if 202 in statuses:
                S.count(name, "ANY 202 (see the database check)")
        S.stop_attacks.wait(every)


def attack_zstd_bombs(port, rng, every):
    """Content-Encoding: zstd bodies that inflate hugely (hand-written frames of RLE blocks)."""
    name = "zstd-bomb"
    while not S.stop_attacks.is_set():
        tag = uuid.uuid4().hex[:12]
        b = "zb" + tag
        head = (f"--{b}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"ZBOMB-{tag}.txt\"\r\n"
                f"Content-Type: text/plain\r\n\r\n").encode()
        tail = f"\r\n--{b}--\r\n".encode()
        bombs = {
            # 4 GiB of 'A' inside a file part, 128 KiB on the wire: ratio past 30,000.
            "4GiB-of-A-in-a-part": zstd_frame([("raw", head), ("rle", 0x41, 4 << 30), ("raw", tail)]),
            # Just under the ratio limit: 200 MiB at about 90:1, all of it one file part (over MAX_FILE_SIZE).
            "200MiB-at-90x-in-a-part": zstd_frame([("raw", head)] + [p for _ in range(1600) for p in
                                                   (("rle", 0x42, 128 * 1024), ("raw", os.urandom(1450)))]
                                                  + [("raw", tail)]),
            # 1 GiB of zeros in the preamble before the first boundary.
            "1GiB-preamble": zstd_frame([("rle", 0, 1 << 30), ("raw", head + b"x" + tail)]),
            # A frame declaring a 2 GiB window (--long=31).
            "2GiB-window": zstd_frame([("raw", head + b"x" + tail)], window_log=31),
            # Many frames, each a little bomb: 4,096 frames of 1 MiB zeros.
            "4096-concatenated-frames": zstd_frame([("raw", head)]) + zstd_frame([("rle", 0x20, 1 << 20)]) * 4096
                + zstd_frame([("raw", tail)]),
        }
        for kind, body in bombs.items():
            if S.stop_attacks.is_set():
                break
            t0 = time.monotonic()
            try:
                s = connect(port, timeout=30)
                s.sendall((f"POST {API} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; "
                           f"boundary={b}\r\nContent-Encoding: zstd\r\nContent-Length: {len(body)}\r\n\r\n").encode()
                          + body)
                statuses, closed, buf = read_responses(s, 60, first_only=True)
                answered = time.monotonic() - t0
                if statuses and not closed:   # the server answered: does it end the connection?
                    _, closed, _ = read_responses(s, 5)
                s.close()
            except OSError as e:
                S.count(name, f"{kind}: {type(e).__name__}")
                continue
            code = b""
            if b'"code":"' in buf:
                code = buf.split(b'"code":"', 1)[1].split(b'"', 1)[0]
            S.count(name, f"{kind}: {','.join(map(str, statuses)) or 'no answer'} {code.decode()}"
                          f"{', then closed' if closed else ', connection kept 5 s more'}")
            S.held(f"{name} {kind} (until the answer)", answered)
        S.stop_attacks.wait(every)


def attack_tiny_parts(port, rng, every, parts):
    """One request of `parts` one-byte file parts."""
    name = "tiny-part-flood"
    while not S.stop_attacks.is_set():
        tag = uuid.uuid4().hex[:8]
        files = [(f"TINY-{tag}-{i}.txt", bytes([rng.randrange(32, 127)])) for i in range(parts)]
        ctype, body = multipart(files)
        t0 = time.monotonic()
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            c.request("POST", API, body, {"Content-Type": ctype})
            r = c.getresponse()
            payload = r.read()
            c.close()
            n = record_ack(payload, "tiny") if r.status == 202 else 0
            S.count(name, f"{r.status}")
            S.count(name, "parts acknowledged", n)
        except (OSError, http.client.HTTPException) as e:
            S.count(name, type(e).__name__)
        S.held(name, time.monotonic() - t0)
        S.stop_attacks.wait(every)


def attack_disconnects(port, rng, corpus, every):
    """Valid uploads cut at a random byte (FIN or RST): none of their files may be stored."""
    name = "mid-upload-disconnect"
    while not S.stop_attacks.is_set():
        fname, ext, data = rng.choice(corpus)
        token = uuid.uuid4().hex
        files = [(f"DISCONNECT-{token[:12]}-{fname}", variant(ext, data, token))]
        if rng.random() < 0.5:
            files.append((f"DISCONNECT-{token[12:24]}-b.txt", f"second part {token}".encode()))
        ctype, body = multipart(files)
        cut = rng.randrange(1, len(body))   # never the whole body: the closing boundary is always missing
        try:
            s = connect(port)
            s.sendall((f"POST {API} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ctype}\r\n"
                       f"Content-Length: {len(body)}\r\n\r\n").encode() + body[:cut])
            time.sleep(rng.random() * 0.3)
            if rng.random() < 0.5:
                rst_close(s)
                S.count(name, "cut, RST")
            else:
                s.close()
                S.count(name, "cut, FIN")
        except OSError:
            S.count(name, "connect failed")
        S.stop_attacks.wait(every * rng.random() * 2)


def attack_llm_neighbour(llm_port, every, burst):
    """Another client of the same LLM account: every `every` s, `burst` small requests at once, which empty the
    requests-per-minute bucket that the engine's x-ratelimit view still believes full — so the engine's next
    requests meet 429s (a 429 storm), as when another service shares the organisation's limits."""
    name = "llm-neighbour"
    body = json.dumps({"model": "gpt-4o-mini", "max_tokens": 16,
                       "messages": [{"role": "user", "content": "ping"}]}).encode()

    def one():
        try:
            c = http.client.HTTPConnection("127.0.0.1", llm_port, timeout=30)
            c.request("POST", "/v1/chat/completions", body,
                      {"Content-Type": "application/json", "Authorization": "Bearer sk-neighbour"})
            r = c.getresponse()
            r.read()
            c.close()
            S.count(name, f"{r.status}")
        except (OSError, http.client.HTTPException) as e:
            S.count(name, type(e).__name__)
    while not S.stop_attacks.wait(every):
        ts = [threading.Thread(target=one, daemon=True) for _ in range(burst)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(timeout=40)


def restart_postgres(cmd):
    S.event("PostgreSQL restart (pg_ctl restart -m fast) begins")
    t0 = time.monotonic()
    # No pipe to the server that pg_ctl starts (its output goes to the cluster's log): nothing to wait on.
    try:
        r = subprocess.run(cmd, shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=120, close_fds=True)
        S.event(f"PostgreSQL restart done in {time.monotonic() - t0:.1f} s (pg_ctl exit {r.returncode})")
    except subprocess.TimeoutExpired:
        S.event("PostgreSQL restart: pg_ctl did not finish within 120 s")


# --- the serve process --------------------------------------------------------------------------------------

def proc_status(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def fds(pid):
    out = {}
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                out[int(fd)] = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                pass
    except OSError:
        pass
    return out


TCP_STATES = {"01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1", "05": "FIN_WAIT2",
              "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT", "09": "LAST_ACK", "0A": "LISTEN", "0B": "CLOSING"}


def socket_table(pid):
    """socket inode -> 'tcp local -> remote STATE' (IPv4 and IPv6) or 'unix path'."""
    out = {}
    for fam in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{fam}") as f:
                next(f)
                for line in f:
                    c = line.split()
                    def addr(x):
                        h, port = x.split(":")
                        if len(h) == 8:
                            ip = ".".join(str(int(h[i:i + 2], 16)) for i in (6, 4, 2, 0))
                        else:
                            ip = "v6:" + h[-8:]
                        return f"{ip}:{int(port, 16)}"
                    out[c[9]] = f"{fam} {addr(c[1])} -> {addr(c[2])} {TCP_STATES.get(c[3], c[3])}"
        except OSError:
            pass
    try:
        with open(f"/proc/{pid}/net/unix") as f:
            next(f)
            for line in f:
                c = line.split()
                out[c[6]] = "unix " + (c[7] if len(c) > 7 else "(unnamed)")
    except OSError:
        pass
    return out


def describe_fds(pid, fdmap):
    """Each descriptor's target made readable: sockets with their addresses, pipes with the process at the other
    end. Returns [(fd, text)]."""
    table = socket_table(pid)
    pipe_owner = {}
    for c, _, cmd in descendants(pid):
        for t in fds(c).values():
            if t.startswith("pipe:"):
                pipe_owner.setdefault(t, f"{c} {cmd[:60]}")
    out = []
    for fd, t in sorted(fdmap.items()):
        if t.startswith("socket:["):
            t = f"{t} {table.get(t[8:-1], '?')}"
        elif t.startswith("pipe:") and t in pipe_owner:
            t = f"{t} to {pipe_owner[t]}"
        out.append((fd, t))
    return out


def fd_classes(pid, pg_port, llm_port, port):
    """Counts of the descriptors by what they are: PostgreSQL, LLM and client connections (and how many of all
    sockets sit in CLOSE_WAIT, closed by the peer but not by serve), pipes, other."""
    table = socket_table(pid)
    out = {"pg": 0, "llm": 0, "clients": 0, "close_wait": 0, "pipes": 0, "other": 0}
    for t in fds(pid).values():
        if t.startswith("socket:["):
            d = table.get(t[8:-1], "")
            if "CLOSE_WAIT" in d:
                out["close_wait"] += 1
            if f"-> 127.0.0.1:{pg_port} " in d:
                out["pg"] += 1
            elif f"-> 127.0.0.1:{llm_port} " in d:
                out["llm"] += 1
            elif f"127.0.0.1:{port} -> " in d and "LISTEN" not in d:
                out["clients"] += 1
            else:
                out["other"] += 1
        elif t.startswith("pipe:"):
            out["pipes"] += 1
        else:
            out["other"] += 1
    return out


def all_procs():
    """pid -> (ppid, cmdline)"""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            out[int(d)] = (ppid, cmd)
        except (OSError, ValueError, IndexError):
            pass
    return out


def descendants(pid):
    procs = all_procs()
    kids = {}
    for p, (pp, _) in procs.items():
        kids.setdefault(pp, []).append(p)
    out, todo = [], [pid]
    while todo:
        for c in kids.get(todo.pop(), []):
            out.append((c, procs[c][0], procs[c][1]))
            todo.append(c)
    return out


def is_warm_office(cmd):
    return "soffice" in cmd or "oosplash" in cmd or "office_bridge" in cmd or "python3" in cmd and "uno" in cmd


def metrics(port):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode(errors="replace")
        c.close()
        return text
    except (OSError, http.client.HTTPException):
        return ""


# --- the database -------------------------------------------------------------------------------------------

def psql(url, sql):
    r = subprocess.run(["psql", "-X", "-q", "-At", url, "-v", "ON_ERROR_STOP=1",
                        "-c", "SELECT set_config('app.tenant_id', (SELECT id::text FROM tenants WHERE slug = 'default'), false)",
                        "-c", sql], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    lines = r.stdout.splitlines()
    return lines[1:]  # the set_config's line first


def rows(url):
    """id -> (sha256 hex, filename, status)"""
    out = {}
    for line in psql(url, "SELECT id, encode(content_sha256, 'hex'), coalesce(filename, ''), status FROM documents"):
        i, sha, name, status = line.split("|", 3)
        out[i] = (sha, name, status)
    return out


# --- main ---------------------------------------------------------------------------------------------------

def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v) + 0.5)) - 1))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--serve-pid", type=int, required=True)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--files", required=True)
    ap.add_argument("--spool", required=True)
    ap.add_argument("--pg-restart", required=True, help="shell command restarting PostgreSQL")
    ap.add_argument("--llm-port", type=int, required=True)
    ap.add_argument("--pg-port", type=int, required=True)
    ap.add_argument("--llm-rpm", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--baseline-share", type=float, default=0.25)
    ap.add_argument("--drain-seconds", type=float, default=420)
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--think", type=float, default=0.6)
    ap.add_argument("--p99-ratio-goal", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--summary", required=True, help="write the figures here (JSON)")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    corpus = load_corpus(a.files, {"pdf", "docx", "doc", "odt", "rtf", "txt", "html"})
    rtfs = [c for c in corpus if c[1] == "rtf"]
    log(f"corpus: {len(corpus)} files from {a.files}")

    # Warm-up: the whole corpus once, so that lazily started parts (the warm LibreOffice, which only documents
    # the other converters refuse reach; the LLM's connections) exist before the descriptors are counted.
    warm = [(f"warmup-{uuid.uuid4().hex[:8]}-{n}", variant(e, d, uuid.uuid4().hex)) for n, e, d in corpus]
    ctype, body = multipart(warm)
    c = http.client.HTTPConnection("127.0.0.1", a.port, timeout=60)
    c.request("POST", API, body, {"Content-Type": ctype, "Connection": "close"})
    r = c.getresponse()
    record_ack(r.read(), "warmup")
    c.close()
    t_end = time.monotonic() + 180
    while time.monotonic() < t_end:
        have = rows(a.database_url)
        if all(i in have for i in S.acked):
            break
        time.sleep(1)
    time.sleep(3)
    fds_before = fds(a.serve_pid)
    kids_before = descendants(a.serve_pid)
    describe_before = describe_fds(a.serve_pid, fds_before)
    rss_start = proc_status(a.serve_pid, "VmRSS")
    S.event(f"warm-up: {len(S.acked)} files stored; serve has {len(fds_before)} descriptors, "
            f"{len(kids_before)} descendant processes, RSS {rss_start} KiB")

    # Legitimate load: closed-loop clients, plus an RTF uploader that feeds the hanging converter.
    S.phase = "baseline"
    threads = []
    for i in range(a.clients):
        threads.append(threading.Thread(target=legit_client, daemon=True,
                                        args=(a.port, corpus, random.Random(a.seed + i), a.think, 0.2)))
    for rt in rtfs[:1]:
        threads.append(threading.Thread(target=legit_client, daemon=True,
                                        args=(a.port, corpus, random.Random(a.seed + 100), 3.0, 0.0, "rtf-hang", rt,
                                              False)))
    for t in threads:
        t.start()
    baseline = a.seconds * a.baseline_share
    S.event(f"baseline phase: {baseline:.0f} s, {a.clients} legitimate clients")
    rss_samples = []
    t_base_end = time.monotonic() + baseline
    fd_samples = []

    def sample():
        rss_samples.append(proc_status(a.serve_pid, "VmRSS") or 0)
        if len(rss_samples) % 10 == 1:
            fd_samples.append((time.strftime("%H:%M:%S"), rss_samples[-1] // 1024,
                               fd_classes(a.serve_pid, a.pg_port, a.llm_port, a.port)))
    while time.monotonic() < t_base_end:
        sample()
        time.sleep(1)

    S.phase = "attack"
    attack_len = a.seconds - baseline
    S.event(f"attack phase: {attack_len:.0f} s")
    attacks = [
        (attack_slowloris_heads, (a.port, random.Random(1), 40)),
        (attack_slow_bodies, (a.port, random.Random(2), 20, 5.0, 90.0)),
        (attack_pipelined, (a.port, random.Random(3), 8, 2000, 45.0)),
        (attack_smuggling, (a.port, random.Random(4), 2.0)),
        (attack_zstd_bombs, (a.port, random.Random(5), 4.0)),
        (attack_tiny_parts, (a.port, random.Random(6), 30.0, 400)),
        (attack_disconnects, (a.port, random.Random(7), corpus, 0.5)),
        (attack_llm_neighbour, (a.llm_port, 20.0, a.llm_rpm)),
    ]
    athreads = [threading.Thread(target=f, args=args, daemon=True) for f, args in attacks]
    for t in athreads:
        t.start()
    t_attack_start = time.monotonic()
    t_attack_end = t_attack_start + attack_len
    restarted = False
    max_fds = len(fds_before)
    while time.monotonic() < t_attack_end:
        sample()
        max_fds = max(max_fds, len(fds(a.serve_pid)))
        if not restarted and time.monotonic() - t_attack_start > attack_len * 0.4:
            restarted = True
            threading.Thread(target=restart_postgres, args=(a.pg_restart,), daemon=True).start()
        time.sleep(1)
    S.stop_attacks.set()
    S.stop_legit.set()
    S.phase = "drain"
    for t in athreads + threads:
        t.join(timeout=90)
    alive = [t.name for t in athreads + threads if t.is_alive()]
    S.event(f"traffic stopped{'; threads still running: ' + ', '.join(alive) if alive else ''}")

    # Drain: every acknowledged file has its row (by id, or by content reused), the spool is empty.
    t_drain = time.monotonic()
    have = {}
    while time.monotonic() - t_drain < a.drain_seconds:
        try:
            have = rows(a.database_url)
        except Exception as e:  # the database may still be coming back
            log(f"drain: {e}")
            time.sleep(2)
            continue
        shas = {v[0] for v in have.values()}
        missing = [i for i, v in S.acked.items() if i not in have and v[0] not in shas]
        incoming = os.listdir(os.path.join(a.spool, "incoming")) if os.path.isdir(os.path.join(a.spool, "incoming")) else []
        if not missing and not incoming:
            break
        if int(time.monotonic() - t_drain) % 15 == 0:
            log(f"drain: {len(missing)} acknowledged files without a row, {len(incoming)} in incoming/")
        time.sleep(1)
    drain_s = time.monotonic() - t_drain
    S.event(f"drained in {drain_s:.0f} s")

    # Idle: the descriptors settle (keep-alive connections of the clients are gone; give the server time).
    t_idle = time.monotonic()
    fds_after = fds(a.serve_pid)
    while time.monotonic() - t_idle < 75 and len(fds_after) != len(fds_before):
        time.sleep(1)
        fds_after = fds(a.serve_pid)
    fd_samples.append((time.strftime("%H:%M:%S"), (proc_status(a.serve_pid, "VmRSS") or 0) // 1024,
                       fd_classes(a.serve_pid, a.pg_port, a.llm_port, a.port)))
    rss_end = proc_status(a.serve_pid, "VmRSS")
    hwm = proc_status(a.serve_pid, "VmHWM")
    kids_after = descendants(a.serve_pid)
    leftover_converters = [k for k in kids_after if not is_warm_office(k[2])]
    stub_orphans = [(p, v[0], v[1]) for p, v in all_procs().items() if v[1] == f"sleep {STUB_MARKER}"]
    m = metrics(a.port)

    # The database, once more, for the figures.
    have = rows(a.database_url)
    shas = {}
    for i, v in have.items():
        shas.setdefault(v[0], []).append(i)
    lost = {i: v for i, v in S.acked.items() if i not in have and v[0] not in shas}
    lost_by_kind = {}
    for v in lost.values():
        lost_by_kind[v[2]] = lost_by_kind.get(v[2], 0) + 1
    dup_content = {s: ids for s, ids in shas.items() if len(ids) > 1}
    never = [(i, v[1]) for i, v in have.items() if v[1].startswith(NEVER_STORED)]
    smuggled = [x for x in never if x[1].startswith("SMUGGLED-")]
    legit_acked_ids = {i for i, v in S.acked.items()}
    unacked_rows = [(i, v[1]) for i, v in have.items() if i not in legit_acked_ids]
    unacked_known = [x for x in unacked_rows if x[1] in S.legit_unacked_names]
    status_counts = {}
    for i in S.acked:
        st = have.get(i, ("", "", "(reused content)" if S.acked[i][0] in shas else "(none)"))[2]
        status_counts[st] = status_counts.get(st, 0) + 1
    spool_tmp = []
    for sub in ("tmp",):
        p = os.path.join(a.spool, sub)
        if os.path.isdir(p):
            spool_tmp = os.listdir(p)
    lat_b, lat_a = S.latencies["baseline"], S.latencies["attack"]
    p99_b, p99_a = pct(lat_b, 99), pct(lat_a, 99)
    ratio = p99_a / p99_b if lat_b and lat_a else float("nan")
    fd_diff_added = sorted(set(fds_after.values()) - set(fds_before.values()))
    fd_diff_gone = sorted(set(fds_before.values()) - set(fds_after.values()))

    goals = {
        "acknowledged uploads lost": (len(lost), 0),
        "duplicated rows": (len(dup_content), 0),
        "smuggling payloads accepted": (len(smuggled), 0),
        "refused/cut/slow uploads stored (DISCONNECT-, SLOWBODY-, ZBOMB-)": (len(never) - len(smuggled), 0),
        "converter processes left (children of serve, warm LibreOffice aside)": (len(leftover_converters), 0),
        "hanging stub's sleeps left anywhere": (len(stub_orphans), 0),
        "open descriptors after minus before, idle": (len(fds_after) - len(fds_before), 0),
        "rows not acknowledged (unknown to any client)": (len(unacked_rows) - len(unacked_known), 0),
        "drain finished within the bound": (0 if drain_s < a.drain_seconds else 1, 0),
    }
    missed = [k for k, (v, g) in goals.items() if v != g]
    if not (ratio == ratio) or ratio > a.p99_ratio_goal:
        missed.append(f"p99 during attacks / baseline <= {a.p99_ratio_goal}")

    summary = {
        "goals": {k: v for k, (v, g) in goals.items()},
        "missed": missed,
        "acknowledged files": len(S.acked),
        "acknowledged by client kind": {k: sum(1 for v in S.acked.values() if v[2] == k)
                                        for k in sorted({v[2] for v in S.acked.values()})},
        "acknowledged files' end status": status_counts,
        "lost by kind": lost_by_kind,
        "lost (first 20)": list(lost.items())[:20],
        "never-stored markers found (first 20)": never[:20],
        "rows": len(have),
        "rows whose client gave up before the answer (stored, fine)": len(unacked_known),
        "rows not acknowledged (first 20)": [x for x in unacked_rows if x not in unacked_known][:20],
        "legit statuses by phase": {k: {str(s): n for s, n in v.items()} for k, v in S.legit_status.items()},
        "legit client errors by phase": S.legit_errors,
        "latency baseline": {"n": len(lat_b), "p50_ms": round(pct(lat_b, 50) * 1000, 1),
                             "p99_ms": round(p99_b * 1000, 1), "max_ms": round(max(lat_b, default=0) * 1000, 1)},
        "latency attack": {"n": len(lat_a), "p50_ms": round(pct(lat_a, 50) * 1000, 1),
                           "p99_ms": round(p99_a * 1000, 1), "max_ms": round(max(lat_a, default=0) * 1000, 1)},
        "p99 ratio attack/baseline": round(ratio, 2) if ratio == ratio else None,
        "peak RSS VmHWM KiB": hwm,
        "RSS KiB at start / end / max sampled": [rss_start, rss_end, max(rss_samples, default=0)],
        "descriptors before / after / max sampled": [len(fds_before), len(fds_after), max_fds],
        "descriptors added (targets)": fd_diff_added[:40],
        "descriptors gone (targets)": fd_diff_gone[:40],
        "every 10 s: time, RSS MiB, descriptors by class": fd_samples,
        "descriptors before": describe_before,
        "descriptors after": describe_fds(a.serve_pid, fds_after),
        "slowest legitimate uploads (ms, UTC start, body bytes, encoding)": [
            (round(x[0] * 1000), time.strftime("%H:%M:%S", time.gmtime(x[1])), x[2], x[3])
            for x in sorted(S.slow, reverse=True)[:15]],
        "descendants before": kids_before,
        "descendants after": kids_after,
        "stub sleeps left": stub_orphans[:20],
        "spool tmp/ entries left": len(spool_tmp),
        "drain seconds": round(drain_s, 1),
        "attacks": S.attack,
        "connection hold seconds (n, median, max)": {k: [len(v), round(pct(v, 50), 1), round(max(v), 1)]
                                                     for k, v in S.hold.items()},
        "events": S.events,
        "engine metrics at the end": [l for l in m.splitlines()
                                      if not l.startswith("#") and "_bucket{" not in l
                                      and l.startswith(("llm_", "sink_", "parser_", "pipeline_", "extract", "http",
                                                        "spool", "documents", "requests", "open_conn"))],
    }
    with open(a.summary, "w") as f:
        json.dump(summary, f, indent=1, default=str)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
