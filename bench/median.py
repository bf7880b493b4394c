#!/usr/bin/env python3
"""Folds repeated runs of the harness's scenarios into one line each.

Reads the harness's table (scenario req/s p50_ms p99_ms non2xx sockerr) on
stdin, where each scenario may appear several times in a row, and prints per
scenario the median of req/s, p50 and p99, the sums of non-2xx answers and
socket errors, and the range of req/s and p99 over the runs. One 8-second
run's p99 on this shared machine moves with any stall of tens of
milliseconds; the median of a few runs does not.
"""

import statistics
import sys


def main():
    runs = {}
    header = None
    for line in sys.stdin:
        fields = line.split()
        if line.startswith("#"):
            header = line.rstrip("\n")
            continue
        if len(fields) != 6 or fields[0] == "scenario":
            continue
        runs.setdefault(fields[0], []).append([float(f) for f in fields[1:]])
    if header:
        print(header)
    print(f"{'scenario':<8} {'req/s':>10} {'p50_ms':>9} {'p99_ms':>9} {'non2xx':>7} {'sockerr':>7}"
          "  runs  (req/s range; p99 range)")
    for name, rows in runs.items():
        med = [statistics.median(col) for col in zip(*rows)]
        rates = [r[0] for r in rows]
        p99s = [r[2] for r in rows]
        print(f"{name:<8} {med[0]:10.1f} {med[1]:9.2f} {med[2]:9.2f} {sum(r[3] for r in rows):7.0f} "
              f"{sum(r[4] for r in rows):7.0f}  {len(rows):4d}  "
              f"({min(rates):.0f}-{max(rates):.0f}; {min(p99s):.2f}-{max(p99s):.2f})")


if __name__ == "__main__":
    main()
