#!/usr/bin/env python3
"""Summarises the login storm of bench/run.sh from three wrk outputs.

    storm_report.py ALONE BESIDE STORM

ALONE: get-one on 8 connections by itself; BESIDE: the same while STORM
(logins at bcrypt cost 12 on 8 other connections) runs.
"""

import os
import re
import sys


def figures(path):
    text = open(path, encoding="utf-8").read()
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return rate, float(p99.group(1)) * scale


def main():
    alone, beside, storm = (figures(p) for p in sys.argv[1:4])
    cores = os.cpu_count() or 1
    print(f"get_one alone          {alone[0]:9.1f} req/s  p99 {alone[1]:8.2f} ms")
    print(f"get_one beside storm   {beside[0]:9.1f} req/s  p99 {beside[1]:8.2f} ms  "
          f"(x{beside[1] / alone[1]:.2f} of alone; target <= 3)")
    print(f"login storm            {storm[0]:9.1f} logins/s on {cores} cores "
          f"(compare with cores / one cost-12 hash time)")


if __name__ == "__main__":
    main()
