#!/usr/bin/env bash
# The change feed's reads against the reads they must keep up with (issue
# #22), on one server and one PostgreSQL database, in alternating rounds:
#   get_one     GET …/tasks/{id}
#   list_50     GET …/tasks?limit=50
#   list_304    the same with If-None-Match: its ETag (answered 304)
#   sync_empty  GET …/changes?cursor=… with nothing new
#   sync_100    GET …/changes?cursor=…&limit=100 with 100 tasks changed
# Prints each one's median req/s and its ratio to get_one and to list_50.
# Targets: sync_empty and list_304 >= get_one; sync_100 >= list_50.
#
# Usage: bench/sync.sh [path/to/taskpulse]   (a release build)
# Env:   ROUNDS (3) DURATION (5s) CONNS (16) PG (postgres://postgres@127.0.0.1:5432)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-${CARGO_TARGET_DIR:-target}/release/taskpulse}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-5s} CONNS=${CONNS:-16}
PORT=8094 BASE=http://127.0.0.1:8094
WORK=$(mktemp -d)
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
pid=
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; rm -rf "$WORK"' EXIT

psql -X -q "$PG/postgres" -c "DROP DATABASE IF EXISTS taskpulse_sync_bench WITH (FORCE)" \
  -c "CREATE DATABASE taskpulse_sync_bench"
APP_ENV=production DATABASE_URL="$PG/taskpulse_sync_bench" \
  SECRET_KEY=bench-secret-of-at-least-thirty-two-bytes \
  TASKPULSE__SERVER__HOST=127.0.0.1 TASKPULSE__SERVER__PORT=$PORT TASKPULSE__SERVER__WORKERS=2 \
  TASKPULSE__SERVER__HSTS=false TASKPULSE__LOG__LEVEL=warn TASKPULSE__METRICS__LISTEN= \
  TASKPULSE__AUTH__RATE_LIMIT_PER_MINUTE=1000000 "$BIN" serve >"$WORK/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fsS -o /dev/null "$BASE/health" 2>/dev/null && break; sleep 0.1; done

# One user with 150 tasks; a cursor at the head, then 100 more tasks.
python3 - "$BASE" >"$WORK/seed.env" <<'PY'
import json, sys, urllib.request, uuid
base = sys.argv[1]
def call(method, path, body=None, token=None):
    request = urllib.request.Request(base + path, method=method,
        data=json.dumps(body).encode() if body is not None else None)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null"), response.headers
user, _ = call("POST", "/api/v1/auth/register",
    {"name": "Bench", "email": f"{uuid.uuid4().hex}@example.com", "password": "bench passphrase"})
token, uid = user["access_token"], user["user"]["id"]
tasks = f"/api/v1/users/{uid}/tasks"
def create(n, prefix):
    for start in range(0, n, 100):
        ops = [{"op": "create", "body": {"title": f"{prefix} {i}", "description": "A task of the benchmark"}}
               for i in range(start, min(n, start + 100))]
        call("POST", tasks + "/batch", {"ops": ops}, token)
def head():
    cursor, more = None, True
    while more:
        page, _ = call("GET", f"/api/v1/users/{uid}/changes?limit=1000" + (f"&cursor={cursor}" if cursor else ""), token=token)
        cursor, more = page["cursor"], page["has_more"]
    return cursor
create(150, "Old")
behind = head()
create(100, "New")
latest = head()
listed, headers = call("GET", tasks + "?limit=50", token=token)
import shlex
for name, value in [
    ("TOKEN", token),
    ("GET_ONE", f"{tasks}/{listed[0]['id']}"),
    ("LIST_50", f"{tasks}?limit=50"),
    ("ETAG", headers["etag"]),
    ("SYNC_EMPTY", f"/api/v1/users/{uid}/changes?cursor={latest}"),
    ("SYNC_100", f"/api/v1/users/{uid}/changes?cursor={behind}&limit=100"),
]:
    print(f"{name}={shlex.quote(value)}")
PY
# shellcheck disable=SC1091
source "$WORK/seed.env"
export TOKEN

run() { # scenario path [validator]
  REQ_PATH=$2 IF_NONE_MATCH=${3:-} wrk -t1 -c"$CONNS" -d"$DURATION" -s bench/sync_reads.lua "$BASE" \
    | awk -v s="$1" '/^RESULT/ {print s, $2, $3, $4, $5}'
}
# With PROFILE=1, instead: the server's and PostgreSQL's CPU time per
# request (clock ticks of /proc, over one run of each).
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
cpu() {
  local pg=0
  for p in $(pgrep -x postgres); do pg=$((pg + $(ticks "$p"))); done
  echo "$(ticks "$pid") $pg"
}
if [[ ${PROFILE:-0} == 1 ]]; then
  seconds=${DURATION%s}
  for scenario in get_one:GET_ONE list_50:LIST_50 sync_100:SYNC_100; do
    variable=${scenario#*:}
    read -r sv0 pg0 < <(cpu)
    rate=$(run "${scenario%%:*}" "${!variable}" | awk '{print $2}')
    read -r sv1 pg1 < <(cpu)
    awk -v s="${scenario%%:*}" -v r="$rate" -v t="$seconds" -v sv=$((sv1 - sv0)) -v pg=$((pg1 - pg0)) -v hz="$(getconf CLK_TCK)" \
      'BEGIN {n = r * t; printf "%-10s %8.0f req/s  server %5.0f us/req  postgres %5.0f us/req\n", s, r, sv / hz * 1e6 / n, pg / hz * 1e6 / n}'
  done
  exit 0
fi
SCENARIOS=(get_one list_50 list_304 sync_empty sync_100)
for _ in $(seq 1 "$ROUNDS"); do
  run get_one "$GET_ONE"
  run list_50 "$LIST_50"
  run list_304 "$LIST_50" "$ETAG"
  run sync_empty "$SYNC_EMPTY"
  run sync_100 "$SYNC_100"
done >"$WORK/runs.txt"

awk '
  { n[$1]++; rate[$1, n[$1]] = $2; p99[$1, n[$1]] = $4; errors[$1] += $5 }
  function median(s, arr,   i, j, k, t, v) {
    k = n[s]; for (i = 1; i <= k; i++) v[i] = arr[s, i]
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return v[int((k + 1) / 2)]
  }
  END {
    split("get_one list_50 list_304 sync_empty sync_100", order, " ")
    for (i = 1; i <= 5; i++) m[order[i]] = median(order[i], rate)
    printf "%-11s %10s %9s %10s %10s %7s\n", "scenario", "req/s", "p99 ms", "/get_one", "/list_50", "errors"
    for (i = 1; i <= 5; i++) {
      s = order[i]
      printf "%-11s %10.0f %9.2f %9.2fx %9.2fx %7d\n", s, m[s], median(s, p99), m[s] / m["get_one"], m[s] / m["list_50"], errors[s]
    }
  }' "$WORK/runs.txt"
grep -q . "$WORK/runs.txt" || { cat "$WORK/server.log"; exit 1; }
