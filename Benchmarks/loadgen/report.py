#!/usr/bin/env python3
"""Turns each client's own output into one record, and the records of a run into markdown tables.

    report.py wrk     STDOUT METER LABEL         wrk's "RESULT {json}" line (upload.lua)
    report.py locust  CSV_PREFIX METER LABEL     the Aggregated row of locust's --csv PREFIX_stats.csv
    report.py loadgen JSON METER LABEL           `resume-ingest loadgen --json`
        -> one record on stdout: {"label", "tool", "requests", "ok", "errors", "duration_s", "rps", "cpu_s",
           "us_per_request", "requests_per_cpu_s", "latency_ms", "max_rss_kib", ...}
    report.py table LEG DIR                      LEG is closed, open, memory or nodes; reads DIR/LEG-*.json

METER is meter.py's output for the same client (CPU of the client's process tree, peak RSS). Records of clients
that did not run (no loadgen in the binary yet) are {"label", "skipped": reason}; they show as "not measured".
"""
import csv
import glob
import json
import os
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def record(label, tool, meter, requests, ok, errors, duration_s, latency, **extra):
    cpu = meter["cpu_s"]
    rec = {
        "label": label, "tool": tool, "requests": requests, "ok": ok, "errors": errors,
        "duration_s": round(duration_s, 3), "rps": round(requests / duration_s, 1) if duration_s else 0.0,
        "cpu_s": cpu, "wall_s": meter["wall_s"],
        "us_per_request": round(cpu * 1e6 / requests, 1) if requests else None,
        "requests_per_cpu_s": round(requests / cpu, 1) if cpu else None,
        "latency_ms": latency, "max_rss_kib": meter["max_rss_kib"], "exit": meter["exit"],
        "timed_out": meter["timed_out"],
    }
    rec.update(extra)
    return rec


def from_wrk(stdout, meter, label):
    line = next((l for l in open(stdout) if l.startswith("RESULT ")), None)
    if line is None:
        sys.exit(f"{stdout}: wrk printed no RESULT line")
    r = json.loads(line[len("RESULT "):])
    errors = {"status": {">=400": r["errors"]["status_4xx_5xx"]} if r["errors"]["status_4xx_5xx"] else {},
              "kind": {k: v for k, v in r["errors"]["kind"].items() if v}}
    return record(label, "wrk", load(meter), r["requests"], r["ok"], errors, r["duration_s"], r["latency_ms"],
                  body_bytes=r["body_bytes"])


def from_locust(prefix, meter, label):
    # Counts from the summary locust prints as it quits (--only-summary; on stderr), which is final; the
    # _stats.csv may have been written by the periodic writer before the last requests. Percentiles from the CSV.
    counts = None
    with open(prefix + ".txt.stderr") as f:
        for line in f:
            cols = line.split()
            if cols[:1] == ["Aggregated"] and "|" in cols:
                counts = cols  # the first Aggregated line is the request table's
                break
    with open(prefix + "_stats.csv", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    if counts:
        requests, failures = int(counts[1]), int(counts[2].split("(")[0])
        rps = float(counts[-2])  # ... | req/s failures/s
    else:
        requests, failures, rps = int(row["Request Count"]), int(row["Failure Count"]), float(row["Requests/s"])
    ms = lambda key: float(row[key]) if row.get(key) not in (None, "", "N/A") else None
    latency = {"p50": ms("50%"), "p90": ms("90%"), "p99": ms("99%"), "p999": ms("99.9%"),
               "max": ms("Max Response Time"), "mean": ms("Average Response Time")}
    # Requests/s is locust's own: requests over the time from its start to its last request.
    duration = requests / rps if rps else 0.0
    errors = {"status": {}, "kind": {}}
    if failures:
        errors["failures"] = failures
    return record(label, "locust", load(meter), requests, requests - failures, errors, duration, latency)


def from_loadgen(path, meter, label):
    r = load(path)
    extra = {k: r[k] for k in ("intended_rps", "late", "end_to_end_ms", "bytes_sent") if k in r}
    errors = r.get("errors", {})
    return record(label, "loadgen", load(meter), r["requests"], r["ok"], errors, r["duration_s"],
                  r.get("latency_ms", {}), throughput_rps=r.get("throughput_rps"), **extra)


# ---------------------------------------------------------------------------------------------------------------

def fmt(v, digits=1):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}"


