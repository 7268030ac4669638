# The two commands of the README:  make run   (install + demo data + serve embedded)   and   make test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
ADDR ?= 127.0.0.1
PORT ?= 8000

# Services used by `make test` (CI); each test run gets its own database, see tests/plugin.py.
export TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/groupchat
export TEST_REDIS_URL ?= redis://127.0.0.1:6379/5

.PHONY: run test install services lint clauses bench-help schema

run: install
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py seed_demo
	$(PY) manage.py run_embedded --addr $(ADDR) --port $(PORT)

install: $(VENV)/.installed
	@# Debian's CJK font (and pango) for the packages' document.pdf, only when missing. Without root or sudo the
	@# platform still runs: its packages then carry the HTML document and say why there is no PDF.
	bash .ci/pdf_deps.sh || echo "warning: could not install fonts-wqy-microhei; packages will carry no document.pdf"

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -c constraints.txt -e '.[dev,bench]'
	touch $@

services:
	bash .ci/services.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	DATABASE_URL= $(PY) manage.py makemigrations --check --dry-run -v0
	$(PY) -m tests.clause_report --check  # docs/compliance.md must match the tests' clause markers

test: install services lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Regenerate docs/compliance.md (duty, law text, code, tests per clause ID) from the tests' clause markers.
clauses: install
	$(PY) -m tests.clause_report

bench-help: install
	$(PY) -m bench.run --help

schema: install
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null
