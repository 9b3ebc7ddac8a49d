# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# torch is pinned here, on every pip line, so that no dependency pulls another (multi-GB) build;
# pyproject.toml only asks for torch>=2.1, so that `pip install layertopo` keeps a user's own torch.
TORCH := torch==2.13.0

.PHONY: install install-dev browser demo test test-slow lint bench clean

# What the demo needs: the library and its runtime dependencies.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e . $(TORCH)
	touch $(STAMP)

# What the tests need on top: pytest, ruff, Playwright, Dask, TensorBoard, mkdocs.
$(DEV_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev]" $(TORCH)
	touch $(DEV_STAMP)

install: $(STAMP)
install-dev: $(DEV_STAMP)

# Debian's Chromium for the report's browser test (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium missing and not root: the browser test will be skipped"; fi; }

demo: $(STAMP)
	$(BIN)/layertopo run --config configs/default.yaml --resume runs/default

# the Python environment and the browser install side by side (pip works the disk, apt the network)
test:
	$(MAKE) --no-print-directory -j2 $(DEV_STAMP) browser
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/pytest -n 2  # two workers: the shared quick run is built once (tests/conftest.py)

# the minutes-long checks (marked slow) that `make test` leaves out
test-slow: $(DEV_STAMP)
	$(BIN)/pytest -n 2 -m slow

bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/topology.py

clean:
	rm -rf $(VENV) runs
