# Two commands do all set-up: `make run` (install, build, start the all-in-one app) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 5000

# The inner loop: no browser, no end-to-end transcodes or started servers (slow), no Ansible/Docker/images (deploy).
FAST_MARKERS := not slow and not browser and not deploy

.PHONY: run test test-fast test-images lint system-deps test-services venv client clean

run: system-deps venv client
	$(VENV)/bin/videoforge run --host $(HOST) --port $(PORT)

test: system-deps test-services venv client
	cd client && npm test
	$(PY) -m pytest -ra -n 2 --dist loadgroup $(PYTEST_ARGS)

test-fast: system-deps test-services venv client
	$(PY) -m pytest -q -ra -n auto -m "$(FAST_MARKERS)" $(PYTEST_ARGS)

# Every Dockerfile built with buildah (installed when missing) and the split stack run from the images; part of
# `make test`. Cached in /var/tmp/videoforge-images: minutes cold, about one warm (docs/deploy.md).
test-images: system-deps venv
	$(PY) -m pytest -ra -m images $(PYTEST_ARGS) tests/deploy/test_images.py

# ruff and mypy, both configured in pyproject.toml (rules, and the port Protocols checked at every seam).
lint: venv
	$(VENV)/bin/ruff check videoforge entrypoints tests
	$(VENV)/bin/mypy

# ffmpeg (transcoding), chromium (browser tests) and node (client build) from the system packages when missing.
system-deps:
	@missing=""; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# Servers the tests use that the machine may lack: Redis (the gateway's shared rate-limit buckets) from the Debian
# package, started on loopback when nothing answers there. PostgreSQL stays the machine's (see README).
test-services:
	@command -v redis-server >/dev/null || { echo "installing system packages: redis-server"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq redis-server; }
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { echo "starting redis-server on 127.0.0.1:6379"; \
	  redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --daemonize yes \
	    --pidfile /tmp/videoforge-test-redis.pid --logfile /tmp/videoforge-test-redis.log; }

venv: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	touch $@

client: client/dist/index.html

client/dist/index.html: $(shell find client/src client/index.html client/package.json client/package-lock.json -type f 2>/dev/null)
	cd client && npm ci --no-audit --no-fund && npm run build

clean:
	rm -rf $(VENV) client/node_modules client/dist
