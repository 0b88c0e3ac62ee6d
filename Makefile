# Sounding: two commands do all set-up on a fresh machine (python3, make and root).
#   make demo   build the demo district, run the whole pipeline, write the report, then serve
#               the web application on 127.0.0.1:8000 (make demo SERVE=0: build only)
#   make test   run every test (starts a private PostgreSQL server for the database tests)
#   make bench  run the benchmarks side by side with their peers (pyBKT, R quantreg, ...)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_OUT ?= demo
DEMO_STUDENTS ?= 3000
SERVE ?= 1

.PHONY: demo test bench lint install clean

$(STAMP): pyproject.toml
	PYTHON=$(PYTHON) bash scripts/venv.sh $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/sounding demo --students $(DEMO_STUDENTS) --out $(DEMO_OUT) $(if $(filter 0,$(SERVE)),,--serve)

test: $(STAMP)
	bash scripts/test.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

bench: $(STAMP)
	bash bench/run.sh

clean:
	rm -rf $(DEMO_OUT) .pytest_cache build *.egg-info
