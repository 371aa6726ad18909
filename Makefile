# The two commands of the README:
#   make book   builds the HTML book into _build/html (installing what it needs first)
#   make test   runs every test: companion's unit tests, every notebook under nbval,
#               and the browser test of the built book (skipped with a reason when no
#               book has been built or no Chromium is installed)
# Both create .venv/ with Python 3.11 and install requirements.txt into it the first time.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Other CPU kernels and seeds: every notebook again under nbval, once per "ISA:SEED" pair.
# A trained model differs between instruction sets and seeds; every claim must hold in all.
VARIANTS ?= avx2:1 default:2

.PHONY: book test test-variants install lab clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11 ...'"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo "The book is built: open $(CURDIR)/_build/html/index.html in a browser."

test: $(STAMP)
	$(BIN)/python -m pytest

test-variants: $(STAMP)
	@set -e; for v in $(VARIANTS); do \
	  isa=$${v%%:*}; seed=$${v##*:}; \
	  echo "==> every notebook with ATEN_CPU_CAPABILITY=$$isa RECURRENT_SEED=$$seed"; \
	  ATEN_CPU_CAPABILITY=$$isa RECURRENT_SEED=$$seed $(BIN)/python -m pytest book; \
	done

lab: $(STAMP)
	$(BIN)/python -m pip install --quiet jupyterlab
	$(BIN)/jupyter lab book/

clean:
	rm -rf _build
