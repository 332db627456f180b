# `make demo` and `make test` do all the set-up on a fresh Debian/Ubuntu machine.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup system demo test test-fast lint test-scale bench run clean help

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

system:  ## install system packages (espeak-ng, libopus0, libsodium, ffmpeg, sox)
	bash scripts/install-system-deps.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

setup: system $(STAMP)  ## system packages + virtual environment with the project

demo: setup  ## run an offline practice round (no Discord token needed)
	$(PY) -m bot demo

# The e2e scenarios mostly wait on real-time audio (a bot process uses about a tenth of a core), so
# they run side by side in E2E_WORKERS processes; everything else runs in one process, where the
# timing checks (event-loop lag, real-time transcription) measure the code and not the neighbours.
E2E_WORKERS ?= 5

test: setup lint  ## lint and type checks, then the whole test suite (real model, real audio, local Discord stand-in)
	$(PY) -m pytest -q -m "not e2e and not scale"
	$(PY) -m pytest -q -m e2e -n $(E2E_WORKERS)

lint: setup  ## ruff (lint) and mypy (types), configured in pyproject.toml
	$(PY) -m ruff check bot cogs bench tests
	$(PY) -m mypy

test-fast: setup  ## tests without the slow, e2e and scale ones (under a minute)
	$(PY) -m pytest -q -m "not slow and not e2e and not scale"

test-scale: setup  ## the scale-out suite on real servers: storage on Postgres (initdb/pg_ctl), transcription on Redis + Celery workers, two shard processes on one database (installs the 'scale' extra)
	$(PY) -m pip install -q -e '.[test,scale]'
	$(PY) -m pytest -q -m scale

bench: setup  ## print speed and memory figures
	$(PY) -m bench

run: setup  ## start the Discord bot (needs DISCORD_TOKEN)
	$(PY) -m bot run

clean:
	rm -rf $(VENV) .pytest_cache
