# Two commands that work on a fresh machine: `make report` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE ?= workbooks/training_quote.xlsx
OUT ?= build/training_quote.pdf

.PHONY: venv report test bench clean system-deps

# WeasyPrint needs Pango; install it from Debian only when it is missing.
system-deps:
	@ldconfig -p | grep -q libpango-1.0 || { apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; }

$(BIN)/xlcompute: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

venv: system-deps $(BIN)/xlcompute

report: venv
	@mkdir -p $(dir $(OUT))
	$(BIN)/xlcompute report $(SAMPLE) -o $(OUT)
	@echo "Wrote $(OUT)"

test: venv
	$(BIN)/python -m pytest -n 2 -q

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build .pytest_cache
