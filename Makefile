# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install browser demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch is pinned first so that no dependency pulls another (multi-GB) build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev]" torch==2.13.0
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the report's browser test (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium missing and not root: the browser test will be skipped"; fi; }

demo: $(STAMP)
	$(BIN)/layertopo run --config configs/default.yaml --resume runs/default

test: $(STAMP) browser
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/topology.py

clean:
	rm -rf $(VENV) runs
