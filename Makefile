# The two commands README gives: `make report` and `make test`. Both set up what they need.
# The venv is (re)installed only when pyproject.toml changes (the stamp file), so a second run
# does not reinstall anything.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mipr-installed
KERNEL := mipr
CODE := mipr_analysis tests benchmarks notebooks
# What JupyterLab adds to a notebook's metadata when a kernel starts; git's nbstripout filter
# drops it together with outputs and execution counts (see .gitattributes).
NB_EXTRA_KEYS := metadata.language_info.codemirror_mode metadata.language_info.file_extension \
  metadata.language_info.mimetype metadata.language_info.nbconvert_exporter \
  metadata.language_info.pygments_lexer metadata.language_info.version

.PHONY: report pdf test test-fast lint format install browser lab strip clean-reports

report: $(STAMP)
	MIPR_OFFLINE=1 $(VENV)/bin/mipr report

# The printable meeting document (one PDF of the front page and every page); needs chromium.
pdf: report browser
	$(VENV)/bin/mipr pdf

# Two pytest-xdist workers; the tests of one file run on one worker, so a file's module fixtures
# (a report batch, a build) are made once. (loadgroup cannot group by fixture with pytest 9.2.)
test: $(STAMP) browser lint
	$(PY) -m pytest -n 2 --dist loadfile

# Unit tests only (tests/unit; no notebooks run, no browser, no recorded real data): well under a
# minute.
test-fast: $(STAMP)
	$(PY) -m pytest tests/unit -m "not realdata"

lint: $(STAMP)
	$(VENV)/bin/ruff check $(CODE)
	$(VENV)/bin/ruff format --check $(CODE)
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix $(CODE)
	$(VENV)/bin/ruff format $(CODE)

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (mipr)"
	@# git stores notebooks without outputs, whatever JupyterLab saved (nbstripout as a filter)
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  $(VENV)/bin/nbstripout --install --attributes .gitattributes && \
	  git config filter.nbstripout.extrakeys "$(NB_EXTRA_KEYS)"; fi
	touch $(STAMP)

# Debian's chromium for the browser tests and the PDF (pip's playwright cannot download one here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests and the PDF"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

clean-reports:
	rm -rf reports/executed reports/html reports/figures reports/records reports/run.json \
	  reports/.batch-state.json reports/Mosseregionen-indikatorer-*.pdf

# Strip outputs from the notebooks in the working tree too (git stores them stripped anyway).
strip: $(STAMP)
	$(VENV)/bin/nbstripout --extra-keys "$(NB_EXTRA_KEYS)" notebooks/*/*.ipynb
