#!/usr/bin/env python3
"""Annotates an nvdisasm listing (tools/device/sass.sh output) with each instruction's
scheduling control bits (Volta and later: stall cycles, yield, the scoreboard it sets
for a variable-latency result (W) or source read (R), and the scoreboards it waits on),
so that where a loop waits — e.g. register copies waiting on the next batch's loads —
can be read on the build machine from a stored listing.

usage: tools/device/sass-waits.py LISTING [FROM_ADDR TO_ADDR]   (hex addresses)
"""
import re
import sys

INSTRUCTION = re.compile(r"\s*/\*([0-9a-f]{4,})\*/\s*(.*?);\s*/\* (0x[0-9a-f]+) \*/")
CONTROL = re.compile(r"^\s*/\* (0x[0-9a-f]+) \*/\s*$")


def decode(high):
    """The control fields of the upper 64 bits of a 128-bit instruction."""
    ctrl = (high >> 41) & 0x1FFFFF
    return {
        "stall": ctrl & 0xF,
        "yield": (ctrl >> 4) & 1,
        "write": (ctrl >> 5) & 7,  # 7: none
        "read": (ctrl >> 8) & 7,
        "wait": [b for b in range(6) if (ctrl >> 11) >> b & 1],
    }


def main(argv):
    if len(argv) not in (2, 4):
        print("usage: sass-waits.py LISTING [FROM_ADDR TO_ADDR]", file=sys.stderr)
        return 2
    lo, hi = (int(argv[2], 16), int(argv[3], 16)) if len(argv) == 4 else (0, 1 << 62)
    lines = open(argv[1]).read().split("\n")
    shown = 0
    for i, line in enumerate(lines):
        m = INSTRUCTION.match(line)
        if not m or i + 1 >= len(lines):
            continue
        c = CONTROL.match(lines[i + 1])
        addr = int(m.group(1), 16)
        if not c or not lo <= addr <= hi:
            continue
        f = decode(int(c.group(1), 16))
        tags = ""
        if f["write"] != 7:
            tags += f" W{f['write']}"
        if f["read"] != 7:
            tags += f" R{f['read']}"
        if f["wait"]:
            tags += " wait[" + ",".join(map(str, f["wait"])) + "]"
        print(f"{addr:05x} s{f['stall']:<2d}{tags:<20s} {m.group(2).strip()}")
        shown += 1
    if not shown:
        print(f"sass-waits.py: no instructions in {argv[1]} in that range", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
