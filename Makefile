# The two set-up commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: demo test lint pytest assets setup browser-deps print-deps bench bench-sqlite bench-postgres lock messages clean

$(VENV)/.installed: requirements/lock.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/lock.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed

# Self-hosted front-end assets and the compiled translation catalogues.
assets: $(VENV)/.installed node_modules/.installed
	$(PY) manage.py compilemessages --ignore '.venv/*' --ignore 'node_modules/*' -v 0
	$(PY) manage.py collectstatic --noinput -v 0

var/demo.env: | $(VENV)/.installed
	mkdir -p var
	$(PY) manage.py generate_keys > $@.tmp && mv $@.tmp $@

demo: assets var/demo.env print-deps
	set -a && . var/demo.env && set +a && \
	$(PY) manage.py migrate --noinput -v 0 && $(PY) manage.py createcachetable && \
	$(PY) manage.py prepare_demo --port $(PORT) && \
	PORT=$(PORT) exec bin/serve

lint: assets
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy fengqiao bench
	$(PY) manage.py makemigrations --check --dry-run -v 1

# Browser tests drive Debian's Chromium (with a CJK font so pages and screenshots show
# Chinese); installed once from the distribution's packages.
browser-deps:
	@command -v chromium >/dev/null && fc-list | grep -qi "noto.*cjk" || { \
	  echo "Installing chromium and fonts-noto-cjk (Debian packages) for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium fonts-noto-cjk >/dev/null; }

# Printed doorplates embed a TrueType CJK font (WenQuanYi Micro Hei); the tests rasterise the
# PDFs with poppler. Both from the distribution's packages, installed once.
print-deps:
	@test -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc && command -v pdftoppm >/dev/null || { \
	  echo "Installing fonts-wqy-microhei and poppler-utils (Debian packages) for printing doorplates"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    fonts-wqy-microhei poppler-utils >/dev/null; }

pytest: assets browser-deps print-deps
	$(VENV)/bin/pytest -n 2 --dist loadgroup -q

test: lint pytest

# Benchmarks (not timed tests): figures go to BENCHMARKS.md by hand, with the date.
bench: bench-sqlite bench-postgres

bench-sqlite: assets
	$(PY) -m bench.run --database sqlite

bench-postgres: assets
	FENGQIAO_DATABASE_URL=$(POSTGRES_URL) $(PY) -m bench.run --database postgresql

# Re-pin the dependencies after changing pyproject.toml.
lock: $(VENV)/.installed
	$(VENV)/bin/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url \
	  --no-emit-find-links --no-emit-trusted-host -o requirements/lock.txt pyproject.toml

# Refresh the message catalogues after changing user-facing text.
messages: $(VENV)/.installed
	cd fengqiao && ../$(PY) ../manage.py makemessages -l zh_Hans -l en --no-obsolete \
	  --ignore 'static/*' --add-location file

clean:
	rm -rf $(VENV) node_modules staticfiles
