# Quick start: `make demo` (try the reference SPA + backend) and `make test` (the whole suite
# in Chromium and Firefox). Both install what is missing first.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
BROWSERS ?= chromium firefox
PYTEST_ARGS ?=
# Four workers on two cores: the checks wait on browsers, timers and sockets as much as they
# compute. On a 2-core machine, the suite of 596 tests took pytest 908 s with three workers
# and 840 s with four (the CPU then had no idle time left); earlier, with fewer and shorter
# tests, four had been slower than three.
JOBS ?= 4
# Traces of failed checks cost about a third of the suite's time: off for the whole-suite
# run, on with `make test TRACING=retain-on-failure`.
TRACING ?= off
DEMO_PORT ?= 8000
comma := ,

.PHONY: demo test test-prerequisites bench soak install browsers redis-server upstreams angular-example react-example lint dist clean

# examples/angular: a real Angular 20 app (npm registry, Node.js >= 20.19), built in its test
# configuration for the suite. `make test SKIP_ANGULAR=1` runs everything else.
ANGULAR := examples/angular
ANGULAR_BUILD := $(ANGULAR)/dist/harness/index.html
ANGULAR_SOURCES := $(shell find $(ANGULAR)/src -type f 2>/dev/null) \
  $(addprefix $(ANGULAR)/,angular.json tsconfig.json tsconfig.app.json)
SKIP_ANGULAR ?=

# examples/react: a React 19 app on Vite and axios (npm registry, Node.js >= 20.19), built in
# its `harness` mode for the suite. `make test SKIP_REACT=1` runs everything else.
REACT := examples/react
REACT_BUILD := $(REACT)/dist/harness/index.html
REACT_SOURCES := $(shell find $(REACT)/src -type f 2>/dev/null) \
  $(addprefix $(REACT)/,index.html vite.config.ts tsconfig.json)
SKIP_REACT ?=

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing python3-venv"; apt-get update -qq && apt-get install -y -qq python3-venv; \
	    rm -rf $(VENV); $(PYTHON) -m venv $(VENV); \
	  else echo "cannot create a virtualenv: install Python's venv module (e.g. python3-venv)"; exit 1; fi; }

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

browsers: install
	$(BIN)/python -m harness.browser.launch ensure $(BROWSERS)

