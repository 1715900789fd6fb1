# Two commands do all set-up: `make run` (install, build, start the all-in-one app) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test system-deps venv client test-python test-client lint-deploy clean

run: system-deps venv client
	$(VENV)/bin/videoforge run --host $(HOST) --port $(PORT)

test: system-deps venv client
	cd client && npm test
	$(PY) -m pytest -ra $(PYTEST_ARGS)

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
