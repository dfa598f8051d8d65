#!/usr/bin/python3
"""Checks that every value of each record is in its document's text, and reports misses per layout.

    /usr/bin/python3 bench-data/check_truth.py /tmp/lay-dev [--show 20]

Text comes from the file itself: txt (by the manifest's encoding), html (tags dropped), docx (every w:t of the
document, headers and footers, text boxes included), odt (content.xml) and pdf (pdftotext in reading order,
-raw, -raw without page-footer lines, and -layout). Whitespace is collapsed before comparing; a value found only
once all whitespace is dropped (an e-mail address wrapped in a narrow column) counts as found and is listed as
"wrapped". Dates are reformatted by the
generator, so a date counts as found when its year is shown as "2019", "'19" or "–19"/"-19" (a range's end).
"""

import argparse
import collections
import html
import json
import os
import re
import subprocess
import sys
import unicodedata
import zipfile

sys.dont_write_bytecode = True

SKIP = {"countryCode", "network"}  # shown as a country name, or not at all (profile networks)
DATE_KEYS = {"startDate", "endDate", "date"}
PAGE_FOOTER = re.compile(r"(?m)^\s*(Page \d+( of \d+)?|- \d+ -|Confidential – \d+|Curriculum Vitae · Page \d+)\s*\n")


def xml_text(data):
    data = re.sub(rb"<w:(br|tab|cr)/>|</w:p>|</text:p>|</text:h>|<text:line-break/>|<text:tab/>", b"\n", data)
    data = re.sub(rb"<[^>]+>", b"", data)
    return html.unescape(data.decode("utf-8"))


def doc_text(path, entry):
    fmt = entry["format"]
    if fmt == "txt":
        enc = {"utf-8": "utf-8", "utf-8-bom": "utf-8-sig", "utf-16le-bom": "utf-16", "windows-1252": "cp1252"}
        with open(path, "rb") as f:
            return f.read().decode(enc[entry.get("encoding", "utf-8")])
    if fmt == "html":
        with open(path, encoding="utf-8") as f:
            s = f.read()
        s = re.sub(r"(?s)<(style|title)>.*?</\1>", "", s)
        return html.unescape(re.sub(r"<[^>]+>", "\n", s))
    if fmt == "docx":
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", n)]
            return "\n".join(xml_text(z.read(n)) for n in names)
    if fmt == "odt":
        with zipfile.ZipFile(path) as z:
            return xml_text(z.read("content.xml")) + "\n" + xml_text(z.read("styles.xml"))
    if fmt == "pdf":
        texts = [subprocess.run(["pdftotext", *mode, path, "-"], capture_output=True, text=True).stdout
                 for mode in ([], ["-raw"], ["-layout"])]
        # A value can run across a page break, with the page footer in between.
        texts.append(PAGE_FOOTER.sub("", texts[1]))
        return "\n\f\n".join(texts)
    raise ValueError(fmt)


def values(rec, path="", key=""):
    """(field path, key, value) of every string in the record."""
    if isinstance(rec, str):
        yield path, key, rec
    elif isinstance(rec, dict):
        for k, v in rec.items():
            if k not in SKIP:
                yield from values(v, f"{path}.{k}" if path else k, k)
    elif isinstance(rec, list):
        for x in rec:
            yield from values(x, path, key)


def norm(s):
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", s)).strip()


def found(key, value, text, squeezed):
    if key in DATE_KEYS:
        y = value[:4]
        return ("ok" if y in text or re.search(rf"['–\-]{y[2:]}\b", text) else None)
    v = norm(value)
    if v in text:
        return "ok"
    if re.sub(r"\s", "", v) in squeezed:
        return "wrapped"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="a generated set (holds manifest.jsonl)")
    ap.add_argument("--show", type=int, default=15, help="misses to list (default 15)")
    a = ap.parse_args()
    per = collections.defaultdict(lambda: collections.Counter())
    misses = []
    with open(os.path.join(a.dir, "manifest.jsonl"), encoding="utf-8") as f:
        entries = [json.loads(line) for line in f]
    for e in entries:
        if not e.get("record") or e["expected"]["status"] != "extracted":
            continue
        group = (e.get("layout", "-"), "flat" if e.get("flattened") else e["format"])
        try:
            raw = doc_text(os.path.join(a.dir, e["file"]), e)
        except Exception as err:  # noqa: BLE001 - a file that does not open is a finding
            per[group]["unreadable"] += 1
            misses.append((e["file"], "(file)", repr(err)))
            continue
        text = norm(raw)
        squeezed = re.sub(r"\s", "", text)
        per[group]["docs"] += 1
        for field, key, value in values(e["record"]):
            r = found(key, value, text, squeezed)
            per[group]["values"] += 1
            if r is None:
                per[group]["missing"] += 1
                misses.append((e["file"], field, value))
            elif r == "wrapped":
                per[group]["wrapped"] += 1
    print(f"{'layout':<14} {'format':<6} {'docs':>5} {'values':>7} {'missing':>8} {'wrapped':>8}")
    tot = collections.Counter()
    for (lay, fmt), c in sorted(per.items()):
        tot.update(c)
        print(f"{lay:<14} {fmt:<6} {c['docs']:>5} {c['values']:>7} {c['missing']:>8} {c['wrapped']:>8}"
              + (f"  unreadable {c['unreadable']}" if c["unreadable"] else ""))
    print(f"{'all':<14} {'':<6} {tot['docs']:>5} {tot['values']:>7} {tot['missing']:>8} {tot['wrapped']:>8}"
          + (f"  unreadable {tot['unreadable']}" if tot["unreadable"] else ""))
    for m in misses[: a.show]:
        print("  missing:", *m)
    return 1 if tot["missing"] or tot["unreadable"] else 0


if __name__ == "__main__":
    sys.exit(main())
