#!/usr/bin/env bash
# LibreOffice per document, cold against warm (issue 3: "warm >= 5x faster"); what and why: README.md here.
#
# The same 20 documents (5 resumes, each as .doc, .docx, .odt and .rtf, made by soffice from HTML in this run) are
# converted to text three ways, one document at a time, and the wall time of each is taken:
#   a. cold, fresh profile:  one `soffice --headless --convert-to txt:Text --outdir` per document, each with a new
#                            -env:UserInstallation directory (what a naive service does)
#   b. cold, reused profile: the same, all with one profile directory (created beforehand, untimed)
#   c. warm:                 one office bridge (the Python of Sources/ExtractPool/Office/OfficeBridgeScript.swift, run
#                            as the engine runs it), every document through it; time = request written -> answer read
# Prints medians, p90 and the ratios cold/warm, and saves them to Benchmarks/results/office-<UTC time>.txt.
#
# Knobs (environment): PASSES (1: times each mode goes over the 20 documents), SOFFICE (/usr/bin/soffice),
# WORK_PARENT (/tmp). Needs libreoffice-writer-nogui and python3-uno (scripts/install-deps.sh run).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SWIFT_SOURCE="$REPO/Sources/ExtractPool/Office/OfficeBridgeScript.swift"
PASSES=${PASSES:-1}
SOFFICE=${SOFFICE:-/usr/bin/soffice}
WORK_PARENT=${WORK_PARENT:-/tmp}
PYTHON=/usr/bin/python3 # python3-uno is installed for Debian's interpreter only

[[ -x "$SOFFICE" ]] || { echo "no $SOFFICE: run scripts/install-deps.sh run" >&2; exit 1; }
"$PYTHON" -c 'import uno' 2>/dev/null || { echo "$PYTHON cannot import uno: install python3-uno" >&2; exit 1; }

WORK=$(mktemp -d "$WORK_PARENT/office-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$REPO/Benchmarks/results"
REPORT="$REPO/Benchmarks/results/office-$(date -u +%Y%m%dT%H%M%SZ).txt"

"$PYTHON" - "$SWIFT_SOURCE" "$WORK" "$SOFFICE" "$PASSES" "$REPORT" <<'PY'
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time

swift_source, work, soffice, passes, report = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
DEVNULL = subprocess.DEVNULL


def profile_url(path):
    return "file://" + path


# --- the bridge, exactly as the engine embeds it ------------------------------------------------------------------
text = open(swift_source, encoding="utf-8").read()
body = text.split('#"""\n', 1)[1].rsplit('\n    """#', 1)[0]
bridge = os.path.join(work, "bridge.py")
with open(bridge, "w", encoding="utf-8") as f:
    f.write("\n".join(line[4:] if line.startswith("    ") else line for line in body.split("\n")) + "\n")

# --- 20 documents: 5 deterministic resumes x {doc, docx, odt, rtf}, made by soffice from HTML ---------------------
NAMES = ["Zoë Müller", "Rahul Iyer", "Ana Łukasiewicz", "Kenji Watanabe", "Chloé Dubois"]
ROLES = ["Backend Engineer", "Data Analyst", "Site Reliability Engineer", "Product Designer", "QA Lead"]
COMPANIES = ["Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises"]
SKILLS = ["Swift", "C", "PostgreSQL", "Python", "Kubernetes", "Terraform", "SQL", "Figma", "Go", "Rust"]
html_dir, doc_dir = os.path.join(work, "html"), os.path.join(work, "docs")
os.makedirs(html_dir)
os.makedirs(doc_dir)
for i, (name, role) in enumerate(zip(NAMES, ROLES)):
    jobs = []
    for j in range(3 + 3 * i):  # 3 to 15 positions: one to about four pages
        company = COMPANIES[(i + j) % len(COMPANIES)]
        bullets = "".join(
            f"<li>Delivered project {k + 1} at {company}: cut costs by {5 + (i * 7 + j * 3 + k) % 40} % "
            f"and mentored {1 + (i + k) % 5} engineers.</li>"
            for k in range(4)
        )
        jobs.append(f"<h3>{role}, {company} ({2023 - 2 * j}–{2025 - 2 * j})</h3><ul>{bullets}</ul>")
    skills = "".join(f"<td>{s}</td>" for s in SKILLS[i : i + 6])
    html = (
        f'<html><head><meta charset="utf-8"><title>{name}</title></head><body><h1>{name}</h1>'
        f"<p>{role} · {name.split()[0].lower()}@example.com · +1 555 010{i}</p><h2>Experience</h2>{''.join(jobs)}"
        f'<h2>Skills</h2><table border="1"><tr>{skills}</tr></table><h2>Education</h2>'
        f"<p>BSc Computer Science, University {i + 1}</p></body></html>"
    )
    with open(os.path.join(html_dir, f"resume{i + 1}.html"), "w", encoding="utf-8") as f:
        f.write(html)
htmls = sorted(os.path.join(html_dir, n) for n in os.listdir(html_dir))
FORMATS = [("doc", "MS Word 97"), ("docx", "MS Word 2007 XML"), ("odt", "writer8"), ("rtf", "Rich Text Format")]
for ext, filter_name in FORMATS:
    subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation={profile_url(os.path.join(work, 'gen-profile'))}",
         "--infilter=HTML (StarWriter)", "--convert-to", f"{ext}:{filter_name}", "--outdir", doc_dir, *htmls],
        stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL, check=True,
    )
