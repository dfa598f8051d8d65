# resume-ingest — `make run` starts the engine, `make test` runs every test. Both install what is missing.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)

SWIFT_BUILD_FLAGS ?=
FUZZ_SECONDS ?= 30
BENCH_COUNT ?= 2000
SOAK_SECONDS ?= 600

PATHS ?= bench-data/sample/files

.PHONY: run import migrate tenant cli build release test unit fuzz bench soak bench-data deps deps-test doctor clean

deps:
	@scripts/install-deps.sh run

deps-test:
	@scripts/install-deps.sh test

release: deps
	swift build -c release $(SWIFT_BUILD_FLAGS)

build: release

## The engine's main job on embedded defaults (Ctrl-C stops it gracefully). Without DATABASE_URL, a private
## PostgreSQL cluster under .data/pg (scripts/pg) is started and used.
run: release
	@if [ -z "$$DATABASE_URL" ]; then scripts/pg start; fi
	@echo "resume-ingest: send resumes with  curl -F files=@cv.pdf http://127.0.0.1:$${PORT:-8080}/api/v1/bulk-parse-resumes"
	@echo "               import a folder or an archive with  make import PATHS=\"$$HOME/resumes cvs.tar.zst\"  (Ctrl-C stops)"
	@echo "               tenants and API keys:  make tenant NAME=acme  (until one exists, uploads are tenant default's)"
	DATABASE_URL="$${DATABASE_URL:-$$(scripts/pg url)}" .build/release/resume-ingest serve

## Import files, folders, globs or archives (zip, tar, tar.gz, tar.zst) through the same stages:
##   make import PATHS="~/resumes resumes.tar.zst"   (IMPORT_ARGS for more options, e.g. --tenant acme --json)
import: release
	@if [ -z "$$DATABASE_URL" ]; then scripts/pg start; fi
	DATABASE_URL="$${DATABASE_URL:-$$(scripts/pg url)}" .build/release/resume-ingest import $(IMPORT_ARGS) $(PATHS)

## Apply the database migrations (serve does it at start-up too).
migrate: release
	@if [ -z "$$DATABASE_URL" ]; then scripts/pg start; fi
	DATABASE_URL="$${DATABASE_URL:-$$(scripts/pg url)}" .build/release/resume-ingest migrate

## Tenants and keys on the private cluster (or DATABASE_URL): make tenant NAME=acme ARGS="--monthly-limit 1000"
tenant: release
	@if [ -z "$$DATABASE_URL" ]; then scripts/pg start; fi
	DATABASE_URL="$${DATABASE_URL:-$$(scripts/pg url)}" .build/release/resume-ingest tenant create $(NAME) $(ARGS)

## Any command against the private cluster: make cli ARGS="key list acme"
cli: release
	@if [ -z "$$DATABASE_URL" ]; then scripts/pg start; fi
	DATABASE_URL="$${DATABASE_URL:-$$(scripts/pg url)}" .build/release/resume-ingest $(ARGS)

doctor: release
	.build/release/resume-ingest doctor

## Every test: unit, parsers at every split point, real sockets, differential vs h11, then bounded fuzzing.
test: deps-test
	swift build --build-tests $(SWIFT_BUILD_FLAGS)
	scripts/test.sh
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

unit: deps-test
	swift test

## libFuzzer on the pure parsers, FUZZ_SECONDS each; crashes land in .fuzz-build/artifacts.
fuzz:
	scripts/fuzz.sh http $(FUZZ_SECONDS)
	scripts/fuzz.sh http-response $(FUZZ_SECONDS)
	scripts/fuzz.sh multipart $(FUZZ_SECONDS)
	scripts/fuzz.sh tar $(FUZZ_SECONDS)

## Benchmarks against named peers (see Benchmarks/README.md).
bench:
	@scripts/install-deps.sh bench
	Benchmarks/run-all.sh

## The bounded chaos soak (not part of `make test`): SOAK_SECONDS of uploads to the release `serve`, a quarter
## baseline and the rest under attack, then the drain and the figures (see Benchmarks/soak/README.md).
soak:
	SOAK_SECONDS=$(SOAK_SECONDS) Benchmarks/soak/run.sh

## BENCH_COUNT generated resumes with ground-truth records in .data/bench-data/mix (see bench-data/README.md).
bench-data: deps-test
	/usr/bin/python3 bench-data/generate.py --set mix --count $(BENCH_COUNT) --out .data/bench-data/mix

clean:
	rm -rf .build .fuzz-build Benchmarks/.build
