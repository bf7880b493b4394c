"""The export's memory (issue #22): how far the server's resident memory
rises above what it was before, sampled every few milliseconds while it
streams a user's export of 2 000 tasks (the first, which also pays the
process's first large allocations), then of 20 000, then of 60 000, on a
fresh database. A streamed export holds one page (500 tasks) at a time,
so the last two should rise alike, by far less than their documents; a
buffered export would rise by its whole size.

Usage: python3 bench/export_memory.py [path/to/taskpulse] [--sqlite]
"""

import http.client
import json
import threading
import uuid

import server

PORT = 8096
SIZES = (2_000, 20_000, 60_000)


def kib(pid, field):
    """A `/proc/<pid>/status` figure of the server, in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def highest_rss(pid, stop, seen):
    """Samples the server's resident memory until `stop` is set; leaves
    the highest in `seen`."""
    while not stop.wait(0.002):
        seen[0] = max(seen[0], kib(pid, "VmRSS"))


def rise(pid, work):
    """Runs `work`: its answer, and how far the server's resident memory
    rose above what it was before meanwhile, in KiB."""
    before = kib(pid, "VmRSS")
    seen, stop = [before], threading.Event()
    sampler = threading.Thread(target=highest_rss, args=(pid, stop, seen))
    sampler.start()
    try:
        answer = work()
    finally:
        stop.set()
        sampler.join()
    return answer, seen[0] - before


def account(conn, tasks):
    """A new user with `tasks` tasks: its token and id."""
    status, body = server.request(conn, "POST", "/api/v1/auth/register", {
        "name": "Export", "email": f"{uuid.uuid4().hex}@example.com", "password": "export bench passphrase"})
    assert status == 201, (status, body)
    user = json.loads(body)
    token, uid = user["access_token"], user["user"]["id"]
    for start in range(0, tasks, 100):
        ops = [{"op": "create", "body": {"title": f"Task {i}", "description": "An exported task " * 4}}
               for i in range(start, min(tasks, start + 100))]
        status, body = server.request(conn, "POST", f"/api/v1/users/{uid}/tasks/batch", {"ops": ops}, token)
        assert status == 200, (status, body[:200])
    return token, uid


def export(token, uid):
    """Reads the user's export as it streams: its size and its tasks."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT)
    conn.request("GET", f"/api/v1/users/{uid}/export", headers={"authorization": f"Bearer {token}"})
    response = conn.getresponse()
    assert response.status == 200, response.status
    chunks = []
    while chunk := response.read(65536):
        chunks.append(chunk)
    document = b"".join(chunks)
    return len(document), len(json.loads(document)["tasks"])


def main():
    with server.started("export_memory", PORT) as process:
        conn = http.client.HTTPConnection("127.0.0.1", PORT)
        accounts = [(count, account(conn, count)) for count in SIZES]
        print(f"{'tasks':>7} {'document KiB':>13} {'RSS rose KiB':>13} {'of the document':>16}")
        for count, (token, uid) in accounts:
            (size, tasks), rose = rise(process.pid, lambda: export(token, uid))
            assert tasks == count, (tasks, count)
            print(f"{count:>7} {size // 1024:>13} {rose:>13} {rose / (size / 1024):>16.1%}")


if __name__ == "__main__":
    main()