# The Redis store's tests start a real Redis server of their own: Debian's redis-server,
# installed here with apt-get as root or with passwordless sudo (a CI runner). Where it
# cannot be installed they are skipped, with the reason (under CI=true a missing server fails
# them instead). After the browsers: two apt-get runs at once would meet dpkg's lock.
redis-server: | browsers
	@if command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]; then :; \
	elif command -v apt-get >/dev/null && { [ "$$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then \
	  echo "installing redis-server (for the Redis store's tests)"; \
	  as_root=$$([ "$$(id -u)" = 0 ] || echo "sudo -n"); \
	  $$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null 2>&1 || \
	    { $$as_root apt-get update -qq && \
	      $$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; }; \
	else \
	  echo "redis-server is not installed, and only root (or passwordless sudo) with apt-get"; \
	  echo "installs it here: the Redis store's tests will be skipped (install it, e.g."; \
	  echo "apt-get install redis-server)"; \
	fi

# --durations: the slowest tests are listed at the end, where the run's time goes.
# --maxschedchunk 1: each worker is handed a test or two at a time. By default xdist hands
# each worker a quarter of its share at the start, in collection order, and one worker got
# every long run (conftest.py puts them first): the suite then took as long as they did.
# With it, xdist keeps two tests in hand per worker: every worker starts on two long runs.
# The long runs and the can-fail runs are pytest processes of their own; they connect to
# browsers their worker serves, one per engine, instead of each launching its own
# (tests/harness/conftest.py; SHARED_BROWSERS=0 has each launch its own).
# What the suite needs is made in parallel (-j3): the Python packages and then the browsers
# and Redis on one side, the Angular and React examples' npm installs and builds on the other.
test:
	@$(MAKE) --no-print-directory -j3 -Oline test-prerequisites
	SKIP_ANGULAR=$(SKIP_ANGULAR) SKIP_REACT=$(SKIP_REACT) $(BIN)/python -m pytest -n $(JOBS) --maxschedchunk 1 --tracing $(TRACING) --durations=15 $(foreach b,$(BROWSERS),--browser $(b)) $(PYTEST_ARGS)

# Speed and scale against their targets (docs/performance.md): about 8 minutes on a 2-core
# machine. BENCH_ARGS="--quick" for a quick look, "--only suite,burst" for some parts.
bench: browsers
	$(BIN)/python -m bench $(BENCH_ARGS)

# The conformance suite RUNS times per browser against the reference SPA and both examples,
# each run a pytest process of its own; a table of failures per check (tests/soak.py), and
# the screenshots and journal timelines of failed runs in soak-results/.
# SOAK_JOBS runs at once: the machine busy, as in CI, where a flake is likelier to show.
# SOAK_MINUTES: start no run after that many minutes (0: no limit).
RUNS ?= 30
SOAK_JOBS ?= 2
SOAK_MINUTES ?= 0
soak: browsers angular-example
	$(BIN)/python -m tests.soak --runs $(RUNS) --jobs $(SOAK_JOBS) --minutes $(SOAK_MINUTES) --browsers $(subst $(eval) ,$(comma),$(BROWSERS))

angular-example: $(ANGULAR_BUILD)

react-example: $(REACT_BUILD)

# The real backends the edge's tests run in front of (Django REST framework + SimpleJWT,
# dj-rest-auth; tests/upstreams/requirements.txt), from PyPI into .upstreams/venv. Where they
# cannot be installed their tests are skipped with the reason (under CI=true they fail).
upstreams: install
	@$(BIN)/python -m tests.upstreams.env >/dev/null || echo "the real upstream backends could not be installed: their tests will say why"

test-prerequisites: browsers redis-server upstreams $(if $(SKIP_ANGULAR),,angular-example) \
  $(if $(SKIP_REACT),,react-example)

$(ANGULAR)/node_modules/.installed: $(ANGULAR)/package-lock.json
	@node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit((a === 20 && b >= 19) || (a === 22 && b >= 12) || a >= 24 ? 0 : 1)' 2>/dev/null || { \
	  echo "examples/angular needs Node.js >= 20.19 (or 22.12+) with npm; found: $$(node --version 2>/dev/null || echo none)."; \
	  echo "Install it, or run the suite without the Angular example: make test SKIP_ANGULAR=1"; exit 1; }
	@# `npm install` keeps to package-lock.json; `npm ci` also insists on optional packages for
	@# other platforms, which a partial registry mirror may not hold.
	cd $(ANGULAR) && npm install --no-audit --no-fund --loglevel=error
	@touch $@

$(ANGULAR_BUILD): $(ANGULAR)/node_modules/.installed $(ANGULAR_SOURCES)
	cd $(ANGULAR) && NG_CLI_ANALYTICS=false node_modules/.bin/ng build --configuration harness

$(REACT)/node_modules/.installed: $(REACT)/package-lock.json
	@node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit((a === 20 && b >= 19) || (a === 22 && b >= 12) || a >= 23 ? 0 : 1)' 2>/dev/null || { \
	  echo "examples/react needs Node.js >= 20.19 (or 22.12+) with npm; found: $$(node --version 2>/dev/null || echo none)."; \
	  echo "Install it, or run the suite without the React example: make test SKIP_REACT=1"; exit 1; }
	@# `npm install`, as for the Angular example: Vite's native packages (rolldown,
	@# lightningcss) are optional packages for each platform.
	cd $(REACT) && npm install --no-audit --no-fund --loglevel=error
	@touch $@

# `vite build --mode harness`: the test build, with the driver, in dist/harness
# (a plain `vite build` makes the production build, without it, in dist/app).
$(REACT_BUILD): $(REACT)/node_modules/.installed $(REACT_SOURCES)
	cd $(REACT) && node_modules/.bin/vite build --mode harness

demo: install
	@mkdir -p .demo
	@echo ""
	@echo "  Reference SPA + backend: http://localhost:$(DEMO_PORT)"
	@echo "  Demo users: alice / alice-pass, bob / bob-pass (role user), admin / admin-pass (role admin)"
	@echo "  Access tokens live 30 s here, so the activity log shows a refresh within a minute."
	@echo "  Refresh families are kept in .demo/tokens.db across restarts. Stop with Ctrl-C."
	@echo ""
	$(BIN)/python -m mock_backend --port $(DEMO_PORT) --access-ttl 30s --store sqlite:.demo/tokens.db

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy mock_backend harness tests/broken bench

# The sdist and wheel for a package index, in dist/, their metadata checked as the index would.
dist: install
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

clean:
	rm -rf $(VENV) .demo test-results soak-results *.egg-info $(ANGULAR)/node_modules $(ANGULAR)/dist $(ANGULAR)/.angular \
  $(REACT)/node_modules $(REACT)/dist
