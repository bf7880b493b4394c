"""What the benchmark scripts share: their command line
(`[path/to/taskpulse] [--sqlite]`), a `taskpulse` server started on a fresh
database, and one JSON request on a keep-alive connection.

Env: PG (postgres://postgres@127.0.0.1:5432)
"""

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request


def request(conn, method, path, body=None, token=None):
    """Sends one request on `conn`; answers its status and body."""
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, data


def uses_sqlite():
    """Whether the command line asks for SQLite rather than PostgreSQL."""
    return "--sqlite" in sys.argv


@contextlib.contextmanager
def started(name, port, sqlite=None, settings=None):
    """Runs the binary named on the command line (target/release/taskpulse
    by default) on `port` until the block ends, on a fresh PostgreSQL
    database `taskpulse_{name}`, or on a SQLite file of a new temporary
    directory with --sqlite (or `sqlite=True`), with `settings` (environment
    variables) added; the block starts once /health answers, and is given
    the server's process."""
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    binary = args[0] if args else "target/release/taskpulse"
    workdir = tempfile.mkdtemp(prefix=f"taskpulse-{name}-")
    if uses_sqlite() if sqlite is None else sqlite:
        url = f"sqlite://{workdir}/{name}.db"
    else:
        pg = os.environ.get("PG", "postgres://postgres@127.0.0.1:5432")
        database = f"taskpulse_{name}"
        subprocess.run(
            ["psql", "-X", "-q", f"{pg}/postgres", "-c", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)",
             "-c", f"CREATE DATABASE {database}"],
            check=True,
        )
        url = f"{pg}/{database}"
    env = dict(
        os.environ,
        APP_ENV="test",
        TASKPULSE__SERVER__PORT=str(port),
        TASKPULSE__DATABASE__URL=url,
        TASKPULSE__AUTH__RATE_LIMIT_PER_MINUTE="100000",
        TASKPULSE__LOG__LEVEL="warn",
        **(settings or {}),
    )
    server = subprocess.Popen([os.path.abspath(binary)], cwd=workdir, env=env)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health")
                break
            except OSError:
                time.sleep(0.1)
        yield server
    finally:
        server.terminate()
        server.wait()
