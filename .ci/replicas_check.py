#!/usr/bin/env python3
"""Checks that two TaskPulse replicas on one database behave like one server.

    replicas_check.py PROXY_URL REPLICA_A_URL REPLICA_B_URL

Each check talks to the replicas directly (A and B) or through the proxy,
and exits non-zero with a message on the first difference from one server.
"""

import json
import sys
import threading
import urllib.error
import urllib.request
import uuid

PROXY, A, B = sys.argv[1:4]


def call(base, method, path, body=None, token=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None, raw
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None, raw


def expect(condition, message):
    if not condition:
        sys.exit(f"replicas: FAILED: {message}")
    print(f"replicas: ok: {message}")


def register(base):
    email = f"r-{uuid.uuid4().hex}@example.com"
    status, body, _ = call(base, "POST", "/api/v1/auth/register",
                           {"name": "R", "email": email, "password": "replica passphrase"})
    expect(status == 201, f"register through {base}")
    return email, body


def login(base, email, password="replica passphrase"):
    return call(base, "POST", "/api/v1/auth/login", {"email": email, "password": password})


def main():
    email, registered = register(PROXY)
    status_a, on_a, _ = login(A, email)
    status_b, on_b, _ = login(B, email)
    expect(status_a == 200 and status_b == 200, "an account registered through the proxy logs in on both replicas")
    status, _, _ = call(B, "GET", "/api/v1/auth/me", token=on_a["access_token"])
    expect(status == 200, "a token issued by A works on B")

    first = on_a["refresh_token"]
    status, rotated, _ = call(B, "POST", "/api/v1/auth/refresh", {"refresh_token": first})
    expect(status == 200, "a refresh token issued by A rotates on B")
    status, _, _ = call(A, "POST", "/api/v1/auth/refresh", {"refresh_token": first})
    expect(status == 401, "the rotated token presented again on A is refused")
    status, _, _ = call(B, "POST", "/api/v1/auth/refresh", {"refresh_token": rotated["refresh_token"]})
    expect(status == 401, "reuse detected on A ended the session on B too")
    status, _, _ = call(A, "GET", "/api/v1/auth/me", token=on_b["access_token"])
    expect(status == 401, "reuse detection ended every session of the user")

    victim, _ = register(PROXY)
    for base in (A, A, A, B, B):
        status, _, _ = login(base, victim, "wrong passphrase")
        expect(status == 401, f"failed login on {base}")
    status, body, _ = login(A, victim)
    expect(status == 401 and body["code"] == "INVALID_CREDENTIALS",
           "five failures split over two replicas lock the account (the right password is refused as a wrong one)")

    # The per-client budget (20 a minute in .ci/replicas) is one budget
    # across both replicas: a client that alternates between them gets 20
    # in all, not 20 on each.
    client = {"x-forwarded-for": "203.0.113.77"}
    answers = [call(base, "POST", "/api/v1/auth/refresh", {"refresh_token": "not-a-token"}, headers=client)[0]
               for base in (A, B) * 11]
    expect(answers[:20] == [401] * 20 and answers[20:] == [429, 429],
           f"one client's rate limit is shared by both replicas: {answers}")

    owner_email, owner = register(PROXY)
    token, user_id = owner["access_token"], owner["user"]["id"]
    tasks = f"/api/v1/users/{user_id}/tasks"
    key = uuid.uuid4().hex
    answers = []

    def create(base):
        answers.append(call(base, "POST", tasks, {"title": "once"}, token, {"idempotency-key": key}))

    threads = [threading.Thread(target=create, args=(base,)) for base in (A, B, A, B)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    status, listed, _ = call(PROXY, "GET", tasks, token=token)
    expect(len(listed) == 1, "the same Idempotency-Key sent to both replicas at once creates one task")
    created = [raw for status, _, raw in answers if status == 201]
    expect(created and all(raw == created[0] for raw in created)
           and all(status in (201, 409) for status, _, _ in answers),
           "every answer is the first one replayed, or 409 while it runs")

    task_path = f"{tasks}/{listed[0]['id']}"
    status, _, _ = call(A, "PATCH", task_path, {"title": "edited on A"}, token, {"if-match": '"1"'})
    expect(status == 200, "an If-Match write on A")
    status, body, _ = call(B, "PATCH", task_path, {"title": "stale on B"}, token, {"if-match": '"1"'})
    expect(status == 412, "B refuses the stale version with 412")
    status, body, _ = call(PROXY, "GET", task_path, token=token)
    expect(body["title"] == "edited on A" and body["version"] == 2, "nothing changed after the 412")
    sync_across_replicas()
    print("replicas: all checks passed")


WRITERS = 10
ROUNDS = 8


def sync_across_replicas():
    """Ten writers, each on A and B in turn, create, update, delete and
    restore tasks and rename their label while a reader syncs through the
    proxy; the reader's copy, built only from the feed, must end equal to
    the listing."""
    _, owner = register(PROXY)
    token, user_id = owner["access_token"], owner["user"]["id"]
    root = f"/api/v1/users/{user_id}"
    failures = []

    def must(answer, wanted, what):
        if answer[0] != wanted:
            failures.append(f"{what}: {answer[0]} {answer[2][:200]!r}")
        return answer[1]

    def writer(n):
        bases = (A, B)
        label = must(call(A, "POST", f"{root}/labels", {"name": f"Writer {n}"}, token), 201, "label")
        mine = []
        for round in range(ROUNDS):
            base = bases[round % 2]
            task = must(call(base, "POST", f"{root}/tasks",
                             {"title": f"{n}-{round}", "labels": [f"Writer {n}"]}, token), 201, "create")
            if task is None:
                return
            mine.append(task["id"])
            other = bases[(round + 1) % 2]
            must(call(other, "PATCH", f"{root}/tasks/{mine[0]}", {"priority": round % 5}, token), 200, "patch")
            if round % 3 == 1:
                must(call(base, "DELETE", f"{root}/tasks/{task['id']}", token=token), 204, "delete")
            if round % 3 == 2:
                gone = mine[-2]
                must(call(other, "POST", f"{root}/tasks/{gone}/restore", token=token), 200, "restore")
            must(call(other, "PATCH", f"{root}/labels/{label['id']}",
                      {"name": f"Writer {n} r{round}"}, token), 200, "rename")

    tasks, labels, cursor = {}, {}, [None]

    def read_feed():
        while True:
            query = "?limit=25" + (f"&cursor={cursor[0]}" if cursor[0] else "")
            page = must(call(PROXY, "GET", f"{root}/changes{query}", token=token), 200, "sync")
            if page is None:
                return
            for task in page["tasks"]:
                tasks[task["id"]] = task
            for label in page["labels"]:
                labels[label["id"]] = label
            for gone in page["deleted"]:
                (tasks if gone["type"] == "task" else labels).pop(gone["id"], None)
            cursor[0] = page["cursor"]
            if not page["has_more"]:
                return

    done = threading.Event()

    def reader():
        while not done.is_set():
            read_feed()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    syncing = threading.Thread(target=reader)
    syncing.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    syncing.join()
    read_feed()
    expect(not failures, f"every write and sync answered as the contract says {failures[:3]}")

    listed = must(call(PROXY, "GET", f"{root}/tasks?limit=500", token=token), 200, "list")
    stored_labels = must(call(PROXY, "GET", f"{root}/labels", token=token), 200, "labels")
    deleted = sum(1 for round in range(ROUNDS) if round % 3 == 1)
    restored = sum(1 for round in range(ROUNDS) if round % 3 == 2)
    expect(len(listed) == WRITERS * (ROUNDS - deleted + restored), f"the writers left {len(listed)} tasks")
    expect({t["id"]: t for t in listed} == tasks and {l["id"]: l for l in stored_labels} == labels,
           "a reader syncing through two replicas during the writes ends with exactly the listing")


if __name__ == "__main__":
    main()
