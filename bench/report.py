#!/usr/bin/env python3
"""Joins a tessel-bench log and a sdpa_compare.py log of the same session into the
markdown table docs/performance.md uses: Tessel's time and TB/s beside the three peers,
and Tessel / the best peer ("vs peers"; below 1 is faster).

    python3 bench/report.py TESSEL_BENCH_LOG SDPA_LOG

Both logs hold one JSON object per line (other lines are skipped); cases are matched by
function and lens, in the order of the tessel-bench log."""
import json
import sys

from lens import short_lens


def records(path):
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                yield json.loads(line)


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    peers = {(r["function"], r["lens"]): r for r in records(argv[2])}
    print("| function | lens | KV MiB | Tessel µs | Tessel TB/s | SDPA flash µs | SDPA cuDNN µs "
          "| split-KV µs | vs peers |")
    print("|---|---|---|---|---|---|---|---|---|")
    missing = 0
    for t in records(argv[1]):
        p = peers.get((t["function"], t["lens"]))
        if p is None:
            missing += 1
            continue
        best = min(p["flash_us"], p["cudnn_us"], p["splitkv_us"])
        print(f"| {t['function']} | {short_lens(t['lens'])} | {t['kv_mib']:g} | {t['us']:.2f} "
              f"| {t['tbps']:.3f} | {p['flash_us']} | {p['cudnn_us']} | {p['splitkv_us']} "
              f"| {t['us'] / best:.2f} |")
    if missing:
        print(f"report.py: {missing} tessel-bench cases have no peer line", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
