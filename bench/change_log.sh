#!/usr/bin/env bash
# What recording the change log costs PostgreSQL (issue #22): pgbench runs
# the statements the server sends, on three databases migrated by the
# server binary: without the log's triggers ("off"), with migration 19's
# row triggers ("row"), and with the set-based triggers of migration 20
# ("set"), in alternating rounds. Commits do not wait for the disk
# (synchronous_commit=off), so the figures are the statements' own work.
#
# Usage: bench/change_log.sh [path/to/taskpulse]
# Env:   PG (postgres://postgres@127.0.0.1:5432) SECONDS_PER_RUN (5) ROUNDS (3)
set -euo pipefail
BIN=${1:-${CARGO_TARGET_DIR:-target}/release/taskpulse}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
T=${SECONDS_PER_RUN:-5} ROUNDS=${ROUNDS:-3}
WORK=$(mktemp -d)
OWNER=00000000-0000-4000-8000-000000000001
VARIANTS=(off row set)
trap 'for v in "${VARIANTS[@]}"; do psql -X -q "$PG/postgres" -c "DROP DATABASE IF EXISTS bench_log_$v" 2>/dev/null; done; rm -rf "$WORK"' EXIT

for v in "${VARIANTS[@]}"; do
  psql -X -q "$PG/postgres" -c "DROP DATABASE IF EXISTS bench_log_$v" -c "CREATE DATABASE bench_log_$v"
  DATABASE_URL="$PG/bench_log_$v" "$BIN" migrate up >/dev/null 2>&1
  [ "$v" = set ] || DATABASE_URL="$PG/bench_log_$v" "$BIN" migrate down >/dev/null 2>&1
  psql -X -q "$PG/bench_log_$v" <<SQL
INSERT INTO users (id, email, name, password_hash, created_at, updated_at)
VALUES ('$OWNER', 'bench@example.com', 'Bench', 'x', now(), now());
INSERT INTO tasks (user_id, title, created_at, updated_at, position)
SELECT '$OWNER', 'Seed ' || g, now(), now(), g FROM generate_series(1, 1000) g;
SQL
  [ "$v" = off ] && psql -X -q "$PG/bench_log_$v" -c "ALTER TABLE tasks DISABLE TRIGGER USER"
done

# Each transaction as the server sends it: the owner's lock, then the write.
cat >"$WORK/insert_1.sql" <<SQL
BEGIN;
SELECT 1 FROM users WHERE id = '$OWNER' FOR NO KEY UPDATE;
INSERT INTO tasks (user_id, title, created_at, updated_at, position) VALUES ('$OWNER', 'One', now(), now(), 1);
COMMIT;
SQL
cat >"$WORK/insert_100.sql" <<SQL
BEGIN;
SELECT 1 FROM users WHERE id = '$OWNER' FOR NO KEY UPDATE;
INSERT INTO tasks (user_id, title, created_at, updated_at, position)
SELECT '$OWNER', 'Batch ' || g, now(), now(), g FROM generate_series(1, 100) g;
COMMIT;
SQL
cat >"$WORK/update_1.sql" <<SQL
\set id random(1, 1000)
BEGIN;
SELECT 1 FROM users WHERE id = '$OWNER' FOR NO KEY UPDATE;
UPDATE tasks SET title = 'Edited', version = version + 1, updated_at = now() WHERE user_id = '$OWNER' AND id = :id;
COMMIT;
SQL
cat >"$WORK/update_100.sql" <<SQL
\set first random(1, 900)
BEGIN;
SELECT 1 FROM users WHERE id = '$OWNER' FOR NO KEY UPDATE;
UPDATE tasks SET labels = 'Renamed', version = version + 1, updated_at = now()
WHERE user_id = '$OWNER' AND id BETWEEN :first AND :first + 99;
COMMIT;
SQL

printf '%-11s' statement; for v in "${VARIANTS[@]}"; do printf ' %14s' "$v (ms)"; done; printf ' %9s %9s\n' row/off set/off
for script in insert_1 insert_100 update_1 update_100; do
  declare -A runs=()
  for _ in $(seq 1 "$ROUNDS"); do
    for v in "${VARIANTS[@]}"; do
      ms=$(PGOPTIONS='-c synchronous_commit=off' pgbench -n -c 1 -T "$T" -f "$WORK/$script.sql" "$PG/bench_log_$v" 2>/dev/null \
        | awk '/latency average/ {print $4}')
      runs[$v]="${runs[$v]:-} $ms"
    done
  done
  printf '%-11s' "$script"
  declare -A median=()
  for v in "${VARIANTS[@]}"; do
    median[$v]=$(echo "${runs[$v]}" | tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    printf ' %14.3f' "${median[$v]}"
  done
  awk -v r="${median[row]}" -v s="${median[set]}" -v o="${median[off]}" 'BEGIN {printf " %8.2fx %8.2fx\n", r/o, s/o}'
  unset runs median
done
