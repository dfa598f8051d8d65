# resume-ingest in a container: the Makefile's `make release` in a build stage, then a Debian 12 runtime with
# the converters. The Makefile stays the tested path; this file mirrors it (scripts/install-deps.sh names the
# packages) and is kept honest by Tests/PipelineTests/DeploymentFilesTests.swift.
#
#   docker build -t resume-ingest .
#   docker compose up          (docker-compose.yml: the engine and PostgreSQL)

# ---- build -------------------------------------------------------------------------------------------------
# The official Swift image on Debian 12 (bookworm), the toolchain the Makefile expects (Swift 6.3).
ARG SWIFT_IMAGE=swift:6.3-bookworm
FROM ${SWIFT_IMAGE} AS build

# The -dev packages of `scripts/install-deps.sh run` (the image already has some; apt skips those), and
# libxml2-dev, which the static FoundationXML links against (the Swift image has it; named in case it goes).
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends \
        pkg-config libuv1-dev libpq-dev libmagic-dev libmagic-mgc libzstd-dev zlib1g-dev libcurl4-openssl-dev \
        libxml2-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Tests/ comes too: Package.swift declares the test targets, and SwiftPM checks their folders exist.
COPY . .
# `make release`, plus --static-swift-stdlib: the Swift runtime and Foundation are linked into the binary, so the
# runtime image needs no toolchain (without it the binary looks for them under the toolchain's lib/swift/linux).
RUN swift build -c release --static-swift-stdlib --product resume-ingest \
    && install -D -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/resume-ingest" \
        /out/resume-ingest

# ---- runtime -----------------------------------------------------------------------------------------------
FROM debian:bookworm-slim

# The shared libraries the binary links (`ldd resume-ingest`): libuv, libpq, libmagic (+ its database), libzstd,
# zlib, libcurl (the LLM client), libxml2 (FoundationXML: DOCX/ODT and PDF layout readers).
# The converters of `scripts/install-deps.sh run` (python3-uno: the bridge that keeps LibreOffice warm), and
# bubblewrap, their sandbox (see EXTRACT_SANDBOX below).
# ca-certificates: TLS to an LLM endpoint and to PostgreSQL with sslmode=verify-full. curl: the HEALTHCHECK.
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends \
        libuv1 libpq5 libmagic1 libmagic-mgc libzstd1 zlib1g libcurl4 libxml2 \
        poppler-utils antiword catdoc unrtf pandoc tesseract-ocr tesseract-ocr-eng \
        libreoffice-writer-nogui python3-uno \
        bubblewrap \
        ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*

# A user of its own; the spool (and the converters' work directories inside it) is the only place it writes.
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/resume-ingest --create-home resume-ingest \
    && install -d -o resume-ingest -g resume-ingest -m 0750 /var/lib/resume-ingest/spool

COPY --from=build /out/resume-ingest /usr/local/bin/resume-ingest

ENV HOST=0.0.0.0 \
    PORT=8080 \
    SPOOL_DIR=/var/lib/resume-ingest/spool \
    EXTRACT_SANDBOX=auto \
    LOG_LEVEL=info
# EXTRACT_SANDBOX=auto: bubblewrap needs user namespaces and a fresh /proc, which a default Docker container
# refuses (seccomp, AppArmor, masked /proc paths). The engine then runs converters without it, logs a warning and
# reports `converter_sandbox: degraded` in /startup-status; with the options in docker-compose.yml it sandboxes
# each converter. `bwrap` makes the sandbox a condition of starting, `off` silences the warning.

# Acknowledged uploads live here until their rows commit: keep it on durable (ideally replicated) storage, one
# volume per node, reattached to a replacement node (README, "Several nodes, one database").
VOLUME ["/var/lib/resume-ingest/spool"]

USER resume-ingest
WORKDIR /var/lib/resume-ingest
EXPOSE 8080

# Liveness: GET /health answers 200 while the server runs (the database may be down: uploads still spool).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${PORT}/health" || exit 1

# SIGTERM (docker stop) is a graceful stop: uploads in flight get SHUTDOWN_GRACE_MS, the rest stays spooled.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/resume-ingest"]
CMD ["serve"]