def ratio(a, b, goal=""):
    if a is None or b in (None, 0):
        return "–"
    return f"{a / b:.2f}×" + (f" ({goal})" if goal else "")


def error_text(rec):
    e = rec.get("errors") or {}
    parts = [f"{k} {v}" for k, v in (e.get("status") or {}).items() if v]
    parts += [f"{k} {v}" for k, v in (e.get("kind") or {}).items() if v]
    if e.get("failures"):
        parts.append(f"failed {e['failures']}")
    return ", ".join(parts) or "0"


def records(leg, folder):
    out = {}
    # In the order the clients ran (each record is written when its client ends).
    for path in sorted(glob.glob(os.path.join(folder, f"{leg}-*.json")), key=os.path.getmtime):
        if path.endswith((".meter.json", ".raw.json")):
            continue
        rec = load(path)
        out[rec["label"]] = rec
    return out


def closed(folder):
    recs = records("closed", folder)
    wrk, lg = recs.get("wrk"), recs.get("loadgen")
    print("| client | requests | req/s | client CPU s | CPU µs/request | requests per CPU-s | p50 ms | p99 ms | errors "
          "| req/s vs wrk | CPU/request vs wrk | per CPU-s: loadgen vs this |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|")
    for label, rec in recs.items():
        if "skipped" in rec:
            print(f"| {label} | not measured ({rec['skipped']}) |||||||||||")
            continue
        lat = rec.get("latency_ms") or {}
        vs_wrk_rate = ratio(rec["rps"], wrk["rps"]) if wrk and "skipped" not in wrk else "–"
        vs_wrk_cpu = ratio(rec["us_per_request"], wrk["us_per_request"]) if wrk and "skipped" not in wrk else "–"
        per_core = "–"
        if lg and "skipped" not in lg and label != "loadgen":
            per_core = ratio(lg["requests_per_cpu_s"], rec["requests_per_cpu_s"])
        print(f"| {label} | {fmt(rec['requests'])} | {fmt(rec['rps'])} | {fmt(rec['cpu_s'], 2)} "
              f"| {fmt(rec['us_per_request'])} | {fmt(rec['requests_per_cpu_s'])} | {fmt(lat.get('p50'), 2)} "
              f"| {fmt(lat.get('p99'), 2)} | {error_text(rec)} | {vs_wrk_rate} | {vs_wrk_cpu} | {per_core} |")
    print()
    print("Goals (issue 14): loadgen req/s ≥ 0.9× wrk's, at CPU/request ≤ 1.2× wrk's; loadgen requests per CPU-second "
          "≥ 10× locust's (HttpUser).")
    if lg and "skipped" not in lg and wrk and "skipped" not in wrk:
        rate, cpu = lg["rps"] / wrk["rps"], lg["us_per_request"] / wrk["us_per_request"]
        print(f"- vs wrk: {rate:.2f}× the rate ({'met' if rate >= 0.9 else 'NOT met'}), {cpu:.2f}× the CPU per request "
              f"({'met' if cpu <= 1.2 else 'NOT met'})")
        loc = recs.get("locust HttpUser")
        if loc and "skipped" not in loc:
            per = lg["requests_per_cpu_s"] / loc["requests_per_cpu_s"]
            print(f"- vs locust HttpUser: {per:.1f}× the requests per CPU-second ({'met' if per >= 10 else 'NOT met'})")


