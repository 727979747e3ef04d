# citybrain: `make run` serves the demo city, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint install clean-demo

$(BIN)/citybrain: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(BIN)/citybrain

install: $(BIN)/citybrain

run: $(BIN)/citybrain
	$(BIN)/citybrain migrate
	$(BIN)/citybrain demo load
	$(BIN)/citybrain serve --host $(HOST) --port $(PORT)

test:
	bash scripts/test.sh

lint: $(BIN)/citybrain
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src

clean-demo:
	rm -f var/citybrain.db var/citybrain.db-wal var/citybrain.db-shm
