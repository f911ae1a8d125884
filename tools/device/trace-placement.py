#!/usr/bin/env python3
"""Where a launch's workers ran, from `tessel-bench --trace-ctas` lines.

    tools/device/trace-placement.py TRACE_LOG

Each line of TRACE_LOG is a tessel-bench JSON line with "trace_ctas", optionally
prefixed by a variant name and a space (as `sed "s/^/NAME /"` writes it). Per line: the
case's time, how many SMs ran 0, 1 and 2+ active workers (CTAs with segments), the SMs
left with exactly one, and the mean and latest end (trace µs from the launch's first
entry) of the workers on SMs with one and with more. That is what separates two launches
with the same partition but different idle slots (docs/performance.md, v37c).
"""
import collections
import json
import statistics
import sys


def parse(line):
    line = line.strip()
    if not line:
        return None
    if line.startswith("{"):
        return "", json.loads(line)
    name, _, rest = line.partition(" ")
    return name, json.loads(rest)


def describe(name, case):
    # trace_ctas rows: [cta, smid, segments, start, prologue, stream, finish, rest, end]
    rows = case["trace_ctas"]
    active = [r for r in rows if r[2] > 0]
    per_sm = collections.Counter(r[1] for r in active)
    sms = {r[1] for r in rows}
    shape = collections.Counter(min(per_sm.get(sm, 0), 2) for sm in sms)
    singles = sorted(sm for sm in sms if per_sm.get(sm, 0) == 1)

    def ends(alone):
        e = [r[8] for r in active if (per_sm[r[1]] == 1) == alone]
        return f"{statistics.mean(e):.1f} / {max(e):.1f}" if e else "-"

    label = f"{name} " if name else ""
    print(f"{label}{case['function']} {case['lens']}: {case['us']:.2f} us, "
          f"{len(rows)} CTAs, {len(active)} active")
    print(f"  SMs with 0 / 1 / 2+ active workers: {shape[0]} / {shape[1]} / {shape[2]}")
    print(f"  SMs with one: {','.join(map(str, singles)) if singles else 'none'}")
    print(f"  end mean / latest: alone {ends(True)}, shared {ends(False)}")


def main(argv):
    if len(argv) != 2:
        print("usage: trace-placement.py TRACE_LOG", file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        for number, line in enumerate(f, 1):
            try:
                parsed = parse(line)
            except json.JSONDecodeError as e:
                print(f"{argv[1]}:{number}: not a tessel-bench JSON line: {e}",
                      file=sys.stderr)
                return 1
            if parsed is None:
                continue
            name, case = parsed
            if "trace_ctas" not in case:
                print(f"{argv[1]}:{number}: no trace_ctas (run tessel-bench with "
                      "--trace-ctas on a --trace-phases artifact)", file=sys.stderr)
                return 1
            describe(name, case)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
