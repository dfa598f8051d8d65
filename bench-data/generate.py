#!/usr/bin/python3
"""Generates bench documents: realistic resumes rendered from structured records (the ground truth), in a
realistic mix of formats, plus a nasty set. See bench-data/README.md.

    /usr/bin/python3 bench-data/generate.py --set sample                 # the committed sample
    /usr/bin/python3 bench-data/generate.py --set mix --count 2000       # -> .data/bench-data/mix
    /usr/bin/python3 bench-data/generate.py --set mix --count 2000 --no-scans --out .data/bench-data/mix-noscan
    /usr/bin/python3 bench-data/generate.py --set nasty                  # -> .data/bench-data/nasty

Needs: soffice (libreoffice-writer-nogui), pdftoppm (poppler-utils), qpdf, python3-pil; python3-uno for the
encrypted DOCX. `make deps-test` installs them.
"""

import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree

import argparse  # noqa: E402
import concurrent.futures as cf  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

try:
    from PIL import Image  # noqa: F401
except ImportError:
    sys.exit("generate.py needs PIL: run it with Debian's /usr/bin/python3 (python3-pil), e.g. `make bench-data`")

from resumegen import convert, docmodel, layouts, nasty, records, render  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# Share of each format in a mix (percent).
MIX = {"pdf": 35, "docx": 30, "doc": 8, "rtf": 4, "odt": 3, "html": 6, "txt": 6, "scan-pdf": 4, "png": 4}
SCANS = ("scan-pdf", "png")
# Formats that keep characters as text; the others are rendered with the fonts installed here (DejaVu, no CJK),
# so Chinese-script names only go to these.
TEXT_FORMATS = ("docx", "doc", "rtf", "odt", "html", "txt")
EXT = {"scan-pdf": "pdf"}
MIME = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "rtf": "application/rtf",
    "odt": "application/vnd.oasis.opendocument.text",
    "html": "text/html",
    "txt": "text/plain",
    "png": "image/png",
}
SAMPLE_COUNT = 60
PASSWORD = "resume2025"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def allocate(count, weights, rng):
    """Exact shares by largest remainder, then shuffled: every format shows up even in small sets."""
    total = sum(weights.values())
    raw = {k: count * w / total for k, w in weights.items()}
    n = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: (n[k] - raw[k], k))[: count - sum(n.values())]:
        n[k] += 1
    out = [k for k in weights for _ in range(n[k])]
    rng.shuffle(out)
    return out


def declared_type(fmt, ext, rng):
    """What a client would send: the extension's MIME, now and then a generic or alternative one."""
    r = rng.random()
    if r < 0.05:
        return "application/octet-stream"
    if ext == "rtf" and r < 0.3:
        return "text/rtf"
    return MIME[ext]


def encode_text(text, rng):
    """UTF-8 mostly; some UTF-8 with BOM, UTF-16 LE with BOM, Windows-1252. Windows-ish ones get CRLF."""
    r = rng.random()
    if r < 0.70:
        enc, label = "utf-8", "utf-8"
    elif r < 0.78:
        enc, label = "utf-8-sig", "utf-8-bom"
    elif r < 0.88:
        enc, label = "utf-16-le", "utf-16le-bom"
    else:
        enc, label = "cp1252", "windows-1252"
        try:
            text.encode("cp1252")
        except UnicodeEncodeError:
            enc, label = "utf-8", "utf-8"
    if label in ("utf-16le-bom", "windows-1252") or rng.random() < 0.25:
        text = text.replace("\n", "\r\n")
    data = text.encode(enc)
    if enc == "utf-16-le":
        data = b"\xff\xfe" + data
    return data, label


class Doc:
    def __init__(self, name, fmt, record, html=None, text=None):
        self.name, self.fmt, self.record, self.html, self.text = name, fmt, record, html, text
        self.ext = EXT.get(fmt, fmt)
        self.entry = None  # manifest line


def build_mix(seed, set_name, count, no_scans, sizes=None):
    """Records and rendered sources for `count` documents, all from the seed. `sizes`: the record sizes to draw
    from (short, medium, long), all by default."""
    weights = {k: v for k, v in MIX.items() if not (no_scans and k in SCANS)}
    fmts = allocate(count, weights, random.Random(f"{seed}:{set_name}:formats"))
    docs = []
    for i, fmt in enumerate(fmts):
        rng = random.Random(f"{seed}:{set_name}:{i}")
        size = {"png": "short", "scan-pdf": rng.choice(["short", "short", "medium"])}.get(fmt)
        if sizes:
            size = rng.choice(sizes)
        rec = records.make_record(rng, allow_hanzi=fmt in TEXT_FORMATS, size=size)
        st = render.pick_style(rng, fmt)
        slug = records.ascii_slug(rec["basics"]["name"], "-") or "resume"
        doc = Doc(f"{i + 1:04d}-{slug}", fmt, rec)
        doc.rng = rng
        if fmt == "txt":
            doc.text = render.render_text(rec, st)
        else:
            doc.html = render.render_html(rec, st, word_html=(fmt == "html" and rng.random() < 0.25))
        docs.append(doc)
    return docs


