# Two commands that work on a fresh machine: `make report` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE ?= workbooks/training_quote.xlsx
OUT ?= build/training_quote.pdf

.PHONY: venv report test bench dist clean system-deps messages

# WeasyPrint needs Pango (and HarfBuzz's subsetter, which makes font embedding ~2 s faster per PDF
# than its fontTools fallback), and proposals need fonts (DejaVu; WenQuanYi for the Chinese titles of
# cited sources). The tests read proposals back with poppler (pdftotext, pdftoppm). Install them
# from Debian only when missing.
system-deps:
	@need=""; \
	ldconfig -p | grep -q libpango-1.0 || need="$$need libpango-1.0-0 libpangoft2-1.0-0"; \
	command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null || need="$$need poppler-utils"; \
	ldconfig -p | grep -q libharfbuzz-subset || need="$$need libharfbuzz-subset0"; \
	fc-list 2>/dev/null | grep -qi dejavu || need="$$need fonts-dejavu-core"; \
	fc-list 2>/dev/null | grep -qi wenquanyi || need="$$need fonts-wqy-microhei"; \
	if [ -n "$$need" ]; then apt-get update -qq && apt-get install -y -qq --no-install-recommends $$need >/dev/null; fi

$(BIN)/xlcompute: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[all,test]'
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

# The wheel and sdist that `pip install` and xlwings Lite's requirements.txt take before (and after)
# xlcompute is on PyPI; `twine check` validates their metadata and README rendering.
# Texts to translate: extract them from the templates and the code into the template catalog,
# then merge the new ones into each language's catalog (translate the empty msgstr entries).
messages: venv
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output -o xlcompute/locale/xlcompute.pot .
	$(BIN)/pybabel update -N --no-wrap -i xlcompute/locale/xlcompute.pot -d xlcompute/locale -D xlcompute

dist: venv
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

clean:
	rm -rf $(VENV) build dist .pytest_cache
