"""LibreOffice batch conversion and scanned-page simulation."""

import concurrent.futures as cf
import glob
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import time

from PIL import Image, ImageChops, ImageFilter

# Target format -> soffice --convert-to argument (source is HTML loaded into Writer).
FILTERS = {
    "pdf": "pdf:writer_pdf_Export",
    "docx": "docx:MS Word 2007 XML",
    "doc": "doc:MS Word 97",
    "odt": "odt:writer8",
    "rtf": "rtf:Rich Text Format",
}
CHUNK = 200  # files per soffice invocation
HTML_IN = "HTML (StarWriter)"  # the import filter for HTML sources
# PIL stamps PDFs with the current time; a fixed one keeps scans byte-identical across runs.
PDF_DATES = {"creationDate": time.gmtime(1748736000), "modDate": time.gmtime(1748736000)}  # 2025-06-01


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Soffice:
    """Runs soffice batch conversions, `jobs` at a time, each worker with its own private profile."""

    def __init__(self, workdir, jobs):
        self.jobs = jobs
        self.profiles = queue.Queue()
        for i in range(jobs):
            self.profiles.put(os.path.join(workdir, f"lo-profile-{i}"))
        self.invocations = 0
        self.seconds = 0.0

    def _run(self, target, sources, outdir, infilter=HTML_IN):
        profile = self.profiles.get()
        try:
            cmd = ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                   "--nolockcheck"] + ([f"--infilter={infilter}"] if infilter else []) + [
                   "--convert-to", FILTERS[target], "--outdir", outdir] + sources
            t0 = time.monotonic()
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 start_new_session=True)
            try:
                _, err = p.communicate(timeout=120 + 5 * len(sources))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                err = b"timeout"
            self.invocations += 1
            self.seconds += time.monotonic() - t0
            return err.decode("utf-8", "replace")
        finally:
            self.profiles.put(profile)

    def convert(self, batches):
        """batches: list of (target, [source.html...], outdir), or (target, [source...], outdir, infilter) for
        sources that are not HTML (infilter None: LibreOffice detects the type). Every output must appear;
        missing ones are retried once in a fresh invocation, then it is an error."""
        def expected(target, src, outdir):
            return os.path.join(outdir, os.path.splitext(os.path.basename(src))[0] + "." + target)

        tasks = []
        for target, sources, outdir, *infilter in batches:
            os.makedirs(outdir, exist_ok=True)
            for k in range(0, len(sources), CHUNK):
                tasks.append((target, sources[k:k + CHUNK], outdir, *infilter))
        for attempt in (1, 2):
            with cf.ThreadPoolExecutor(self.jobs) as ex:
                errs = list(ex.map(lambda t: self._run(*t), tasks))
            retry = []
            for (target, sources, outdir, *infilter), err in zip(tasks, errs):
                missing = [s for s in sources if not os.path.exists(expected(target, s, outdir))]
                if missing:
                    if attempt == 2:
                        raise SystemExit(f"soffice did not produce {len(missing)} {target} file(s), e.g. "
                                         f"{missing[0]}:\n{err[-2000:]}")
                    retry.append((target, missing, outdir, *infilter))
            if not retry:
                return
            log(f"  retrying {sum(len(t[1]) for t in retry)} missing conversion(s)")
            tasks = retry


def pdf_page_count(path):
    """Pages of a LibreOffice-written PDF (no object streams there); pdfinfo as the fallback."""
    with open(path, "rb") as f:
        data = f.read()
    n = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
    if n:
        return n
    out = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def rasterize(pdf, dpi, tmpdir):
    """PDF -> list of grayscale page images (pdftoppm)."""
    os.makedirs(tmpdir, exist_ok=True)
    prefix = os.path.join(tmpdir, "p")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", pdf, prefix], check=True,
                   stdin=subprocess.DEVNULL)
    pages = []
    for path in sorted(glob.glob(prefix + "-*.pgm"), key=lambda p: int(re.search(r"-(\d+)\.pgm$", p).group(1))):
        with Image.open(path) as im:
            pages.append(im.convert("L"))
    shutil.rmtree(tmpdir, ignore_errors=True)
    return pages


def scan_effect(img, rng):
    """Make a clean render look scanned: paper tone, slight skew, blur and speckles (deterministic from rng)."""
    w, h = img.size
    paper, ink = rng.randint(232, 248), rng.randint(25, 60)
    img = img.point(lambda v: ink + (paper - ink) * v // 255)
    angle = rng.uniform(0.3, 1.5) * rng.choice([-1, 1])
    img = img.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=paper,
                     translate=(rng.randint(-12, 12), rng.randint(-12, 12)))
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.35, 0.75)))
    shade = rng.randint(120, 190)
    dots = Image.frombytes("L", (w, h), rng.randbytes(w * h)).point(lambda v: shade if v == 255 else 255)
    return ImageChops.darker(img, dots)


def save_scan_pdf(pages, path, dpi, rng):
    pages[0].save(path, "PDF", resolution=float(dpi), save_all=True, append_images=pages[1:],
                  quality=rng.randint(55, 75), producer="Scanner", **PDF_DATES)


def save_png(pages, path, dpi):
    if len(pages) == 1:
        img = pages[0]
    else:  # a long "screenshot" of every page
        w = max(p.size[0] for p in pages)
        img = Image.new("L", (w, sum(p.size[1] for p in pages)), 255)
        y = 0
        for p in pages:
            img.paste(p, (0, y))
            y += p.size[1]
    img.save(path, "PNG", dpi=(dpi, dpi), compress_level=6)
