#!/usr/bin/env python3
"""Tabulates an A/B log of tools/device/ab.sh (lines "ROUND VARIANT {tessel-bench json}"):
per case, each variant's best (min) and median time over the rounds, and each variant's
best against the first variant's, as a Markdown table for docs/performance.md. Long
ragged lens lists are named as bench/report.py names them ("64 seqs 128..32768").

usage: tools/device/ab-table.py AB_LOG
"""
import collections
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
from lens import short_lens  # noqa: E402  (bench/lens.py: the tables' case names)


def main(argv):
    if len(argv) != 2:
        print("usage: ab-table.py AB_LOG", file=sys.stderr)
        return 2
    times = collections.OrderedDict()  # (function, lens) -> variant -> [us]
    variants = []
    with open(argv[1]) as log:
        for line in log:
            parts = line.split(" ", 2)
            if len(parts) < 3 or not parts[2].startswith("{"):
                continue
            variant, result = parts[1], json.loads(parts[2])
            if variant not in variants:
                variants.append(variant)
            key = (result["function"], result["lens"])
            times.setdefault(key, {}).setdefault(variant, []).append(result["us"])
    if not variants:
        print(f"ab-table.py: no result lines in {argv[1]}", file=sys.stderr)
        return 1
    base = variants[0]
    print("| function | lens | " +
          " | ".join(f"{v} µs (min / median)" for v in variants) + " | " +
          " | ".join(f"{v} vs {base}" for v in variants[1:]) + " |")
    print("|" + "---|" * (1 + 2 * len(variants)))
    for (function, lens), by in times.items():
        cells, best = [], {}
        for v in variants:
            xs = sorted(by.get(v, []))
            if not xs:
                cells.append("-")
                continue
            best[v] = xs[0]
            cells.append(f"{xs[0]:.2f} / {xs[len(xs) // 2]:.2f}")
        deltas = [f"{(best[v] / best[base] - 1) * 100:+.1f}%" if v in best and base in best
                  else "-" for v in variants[1:]]
        print(f"| {function} | {short_lens(lens)} | " + " | ".join(cells) + " | " +
              " | ".join(deltas) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
