#!/usr/bin/env bash
# The server suite against a throwaway PostgreSQL cluster (Debian's /usr/lib/postgresql/*/bin,
# run as the postgres user when root), stopped afterwards. `make test` does the same inside pytest;
# this is for running only the PostgreSQL half: scripts/postgres-test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
[ $# -gt 0 ] || set -- tests/server -m postgres -q
exec "$VENV/bin/python" -m tests.support.postgres -- "$VENV/bin/python" -m pytest "$@"
