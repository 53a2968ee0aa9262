#!/usr/bin/env bash
# Every test: unit, contract, functional (real server on 127.0.0.1), PostgreSQL, browser.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
exec "$VENV/bin/python" -m pytest "$@"