def write_sources(docs, files, src_dir):
    """html and txt documents are final as rendered; the others become HTML sources for LibreOffice."""
    for d in docs:
        path = os.path.join(files, f"{d.name}.{d.ext}")
        if d.fmt == "txt":
            data, d.encoding = encode_text(d.text, d.rng)
            with open(path, "wb") as f:
                f.write(data)
        elif d.fmt == "html":
            with open(path, "w", encoding="utf-8") as f:
                f.write(d.html)
        else:
            with open(os.path.join(src_dir, d.name + ".html"), "w", encoding="utf-8") as f:
                f.write(d.html)


def lo_batches(docs, files, src_dir, pdf_dir):
    by = {}
    for d in docs:
        src = os.path.join(src_dir, d.name + ".html")
        if d.fmt in ("pdf", "docx", "doc", "odt", "rtf"):
            by.setdefault((d.fmt, files), []).append(src)
        elif d.fmt in SCANS:
            by.setdefault(("pdf", pdf_dir), []).append(src)
    return [(t, srcs, out) for (t, out), srcs in by.items()]


def make_scan(d, files, pdf_dir, tmp_root):
    rng = random.Random(f"{d.rng.random()}:scan")
    dpi = rng.choice([150, 200]) if d.fmt == "scan-pdf" else 150
    pages = convert.rasterize(os.path.join(pdf_dir, d.name + ".pdf"), dpi, os.path.join(tmp_root, d.name))
    pages = [convert.scan_effect(p, rng) for p in pages]
    path = os.path.join(files, f"{d.name}.{d.ext}")
    if d.fmt == "scan-pdf":
        convert.save_scan_pdf(pages, path, dpi, rng)
    else:
        convert.save_png(pages, path, dpi)
    return len(pages), dpi


def finish_mix(docs, files, pdf_dir, tmp_root, jobs):
    scans = [d for d in docs if d.fmt in SCANS]
    with cf.ThreadPoolExecutor(jobs) as ex:
        scan_info = dict(zip((d.name for d in scans),
                             ex.map(lambda d: make_scan(d, files, pdf_dir, tmp_root), scans)))
    for d in docs:
        expected = {"status": "extracted", "error_code": None}
        if d.fmt == "pdf":
            expected["page_count"] = convert.pdf_page_count(os.path.join(files, f"{d.name}.pdf"))
        elif d.fmt in SCANS:
            pages, dpi = scan_info[d.name]
            if d.fmt == "scan-pdf":
                expected["page_count"] = pages
            expected["ocr"] = True
        e = {"file": f"files/{d.name}.{d.ext}", "format": d.fmt,
             "declared_type": declared_type(d.fmt, d.ext, d.rng), "expected": expected}
        if d.fmt == "txt":
            e["encoding"] = d.encoding
        if d.fmt in SCANS:
            e["dpi"] = dpi
        e["record"] = d.record
        d.entry = e


FLAT_SHARE = 0.4  # documents of the layouts set that get a flattened twin


def build_layouts(seed, count, split):
    """The layouts set: every layout in equal share, each in the formats it really comes in (see
    resumegen/layouts.py), a flattened twin for FLAT_SHARE of them. The holdout split draws from its own seed
    namespace, so it shares no document with dev."""
    ns = seed if split == "dev" else f"{seed}:holdout"
    prefix = "" if split == "dev" else "h"
    lays = allocate(count, {k: 1 for k in layouts.LAYOUTS}, random.Random(f"{ns}:layouts:layouts"))
    fmts = {}
    for lay in layouts.LAYOUTS:  # each layout's documents spread over its formats by exact shares
        n = lays.count(lay)
        fmts[lay] = allocate(n, layouts.FORMATS[lay], random.Random(f"{ns}:layouts:formats:{lay}")) if n else []
    docs = []
    for i, lay in enumerate(lays):
        fmt = fmts[lay].pop()
        rng = random.Random(f"{ns}:layouts:{i}")
        rec = records.make_record(rng, allow_hanzi=fmt in TEXT_FORMATS)
        rec, model, st = layouts.build(rec, lay, rng)
        slug = records.ascii_slug(rec["basics"]["name"], "-") or "resume"
        doc = Doc(f"{prefix}{i + 1:04d}-{slug}", fmt, rec)
        doc.rng, doc.layout, doc.model, doc.split, doc.variant = rng, lay, model, split, layouts.variant(st)
        doc.flat = None
        if fmt == "txt":
            doc.text = docmodel.render_text(model)
        elif lay not in layouts.DOCX_NATIVE:
            doc.html = docmodel.render_html(model)
        if rng.random() < FLAT_SHARE:
            doc.flat = docmodel.flatten(doc.text or docmodel.render_text(model), rng)
        docs.append(doc)
    return docs


