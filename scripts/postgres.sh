#!/usr/bin/env bash
# Start (creating it once) a private PostgreSQL server for the test suite and print its URL.
#
# Idempotent: safe to run again and again; `make test` runs it as root on a fresh Debian
# machine. Installs Debian's postgresql package when no server binaries exist, keeps its own
# cluster (not the system one) on port 54329, trusts connections from 127.0.0.1 only, and
# makes the database sounding_test. Only the URL goes to stdout; everything else to stderr,
# so callers can do `export SOUNDING_TEST_PG_URL=$(bash scripts/postgres.sh)`.
#
# Settings (environment): SOUNDING_PG_PORT (54329), SOUNDING_PGDATA (/tmp/sounding-pgdata-PORT).
set -euo pipefail

PORT="${SOUNDING_PG_PORT:-54329}"
DATA="${SOUNDING_PGDATA:-/tmp/sounding-pgdata-$PORT}"
DB=sounding_test

log() { echo "postgres.sh: $*" >&2; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

BIN="$(pg_bin)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  if [ "$(id -u)" != 0 ]; then
    log "PostgreSQL server binaries are missing and installing them needs root"
    exit 1
  fi
  log "installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y postgresql >&2
  BIN="$(pg_bin)"
fi

# root may not run the server: run it as the postgres user (created by the Debian package).
if [ "$(id -u)" = 0 ]; then
  as_owner() { runuser -u postgres -- "$@"; }
  OWNER=postgres
else
  as_owner() { "$@"; }
  OWNER="$(id -un)"
fi

# one runner at a time (two test sessions starting together must not both run initdb)
exec 9>"/tmp/sounding-pg-$PORT.lock"
flock 9

if [ ! -s "$DATA/PG_VERSION" ]; then
  log "creating a cluster in $DATA"
  rm -rf "$DATA"
  mkdir -p "$DATA"
  chown "$OWNER" "$DATA"
  chmod 700 "$DATA"
  as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --no-locale \
    >"$DATA.initdb.log" 2>&1 || { cat "$DATA.initdb.log" >&2; exit 1; }
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $PORT"
    echo "unix_socket_directories = '$DATA'"
    # a throw-away test server: durability is not needed, speed is
    echo "fsync = off"
    echo "synchronous_commit = off"
    echo "full_page_writes = off"
    echo "max_connections = 100"
  } | as_owner tee -a "$DATA/postgresql.conf" >/dev/null
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' \
    | as_owner tee "$DATA/pg_hba.conf" >/dev/null
fi

if ! as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  log "starting the server on 127.0.0.1:$PORT"
  # the server must not inherit our descriptors (the lock, a caller's pipe): close all but 0-2
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd="${fd##*/}"
      if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec </dev/null
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start >&2
  ) || { tail -n 20 "$DATA/server.log" >&2; exit 1; }
fi

PSQL=("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -tA)
if [ "$(as_owner "${PSQL[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
  log "creating database $DB"
  as_owner "${PSQL[@]}" -c "CREATE DATABASE $DB" >&2
fi

echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/$DB"
