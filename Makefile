# One-command entry points. `make book` installs everything into .venv and builds the book
# (quick profile); `make test` runs the test suite. On a machine without internet, point
# HOWBIG_MIRROR at a directory holding the data files, and install from a wheelhouse (README).
#
#   make wheelhouse                      # with internet: every wheel, built and downloaded
#   make venv WHEELHOUSE=wheelhouse/cp311-linux_x86_64   # offline: install from it only
#
# Only Python 3.11 is supported: the pins in requirements.txt are tested on it.
PYTHON  ?= $(shell command -v python3.11 || command -v python3)
VENV    ?= .venv
PROFILE ?= quick
BIN     := $(VENV)/bin
# Wheels are specific to OS, CPU architecture and Python version: the wheelhouse carries the tag.
PLATFORM_TAG = $(shell $(PYTHON) -c 'import sys, sysconfig; print("cp%d%d-%s" % (*sys.version_info[:2], sysconfig.get_platform().replace("-", "_").replace(".", "_")))')
WHEELHOUSE_DIR ?= wheelhouse/$(PLATFORM_TAG)
# Empty: install from PyPI. A directory: install from it only (no index is contacted).
WHEELHOUSE ?=
PIP_SOURCE = $(if $(WHEELHOUSE),--no-index --find-links $(abspath $(WHEELHOUSE)),)

PY_VERSION = $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
# Expands to a one-line error (and stops make) unless $(PYTHON) is Python 3.11.
CHECK_PYTHON = $(if $(filter 3.11,$(PY_VERSION)),,$(error howbig needs Python 3.11, but PYTHON=$(or $(PYTHON),python3) is $(or $(PY_VERSION),not runnable): install python3.11 with python3.11-venv and python3.11-dev, or run `make PYTHON=/path/to/python3.11 ...`))
CHECK_WHEELHOUSE = $(if $(WHEELHOUSE),$(if $(wildcard $(WHEELHOUSE)/PLATFORM),$(if $(filter $(PLATFORM_TAG),$(shell cat $(WHEELHOUSE)/PLATFORM)),,$(error wheelhouse $(WHEELHOUSE) was built for $(shell cat $(WHEELHOUSE)/PLATFORM), but this machine needs $(PLATFORM_TAG): build it with `make wheelhouse` on a machine like this one)),$(error $(WHEELHOUSE) is not a wheelhouse (no PLATFORM file): build one with `make wheelhouse`)),)

.PHONY: venv test book chapter lint colab data wheelhouse clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-test.txt requirements-build.txt pyproject.toml
	$(CHECK_PYTHON)$(CHECK_WHEELHOUSE)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(PIP_SOURCE) --upgrade -r requirements-build.txt
	$(BIN)/python -m pip install --quiet $(PIP_SOURCE) -r requirements.txt -r requirements-test.txt
	$(BIN)/python -m pip install --quiet $(PIP_SOURCE) --no-deps -e .
	touch $@

# A complete wheelhouse for offline installs, built on a machine with internet and the same
# OS / CPU architecture / Python as the target machines: `pip wheel` downloads every wheel PyPI
# has and builds the rest from source (icet's C++ extension: needs a compiler and the Python
# headers); `pip download` adds the build tools, so that the wheelhouse can also build howbig.
wheelhouse:
	$(CHECK_PYTHON)
	mkdir -p $(WHEELHOUSE_DIR)
	$(PYTHON) -m pip wheel --quiet --wheel-dir $(WHEELHOUSE_DIR) -r requirements.txt -r requirements-test.txt
	$(PYTHON) -m pip download --quiet --only-binary=:all: --dest $(WHEELHOUSE_DIR) -r requirements-build.txt
	echo $(PLATFORM_TAG) > $(WHEELHOUSE_DIR)/PLATFORM
	@echo "wheelhouse: $(WHEELHOUSE_DIR) ($$(ls $(WHEELHOUSE_DIR)/*.whl | wc -l) wheels, $$(du -sh $(WHEELHOUSE_DIR) | cut -f1)); install with: make venv WHEELHOUSE=$(WHEELHOUSE_DIR)"

# make test PYTEST_ARGS='-m "not slow"'   (CI runs everything, slow tests included)
test: venv
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

book: venv
	$(BIN)/howbig book build --profile $(PROFILE)

# make chapter NB=02_transferability PROFILE=full
chapter: venv
	$(BIN)/howbig book run $(NB) --profile $(PROFILE)

lint: venv
	$(BIN)/ruff check src tests benchmarks

colab: venv
	$(BIN)/howbig book colab --out _build/colab

data: venv
	$(BIN)/howbig data fetch --all

clean:
	rm -rf _build