def write_layout_sources(docs, files, src_dir):
    """txt, html and the DOCX of DOCX-native layouts are final; the rest are sources for LibreOffice. Returns
    the soffice batches."""
    by = {}
    for d in docs:
        final = os.path.join(files, f"{d.name}.{d.ext}")
        if d.fmt == "txt":
            data, d.encoding = encode_text(d.text, d.rng)
            with open(final, "wb") as f:
                f.write(data)
        elif d.html is None:  # DOCX-native
            if d.fmt == "docx":
                docmodel.write_docx(d.model, final)
            else:
                src = os.path.join(src_dir, d.name + ".docx")
                docmodel.write_docx(d.model, src)
                by.setdefault((d.fmt, None), []).append(src)
        elif d.fmt == "html":
            with open(final, "w", encoding="utf-8") as f:
                f.write(d.html)
        else:
            src = os.path.join(src_dir, d.name + ".html")
            with open(src, "w", encoding="utf-8") as f:
                f.write(d.html)
            by.setdefault((d.fmt, convert.HTML_IN), []).append(src)
        if d.flat is not None:
            with open(os.path.join(files, f"{d.name}-flat.txt"), "w", encoding="utf-8") as f:
                f.write(d.flat)
    return [(t, srcs, files, infilter) for (t, infilter), srcs in by.items()]


def finish_layouts(docs, files):
    entries = []
    for d in docs:
        expected = {"status": "extracted", "error_code": None}
        if d.fmt == "pdf":
            expected["page_count"] = convert.pdf_page_count(os.path.join(files, f"{d.name}.pdf"))
        e = {"file": f"files/{d.name}.{d.ext}", "format": d.fmt,
             "declared_type": declared_type(d.fmt, d.ext, d.rng), "expected": expected}
        if d.fmt == "txt":
            e["encoding"] = d.encoding
        e.update(layout=d.layout, flattened=False, split=d.split, variant=d.variant, record=d.record)
        entries.append(e)
        if d.flat is not None:
            entries.append({"file": f"files/{d.name}-flat.txt", "format": "txt", "declared_type": MIME["txt"],
                            "expected": {"status": "extracted", "error_code": None}, "encoding": "utf-8",
                            "layout": d.layout, "flattened": True, "split": d.split, "variant": d.variant,
                            "record": d.record})
    return entries


NASTY_SOURCES = {  # nasty file -> (format the record is rendered to by LibreOffice, or None)
    "encrypted-pdf": "pdf", "truncated-pdf": "pdf", "truncated-docx": "docx", "encrypted-docx": "docx",
    "rtf-named-doc": "rtf",
}


def build_nasty(seed):
    """Records for the nasty files that start from a real resume."""
    out = {}
    for k, key in enumerate(list(NASTY_SOURCES) + ["html-named-doc"]):
        rng = random.Random(f"{seed}:nasty:{k}")
        rec = records.make_record(rng, allow_hanzi=key in ("rtf-named-doc", "html-named-doc"), size="short")
        st = render.pick_style(rng, "docx")
        out[key] = (rec, render.render_html(rec, st, word_html=(key == "html-named-doc")))
    return out


