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
Env: PG (postgres://postgres@127.0.0.1:5432), ROUNDS (7), REQUESTS (2000);
the server is started as bench/server.py does.
"""

import http.client
import json
import os
import statistics
import time

from server import request, started, uses_sqlite

PORT = 18463
PASSWORD = "a fine passphrase"


def timed(conn, path, token, requests):
    """Seconds per request of `requests` GETs of `path` with `token`."""
    began = time.perf_counter()
    for _ in range(requests):
        status, _ = request(conn, "GET", path, token=token)
        assert status == 200, status
    return (time.perf_counter() - began) / requests


def main():
    sqlite = uses_sqlite()
    rounds = int(os.environ.get("ROUNDS", "7"))
    requests = int(os.environ.get("REQUESTS", "2000"))
    with started("pat", PORT):
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


if __name__ == "__main__":
    main()
