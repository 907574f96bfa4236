# The interface for people and CI: make run, make test, make lint.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export SITE_URL ?= http://127.0.0.1:$(PORT)
PYTEST_ARGS ?=

.PHONY: run test lint format messages venv clean faults e2e bench

# Reinstalled whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Online Desktop needs Python 3.11 or newer: set PYTHON=python3.11")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py demo
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" PORT=$(PORT) $(PY) -m honcho --procfile Procfile.dev start

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

# Kill tests (tests/faults, about 5 minutes): real workers killed, Redis restarted, a company
# database cut off. They need PostgreSQL and Redis (DATABASE_URL, REDIS_URL) and fail without.
faults: venv
	REQUIRE_SERVICES=postgres,redis VAR_DIR="$$(mktemp -d)" $(PY) -m pytest -m faults tests/faults $(PYTEST_ARGS)

# Browser journeys: Playwright on the system's Chromium, a live server and real workers (README).
e2e: venv
	$(PY) -m pytest -m e2e tests/e2e $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

# The benchmarks (README "Benchmarks"); each prints one JSON line. The web benchmark needs
# Debian's wrk.
BENCH_ROWS ?= 100000
BENCH_CHANGES ?= 5000
BENCH_RATE ?= 50
BENCH_SECONDS ?= 20
bench: venv
	$(PY) -m benchmarks.initial_sync --rows $(BENCH_ROWS)
	$(PY) -m benchmarks.incremental --changes $(BENCH_CHANGES) --rate $(BENCH_RATE) --seconds $(BENCH_SECONDS)
	$(PY) -m benchmarks.web --contacts $(BENCH_ROWS)

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Refresh the Dutch catalogue after changing user-visible strings, then translate what is new.
messages: venv
	$(PY) manage.py makemessages --locale nl --no-obsolete --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'benchmarks/*'
	$(PY) manage.py compilemessages --locale nl --ignore '.venv/*'

clean:
	rm -rf var/celery var/static
