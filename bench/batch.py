#!/usr/bin/env python3
"""Batch against single creates: is one batch of 100 creates at least 20x
faster than 100 single creates sent one after the other over the same
connection?

Starts the release `taskpulse` binary on a fresh PostgreSQL database (or the
SQLite file of a temporary directory with --sqlite), registers one user, then
alternates ROUNDS times: 100 `POST .../tasks` on one keep-alive connection,
and one `POST .../tasks/batch` of 100 creates on it. Prints both medians
and their ratio.

    cargo build --release -p taskpulse-api
    python3 bench/batch.py [path/to/taskpulse] [--sqlite]
Env: PG (postgres://postgres@127.0.0.1:5432), ROUNDS (7); the server is
started as bench/server.py does.
"""

import http.client
import json
import os
import statistics
import time

from server import request, started, uses_sqlite

PORT = 18462
OPS = 100


def main():
    sqlite = uses_sqlite()
    rounds = int(os.environ.get("ROUNDS", "7"))
    with started("batch", PORT):
        conn = http.client.HTTPConnection("127.0.0.1", PORT)
        credentials = {"name": "B", "email": "batch@example.com", "password": "a fine passphrase"}
        status, data = request(conn, "POST", "/api/v1/auth/register", credentials)
        assert status == 201, (status, data)
        status, data = request(conn, "POST", "/api/v1/auth/login", credentials)
        assert status == 200, (status, data)
        token = json.loads(data)["access_token"]
        status, data = request(conn, "GET", "/api/v1/auth/me", token=token)
        user = json.loads(data)["id"]
        tasks = f"/api/v1/users/{user}/tasks"
        singles, batches = [], []
        for round_ in range(rounds):
            began = time.perf_counter()
            for n in range(OPS):
                status, _ = request(conn, "POST", tasks, {"title": f"single {round_}.{n}"}, token)
                assert status == 201, status
            singles.append(time.perf_counter() - began)
            ops = [{"op": "create", "body": {"title": f"batched {round_}.{n}"}} for n in range(OPS)]
            began = time.perf_counter()
            status, data = request(conn, "POST", f"{tasks}/batch", {"ops": ops}, token)
            batches.append(time.perf_counter() - began)
            assert status == 200, (status, data[:200])
            assert json.loads(data)["applied"], data[:200]
        single, batch = statistics.median(singles), statistics.median(batches)
        print(f"{OPS} creates on one connection, {rounds} rounds, {'SQLite' if sqlite else 'PostgreSQL'}")
        print(f"  {OPS} single creates  median {single * 1000:8.1f} ms")
        print(f"  one batch of {OPS}    median {batch * 1000:8.1f} ms")
        print(f"  batch speed-up           {single / batch:8.1f}x  (target: at least 20x)")


if __name__ == "__main__":
    main()
