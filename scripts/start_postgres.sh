#!/usr/bin/env bash
# Starts the machine's PostgreSQL 15 for the repository tests and prints a URL for them.
# The database "ragbot_test" (user ragbot, password ragbot) is created when missing.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null; then
  echo "PostgreSQL is not installed: apt-get install postgresql-15" >&2
  exit 1
fi
cluster_up() { pg_lsclusters --no-header 15 main 2>/dev/null | grep -q online; }
as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi
}
if ! cluster_up; then
  if [ "$(id -u)" = 0 ]; then pg_ctlcluster 15 main start >&2; else sudo pg_ctlcluster 15 main start >&2; fi
fi
as_postgres "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='ragbot'\" | grep -q 1 || psql -qc \"CREATE ROLE ragbot LOGIN PASSWORD 'ragbot'\"" >&2
as_postgres "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='ragbot_test'\" | grep -q 1 || createdb -O ragbot ragbot_test" >&2
# Only the URL goes to stdout: the Makefile reads it.
echo "postgresql+asyncpg://ragbot:ragbot@127.0.0.1:5432/ragbot_test"
