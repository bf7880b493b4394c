#!/usr/bin/env bash
# TaskPulse benchmark: builds the release binary, runs it on PostgreSQL and
# on SQLite (2 workers), seeds users and tasks, runs the shared wrk
# scenarios (get one, list of 50, create, mixed 70/20/10), a login storm at
# bcrypt cost 12 beside a get-one load, the database's own limits (pgbench
# GET-one SELECT and single-row INSERT at the same concurrency), and prints
# requests/s, p50, p99 and the server's peak RSS. On PostgreSQL it then runs
# the scenarios again with the server on sslmode=require and on
# sslmode=disable (TLS get one as a % of plain TCP's), and the many-users
# mixed load (bench/many_users.sh: 10 000 users x 100 tasks seeded by SQL).
# With --peers it measures the FastAPI original and the Loco peer the same
# way in the same run.
#
# Usage: bench/run.sh [--peers]
# Env:   HARNESS   the shared wrk harness (default ../shared/bench)
#        PEERS     the peers' directory (default ../shared/peers)
#        DURATION (10s) CONNS (16) WARMUP (2s)   as in the harness
#        REPEAT (3)  runs of each scenario, back to back; the table shows
#                    each figure's median and the range over the runs
#        DATABASES ("postgres sqlite")
#        PG_OPTS   URL options for every server and pgbench (default none:
#                  libpq and sqlx then use TLS when PostgreSQL offers it, as
#                  a new user's URL does); e.g. PG_OPTS=sslmode=disable
#        EXTRA ("tls many_users")  the PostgreSQL passes after the main one
#        USERS_MANY (10000) TASKS_PER_USER (100)  the many-users pass's size
#        BIN       a taskpulse binary to measure instead of building one
#        DB_PREFIX (taskpulse)  the databases are DB_PREFIX_bench, _tls, _many
#        LOG_ROOT  (/tmp/taskpulse_bench)
# Output: one table per server, then the storm and database lines, the TLS
# and many-users summaries; full wrk outputs under $LOG_ROOT
# (/tmp/taskpulse_bench).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
HARNESS=$(realpath "${HARNESS:-../shared/bench}")
PEERS=$(realpath "${PEERS:-../shared/peers}")
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/taskpulse/target}
export DURATION=${DURATION:-10s} CONNS=${CONNS:-16} WARMUP=${WARMUP:-2s}
DATABASES=${DATABASES:-postgres sqlite}
REPEAT=${REPEAT:-3}
# Each scenario REPEAT times in a row (create last: it grows the tables).
SCENARIOS=$(for s in get_one list mixed create; do for _ in $(seq "$REPEAT"); do printf '%s ' "$s"; done; done)
export SCENARIOS
LOG_ROOT=${LOG_ROOT:-/tmp/taskpulse_bench}
DB_PREFIX=${DB_PREFIX:-taskpulse} # databases DB_PREFIX_bench, _tls, _many
PG=${PG:-postgres://postgres@127.0.0.1:5432}
# Every server and pgbench connects with these URL options, the same for
# all. None by default: sqlx and libpq then negotiate TLS with a PostgreSQL
# that offers it (Debian's does), which is what a new user gets. The TLS
# pass below sets sslmode itself.
PG_OPTS=${PG_OPTS-}
with_opts() { echo "$1${PG_OPTS:+?$PG_OPTS}"; } # URL [+ ?PG_OPTS]
EXTRA=${EXTRA-tls many_users}
SECRET=bench-secret-of-at-least-thirty-two-bytes
PEERS_TOO=0
[[ ${1:-} == --peers ]] && PEERS_TOO=1
mkdir -p "$LOG_ROOT"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
# BIN: a binary built elsewhere (e.g. a previous release), nothing built then.
if [[ -z ${BIN:-} ]]; then
  cargo build --release -p taskpulse-api
  BIN=$CARGO_TARGET_DIR/release/taskpulse
fi

# Waits for a URL to answer: up to $2 seconds (default 20; the peers
# install or build themselves on their first start).
wait_up() { for _ in $(seq 1 $((${2:-20} * 10))); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
peak_rss_mib() { awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
# The PID of the process listening on a port (peers run behind wrapper scripts).
listener() { ss -ltnpH "sport = :$1" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1; }
fresh_db() { psql -X -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"; }

# Runs the harness against a server and prints its table with peak RSS.
measure() { # name base_url pid [harness env...]
  local name=$1 url=$2 pid=$3; shift 3
  echo "## $name"
  # Every server starts from a checkpointed database.
  psql -X -q "$PG/postgres" -c CHECKPOINT 2>/dev/null || true
  env LOG_DIR="$LOG_ROOT/$name" BENCH_DATA="$LOG_ROOT/$name.json" "$@" bash "$HARNESS/run.sh" "$url" |
    tail -n +2 | python3 "$ROOT/bench/median.py" | tee "$LOG_ROOT/$name.table"
  echo "peak RSS of $name: $(peak_rss_mib "$pid") MiB"
}
# The median req/s of a scenario in a table that measure wrote.
rate() { awk -v s="$2" '$1 == s { print $2 }' "$LOG_ROOT/$1.table"; }

start_taskpulse() { # port database_url
  (cd "$LOG_ROOT" && exec env APP_ENV=production DATABASE_URL="$2" SECRET_KEY="$SECRET" \
    TASKPULSE__SERVER__HOST=127.0.0.1 TASKPULSE__SERVER__PORT="$1" TASKPULSE__SERVER__WORKERS=2 \
    TASKPULSE__SERVER__HSTS=false TASKPULSE__LOG__LEVEL=warn TASKPULSE__AUTH__RATE_LIMIT_PER_MINUTE=1000000 \
    TASKPULSE__AUTH__MAX_FAILED_LOGINS=1000000 \
    "$BIN" serve >"$LOG_ROOT/taskpulse-$1.log" 2>&1) &
  PIDS+=($!)
  wait_up "http://127.0.0.1:$1/health"
  listener "$1"
}

for db in $DATABASES; do
  case $db in
    postgres) fresh_db "${DB_PREFIX}_bench"; url=$(with_opts "$PG/${DB_PREFIX}_bench") ;;
    sqlite) rm -f "$LOG_ROOT"/bench.db*; url="sqlite://$LOG_ROOT/bench.db" ;;
  esac
  pid=$(start_taskpulse 8090 "$url")
  PIDS+=("$pid") # the function's own PIDS+= ran in the $(…) subshell
  # The contract's canonical routes (the peers use their own).
  measure "taskpulse-$db" http://127.0.0.1:8090 "$pid" \
    SEED_ARGS="--auth-prefix /api/v1/auth --tasks-template /api/v1/users/{uid}/tasks"
  if [[ $db == postgres ]]; then
    # The database's own limits at the same concurrency.
    BENCH_DATA="$LOG_ROOT/taskpulse-postgres.json" CONNS=$CONNS DURATION=$DURATION \
      bash "$HARNESS/pg_limit.sh" "$url"
    user=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['users'][0]['id'])" "$LOG_ROOT/taskpulse-postgres.json")
    printf "INSERT INTO tasks (user_id, title, description, completed, version, created_at, updated_at) VALUES ('%s', 'pgbench', 'Seeded task for load testing.', false, 1, now(), now());\n" "$user" >"$LOG_ROOT/insert.sql"
    pgbench -n -M prepared -c "$CONNS" -j 1 -T "${DURATION%s}" -f "$LOG_ROOT/insert.sql" "$url" 2>&1 |
      awk -v c="$CONNS" '/^tps = / {printf "pg_limit single_row_insert tps=%.1f (pgbench -c%s, autocommit)\n", $3, c}'
    # Login storm at cost 12: one login at a time (one hash's time), 8
    # connections of logins alone (the hashing capacity), get-one on 8
    # connections alone, and the same beside the storm.
    export HARNESS BENCH_DATA="$LOG_ROOT/taskpulse-postgres.json"
    storm() { wrk -t1 -c"$1" -d"$DURATION" --latency --timeout 10s -s "$ROOT/bench/login.lua" http://127.0.0.1:8090; }
    get_one() { wrk -t1 -c8 -d"$DURATION" --latency -s "$HARNESS/get_one.lua" http://127.0.0.1:8090; }
    storm 1 >"$LOG_ROOT/one_login.txt"
    storm 8 >"$LOG_ROOT/storm_alone.txt"
    get_one >"$LOG_ROOT/alone.txt"
    storm 8 >"$LOG_ROOT/storm.txt" &
    get_one >"$LOG_ROOT/beside.txt"
    wait %1 2>/dev/null || wait
    python3 "$ROOT/bench/storm_report.py" "$LOG_ROOT"/{one_login,storm_alone,alone,beside,storm}.txt
    # List p50 of a user with 50 tasks, with 1 000 and then 1 000 000
    # other users' tasks in the table (1 000 other users). First back to
    # the 50 seeded tasks per bench user (create and pgbench added more).
    seeded=$(python3 -c "import json,sys; print(','.join(str(i) for u in json.load(open(sys.argv[1]))['users'] for i in u['task_ids']))" "$BENCH_DATA")
    psql -X -q "$url" -c "DELETE FROM tasks WHERE id NOT IN ($seeded)"
    psql -X -q "$url" -c "INSERT INTO users (id, email, name, password_hash, is_active, created_at, updated_at)
      SELECT gen_random_uuid(), 'other' || n || '@example.com', 'Other', 'x', true, now(), now()
      FROM generate_series(1, 1000) AS n"
    add_others() { # tasks per other user
      psql -X -q "$url" -c "INSERT INTO tasks (user_id, title, completed, version, created_at, updated_at)
        SELECT u.id, 'other ' || n, n % 2 = 0, 1, now(), now()
        FROM users u CROSS JOIN generate_series(1, $1) AS n WHERE u.email LIKE 'other%'" -c "VACUUM ANALYZE tasks" -c "CHECKPOINT"
    }
    list_p50_ms() {
      wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$HARNESS/list.lua" http://127.0.0.1:8090 |
        awk '$1 == "50%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
          printf "%.3f", v * (u == "us" ? 0.001 : (u == "s" ? 1000 : 1)) }'
    }
    add_others 1
    small=$(list_p50_ms)
    add_others 999
    large=$(list_p50_ms)
    awk -v s="$small" -v l="$large" 'BEGIN { printf "list p50 with 1 000 other tasks %.3f ms, with 1 000 000 %.3f ms (x%.2f; target <= 1.5)\n", s, l, l / s }'
  fi
  kill "$pid" 2>/dev/null || true
  sleep 1
done

if [[ " $DATABASES " == *" postgres "* ]]; then
  for pass in $EXTRA; do
    case $pass in
      tls)
        # The same scenarios with the server on TLS and on plain TCP, each
        # on a fresh database: TLS's cost on loopback.
        for mode in require disable; do
          fresh_db "${DB_PREFIX}_tls"
          pid=$(start_taskpulse 8091 "$PG/${DB_PREFIX}_tls?sslmode=$mode")
          PIDS+=("$pid")
          measure "taskpulse-postgres-$mode" http://127.0.0.1:8091 "$pid" \
            SEED_ARGS="--auth-prefix /api/v1/auth --tasks-template /api/v1/users/{uid}/tasks"
          kill "$pid" 2>/dev/null || true
          sleep 1
        done
        for s in get_one list mixed create; do
          awk -v s="$s" -v t="$(rate taskpulse-postgres-require "$s")" -v p="$(rate taskpulse-postgres-disable "$s")" \
            'BEGIN { if (t == "" || p == "") exit; printf "TLS %-8s %8.1f req/s against %8.1f on plain TCP: %5.1f %%%s\n", s, t, p, 100 * t / p, s == "get_one" ? " (target >= 80 %)" : "" }'
        done
        ;;
      many_users)
        # USERS_MANY users x TASKS_PER_USER tasks seeded by SQL, random
        # user and task per request, on the default URL like the main table.
        fresh_db "${DB_PREFIX}_many"
        url=$(with_opts "$PG/${DB_PREFIX}_many")
        pid=$(start_taskpulse 8092 "$url")
        PIDS+=("$pid")
        echo "## taskpulse-postgres-many-users"
        psql -X -q "$PG/postgres" -c CHECKPOINT 2>/dev/null || true
        SECRET_KEY=$SECRET USERS=${USERS_MANY:-10000} TASKS_PER_USER=${TASKS_PER_USER:-100} CLEANUP=0 \
          LOG_DIR="$LOG_ROOT/many_users" bash "$ROOT/bench/many_users.sh" http://127.0.0.1:8092 "$url" |
          tee "$LOG_ROOT/taskpulse-postgres-many-users.table"
        echo "peak RSS of taskpulse-postgres-many-users: $(peak_rss_mib "$pid") MiB"
        many=$(rate taskpulse-postgres-many-users many_mixed)
        four=$([[ -f $LOG_ROOT/taskpulse-postgres.table ]] && rate taskpulse-postgres mixed || true)
        [[ -n $many && -n $four ]] && awk -v m="$many" -v f="$four" \
          'BEGIN { printf "mixed with many users %.1f req/s against %.1f with 4 users: %.1f %%\n", m, f, 100 * m / f }'
        kill "$pid" 2>/dev/null || true
        sleep 1
        ;;
      *) echo "unknown EXTRA pass: $pass" >&2 ;;
    esac
  done
fi

if [[ $PEERS_TOO == 1 ]]; then
  fresh_db peer_fastapi
  (DATABASE_URL=$(with_opts "postgresql://${PG#*://}/peer_fastapi") WORKERS=2 PORT=8001 exec bash "$PEERS/fastapi_seed/run.sh" >"$LOG_ROOT/fastapi.log" 2>&1) &
  PIDS+=($!)
  wait_up http://127.0.0.1:8001/health 600
  measure fastapi http://127.0.0.1:8001 "$(listener 8001)"
  kill "$(listener 8001)" 2>/dev/null || true
  fresh_db peer_loco
  # The peer builds into its own target directory, not ours.
  (DATABASE_URL=$(with_opts "$PG/peer_loco") WORKERS=2 PORT=8002 exec env -u CARGO_TARGET_DIR bash "$PEERS/loco_todo/run.sh" >"$LOG_ROOT/loco.log" 2>&1) &
  PIDS+=($!)
  wait_up http://127.0.0.1:8002/_ping 1800
  measure loco http://127.0.0.1:8002 "$(listener 8002)" STYLE=loco HEALTH_PATH=/_ping
  kill "$(listener 8002)" 2>/dev/null || true
fi
