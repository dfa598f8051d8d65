"""The nasty set: files a resume engine meets in production and must fail cleanly on (or survive)."""

import os
import shutil
import subprocess
import sys
import zipfile
import zlib

from PIL import Image

from . import convert
from . import words as W

ZIP_TIME = (2024, 1, 1, 0, 0, 0)  # fixed timestamps keep the zips byte-identical across runs
BOMB_BYTES = (1 << 30) + (1 << 20)  # word/document.xml inflates to just over 1 GiB

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>")
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>')


def _zinfo(name):
    zi = zipfile.ZipInfo(name, ZIP_TIME)
    zi.compress_type = zipfile.ZIP_DEFLATED
    zi.external_attr = 0o644 << 16
    return zi


def write_zip_bomb(path):
    """A docx whose word/document.xml is >= 1 GiB (one text run of spaces), streamed at deflate level 9
    (about 1 MiB on disk); the generator never holds more than one 1 MiB chunk."""
    head = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
            '<w:p><w:r><w:t>Jane Doe</w:t></w:r></w:p><w:p><w:r><w:t>Software Engineer</w:t></w:r></w:p>'
            '<w:p><w:r><w:t xml:space="preserve">').encode()
    tail = b"</w:t></w:r></w:p></w:body></w:document>"
    # One run of spaces: deflate's best case (~1030:1); periodic markup only reaches ~300:1.
    chunk = b" " * (1 << 20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(_zinfo("[Content_Types].xml"), CONTENT_TYPES)
        z.writestr(_zinfo("_rels/.rels"), RELS)
        zi = _zinfo("word/document.xml")
        with z.open(zi, "w") as f:
            f.write(head)
            written = len(head)
            while written < BOMB_BYTES:
                f.write(chunk)
                written += len(chunk)
            f.write(tail)


def write_plain_zip(path):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(_zinfo("notes.txt"), "Shopping list: milk, eggs, coffee.\n")
        z.writestr(_zinfo("photos/README.txt"), "Holiday photos, summer 2023.\n")


def _pdf_escape(s):
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def write_long_pdf(path, rng, pages=300):
    """A minimal hand-written PDF (Helvetica, WinAnsi): an academic CV whose publication list runs to
    `pages` pages. Byte-identical for a given rng state."""
    latin = [n for c in ("en", "de", "fr", "es", "nl") for n in W.CULTURES[c]["family"]]
    given = [g for c in ("en", "de", "fr", "es") for g, _ in W.CULTURES[c]["given"]]
    topics = ["distributed consensus", "resume parsing", "graph neural networks", "query optimisation",
              "sparse matrices", "federated learning", "protein folding", "traffic simulation", "compiler testing",
              "energy-aware scheduling", "low-resource translation", "causal discovery"]
    venues = ["Journal of Applied Computing", "Proceedings of the Workshop on Data Systems", "Transactions on Learning",
              "International Conference on Software Engineering", "Review of Computational Methods"]
    me = f"{rng.choice(given)} {rng.choice(latin)}"
    objs = {}
    page_ids = []
    next_id = 4
    n = 1
    for p in range(1, pages + 1):
        lines = [f"{me} - Curriculum Vitae - Publications (page {p} of {pages})", ""]
        if p == 1:
            lines = [f"{me}", "Professor of Computer Science", f"{me.lower().replace(' ', '.')}@example.edu", "",
                     "Publications", ""]
        while len(lines) < 36:
            authors = ", ".join(f"{rng.choice(given)[0]}. {rng.choice(latin)}" for _ in range(rng.randint(1, 4)))
            year = rng.randint(1995, 2025)
            lines.append(f"[{n}] {authors}, {me.split()[0][0]}. {me.split()[-1]}.")
            t1, t2 = rng.sample(topics, 2)
            lines.append(f"     On {t1} and {t2}. "
                         f"{rng.choice(venues)}, {year}, {rng.randint(1, 40)}({rng.randint(1, 12)}): "
                         f"{rng.randint(1, 300)}-{rng.randint(301, 600)}.")
            n += 1
        text = "BT /F1 9 Tf 56 800 Td 15 TL\n" + "".join(f"({_pdf_escape(l)}) '\n" for l in lines) + "ET\n"
        data = zlib.compress(text.encode("cp1252"), 9)
        cid, pid = next_id, next_id + 1
        next_id += 2
        objs[cid] = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
        objs[pid] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                     b"/Contents %d 0 R >>" % cid)
        page_ids.append(pid)
    objs[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objs[2] = b"<< /Type /Pages /Count %d /Kids [%s] >>" % (pages, b" ".join(b"%d 0 R" % i for i in page_ids))
    objs[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for i in range(1, next_id):
        offsets[i] = len(out)
        out += b"%d 0 obj\n" % i + objs[i] + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % next_id
    for i in range(1, next_id):
        out += b"%010d 00000 n \n" % offsets[i]
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (next_id, xref)
    with open(path, "wb") as f:
        f.write(out)


def write_blank_scan(path):
    """An image-only PDF of an empty white page (150 dpi A4)."""
    Image.new("L", (1240, 1754), 255).save(path, "PDF", resolution=150.0, **convert.PDF_DATES)


def truncate_copy(src, dst, fraction=0.4):
    with open(src, "rb") as f:
        data = f.read()
    with open(dst, "wb") as f:
        f.write(data[: int(len(data) * fraction)])


def encrypt_pdf(src, dst, password):
    subprocess.run(["qpdf", "--encrypt", password, password + "-owner", "256", "--", src, dst], check=True,
                   stdin=subprocess.DEVNULL)


def encrypt_docx(src, dst, password, workdir):
    """Password-protected DOCX (OOXML 'Standard' encryption in a CFB container) saved by LibreOffice through
    UNO (python3-uno). Returns an error string when that is not possible."""
    helper = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lo_encrypt.py")
    try:
        p = subprocess.run(["/usr/bin/python3", helper, src, dst, password, os.path.join(workdir, "lo-profile-uno")],
                           capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    if p.returncode != 0 or not os.path.exists(dst):
        return (p.stderr or p.stdout).strip()[-500:] or f"exit {p.returncode}"
    with open(dst, "rb") as f:
        if f.read(8) != bytes.fromhex("d0cf11e0a1b11ae1"):
            os.unlink(dst)
            return "LibreOffice wrote an unencrypted file"
    return None


def copy_elf(dst):
    src = shutil.which("true") or "/bin/true"
    shutil.copyfile(os.path.realpath(src), dst)
    os.chmod(dst, 0o644)


def log(msg):
    print(msg, file=sys.stderr, flush=True)
