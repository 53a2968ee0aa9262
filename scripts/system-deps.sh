#!/usr/bin/env bash
# Debian packages the tests need: Chromium for the browser tests, PostgreSQL for the
# server suite against a real PostgreSQL, poppler and ICU for the report's PDF. Installs only what is missing.
# With --build: only what `pip install` needs to build PyICU (bootstrap.sh calls it, so `make run`
# works on a fresh machine without the test packages).
set -euo pipefail
need=()
if [ "${1:-}" != "--build" ]; then
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# pdftoppm renders the report's PDF pages (tests/server/test_report_pdf.py); libicu-dev and a
# compiler build PyICU, which breaks Khmer lines at word boundaries.
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
fi
pkg-config --exists icu-uc 2>/dev/null || need+=(libicu-dev pkg-config g++)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${need[@]}" fonts-noto-core
