#!/usr/bin/env python3
"""Summarises the login storm of bench/run.sh from five wrk outputs.

    storm_report.py ONE_LOGIN STORM_ALONE ALONE BESIDE STORM

ONE_LOGIN: logins on one connection (one hash's time); STORM_ALONE: logins
on 8 connections with nothing else running (the hashing capacity); ALONE:
get-one on 8 connections by itself; BESIDE: the same while STORM (logins on
8 other connections) runs.
"""

import os
import re
import sys

SCALE = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def figures(path):
    """Requests/s, mean latency (ms) and p99 (ms) of one wrk output."""
    text = open(path, encoding="utf-8").read()
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    mean = re.search(r"^\s+Latency\s+([\d.]+)(us|ms|s)\s", text, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    return (
        rate,
        float(mean.group(1)) * SCALE[mean.group(2)],
        float(p99.group(1)) * SCALE[p99.group(2)],
    )


def main():
    one, storm_alone, alone, beside, storm = (figures(p) for p in sys.argv[1:6])
    cores = os.cpu_count() or 1
    ceiling = cores / (one[1] / 1000.0)
    print(f"one login at a time    mean {one[1]:8.1f} ms  (one cost-12 hash and its request)")
    print(f"login storm alone      {storm_alone[0]:9.1f} logins/s  "
          f"({100 * storm_alone[0] / ceiling:.0f} % of {cores} cores / one hash = {ceiling:.1f}/s; "
          f"target >= 90 %)")
    print(f"get_one alone          {alone[0]:9.1f} req/s  p99 {alone[2]:8.2f} ms")
    print(f"get_one beside storm   {beside[0]:9.1f} req/s  p99 {beside[2]:8.2f} ms  "
          f"(x{beside[2] / alone[2]:.2f} of alone; target <= 3)")
    print(f"logins beside get_one  {storm[0]:9.1f} logins/s  (the spare CPU)")


if __name__ == "__main__":
    main()
