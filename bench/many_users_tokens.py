#!/usr/bin/env python3
"""Mints an access token for each user seeded by bench/many_users.sh.

    many_users_tokens.py SEED_CSV OUT [--tasks-per-user N] [--tasks-template T] [--ttl SECS]

SEED_CSV has one line per user, `n,user_id,first_task_id` (the user's tasks
are first_task_id .. first_task_id + N - 1). The secret is read from
SECRET_KEY (not the command line, which `ps` shows). Each token is an HS256
JWT with the claims TaskPulse's own tokens carry (crates/infra/src/token.rs):
sub, iat, exp, jti, iss, aud and ver = 0, the token version of a new user;
no `sid`, so it names no session and is accepted as long as the user is
active at version 0.

OUT, read by bench/many_users.lua: a header line
`# taskpulse many-users users=U tasks_per_user=N`, then one line per user:
`<expanded tasks path> <first task id> <token>`. Stdlib only.
"""

import argparse
import base64
import csv
import hashlib
import hmac
import json
import os
import sys
import time
import uuid


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("seed_csv")
    ap.add_argument("out")
    ap.add_argument("--tasks-per-user", type=int, required=True)
    ap.add_argument("--tasks-template", default="/api/v1/users/{uid}/tasks")
    ap.add_argument("--issuer", default="taskpulse")
    ap.add_argument("--audience", default="taskpulse")
    ap.add_argument("--ttl", type=int, default=86_400, help="seconds until the tokens expire")
    args = ap.parse_args()

    secret = os.environ.get("SECRET_KEY")
    if not secret:
        sys.exit("SECRET_KEY (the server's token secret) is not set")
    key = secret.encode()
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    now = int(time.time())

    lines = []
    with open(args.seed_csv, newline="") as f:
        for _n, uid, first in csv.reader(f):
            claims = {"sub": uid, "exp": now + args.ttl, "iss": args.issuer, "aud": args.audience,
                      "iat": now, "jti": str(uuid.uuid4()), "ver": 0}
            signed = header + "." + b64url(json.dumps(claims, separators=(",", ":")).encode())
            signature = b64url(hmac.new(key, signed.encode("ascii"), hashlib.sha256).digest())
            lines.append(f"{args.tasks_template.format(uid=uid)} {int(first)} {signed}.{signature}\n")
    if not lines:
        sys.exit(f"no users in {args.seed_csv}")
    with open(args.out, "w") as f:
        f.write(f"# taskpulse many-users users={len(lines)} tasks_per_user={args.tasks_per_user}\n")
        f.writelines(lines)


if __name__ == "__main__":
    main()
