# Two commands matter: `make run` (try the bridge) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run demo test lint bench fuzz mutation venv clean reset

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@# The example third-party connector, installed for real: tests find it by its entry point.
	$(BIN)/pip install --quiet --no-deps -e examples/tco-bridge-freshdesk
	@# No redis-server on this machine: build a private one into the environment.
	@command -v redis-server >/dev/null 2>&1 || $(BIN)/pip install --quiet -e '.[dev,embedded-redis]'
	@touch $(STAMP)

venv: $(STAMP)

run: venv
	$(BIN)/tco-bridge run

# The five-minute first experience: a fresh sandbox under data/demo and the bridge's clock at
# 60x (a minute is an hour). Open http://127.0.0.1:8000/console/sandbox and sign in as admin
# with the token in data/demo/admin.token.
demo: venv
	rm -rf data/demo
	TCO_DATA_DIR=data/demo $(BIN)/tco-bridge run --demo 60

test: venv lint
	$(BIN)/python -m pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@# Layering: the pure core imports no I/O, no two parts of tco_bridge import each other.
	$(BIN)/lint-imports

# Mutation testing of the core and the connectors' outbound code: kill rate per module.
mutation: venv
	$(BIN)/python tools/mutation.py

# A longer, randomised campaign of the route fuzzer, the ticket-life invariants and the
# rules-file mutants `make test` runs with a fixed seed, and a longer start-up drill.
fuzz: venv
	TCO_FUZZ_EXAMPLES=$${TCO_FUZZ_EXAMPLES:-5000} TCO_STARTUP_ROUNDS=20 $(BIN)/python -m pytest \
		--no-cov -q tests/core/test_fuzz_routes.py tests/rules/test_life_invariants.py \
		tests/core/test_rules_fuzz.py tests/faults/test_startup.py

bench: venv
	@command -v wrk >/dev/null 2>&1 || { echo "make bench needs wrk, the HTTP load driver of the ingest benchmark: sudo apt-get install wrk (Debian, Ubuntu) or brew install wrk (macOS). The others run without it: $(BIN)/python benchmarks/run_all.py --only worker_throughput.py rules_eval.py timers.py writeback.py" >&2; exit 1; }
	$(BIN)/python benchmarks/run_all.py

# Start the sandbox story afresh: the sandbox's tickets and the private Redis (stop `make run` first).
reset: venv
	$(BIN)/tco-bridge sandbox reset

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