docs = [os.path.join(doc_dir, f"resume{i + 1}.{ext}") for i in range(len(NAMES)) for ext, _ in FORMATS]
missing = [d for d in docs if not os.path.isfile(d)]
if missing:
    sys.exit(f"soffice did not make {missing}")
expected = {d: NAMES[i // len(FORMATS)] for i, d in enumerate(docs)}


def check_text(path, doc):
    with open(path, encoding="utf-8", errors="replace") as f:
        if expected[doc] not in f.read():
            sys.exit(f"{path}: the text of {doc} lacks {expected[doc]!r}")


# --- a, b: one soffice process per document ------------------------------------------------------------------------
def cold(label, profile_for):
    out_dir = os.path.join(work, f"out-{label}")
    os.makedirs(out_dir)
    times = []
    for p in range(passes):
        for n, doc in enumerate(docs):
            args = [soffice, "--headless", f"-env:UserInstallation={profile_url(profile_for(p, n))}",
                    "--convert-to", "txt:Text", "--outdir", out_dir, doc]
            began = time.monotonic()
            subprocess.run(args, stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL, check=True)
            times.append((time.monotonic() - began) * 1000)
            check_text(os.path.join(out_dir, os.path.splitext(os.path.basename(doc))[0] + ".txt"), doc)
    return times


fresh = cold("fresh", lambda p, n: os.path.join(work, "fresh", f"{p}-{n}"))
reused_profile = os.path.join(work, "reused")
subprocess.run([soffice, "--headless", f"-env:UserInstallation={profile_url(reused_profile)}", "--convert-to",
                "txt:Text", "--outdir", os.path.join(work, "prime"), docs[0]],
               stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL, check=True)  # creates the profile, untimed
reused = cold("reused", lambda p, n: reused_profile)

# --- c: one bridge, every document through it ---------------------------------------------------------------------
out_dir = os.path.join(work, "out-warm")
os.makedirs(out_dir)
stderr_log = open(os.path.join(work, "bridge.err"), "w")
began = time.monotonic()
proc = subprocess.Popen(
    [sys.executable, "-I", "-u", bridge, "--soffice", soffice, "--profile", os.path.join(work, "warm-profile"),
     "--pipe", f"office-bench-{os.getpid()}"],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr_log, start_new_session=True,
)
try:
    ready = json.loads(proc.stdout.readline())
    spawn_to_ready = (time.monotonic() - began) * 1000
    if not ready.get("ready"):
        sys.exit(f"bridge not ready: {ready}")
    warm, bridge_ms = [], []
    for p in range(passes):
        for n, doc in enumerate(docs):
            out = os.path.join(out_dir, f"{p}-{n}.txt")
            began = time.monotonic()
            proc.stdin.write((json.dumps({"in": doc, "out": out}) + "\n").encode())
            proc.stdin.flush()
            answer = json.loads(proc.stdout.readline())
            warm.append((time.monotonic() - began) * 1000)
            if not answer.get("ok"):
                sys.exit(f"bridge failed on {doc}: {answer}")
            bridge_ms.append(answer["ms"])
            check_text(out, doc)
    proc.stdin.close()
    if proc.wait(timeout=30) != 0:
        sys.exit(f"bridge exited with {proc.returncode}")
finally:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# --- report --------------------------------------------------------------------------------------------------------
def by_format(values, k):  # docs cycle through FORMATS, so the k-th format is every len(FORMATS)-th value
    return statistics.median(values[k :: len(FORMATS)])


def p90(values):
    return sorted(values)[max(0, round(0.9 * len(values)) - 1)]


version = subprocess.run([soffice, "--version"], capture_output=True, text=True).stdout.strip()
lines = [
    f"LibreOffice per document, {len(docs)} documents x {passes} pass(es) (5 resumes as doc/docx/odt/rtf), one at a time",
    f"{version}; {platform.node()}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
    "",
    f"{'mode':<28}{'median ms':>10}{'p90 ms':>9}{'max ms':>9}{'total s':>9}",
]
rows = [
    ("a. cold, fresh profile", fresh),
    ("b. cold, reused profile", reused),
    ("c. warm bridge", warm),
    ("   (bridge's own ms)", bridge_ms),
]
for label, values in rows:
    lines.append(f"{label:<28}{statistics.median(values):>10.0f}{p90(values):>9.0f}{max(values):>9.0f}"
                 f"{sum(values) / 1000:>9.2f}")
warm_median = statistics.median(warm)
lines += [
    "",
    f"warm bridge start-up: {ready['startup_ms']} ms (soffice accepting), {spawn_to_ready:.0f} ms from spawn to ready",
    f"first warm document: {warm[0]:.0f} ms (each import filter's first use loads its library)",
    "median ms by format, cold fresh / cold reused / warm: " + ", ".join(
        f"{ext} {by_format(fresh, k):.0f}/{by_format(reused, k):.0f}/{by_format(warm, k):.0f}"
        for k, (ext, _) in enumerate(FORMATS)
    ),
    f"ratio cold/warm (medians): fresh profile {statistics.median(fresh) / warm_median:.1f}x, "
    f"reused profile {statistics.median(reused) / warm_median:.1f}x (goal >= 5x)",
]
print("\n".join(lines))
with open(report, "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
print(f"\nsaved to {report}")
PY
