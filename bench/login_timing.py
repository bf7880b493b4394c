#!/usr/bin/env python3
"""Login timing: does a login's duration tell whether an email is registered?

Starts the release `taskpulse` binary on a fresh SQLite file with bcrypt at
cost 12 (lock-out and rate limit raised out of the way), registers one user,
then times 50 logins with unknown emails and 50 with the registered email and
a wrong password, interleaved, and prints both medians and their ratio.

    cargo build --release -p taskpulse-api
    python3 bench/login_timing.py [path/to/taskpulse]
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROUNDS = 50
PORT = 18461


def post(url, body):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.perf_counter() - started


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/taskpulse"
    workdir = tempfile.mkdtemp(prefix="taskpulse-timing-")
    env = dict(
        os.environ,
        APP_ENV="test",
        TASKPULSE__SERVER__PORT=str(PORT),
        TASKPULSE__DATABASE__URL=f"sqlite://{workdir}/timing.db",
        TASKPULSE__AUTH__BCRYPT_COST="12",
        TASKPULSE__AUTH__MAX_FAILED_LOGINS="100000",
        TASKPULSE__AUTH__RATE_LIMIT_PER_MINUTE="100000",
        TASKPULSE__LOG__LEVEL="warn",
    )
    server = subprocess.Popen([os.path.abspath(binary)], cwd=workdir, env=env)
    base = f"http://127.0.0.1:{PORT}/api/v1/auth"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health")
                break
            except OSError:
                time.sleep(0.1)
        status, _ = post(f"{base}/register", {"name": "T", "email": "known@example.com", "password": "a fine passphrase"})
        assert status == 201, status
        unknown, wrong = [], []
        for n in range(ROUNDS):
            status, seconds = post(f"{base}/login", {"email": f"nobody{n}@example.com", "password": "a wrong passphrase"})
            assert status == 401, status
            unknown.append(seconds)
            status, seconds = post(f"{base}/login", {"email": "known@example.com", "password": "a wrong passphrase"})
            assert status == 401, status
            wrong.append(seconds)
        m_unknown, m_wrong = statistics.median(unknown), statistics.median(wrong)
        print(f"logins at bcrypt cost 12, {ROUNDS} each, interleaved")
        print(f"  unknown email   median {m_unknown * 1000:8.1f} ms")
        print(f"  wrong password  median {m_wrong * 1000:8.1f} ms")
        print(f"  ratio unknown/wrong    {m_unknown / m_wrong:8.3f}  (target: 0.90-1.10)")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
