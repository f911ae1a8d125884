#!/usr/bin/env python3
"""Prints a case list (FUNCTION LENS lines) in ascending order of the K/V bytes each case
reads, for the results runs of tools/device/run.sh bench.

    python3 bench/order_cases.py MANIFEST CASES > ORDERED_CASES

Why: under a multi-GiB case the H200 draws ~600 W and lowers its SM clock to ~1.2 GHz
(the phase trace's ns_per_cycle: 0.85), and the clock comes back over seconds, not at
once. A latency-bound short case timed right after one ran 11% slower (gqa8 1x1024: 6.34
-> 7.07 us at 1.53 GHz instead of 1.86; docs/performance.md, "The case-order effect").
In ascending order every case follows one no heavier than itself, for Tessel and the
peers alike. Ties keep the file's order; the tables (bench/report.py) follow the log."""
import json
import sys

from lens import parse_lens


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        functions = {fn["name"]: fn for fn in json.load(f)["functions"]}
    cases = []
    with open(argv[2]) as f:
        for number, line in enumerate(f, 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            name, _, lens = text.partition(" ")
            fn = functions.get(name)
            if fn is None:
                print(f"{argv[2]}:{number}: no function '{name}' in {argv[1]}", file=sys.stderr)
                return 1
            per_token = fn["kv_heads"] * (fn["qk_dim"] + fn["v_dim"])
            cases.append((sum(parse_lens(lens.strip())) * per_token, len(cases), text))
    for _, _, text in sorted(cases):
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
