#!/usr/bin/env bash
# Two (or more) taskpulse binaries measured back to back on PostgreSQL:
# each round runs every binary once, in turn, on a fresh database, through
# the shared wrk scenarios; then each scenario's median over the rounds,
# and every binary's as a % of the first's. Alternating in rounds keeps a
# noisy machine's drift out of the ratios.
#
# Usage: bench/compare.sh BASELINE_BIN OTHER_BIN...
#   e.g. git worktree add /tmp/before <commit> &&
#        (cd /tmp/before && cargo build --release -p taskpulse-api) &&
#        bench/compare.sh "$CARGO_TARGET_DIR/release/taskpulse" ...
# Env:   ROUNDS (3)  DURATION (5s) CONNS (16) WARMUP (2s)
#        SCENARIOS ("get_one list mixed create")
#        PG_OPTS   URL options, e.g. sslmode=require (default none: TLS
#                  when the server offers it)
#        PG (postgres://postgres@127.0.0.1:5432)  HARNESS (../shared/bench)
set -euo pipefail
cd "$(dirname "$0")/.."
(($# >= 2)) || { echo "usage: bench/compare.sh BASELINE_BIN OTHER_BIN..." >&2; exit 2; }
HARNESS=$(realpath "${HARNESS:-../shared/bench}")
PG=${PG:-postgres://postgres@127.0.0.1:5432}
PG_OPTS=${PG_OPTS-}
ROUNDS=${ROUNDS:-3}
export DURATION=${DURATION:-5s} CONNS=${CONNS:-16} WARMUP=${WARMUP:-2s}
export SCENARIOS=${SCENARIOS:-get_one list mixed create}
LOG_ROOT=${LOG_ROOT:-/tmp/taskpulse_compare}
PORT=8093
mkdir -p "$LOG_ROOT"
results=$LOG_ROOT/results.txt
: >"$results"
pid=
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null || true' EXIT

for round in $(seq "$ROUNDS"); do
  for bin in "$@"; do
    psql -X -q "$PG/postgres" -c "DROP DATABASE IF EXISTS taskpulse_compare WITH (FORCE)" \
      -c "CREATE DATABASE taskpulse_compare" -c CHECKPOINT
    (cd "$LOG_ROOT" && exec env APP_ENV=production \
      DATABASE_URL="$PG/taskpulse_compare${PG_OPTS:+?$PG_OPTS}" \
      SECRET_KEY=bench-secret-of-at-least-thirty-two-bytes \
      TASKPULSE__SERVER__HOST=127.0.0.1 TASKPULSE__SERVER__PORT=$PORT TASKPULSE__SERVER__WORKERS=2 \
      TASKPULSE__SERVER__HSTS=false TASKPULSE__LOG__LEVEL=warn TASKPULSE__METRICS__LISTEN= \
      TASKPULSE__AUTH__RATE_LIMIT_PER_MINUTE=1000000 TASKPULSE__AUTH__MAX_FAILED_LOGINS=1000000 \
      "$bin" serve >"$LOG_ROOT/server.log" 2>&1) &
    pid=$!
    echo "round $round: $bin" >&2
    LOG_DIR=$LOG_ROOT/wrk BENCH_DATA=$LOG_ROOT/seed.json \
      SEED_ARGS="--auth-prefix /api/v1/auth --tasks-template /api/v1/users/{uid}/tasks" \
      bash "$HARNESS/run.sh" "http://127.0.0.1:$PORT" >/dev/null
    for s in $SCENARIOS; do
      sed -n 's/^RESULT \([a-z_]*\) rps=\([0-9.]*\) .*p99_ms=\([0-9.]*\) .*/\1 \2 \3/p' "$LOG_ROOT/wrk/$s.txt" |
        sed "s|^|$bin |" >>"$results"
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
    sleep 1
  done
done

python3 - "$results" "$@" <<'PY'
import statistics, sys
path, bins = sys.argv[1], sys.argv[2:]
runs = {}
for line in open(path):
    bin, scenario, rate, p99 = line.split()
    runs.setdefault((bin, scenario), []).append((float(rate), float(p99)))
scenarios = list(dict.fromkeys(s for _, s in runs))
print(f"{'scenario':10} {'binary':40} {'req/s':>9} {'p99 ms':>8} {'req/s %':>8} {'p99 %':>7}  runs (req/s)")
for s in scenarios:
    base = None
    for b in bins:
        r = runs.get((b, s), [])
        if not r:
            continue
        rate = statistics.median(x[0] for x in r)
        p99 = statistics.median(x[1] for x in r)
        base = base or (rate, p99)
        print(f"{s:10} {b[-40:]:40} {rate:9.0f} {p99:8.2f} {100 * rate / base[0]:7.1f}% "
              f"{100 * p99 / base[1]:6.1f}%  {' '.join(str(int(x[0])) for x in r)}")
PY
