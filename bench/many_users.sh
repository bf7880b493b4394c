#!/usr/bin/env bash
# Many-users scenario: seeds USERS users x TASKS_PER_USER tasks directly in
# the server's PostgreSQL database with SQL (10 000 x 100 = 1 000 000 task
# rows by default), mints each user an access token with the server's
# secret (bench/many_users_tokens.py), then runs wrk with
# bench/many_users.lua: every request picks a random user and a random one
# of that user's tasks, 70 % GET one / 20 % GET list (?limit=50) / 10 %
# PATCH .../complete. Prints the harness's table (median of REPEAT runs).
#
# Usage: bench/many_users.sh BASE_URL DATABASE_URL
#   e.g. SECRET_KEY=... bench/many_users.sh http://127.0.0.1:8090 postgres://postgres@127.0.0.1:5432/taskpulse_bench
# The server must be migrated on DATABASE_URL and sign tokens with SECRET_KEY.
# Env:   SECRET_KEY  the server's auth secret (default: bench/run.sh's)
#        USERS (10000) TASKS_PER_USER (100)
#        DURATION (10s) CONNS (16) THREADS (1) WARMUP (2s) REPEAT (3)
#        MIX (70/20/10)  GET one / list / PATCH complete, in percent
#        LIST_QUERY (?limit=50)
#        AUTH_PREFIX (/api/v1/auth) TASKS_TEMPLATE (/api/v1/users/{uid}/tasks)
#        LOG_DIR (/tmp/taskpulse_bench/many_users)  wrk outputs, seed files
#        CLEANUP (1)  delete the seeded users (and their tasks) at the end
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BASE_URL=${1:?usage: many_users.sh BASE_URL DATABASE_URL}
BASE_URL=${BASE_URL%/}
DB_URL=${2:?usage: many_users.sh BASE_URL DATABASE_URL}
export SECRET_KEY=${SECRET_KEY:-bench-secret-of-at-least-thirty-two-bytes}
USERS=${USERS:-10000} TASKS_PER_USER=${TASKS_PER_USER:-100}
DURATION=${DURATION:-10s} CONNS=${CONNS:-16} THREADS=${THREADS:-1} WARMUP=${WARMUP:-2s} REPEAT=${REPEAT:-3}
AUTH_PREFIX=${AUTH_PREFIX:-/api/v1/auth}
default_template='/api/v1/users/{uid}/tasks' # (a literal: a } would end ${…:-…})
TASKS_TEMPLATE=${TASKS_TEMPLATE:-$default_template}
LOG_DIR=${LOG_DIR:-/tmp/taskpulse_bench/many_users}
CLEANUP=${CLEANUP:-1}
mkdir -p "$LOG_DIR"
export MANY_DATA=$LOG_DIR/many_users.txt MIX=${MIX:-70/20/10} LIST_QUERY=${LIST_QUERY:-?limit=50}
RUN=$(date +%s)-$$
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$DB_URL" "$@"; }

curl -fsS -o /dev/null "$BASE_URL/health" || { echo "server not up at $BASE_URL" >&2; exit 1; }
if [[ $CLEANUP == 1 ]]; then
  trap 'psql -c "DELETE FROM users WHERE email LIKE '"'"'many-$RUN-%'"'"'" || true' EXIT
fi

# One user registered through the API: its bcrypt hash becomes every seeded
# user's, so they can all sign in with the bench password too.
template=many-$RUN-template@example.com
curl -fsS -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"name\":\"Many template\",\"email\":\"$template\",\"password\":\"Tp-bench-7c1e9a!\"}" \
  "$BASE_URL$AUTH_PREFIX/register"

# Users, then their tasks with ids of our own: user n gets
# base + (n-1)*TASKS_PER_USER + 1 .. base + n*TASKS_PER_USER, base being the
# largest id stored or drawn so far (the table locked against other writers
# meanwhile); then the sequence moves past them.
start=$(date +%s.%N)
psql -At -F, -v users="$USERS" -v tpu="$TASKS_PER_USER" -v run="$RUN" -v template="$template" \
  >"$LOG_DIR/seed.csv" <<'SQL'
BEGIN;
CREATE TEMP TABLE many_seed ON COMMIT DROP AS
  SELECT n, gen_random_uuid() AS id FROM generate_series(1, :users) AS n;
INSERT INTO users (id, email, name, password_hash, is_active, created_at, updated_at)
  SELECT s.id, 'many-' || :'run' || '-' || s.n || '@example.com', 'Many ' || s.n, t.password_hash, true, now(), now()
  FROM many_seed s, (SELECT password_hash FROM users WHERE email = :'template') t;
LOCK TABLE tasks IN SHARE ROW EXCLUSIVE MODE;
SELECT greatest(coalesce(max(id), 0), coalesce(pg_sequence_last_value(pg_get_serial_sequence('tasks', 'id')::regclass), 0)) AS base FROM tasks \gset
INSERT INTO tasks (id, user_id, title, description, completed, version, created_at, updated_at)
  SELECT :base + (s.n - 1) * :tpu + k, s.id, 'Task ' || k || ' of many ' || s.n,
    'Seeded task for load testing.', false, 1,
    now() - make_interval(secs => :tpu - k), now()
  FROM many_seed s CROSS JOIN generate_series(1, :tpu) AS k;
SELECT setval(pg_get_serial_sequence('tasks', 'id'), :base + :users * :tpu) AS seq \gset
SELECT n, id, :base + (n - 1) * :tpu + 1 FROM many_seed ORDER BY n;
COMMIT;
SQL
seeded=$(date +%s.%N)
psql -c "VACUUM ANALYZE users" -c "VACUUM ANALYZE tasks"
psql -c CHECKPOINT 2>/dev/null || true
analyzed=$(date +%s.%N)
python3 "$HERE/many_users_tokens.py" "$LOG_DIR/seed.csv" "$MANY_DATA" \
  --tasks-per-user "$TASKS_PER_USER" --tasks-template "$TASKS_TEMPLATE"
minted=$(date +%s.%N)
rows=$(psql -At -c "SELECT count(*) FROM tasks")
awk -v u="$USERS" -v t="$TASKS_PER_USER" -v a="$start" -v b="$seeded" -v c="$analyzed" -v d="$minted" -v r="$rows" \
  'BEGIN { printf "seeded %d users x %d tasks by SQL in %.1f s, VACUUM ANALYZE + CHECKPOINT %.1f s, tokens %.1f s (tasks table: %d rows)\n", u, t, b - a, c - b, d - c, r }'

if [[ $WARMUP != 0 && $WARMUP != 0s ]]; then
  wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s "$HERE/many_users.lua" "$BASE_URL" >"$LOG_DIR/warmup.txt"
fi
{
  echo "# $BASE_URL  $USERS users x $TASKS_PER_USER tasks, MIX $MIX  wrk -t$THREADS -c$CONNS -d$DURATION  (full outputs: $LOG_DIR)"
  for i in $(seq "$REPEAT"); do
    out=$LOG_DIR/run$i.txt
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$HERE/many_users.lua" "$BASE_URL" >"$out"
    # RESULT <name> rps=.. p50_ms=.. p99_ms=.. non2xx=.. requests=.. socket_errors=..
    grep '^RESULT ' "$out" | awk '{ for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      printf "%-8s %10s %9s %9s %7s %7s\n", $2, v["rps"], v["p50_ms"], v["p99_ms"], v["non2xx"], v["socket_errors"] }'
  done
} | python3 "$HERE/median.py"
