# `make run` and `make test` work on a fresh Debian machine: they install the Debian packages nianbao
# uses (LibreOffice for legacy DOC tables and for generating test PDFs, poppler, a CJK font, Chromium for
# the site's browser test, redis-server for the distributed crawl and extraction), create
# the virtual environment, install the project, then run the main job or the tests.
# `make run ARGS="--sites my-sites.yaml"` passes options to `nianbao run`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_PACKAGES := libreoffice-writer-nogui poppler-utils fonts-wqy-zenhei chromium redis-server
BENCH_PACKAGES := nginx-light


.PHONY: run test deps debian venv bench bench-deps clean

run: deps
	$(BIN)/nianbao run $(ARGS)

test: deps
	$(BIN)/python -m pytest

bench: deps bench-deps
	$(BIN)/python benchmarks/extract.py
	$(BIN)/python benchmarks/crawl.py

bench-deps:
	@dpkg -s $(BENCH_PACKAGES) >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(BENCH_PACKAGES); }

deps: debian venv

debian:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) build *.egg-info
