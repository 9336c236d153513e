#!/usr/bin/python3
"""The table of a side-by-side FUSE bench (fuse_bench.sh, metadata_bench.sh).

Usage: side_by_side.py FIGURES   (lines "LABEL FIGURE VALUE UNIT", labels local, passthrough,
aisfs). Prints a markdown table with aisfs's speed next to the passthrough's and the local
directory's: for a figure in seconds a smaller value is faster, so its ratio is inverted.
"""
import collections
import sys

values = collections.defaultdict(dict)
units, order = {}, []
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) != 4:
        continue
    label, figure, value, unit = parts
    values[figure][label] = float(value)
    units[figure] = unit
    if figure not in order:
        order.append(figure)


def speed(a, ref, unit):
    if a is None or ref is None or a == 0 or ref == 0:
        return "-"
    return f"{(ref / a if unit == 's' else a / ref):.2f}"


def show(x):
    return f"{x:g}" if x is not None else "-"


print("| figure | local dir | passthrough | aisfs | aisfs/passthrough | aisfs/local |")
print("|---|---|---|---|---|---|")
for f in order:
    local, pt, ais = (values[f].get(k) for k in ("local", "passthrough", "aisfs"))
    print(f"| {f} ({units[f]}) | {show(local)} | {show(pt)} | {show(ais)} | "
          f"{speed(ais, pt, units[f])} | {speed(ais, local, units[f])} |")
