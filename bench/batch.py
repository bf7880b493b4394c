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
Env: PG (postgres://postgres@127.0.0.1:5432), ROUNDS (7)
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

PORT = 18462
OPS = 100


def request(conn, method, path, body=None, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, data


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    sqlite = "--sqlite" in sys.argv
    binary = args[0] if args else "target/release/taskpulse"
    rounds = int(os.environ.get("ROUNDS", "7"))
    workdir = tempfile.mkdtemp(prefix="taskpulse-batch-")
    if sqlite:
        url = f"sqlite://{workdir}/batch.db"
    else:
        pg = os.environ.get("PG", "postgres://postgres@127.0.0.1:5432")
        subprocess.run(
            ["psql", "-X", "-q", f"{pg}/postgres", "-c", "DROP DATABASE IF EXISTS taskpulse_batch WITH (FORCE)",
             "-c", "CREATE DATABASE taskpulse_batch"],
            check=True,
        )
        url = f"{pg}/taskpulse_batch"
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
            started = time.perf_counter()
            for n in range(OPS):
                status, _ = request(conn, "POST", tasks, {"title": f"single {round_}.{n}"}, token)
                assert status == 201, status
            singles.append(time.perf_counter() - started)
            ops = [{"op": "create", "body": {"title": f"batched {round_}.{n}"}} for n in range(OPS)]
            started = time.perf_counter()
            status, data = request(conn, "POST", f"{tasks}/batch", {"ops": ops}, token)
            batches.append(time.perf_counter() - started)
            assert status == 200, (status, data[:200])
            assert json.loads(data)["applied"], data[:200]
        single, batch = statistics.median(singles), statistics.median(batches)
        print(f"{OPS} creates on one connection, {rounds} rounds, {'SQLite' if sqlite else 'PostgreSQL'}")
        print(f"  {OPS} single creates  median {single * 1000:8.1f} ms")
        print(f"  one batch of {OPS}    median {batch * 1000:8.1f} ms")
        print(f"  batch speed-up           {single / batch:8.1f}x  (target: at least 20x)")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
