# Two commands do all set-up on a fresh machine with Python 3.11:
#   make run   -> creates .venv, installs requirements.txt, serves the app at http://localhost:8501
#   make test  -> same plus dev tools and (as root, when missing) Debian's chromium, then runs every test
#   make quick -> the fast tier for the development loop (no browser, no slow tests; about 2 minutes)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

.PHONY: run test quick bench load audit screenshots browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	$(BIN)/streamlit run app.py --server.port=$(PORT)

# Debian's chromium for the browser tests (never `playwright install`, which downloads its own build).
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; \
	  else echo "chromium is missing: install Debian's chromium package (sudo apt-get install chromium)"; exit 1; fi; \
	fi

test: $(VENV)/.dev browser
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# The development loop: unit and AppTest tests without the browser and the slow modules (tests/conftest.py).
quick: $(VENV)/.dev
	$(BIN)/python -m pytest -n 2 -m "not browser and not slow" $(PYTEST_ARGS)

# Includes change-to-picture times in headless Chromium (bench/browser.py, which needs Debian's chromium).
bench: $(VENV)/.dev browser
	$(BIN)/python -m bench.run

# A simulated classroom: 30 sessions on Streamlit's websocket against its own server for ~2 minutes; reports rerun
# latency, errors and server memory against the goals (exit 1 if missed). E.g. make load LOAD_ARGS="--sessions 10"
# The server runs as the README's Deploy section advises for a class: PCA vs t-SNE up to 2,000 points
# (LOAD_MAX_POINTS=20000 measures the default, where one visitor's 20,000-point t-SNE holds ~100 s of a core).
LOAD_MAX_POINTS ?= 2000
load: $(VENV)/.runtime
	ML_EXPLORER_MAX_POINTS=$(LOAD_MAX_POINTS) $(BIN)/python -m bench.load $(LOAD_ARGS)

# Check the pinned dependencies against published advisories (pip-audit in its own throwaway venv, so it is not
# a dependency of the app). It needs PyPI's JSON API or OSV to know the pinned versions; see docs/security.md.
audit:
	$(PYTHON) -m venv .venv-audit
	.venv-audit/bin/python -m pip install --quiet pip-audit==2.10.1
	.venv-audit/bin/pip-audit --progress-spinner off -r requirements.txt -r requirements-dev.txt

# Refresh the README's screenshots (taken by the browser tests).
screenshots: $(VENV)/.dev browser
	SCREENSHOT_DIR=docs/screenshots $(BIN)/python -m pytest -m browser -k screenshot $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .venv-audit .pytest_cache .hypothesis tests/artifacts
