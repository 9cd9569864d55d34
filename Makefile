# Two commands on a fresh machine: `make run` (the portal with demo data) and `make test` (the suite).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# The suite runs on every core (pytest-xdist): each worker has its own test database and its own Redis keys
# (tests/conftest.py); workers take tests one at a time, the slow ones first (tests/conftest.py).
# `make test TEST_WORKERS=0` runs it in one process.
TEST_WORKERS ?= auto
# More pytest arguments, e.g. `make test TEST_ARGS='-m "not slow"'`; CI passes its own (.ci/run).
TEST_ARGS ?=
PROD_ENV := DJANGO_DEBUG=0 DJANGO_SECRET_KEY=ci-only-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') DJANGO_ALLOWED_HOSTS=college.example.org

.PHONY: install lock run test lint ci migrations-check deploy-check messages compilemessages worker beat clean mutation

# uv installs the same versions as pip (same resolution, from PyPI) in ~10 s where pip takes ~55 s, bytecode
# aside (below). It is itself a wheel on PyPI, pinned and put into the venv, so a fresh machine still needs
# only $(PYTHON) and make. pip does the install where uv cannot: no uv wheel for the
# platform, or a machine whose pip is set up for a local index or proxy (pip.conf), which uv does not read.
# --compile-bytecode, as pip does by default: without it a process where PYTHONDONTWRITEBYTECODE is set
# (this machine's sessions set it) compiles Django and the rest from source at every start, ~3 CPU-seconds
# each time. It is most of the install's time (~23 CPU-seconds): CI, which lets its processes write the
# bytecode of what they import, leaves it out (`make install INSTALL_BYTECODE=`, .ci/run).
UV_VERSION ?= 0.13.8
INSTALL_BYTECODE ?= --compile-bytecode
# Every version the install takes is pinned in LOCK (`make lock` writes it from pyproject.toml, for every
# platform), so a machine that has installed once has every wheel in uv's cache: the install then reads
# nothing from PyPI (--offline), where each install used to ask PyPI for every package's index page (one CI
# run waited 56 s on it). A cache that lacks a wheel (a fresh machine, a changed lock) fails the offline
# attempt at once, and the install goes to the registry. The uv wheel itself is kept in UV_WHEELS for the same
# reason (pip keeps no cache here); where that folder cannot be written, pip takes uv from PyPI as before.
LOCK := requirements-dev.lock
UV_WHEELS ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/community-college/wheels
PIP := $(PY) -m pip --quiet --disable-pip-version-check
UV_INSTALL = $(VENV)/bin/uv pip install --quiet $(INSTALL_BYTECODE) --python $(PY) -r $(LOCK) -e '.[dev]'

$(STAMP): pyproject.toml $(LOCK)
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) is needed (Python 3.11 or newer)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	if { $(PIP) install --no-index --find-links '$(UV_WHEELS)' 'uv==$(UV_VERSION)' 2>/dev/null \
		|| { $(PIP) download --no-deps --dest '$(UV_WHEELS)' 'uv==$(UV_VERSION)' \
			&& $(PIP) install --no-index --find-links '$(UV_WHEELS)' 'uv==$(UV_VERSION)'; } \
		|| $(PIP) install 'uv==$(UV_VERSION)'; } \
		&& { $(UV_INSTALL) --offline 2>/dev/null || { echo "uv's cache lacks a pinned wheel: from PyPI"; $(UV_INSTALL); }; }; \
	then :; else \
		echo "uv could not install; installing with pip"; \
		$(PIP) install --upgrade pip && $(PIP) install -r $(LOCK) -e '.[dev]'; \
	fi
	touch $(STAMP)

install: $(STAMP)

# Re-pins LOCK after a change to pyproject.toml's dependencies, keeping the versions it already has where they
# still fit; `make lock LOCK_ARGS=--upgrade` moves every pin to the newest release.
LOCK_ARGS ?=
lock: install
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --quiet $(LOCK_ARGS) -o $(LOCK)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --scale street --if-empty --no-logins
	$(PY) manage.py demo_logins
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist load --maxschedchunk 1 $(TEST_ARGS)

# ruff, then the layers (.importlinter, docs/architecture.md): a domain module importing an app above it fails.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

deploy-check: install
	$(PROD_ENV) $(PY) manage.py check --deploy --fail-level WARNING

ci: lint migrations-check deploy-check test

messages: install
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore '.venv/*' --ignore 'tests/*' --ignore 'bench/*'
	$(PY) manage.py compilemessages --ignore '.venv/*'

compilemessages: install
	$(PY) manage.py compilemessages --ignore '.venv/*'

worker: install
	$(VENV)/bin/celery -A community_college worker -l info

beat: install
	$(VENV)/bin/celery -A community_college beat -l info

# Mutation testing of the rule modules (mutmut 3, see [tool.mutmut] in pyproject.toml); not part of `ci`.
# MUTATION_MODULES=activities/services.py limits the run; MUTATION_CHILDREN sets the mutants tested at once.
MUTATION_MODULES ?=
MUTATION_CHILDREN ?= 1
mutation: install
	$(PY) bench/mutation.py --max-children $(MUTATION_CHILDREN) $(MUTATION_MODULES)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
