# Phum: `make run` starts the app with a local central server; `make test` runs every test.
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8550
SERVER_PORT ?= 8000

.PHONY: run test venv system-deps bench bench-quick clean

venv:
	./scripts/bootstrap.sh

system-deps:
	./scripts/system-deps.sh

run: venv
	$(PY) -m devtools.run_local --port $(PORT) --server-port $(SERVER_PORT)

test: venv system-deps
	./scripts/run-tests.sh

bench: venv
	$(PY) bench/storage_bench.py
	$(PY) bench/sync_bench.py
	$(PY) bench/ui_bench.py

bench-quick: venv
	$(PY) bench/storage_bench.py --quick
	$(PY) bench/sync_bench.py --quick
	$(PY) bench/ui_bench.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis var screenshots
