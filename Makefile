# One-command entry points. `make book` installs everything into .venv and builds the book
# (quick profile); `make test` runs the test suite. On a machine without internet, point
# HOWBIG_MIRROR at a directory holding the data files (see README).
PYTHON ?= python3
VENV   ?= .venv
PROFILE ?= quick
BIN    := $(VENV)/bin

.PHONY: venv test book chapter lint colab data clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

test: venv
	$(BIN)/python -m pytest -q

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
