# Every target sets itself up: a virtual environment in .venv with runstream and
# its test tools installed, made on first use and again when pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test lint demo servers bench soak clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	MYPY=$(CURDIR)/$(BIN)/mypy bash scripts/typecheck.sh

# Fetches Apache Kafka's jars (Maven) and builds MinIO (Go) into .cache/ for the
# tests that run the scaled mode on real servers; minutes the first time, then
# seconds. Without it those tests skip, except under CI=true.
servers:
	bash deploy/dev/kafka.sh provision
	bash deploy/dev/minio.sh provision

# Starts `runstream server`, tracks the scikit-learn example and a long live run
# from several worker processes, and keeps serving until Ctrl-C.
demo: install
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

# runstream beside `mlflow server` (installed into .cache/ on first use); writes
# docs/benchmarks.md. `make bench BENCH_ARGS=--quick` for a short smoke run.
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# `runstream server` under SDK writers and API readers for 10 minutes, sampling
# every process's memory; fails if one keeps growing or a point is lost. Writes
# test-artifacts/soak/. `make soak SOAK_ARGS="--minutes 30"` for longer.
soak: install
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) .runstream
