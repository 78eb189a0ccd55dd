#!/bin/sh
# What the official image's entrypoint does with its variables, for a first start:
# initdb as POSTGRES_USER with POSTGRES_PASSWORD, POSTGRES_DB created, password
# logins from anywhere; then the server as PID 1, as user postgres.
set -eu
BIN=$(ls -d /usr/lib/postgresql/*/bin | head -n 1)
run() { runuser -u postgres -- "$@"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
  printf '%s\n' "$POSTGRES_PASSWORD" > /tmp/pwfile && chown postgres /tmp/pwfile
  # shellcheck disable=SC2086 # the arguments are words, as the official image splits them
  run "$BIN/initdb" -D "$PGDATA" --username="$POSTGRES_USER" --pwfile=/tmp/pwfile \
    --auth-local=trust --auth-host=scram-sha-256 ${POSTGRES_INITDB_ARGS:-} >/dev/null
  rm /tmp/pwfile
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  run "$BIN/pg_ctl" -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  if [ "${POSTGRES_DB:-$POSTGRES_USER}" != "postgres" ]; then
    run psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres \
      -c "CREATE DATABASE \"${POSTGRES_DB:-$POSTGRES_USER}\"" >/dev/null
  fi
  run "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec runuser -u postgres -- "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*'
