#!/usr/bin/env bash
# Installs what the engine needs on Debian 12, only when something is missing.
#   scripts/install-deps.sh run    — system libraries to build and run the engine, and PostgreSQL for scripts/pg
#   scripts/install-deps.sh test   — plus what the tests use (curl, zstd, chromium, nginx, h11)
#   scripts/install-deps.sh bench  — plus what the benchmarks use (nginx-light, wrk, psycopg2)
#   scripts/install-deps.sh soak   — run's packages plus curl and python3 (Benchmarks/soak, `make soak`)
set -euo pipefail
mode="${1:-run}"

packages=(pkg-config libuv1-dev libpq-dev libmagic-dev libmagic-mgc libzstd-dev zlib1g-dev libcurl4-openssl-dev)
# The server behind scripts/pg's private cluster (the Sink's database in development and in the tests), and psql.
packages+=(postgresql postgresql-client)
# The converters ExtractPool drives (python3-uno: the bridge that keeps LibreOffice warm runs on Debian's python3).
packages+=(poppler-utils antiword catdoc unrtf pandoc tesseract-ocr tesseract-ocr-eng libreoffice-writer-nogui python3-uno)
# The converters' sandbox (EXTRACT_SANDBOX: no network, read-only system, private /proc; the tests require it).
packages+=(bubblewrap)
if [[ "$mode" == test || "$mode" == bench ]]; then
    # qpdf and python3-pil: bench-data's generator (encrypted PDF, scanned pages).
    packages+=(curl zstd python3 qpdf python3-pil)
fi
if [[ "$mode" == test ]]; then
    # The dashboard's browser test: headless Chromium driven over WebDriver by Debian's chromedriver.
    packages+=(chromium chromium-driver)
    # The load balancer in front of two engines (Tests/PipelineTests/TwoEnginesTests.swift fails without it).
    packages+=(nginx)
    # python3-venv: the environment of pystack, the Python service loadgen's tests load (when it is on the machine).
    packages+=(python3-venv)
fi
if [[ "$mode" == soak ]]; then
    # Benchmarks/soak: curl for the health checks, Debian's python3 for the driver (stdlib only; psql above).
    packages+=(curl python3)
fi
if [[ "$mode" == bench ]]; then
    # python3-psycopg2: the Sink benchmark's per-row peer (what the Python service did). python3-venv: the
    # loadgen benchmark installs its peer locust (PyPI, pinned) into .data/venv-locust.
    packages+=(nginx-light wrk python3-psycopg2 python3-venv)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "$mode" == test || "$mode" == bench ]]; then
    # h11 is the reference HTTP/1.1 parser the differential tests compare against.
    if ! python3 -m pip --version >/dev/null 2>&1; then
        sudo=""
        [[ $(id -u) -ne 0 ]] && sudo="sudo"
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
    fi
    if ! python3 -c 'import h11' 2>/dev/null; then
        python3 -m pip install --quiet --disable-pip-version-check h11 \
            || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages h11
    fi
    # openapi-spec-validator checks /openapi.json (Tests/IngestTests/Server/OpenAPITests.swift).
    if ! python3 -c 'import openapi_spec_validator' 2>/dev/null; then
        python3 -m pip install --quiet --disable-pip-version-check openapi-spec-validator \
            || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages openapi-spec-validator
    fi
fi

if ! command -v swift >/dev/null 2>&1 && [[ ! -x /opt/swift/usr/bin/swift ]]; then
    echo "error: Swift 6.3 is required (expected at /opt/swift)" >&2
    exit 1
fi

# pystack, the Python service this engine replaces, lives beside the repository (../shared/peers/pystack, or
# PYSTACK_DIR); where it is, the tests load it with loadgen, from .data/pystack-venv (also Benchmarks/llm/peer.sh's).
if [[ "$mode" == test ]]; then
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    pystack=""
    for dir in "${PYSTACK_DIR:-}" "$here/../shared/peers/pystack" /work/shared/peers/pystack; do
        [[ -n "$dir" && -f "$dir/app.py" ]] && { pystack="$dir"; break; }
    done
    if [[ -n "$pystack" && ! -f "$here/.data/pystack-venv/.requirements-installed" ]]; then
        echo "installing pystack's requirements into .data/pystack-venv"
        mkdir -p "$here/.data"
        [[ -x "$here/.data/pystack-venv/bin/python" ]] || /usr/bin/python3 -m venv "$here/.data/pystack-venv"
        "$here/.data/pystack-venv/bin/pip" install --quiet --disable-pip-version-check -r "$pystack/requirements.txt"
        touch "$here/.data/pystack-venv/.requirements-installed"
    fi
fi
