#!/usr/bin/env python3
"""Reference verdicts from h11 for HTTPDifferentialTests.swift.

Reads JSON lines {"id": ..., "data_b64": ...} on stdin and writes one JSON line per input:
{"id": ..., "requests": [{"method", "target", "version", "headers": [[name, value], ...], "body",
 "trailers": [[name, value], ...]}],
 "outcome": "ok" | "error" | "incomplete", "detail": str}
Every byte string is base64. Each request is parsed by a fresh h11 server connection fed the bytes the previous
request left over (h11's `trailing_data`), so pipelined requests are judged independently of keep-alive, like the
Swift parser does. EOF is signalled after the data.
"""
import base64
import json
import sys

import h11


def b64(data):
    return base64.b64encode(bytes(data)).decode("ascii")


def judge(data):
    requests = []
    remaining = data
    while True:
        if not remaining:
            return requests, "ok", ""
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=1 << 20)
        conn.receive_data(remaining)
        conn.receive_data(b"")
        current = None
        try:
            while True:
                event = conn.next_event()
                if isinstance(event, h11.Request):
                    current = {
                        "method": b64(event.method),
                        "target": b64(event.target),
                        "version": event.http_version.decode("ascii"),
                        "headers": [[b64(name), b64(value)] for name, value in event.headers.raw_items()],
                        "body": bytearray(),
                    }
                elif isinstance(event, h11.Data):
                    current["body"] += event.data
                elif isinstance(event, h11.EndOfMessage):
                    current["body"] = b64(current["body"])
                    current["trailers"] = [[b64(n), b64(v)] for n, v in event.headers.raw_items()]
                    requests.append(current)
                    break
                elif event is h11.NEED_DATA or isinstance(event, h11.ConnectionClosed):
                    return requests, "incomplete", repr(event)
                else:
                    return requests, "error", "unexpected event " + repr(event)
        except h11.ProtocolError as error:
            return requests, "error", str(error)
        remaining, _ = conn.trailing_data


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        case = json.loads(line)
        requests, outcome, detail = judge(base64.b64decode(case["data_b64"]))
        print(json.dumps({"id": case["id"], "requests": requests, "outcome": outcome, "detail": detail}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