def write_nasty(seed, nrecs, files, work, nasty_dir):
    """Writes the nasty set into files/; returns manifest lines."""
    rng = random.Random(f"{seed}:nasty")
    entries = []

    def add(fname, fmt, declared, status, code, record=None, note="", page_count=None):
        exp = {"status": status, "error_code": code}
        if page_count is not None:
            exp["page_count"] = page_count
        entries.append({"file": f"files/{fname}", "format": fmt, "declared_type": declared, "expected": exp,
                        "note": note, "record": record})

    src = lambda key, ext: os.path.join(nasty_dir, f"nasty-src-{key}.{ext}")  # noqa: E731
    nasty.encrypt_pdf(src("encrypted-pdf", "pdf"), os.path.join(files, "nasty-encrypted.pdf"), PASSWORD)
    add("nasty-encrypted.pdf", "pdf", MIME["pdf"], "failed", "encrypted",
        note=f"qpdf AES-256, user password {PASSWORD!r}")
    nasty.truncate_copy(src("truncated-pdf", "pdf"), os.path.join(files, "nasty-truncated.pdf"))
    add("nasty-truncated.pdf", "pdf", MIME["pdf"], "failed", "corrupt", note="first 40% of a real PDF")
    nasty.truncate_copy(src("truncated-docx", "docx"), os.path.join(files, "nasty-truncated.docx"))
    add("nasty-truncated.docx", "docx", MIME["docx"], "failed", "corrupt",
        note="first 40% of a real DOCX (no zip central directory)")
    t0 = time.monotonic()
    nasty.write_zip_bomb(os.path.join(files, "nasty-zip-bomb.docx"))
    log(f"  zip bomb written in {time.monotonic() - t0:.1f} s")
    add("nasty-zip-bomb.docx", "docx", MIME["docx"], "failed", "decompression_bomb",
        note=f"word/document.xml inflates to {nasty.BOMB_BYTES} bytes (deflate level 9)")
    shutil.copyfile(src("rtf-named-doc", "rtf"), os.path.join(files, "nasty-rtf-named.doc"))
    add("nasty-rtf-named.doc", "rtf", MIME["doc"], "extracted", None, record=nrecs["rtf-named-doc"][0],
        note="RTF saved with a .doc name (common in ATS exports)")
    with open(os.path.join(files, "nasty-html-named.doc"), "w", encoding="utf-8") as f:
        f.write(nrecs["html-named-doc"][1])
    add("nasty-html-named.doc", "html", MIME["doc"], "extracted", None, record=nrecs["html-named-doc"][0],
        note="Word-flavoured HTML saved with a .doc name")
    open(os.path.join(files, "nasty-empty.pdf"), "wb").close()
    add("nasty-empty.pdf", "empty", MIME["pdf"], "failed", "empty_text", note="zero bytes")
    nasty.write_long_pdf(os.path.join(files, "nasty-300-pages.pdf"), random.Random(f"{seed}:nasty:long"))
    add("nasty-300-pages.pdf", "pdf", MIME["pdf"], "extracted", None, page_count=300,
        note="academic CV, 300 pages of publications")
    with open(os.path.join(files, "nasty-junk.pdf"), "wb") as f:
        f.write(b"\x00\x17" + rng.randbytes(65534))
    add("nasty-junk.pdf", "junk", MIME["pdf"], "failed", "unsupported_type", note="64 KiB of random bytes")
    nasty.copy_elf(os.path.join(files, "nasty-elf.docx"))
    add("nasty-elf.docx", "elf", MIME["docx"], "failed", "unsupported_type", note="a copy of /bin/true")
    nasty.write_plain_zip(os.path.join(files, "nasty-plain-zip.docx"))
    add("nasty-plain-zip.docx", "zip", MIME["docx"], "failed", "unsupported_type",
        note="an ordinary zip of text files, not OOXML")
    nasty.write_blank_scan(os.path.join(files, "nasty-blank-scan.pdf"))
    add("nasty-blank-scan.pdf", "scan-pdf", MIME["pdf"], "failed", "empty_text",
        note="image-only PDF of a white page: no text, OCR finds nothing")
    err = nasty.encrypt_docx(src("encrypted-docx", "docx"), os.path.join(files, "nasty-encrypted.docx"),
                             PASSWORD, work)
    if err is None:
        add("nasty-encrypted.docx", "encrypted-ooxml", MIME["docx"], "failed", "encrypted",
            note=f"password-protected by LibreOffice (OOXML Standard encryption), password {PASSWORD!r}")
    else:
        log(f"  warning: no encrypted DOCX ({err}); left out of the set")
    return entries


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", choices=["sample", "mix", "nasty", "layouts"], required=True,
                    help="sample: ~60 mixed documents + the nasty set (committed); mix: --count documents; "
                         "nasty: the nasty set alone; layouts: --count documents in the layouts of "
                         "resumegen/layouts.py, with flattened twins")
    ap.add_argument("--split", choices=["dev", "holdout"], default="dev",
                    help="layouts set only: dev (tune on it) or holdout (a separate seed namespace; never tune "
                         "the parser on it)")
    ap.add_argument("--count", type=int, default=None, help=f"documents in the mix (sample: {SAMPLE_COUNT})")
    ap.add_argument("--out", help="output directory (default: bench-data/sample, or .data/bench-data/<set>)")
    ap.add_argument("--seed", default="resume-ingest-1", help="seed (any string); same seed, same records")
    ap.add_argument("--no-scans", action="store_true", help="leave out scanned PDFs and PNGs")
    ap.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                    help="parallel soffice / scan workers (default: cores, at most 4)")
    ap.add_argument("--keep-work", action="store_true", help="keep the temporary work directory")
    ap.add_argument("--sizes", default=None,
                    help="comma-separated record sizes to draw from (short: about a page, medium: 1-2 pages, "
                         "long: 3-4 pages, xlong: 5-7 pages); default: the realistic mix (no xlong)")
    a = ap.parse_args()

    default_count = {"sample": SAMPLE_COUNT, "layouts": 300}.get(a.set, 2000)
    count = 0 if a.set == "nasty" else (a.count if a.count is not None else default_count)
    set_dir = a.set + ("-holdout" if a.set == "layouts" and a.split == "holdout" else "")
    out = a.out or (os.path.join(HERE, "sample") if a.set == "sample" else os.path.join(REPO, ".data", "bench-data",
                                                                                         set_dir))
    out = os.path.abspath(out)
    files = os.path.join(out, "files")
    for tool in ("soffice", "pdftoppm", "qpdf"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found: run `scripts/install-deps.sh test` (or `make bench-data`)")
    if os.path.isdir(files):
        shutil.rmtree(files)
    os.makedirs(files)
    work = tempfile.mkdtemp(prefix="bench-data-")
    src_dir, pdf_dir, nasty_dir = (os.path.join(work, d) for d in ("src", "pdf", "nasty"))
    for d in (src_dir, pdf_dir, nasty_dir):
        os.makedirs(d)
    t_start = time.monotonic()
    try:
        seed = str(a.seed)
        sizes = [x.strip() for x in a.sizes.split(",")] if a.sizes else None
        if sizes and not set(sizes) <= {"short", "medium", "long", "xlong"}:
            ap.error("--sizes takes short, medium, long and xlong")
        if a.set == "layouts":
            docs = build_layouts(seed, count, a.split)
            batches = write_layout_sources(docs, files, src_dir)
        else:
            docs = build_mix(seed, a.set, count, a.no_scans, sizes)
            write_sources(docs, files, src_dir)
            batches = lo_batches(docs, files, src_dir, pdf_dir)
        with_nasty = a.set in ("sample", "nasty")
        nrecs = {}
        if with_nasty:
            nrecs = build_nasty(seed)
            by = {}
            for key, target in NASTY_SOURCES.items():
                path = os.path.join(nasty_dir, f"nasty-src-{key}.html")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(nrecs[key][1])
                by.setdefault(target, []).append(path)
            batches += [(t, srcs, nasty_dir) for t, srcs in by.items()]
        t0 = time.monotonic()
        lo = convert.Soffice(work, a.jobs)
        lo.convert(batches)
        n_lo = sum(len(b[1]) for b in batches)
        log(f"soffice: {n_lo} conversions in {lo.invocations} invocations, {time.monotonic() - t0:.1f} s wall")
        t0 = time.monotonic()
        if a.set == "layouts":
            entries = finish_layouts(docs, files)
        else:
            finish_mix(docs, files, pdf_dir, os.path.join(work, "raster"), a.jobs)
            n_scans = sum(d.fmt in SCANS for d in docs)
            if n_scans:
                log(f"scans: {n_scans} in {time.monotonic() - t0:.1f} s")
            entries = [d.entry for d in docs]
        if with_nasty:
            entries += write_nasty(seed, nrecs, files, work, nasty_dir)
        with open(os.path.join(out, "manifest.jsonl"), "w", encoding="utf-8") as f:
            for e in entries:
                f.write(json.dumps(e, ensure_ascii=False, sort_keys=False) + "\n")
    finally:
        if a.keep_work:
            log(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    counts = {}
    for e in entries:
        counts[e["format"]] = counts.get(e["format"], 0) + 1
    size = sum(os.path.getsize(os.path.join(files, n)) for n in os.listdir(files))
    log(f"{len(entries)} files ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}), "
        f"{size / 1048576:.1f} MiB, in {time.monotonic() - t_start:.1f} s -> {out}")


if __name__ == "__main__":
    main()
