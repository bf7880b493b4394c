#!/usr/bin/env python3
"""Personal access token against access token: what does getting one task
cost with a `tp_pat_…` token, compared with a TaskPulse access token?
(Issue #24 asks for at most 10 % more.)

Starts the release `taskpulse` binary on a fresh PostgreSQL database (or the
SQLite file of a temporary directory with --sqlite), registers one user,
creates a task and a personal access token with `tasks:read`, then
alternates ROUNDS times: REQUESTS `GET .../tasks/{id}` with the access
token, and as many with the personal access token, each on one keep-alive
connection. Prints the median time per request of each and their ratio.

    cargo build --release -p taskpulse-api
    python3 bench/pat.py [path/to/taskpulse] [--sqlite]
Env: PG (postgres://postgres@127.0.0.1:5432), ROUNDS (7), REQUESTS (2000)
"""

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

PORT = 18463
PASSWORD = "a fine passphrase"


def request(conn, method, path, body=None, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, data


def timed(conn, path, token, requests):
    """Seconds per request of `requests` GETs of `path` with `token`."""
    started = time.perf_counter()
    for _ in range(requests):
        status, _ = request(conn, "GET", path, token=token)
        assert status == 200, status
    return (time.perf_counter() - started) / requests


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    sqlite = "--sqlite" in sys.argv
    binary = args[0] if args else "target/release/taskpulse"
    rounds = int(os.environ.get("ROUNDS", "7"))
    requests = int(os.environ.get("REQUESTS", "2000"))
    workdir = tempfile.mkdtemp(prefix="taskpulse-pat-")
    if sqlite:
        url = f"sqlite://{workdir}/pat.db"
    else:
        pg = os.environ.get("PG", "postgres://postgres@127.0.0.1:5432")
        subprocess.run(
            ["psql", "-X", "-q", f"{pg}/postgres", "-c", "DROP DATABASE IF EXISTS taskpulse_pat WITH (FORCE)",
             "-c", "CREATE DATABASE taskpulse_pat"],
            check=True,
        )
        url = f"{pg}/taskpulse_pat"
    env = dict(
        os.environ,
        APP_ENV="test",
        TASKPULSE__SERVER__PORT=str(PORT),
        TASKPULSE__DATABASE__URL=url,
        TASKPULSE__AUTH__RATE_LIMIT_PER_MINUTE="100000",
        TASKPULSE__LOG__LEVEL="warn",
    )
    server = subprocess.Popen([os.path.abspath(binary)], cwd=workdir, env=env)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health")
                break
            except OSError:
                time.sleep(0.1)
        conn = http.client.HTTPConnection("127.0.0.1", PORT)
        credentials = {"name": "P", "email": "pat@example.com", "password": PASSWORD}
        status, data = request(conn, "POST", "/api/v1/auth/register", credentials)
        assert status == 201, (status, data)
        body = json.loads(data)
        token, user = body["access_token"], body["user"]["id"]
        status, data = request(conn, "POST", f"/api/v1/users/{user}/tasks", {"title": "Benchmark"}, token)
        assert status == 201, (status, data)
        path = f"/api/v1/users/{user}/tasks/{json.loads(data)['id']}"
        made = {"name": "bench", "scopes": ["tasks:read"], "current_password": PASSWORD}
        status, data = request(conn, "POST", "/api/v1/auth/tokens", made, token)
        assert status == 201, (status, data)
        pat = json.loads(data)["token"]
        timed(conn, path, token, requests // 10)
        timed(conn, path, pat, requests // 10)
        access, personal = [], []
        for _ in range(rounds):
            access.append(timed(conn, path, token, requests))
            personal.append(timed(conn, path, pat, requests))
        a, p = statistics.median(access), statistics.median(personal)
        print(f"GET one task, {requests} requests on one connection, {rounds} rounds, "
              f"{'SQLite' if sqlite else 'PostgreSQL'}")
        print(f"  access token            median {a * 1e6:8.1f} us per request")
        print(f"  personal access token   median {p * 1e6:8.1f} us per request")
        print(f"  ratio (personal/access)        {p / a:8.3f}  (target: at most 1.10)")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
