# loris — see README.md.
GO        ?= go
BIN       ?= bin
PKGS      := ./...
# UNITPKGS: everything but the end-to-end tests, which make test runs
# without the race detector (it adds about 20 s to the unit tests only).
UNITPKGS   = $(shell $(GO) list ./... | grep -v /e2e)
FUZZTIME  ?= 60s
SHORTFUZZ ?= 8s
SOAK      ?= 30m

.PHONY: all build test unit e2e bench bench-e2e fuzz fuzz-short lint demo deps clean soak race

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

# test: lint, unit tests, a short fuzz pass and the end-to-end tests against
# real Open vSwitch. System packages are installed when missing (as root);
# without root the e2e tests are skipped and the run says so.
test: lint
	@if scripts/deps.sh; then \
		echo "== unit tests (race detector) + e2e tests (real Open vSwitch)"; \
		$(GO) test -race -count=1 -timeout 20m $(UNITPKGS); u=$$?; \
		$(GO) test -count=1 -timeout 20m ./e2e/... && [ $$u -eq 0 ]; \
	else \
		echo "== NOTE: end-to-end tests SKIPPED: not root and system packages missing (see above)"; \
		LORIS_E2E=skip $(GO) test -race -count=1 -timeout 20m $(UNITPKGS); u=$$?; \
		LORIS_E2E=skip $(GO) test -count=1 -timeout 20m ./e2e/... && [ $$u -eq 0 ]; \
	fi
	@$(MAKE) --no-print-directory fuzz-short

unit:
	LORIS_E2E=skip $(GO) test -count=1 $(PKGS)

e2e:
	scripts/deps.sh
	$(GO) test -count=1 -v -timeout 20m ./e2e/...

# bench runs the Go benchmarks (unit level, including the 1,000-switch
# scale benchmarks of ./controller); bench-e2e the heavy side-by-side ones
# against os-ken and real Open vSwitch (root, minutes; see
# docs/performance.md). make test runs neither.
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

bench-e2e:
	scripts/deps.sh
	@command -v osken-manager >/dev/null || apt-get install -y python3-os-ken
	cd e2e && LORIS_BENCH_E2E=1 $(GO) test -count=1 -timeout 60m -run '^$$' -benchtime 1x -v \
		-bench 'PacketInSideBySide|FlowProgramming|Resync100k|DataPlaneTCP' .
	cd e2e && LORIS_BENCH_E2E=1 $(GO) test -count=1 -timeout 20m -run '^$$' -benchtime 20x -v \
		-bench 'AttachToPing' .

# fuzz runs every fuzz target for FUZZTIME; fuzz-short is the bounded pass CI runs.
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

fuzz-short:
	scripts/fuzz.sh $(SHORTFUZZ)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

# race runs every test under the race detector, end-to-end ones with race-
# enabled binaries that exit at the first race (the test then fails).
race:
	@if scripts/deps.sh; then \
		LORIS_E2E_RACE=1 GORACE=halt_on_error=1 $(GO) test -race -count=1 -timeout 30m $(PKGS); \
	else \
		LORIS_E2E=skip $(GO) test -race -count=1 -timeout 30m $(PKGS); \
	fi

# soak churns a 3-host lab for SOAK (attach/detach, controller restarts,
# switch flaps) under a continuous ping matrix and reports lost packets.
# Not part of test: it runs for as long as SOAK says.
soak:
	scripts/deps.sh
	cd e2e && LORIS_SOAK=$(SOAK) $(GO) test -count=1 -v -timeout 3h -run '^TestSoak$$' .

# demo builds a simulated 3-host cluster, drives it with lorisctl and prints
# the ping matrix; everything it made is removed at the end.
demo:
	scripts/deps.sh
	cd e2e && LORIS_DEMO=1 $(GO) test -count=1 -v -timeout 10m -run '^TestDemo$$' .

clean:
	rm -rf $(BIN)