def open_loop(folder):
    recs = records("open", folder)
    stalls = []
    print("| run | server | requests | req/s | p50 ms | p99 ms | p99.9 ms | max ms | errors | notes |")
    print("|---|---|--:|--:|--:|--:|--:|--:|---|---|")
    for label, rec in recs.items():
        if "skipped" in rec:
            print(f"| {label} | | not measured ({rec['skipped']}) ||||||||")
            continue
        lat = rec.get("latency_ms") or {}
        notes = []
        if "intended_rps" in rec:
            notes.append(f"intended {fmt(rec['intended_rps'])}/s, late {fmt(rec.get('late'))}")
        print(f"| {label} | {rec.get('server', '')} | {fmt(rec['requests'])} | {fmt(rec['rps'])} "
              f"| {fmt(lat.get('p50'), 2)} | {fmt(lat.get('p99'), 2)} | {fmt(lat.get('p999'), 2)} "
              f"| {fmt(lat.get('max'), 2)} | {error_text(rec)} | {'; '.join(notes)} |")
    for path in sorted(glob.glob(os.path.join(folder, "open-*.stalls.jsonl"))):
        runs = [json.loads(l) for l in open(path) if l.strip()]
        lengths = [s["cont"] - s["stop"] for s in runs]
        if lengths:
            starts = ", ".join(f"{s['stop']:.1f}" for s in runs)
            stalls.append(f"{os.path.basename(path)[5:-13]}: {len(lengths)} stalls of "
                          f"{min(lengths):.2f}–{max(lengths):.2f} s, starting at {starts} s")
    if stalls:
        print()
        print("Stalls (SIGSTOP of nginx's master and worker; seconds from the client's start):")
        for s in stalls:
            print(f"- {s}")
    lg = recs.get("loadgen --rate")
    closed_p99 = [(l, r["latency_ms"].get("p99")) for l, r in recs.items()
                  if "skipped" not in r and "--rate" not in l and r.get("server") == "stalling"]
    if lg and "skipped" not in lg:
        print()
        p99 = lg["latency_ms"].get("p99")
        print(f"loadgen --rate p99 {fmt(p99, 1)} ms against closed-loop p99 "
              + ", ".join(f"{fmt(v, 1)} ms ({l})" for l, v in closed_p99)
              + ": the stall shows when the open-loop p99 is of the order of the stall (hundreds of ms) "
                "and the closed-loop p99 is not.")


def memory(folder):
    recs = records("memory", folder)
    print("| client | corpus | files sent | bytes sent | duration s | MB/s | max RSS MiB | goal | errors |")
    print("|---|---|--:|--:|--:|--:|--:|---|---|")
    for label, rec in recs.items():
        if "skipped" in rec:
            print(f"| {label} | not measured ({rec['skipped']}) ||||||||")
            continue
        rss = rec["max_rss_kib"] / 1024
        sent = rec.get("bytes_sent")
        mbps = sent / rec["duration_s"] / 1e6 if sent and rec["duration_s"] else None
        print(f"| {label} | {rec.get('corpus', '')} | {fmt(rec['ok'])} | {fmt(sent)} | {fmt(rec['duration_s'])} "
              f"| {fmt(mbps)} | {rss:.1f} | ≤ 64 MiB: {'met' if rss <= 64 else 'NOT met'} | {error_text(rec)} |")


def nodes(folder):
    recs = records("nodes", folder)
    print("| engines behind nginx | mode | requests | accepted (202)/s | other answers | rows committed/s "
          "| end-to-end p50 / p99 ms | ratio vs 1 engine |")
    print("|---|---|--:|--:|---|--:|--:|--:|")
    base = {}
    for label, rec in recs.items():
        if "skipped" in rec:
            print(f"| {label} | not measured ({rec['skipped']}) |||||||")
            continue
        mode = rec.get("mode", "")
        accepted = rec["ok"] / rec["duration_s"] if rec["duration_s"] else None
        rows = rec.get("rows_per_s")
        if rec.get("engines") == 1:
            base[mode] = (accepted, rows)
        b = base.get(mode)
        e2e = rec.get("end_to_end_ms") or {}
        e2e_text = f"{fmt(e2e.get('p50'), 0)} / {fmt(e2e.get('p99'), 0)}" if e2e else "–"
        ratios = "–"
        if b and rec.get("engines") != 1:
            ratios = f"accepted {ratio(accepted, b[0])}, rows {ratio(rows, b[1])}"
        print(f"| {rec.get('engines')} | {mode} | {fmt(rec['requests'])} | {fmt(accepted)} | {error_text(rec)} "
              f"| {fmt(rows)} | {e2e_text} | {ratios} |")


def main():
    kind = sys.argv[1] if len(sys.argv) > 1 else ""
    if kind in ("wrk", "locust", "loadgen"):
        rec = {"wrk": from_wrk, "locust": from_locust, "loadgen": from_loadgen}[kind](*sys.argv[2:5])
        for item in sys.argv[5:]:  # KEY=VALUE extras (JSON values where they parse)
            key, _, value = item.partition("=")
            try:
                rec[key] = json.loads(value)
            except ValueError:
                rec[key] = value
        json.dump(rec, sys.stdout)
        print()
    elif kind == "table":
        {"closed": closed, "open": open_loop, "memory": memory, "nodes": nodes}[sys.argv[2]](sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
