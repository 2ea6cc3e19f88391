#!/usr/bin/env bash
# Local PostgreSQL for development and CI on a machine without Docker: the Debian cluster (postgresql-15), a
# `ticketing` role with CREATEDB (tests create their own databases) and a `ticketing` database.
#   scripts/postgres.sh start|stop|status|url
# Idempotent: starting a running cluster or creating an existing role or database is fine.
set -euo pipefail
# runuser and the cluster tools live in sbin, which a minimal PATH (cron, env -i) leaves out.
PATH="$PATH:/usr/sbin:/sbin"

PG_VERSION=${TICKETING_PG_VERSION:-15}
PG_CLUSTER=${TICKETING_PG_CLUSTER:-main}
PG_PORT=${TICKETING_PG_PORT:-5432}
URL="postgres://ticketing:ticketing@127.0.0.1:${PG_PORT}/ticketing"

as_postgres() {
  if [[ $(id -un) == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi
}
psql_admin() {
  as_postgres psql --no-psqlrc -v ON_ERROR_STOP=1 -p "$PG_PORT" -qtA "$@"
}
ready() {
  pg_isready -h 127.0.0.1 -p "$PG_PORT" -q
}

start() {
  if ! command -v pg_ctlcluster >/dev/null; then
    echo "postgres.sh: pg_ctlcluster not found; installing postgresql-$PG_VERSION" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$PG_VERSION" >/dev/null
  fi
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$PG_VERSION $PG_CLUSTER"; then
    echo "postgres.sh: creating cluster $PG_VERSION/$PG_CLUSTER on port $PG_PORT" >&2
    pg_createcluster "$PG_VERSION" "$PG_CLUSTER" --port "$PG_PORT" >/dev/null
  fi
  # Concurrency tests open a few hundred connections across their pools.
  as_postgres pg_conftool "$PG_VERSION" "$PG_CLUSTER" set max_connections 300 >/dev/null
  if ! ready; then
    pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start
  fi
  for _ in $(seq 1 60); do
    ready && break
    sleep 0.5
  done
  if ! ready; then
    echo "postgres.sh: PostgreSQL did not accept connections within 30 s" >&2
    tail -n 20 "/var/log/postgresql/postgresql-${PG_VERSION}-${PG_CLUSTER}.log" >&2 || true
    exit 1
  fi
  if [[ $(psql_admin -c "show max_connections") -lt 300 ]]; then
    pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" restart
    until ready; do sleep 0.5; done
  fi
  psql_admin <<'SQL'
do $$
begin
  if not exists (select from pg_roles where rolname = 'ticketing') then
    create role ticketing login createdb password 'ticketing';
  end if;
end $$;
SQL
  if [[ -z $(psql_admin -c "select 1 from pg_database where datname = 'ticketing'") ]]; then
    psql_admin -c "create database ticketing owner ticketing"
  fi
  echo "$URL"
}

case "${1:-}" in
  start) start ;;
  stop)
    if ready; then pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop; fi
    ;;
  status)
    if ready; then echo running; else echo stopped; exit 1; fi
    ;;
  url) echo "$URL" ;;
  *)
    echo "usage: scripts/postgres.sh start|stop|status|url" >&2
    exit 2
    ;;
esac
