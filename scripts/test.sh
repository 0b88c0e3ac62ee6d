#!/usr/bin/env bash
# Run every test: lint, then pytest on SQLite and on a real PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

if [ -z "${SOUNDING_TEST_PG_URL:-}" ] && [ -x scripts/postgres.sh ]; then
  if url=$(bash scripts/postgres.sh); then
    export SOUNDING_TEST_PG_URL="$url"
    echo "PostgreSQL for tests: $SOUNDING_TEST_PG_URL"
  else
    echo "scripts/postgres.sh failed: PostgreSQL tests cannot run" >&2
    exit 1
  fi
fi

# R quantreg: the SGP tests compare with R's `br` on the SGPdata exemplar (Debian packages).
if bash scripts/setup_r.sh >&2; then
  export SOUNDING_REQUIRE_R=1
else
  echo "scripts/setup_r.sh failed: the R comparison tests cannot run" >&2
  exit 1
fi

# Debian's Chromium for the browser tests (Playwright drives it; never `playwright install`).
if [ ! -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null 2>&1; then
    apt-get update -q >&2 && apt-get install -y -q chromium >&2 \
      || { echo "apt-get install chromium failed: the browser tests cannot run" >&2; exit 1; }
  else
    echo "no /usr/bin/chromium and no apt-get: the browser tests will be skipped" >&2
  fi
fi

$BIN/ruff check src tests bench
exec $BIN/python -m pytest -q -n 2 --dist loadfile "$@"
