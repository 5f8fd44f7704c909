#!/usr/bin/env bash
# Start (if needed) a local PostgreSQL with PostGIS for the tests and print its URL on stdout.
# Prints nothing when PostgreSQL is not installed or this user cannot start it.
set -uo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -n "$PGBIN" ] || exit 0
DATA=${FORCEWATCH_PGDATA:-/tmp/forcewatch-pg}
PORT=${FORCEWATCH_PGPORT:-54329}
run() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
if [ ! -s "$DATA/PG_VERSION" ]; then
  mkdir -p "$DATA"; [ "$(id -u)" -eq 0 ] && chown postgres "$DATA"
  run "$PGBIN/initdb -D $DATA -U postgres --auth=trust" >/dev/null 2>&1 || exit 0
fi
if ! run "$PGBIN/pg_ctl -D $DATA status" >/dev/null 2>&1; then
  run "$PGBIN/pg_ctl -D $DATA -o '-p $PORT -k /tmp -c listen_addresses=127.0.0.1' -l $DATA/log -w start" >/dev/null 2>&1 || exit 0
fi
psql="$PGBIN/psql -h 127.0.0.1 -p $PORT -U postgres -qAt"
$psql -c "select 1 from pg_database where datname='forcewatch_test'" | grep -q 1 \
  || $psql -c "create database forcewatch_test" >/dev/null 2>&1
$psql -d forcewatch_test -c "create extension if not exists postgis" >/dev/null 2>&1 || true
echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/forcewatch_test"
