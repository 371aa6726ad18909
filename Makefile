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
# The variants run NOTEBOOK_JOBS notebooks at a time (pytest-xdist; each notebook's cells stay
# together on one worker). Every notebook uses one CPU thread, so `auto` (one per core) fits.
NOTEBOOK_JOBS ?= auto

.PHONY: book test test-variants install lab clean mutants flakiness

install: $(STAMP)

$(STAMP): requirements.txt requirements-nodeps.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11 ...'"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-nodeps.txt
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
	  ATEN_CPU_CAPABILITY=$$isa RECURRENT_SEED=$$seed OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
	    $(BIN)/python -m pytest -n $(NOTEBOOK_JOBS) --dist loadfile book; \
	done

# Mutation testing (not part of CI: minutes per module). mutmut changes one operator, constant or
# call at a time in companion's core modules (a "mutant") and runs the unit tests that reach the
# changed function; a mutant that no test notices "survives". One module after another:
#   make mutants                      every module of MUTANT_MODULES
#   make mutants MUTANT_MODULES=metrics
#   make mutants MUTANT_MODULES=train MUTANT_SAMPLE=05   a sample: the mutants whose number ends in 0 or 5
# A module is a file (companion/cells.py) or a package (companion/train/, every file in it); pyproject's
# [tool.mutmut] only_mutate names both forms. MUTANT_SAMPLE (digits) keeps the mutants whose number
# (…__mutmut_N) ends in one of them: about a tenth of each function's mutants per digit, for a module
# too slow to run whole; the summary then says how many were sampled.
# mutmut and its needs go into their own venv, .venv-mutants/, from requirements-mutants.txt;
# it sees the course's packages (torch, pytest, nbval, ...) through a path to .venv's site-packages.
# Results are kept in mutants/ (delete it to start afresh); `.venv-mutants/bin/mutmut show NAME`
# prints the change a mutant made. benchmarks/mutation_report.md has the last scores and the
# equivalent survivors; `make flakiness` runs the unit tests once per test seed (benchmarks/flakiness.sh).
MUTANTS_VENV   := .venv-mutants
MUTANTS_STAMP  := $(MUTANTS_VENV)/.installed
MUTANT_MODULES ?= cells layers layer_inputs masking metrics data train seq2seq exercises
MUTANT_JOBS    ?= 2
MUTANT_SAMPLE  ?=
FLAKY_SEEDS    ?= 20

$(MUTANTS_STAMP): requirements-mutants.txt requirements.txt $(STAMP)
	$(BIN)/python -m venv $(MUTANTS_VENV)
	$(MUTANTS_VENV)/bin/python -m pip install --quiet -c requirements.txt -r requirements-mutants.txt
	$(BIN)/python -c "import site; print(site.getsitepackages()[0])" > \
	  "$$($(MUTANTS_VENV)/bin/python -c 'import site; print(site.getsitepackages()[0])')/course-venv.pth"
	touch $@

define MUTANTS_SUMMARY
import glob, json, sys
from collections import Counter
KILLED, SURVIVED, NO_TESTS, TIMEOUT = {1, 3}, {0}, {5, 33}, {24, -24, 36, 152, 255}
def status(code):
    for name, codes in (("killed", KILLED), ("survived", SURVIVED), ("no tests", NO_TESTS), ("timeout", TIMEOUT)):
        if code in codes:
            return name
    return "not run" if code is None else "suspicious"
for module in sys.argv[1:]:
    path = module.replace(".", "/")
    metas = sorted(glob.glob(f"mutants/companion/{path}.py.meta") + glob.glob(f"mutants/companion/{path}/**/*.py.meta", recursive=True))
    if not metas:
        print(f"companion/{path}: no results"); continue
    by = {}
    for meta in metas:
        with open(meta) as file:
            by.update({name: status(code) for name, code in json.load(file)["exit_code_by_key"].items()})
    n = Counter(by.values())
    checked = n["killed"] + n["timeout"] + n["survived"] + n["no tests"]
    score = f"{100 * (n['killed'] + n['timeout']) / checked:.0f}%" if checked else "-"
    sampled = f" (a sample: {checked} of {len(by)} run)" if n["not run"] else ""
    print(f"companion/{path}: {len(by)} mutants, {n['killed']} killed, {n['timeout']} timed out, "
          f"{n['survived']} survived, {n['no tests']} reached by no test, {n['suspicious']} suspicious, "
          f"{n['not run']} not run; score {score}{sampled}")
    for name in sorted(k for k, v in by.items() if v in ("survived", "no tests", "suspicious")):
        print(f"    {by[name]}: {name}")
endef
export MUTANTS_SUMMARY

mutants: $(MUTANTS_STAMP)
	@mkdir -p mutants; for m in $(MUTANT_MODULES); do \
	  select="companion.$$m.*"; [ -z "$(MUTANT_SAMPLE)" ] || select="companion.$$m.*__mutmut_*[$(MUTANT_SAMPLE)]"; \
	  echo "==> mutmut over companion/$$m ($$select; log: mutants/run-$$m.log)"; \
	  $(MUTANTS_VENV)/bin/mutmut run --max-children $(MUTANT_JOBS) "$$select" > mutants/run-$$m.log 2>&1 \
	    || echo "    mutmut stopped with an error: see mutants/run-$$m.log"; \
	  $(MUTANTS_VENV)/bin/python -c "$$MUTANTS_SUMMARY" $$m; \
	done

# The unit tests once per test seed, RECURRENT_TEST_SEED=0..FLAKY_SEEDS-1: pass or fail per seed.
flakiness: $(STAMP)
	PYTHON=$(BIN)/python benchmarks/flakiness.sh $(FLAKY_SEEDS)

lab: $(STAMP)
	$(BIN)/python -m pip install --quiet jupyterlab
	$(BIN)/jupyter lab book/

clean:
	rm -rf _build
