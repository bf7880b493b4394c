#!/usr/bin/env python3
"""Login timing: does a login's duration tell whether an email is registered,
or that an account is locked?

Starts the release `taskpulse` binary on a fresh SQLite file with bcrypt at
cost 12 (rate limit raised out of the way), registers two users, locks the
second with five wrong passwords, then times, interleaved, 50 logins each with
unknown emails, with the first user's email and a wrong password, and with the
locked user's email (the right and a wrong password in turn), checks that all
three answer the same status and body, and prints the medians and their ratios
to the wrong-password case. A correct login of the first user (not timed)
after every third round keeps it from being locked.

    cargo build --release -p taskpulse-api
    python3 bench/login_timing.py [path/to/taskpulse]
(the server is started as bench/server.py does)
"""

import json
import statistics
import time
import urllib.error
import urllib.request

import server

ROUNDS = 50
PORT = 18461


def post(url, body):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request) as response:
            status, answer = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, answer = error.code, error.read()
    seconds = time.perf_counter() - started
    body = json.loads(answer)
    body.pop("request_id", None)
    return status, body, seconds


def main():
    base = f"http://127.0.0.1:{PORT}/api/v1/auth"
    with server.started("timing", PORT, sqlite=True, settings={"TASKPULSE__AUTH__BCRYPT_COST": "12"}):
        for email in ("known@example.com", "locked@example.com"):
            status, _, _ = post(f"{base}/register", {"name": "T", "email": email, "password": "a fine passphrase"})
            assert status == 201, status
        for _ in range(5):
            post(f"{base}/login", {"email": "locked@example.com", "password": "a wrong passphrase"})
        times = {"unknown email": [], "wrong password": [], "locked account": []}
        answers = set()
        for n in range(ROUNDS):
            tries = {
                "unknown email": (f"nobody{n}@example.com", "a wrong passphrase"),
                "wrong password": ("known@example.com", "a wrong passphrase"),
                "locked account": ("locked@example.com", "a fine passphrase" if n % 2 else "a wrong passphrase"),
            }
            for case, (email, password) in tries.items():
                status, body, seconds = post(f"{base}/login", {"email": email, "password": password})
                answers.add((status, json.dumps(body, sort_keys=True)))
                times[case].append(seconds)
            if n % 3 == 2:
                status, _, _ = post(f"{base}/login", {"email": "known@example.com", "password": "a fine passphrase"})
                assert status == 200, status
        assert len(answers) == 1, answers
        print(f"logins at bcrypt cost 12, {ROUNDS} each, interleaved; every answer: {answers.pop()[0]}, same body")
        medians = {case: statistics.median(seconds) for case, seconds in times.items()}
        for case, median in medians.items():
            print(f"  {case:15} median {median * 1000:8.1f} ms")
        wrong = medians["wrong password"]
        for case in ("unknown email", "locked account"):
            print(f"  ratio {case}/wrong password {medians[case] / wrong:6.3f}  (target: 0.90-1.10)")


if __name__ == "__main__":
    main()
