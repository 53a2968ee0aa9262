#!/usr/bin/env bash
# Every test: lint (ruff, config in pyproject.toml), then unit, contract, functional (real server
# on 127.0.0.1), PostgreSQL, browser. A lint finding fails the run before any test starts.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
"$VENV/bin/ruff" check .
exec "$VENV/bin/python" -m pytest "$@"
