#!/usr/bin/env bash
# Create .venv and install Phum with every optional group, pinned by constraints.txt.
# Re-installs only when pyproject.toml or constraints.txt changed.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
stamp="$VENV/.phum-installed"
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
./scripts/system-deps.sh --build  # libicu-dev and a compiler for PyICU (server and desktop extras)
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[web,server,desktop,test]"
echo "$want" > "$stamp"
