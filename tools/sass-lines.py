#!/usr/bin/env python3
"""Warp instructions executed per line of a generated kernel, from ncu's SASS counters.

Where a package kernel's instructions go, by the line of the generated .cu that issued them
(a header's inlined code counts at the .cu line that called it; the innermost header line is
listed apart). Inputs, for a package compiled with line info:

  nvcc ... -lineinfo --cubin RULE.cu -o RULE.cubin           # larcc's nvcc line plus -lineinfo
  ncu --kernel-name KERNEL --section SourceCounters --import-source yes -o rep python3 ...
  ncu -i rep.ncu-rep --page source --csv --print-source sass > KERNEL.csv   # on the GPU machine
  nvdisasm -gi -c RULE.cubin > RULE.dis                      # here (PyPI nvidia-cuda-nvdisasm)
  tools/sass-lines.py RULE.dis KERNEL.csv KERNEL RULE.cu [--top N]

Prints each line's share of the kernel's executed warp instructions and of its stall samples.
"""
import argparse
import collections
import csv
import re
from pathlib import Path


def sass_locations(dis, kernel, cu):
    """Offset -> (innermost .cu line, innermost header "file:line") of KERNEL's instructions."""
    loc, fun, group, where = {}, None, [], (None, None)
    for line in open(dis):
        m = re.match(r'^\.text\.(\S+):', line)
        if m:
            fun, group, where = m.group(1), [], (None, None)
            continue
        if fun != kernel:
            continue
        m = re.match(r'\s*//## File "([^"]+)", line (\d+)(?: inlined at "([^"]+)", line (\d+))?', line)
        if m:
            group.append(m.groups())
            continue
        m = re.match(r'\s*/\*([0-9a-f]{4,})\*/\s+(.*?);', line)
        if not m:
            continue
        if group:  # a new location: the frames innermost first
            frames = []
            for f, l, fa, la in group:
                frames.append((f, int(l)))
                if fa:
                    frames.append((fa, int(la)))
            where = (next((l for f, l in frames if f.endswith(cu)), None),
                     next((f"{Path(f).name}:{l}" for f, l in frames if not f.endswith(cu)), None))
            group = []
        loc[int(m.group(1), 16)] = where
    return loc


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dis")
    ap.add_argument("csv")
    ap.add_argument("kernel")
    ap.add_argument("cu")
    ap.add_argument("--top", type=int, default=40)
    args = ap.parse_args()
    loc = sass_locations(args.dis, args.kernel, Path(args.cu).name)
    if not loc:
        raise SystemExit(f"sass-lines: no instructions of {args.kernel} in {args.dis}")
    rows = list(csv.reader(open(args.csv)))
    header = next(r for r in rows if "Address" in r)
    ia, ie = header.index("Address"), header.index("Instructions Executed")
    isamp = header.index("Warp Stall Sampling (All Samples)")
    data = [(int(r[ia], 16), int(r[ie]), int(r[isamp])) for r in rows if r and r[0].startswith("0x")]
    if not data:
        raise SystemExit(f"sass-lines: no SASS rows in {args.csv}")
    base = data[0][0]
    per, samples, inner = collections.Counter(), collections.Counter(), collections.Counter()
    for address, executed, sampled in data:
        line, header_line = loc.get(address - base, (None, None))
        per[line] += executed
        samples[line] += sampled
        if header_line:
            inner[header_line] += executed
    total, total_samples = sum(per.values()), max(sum(samples.values()), 1)
    source = Path(args.cu).read_text().split("\n")
    print(f"{args.kernel}: {total} warp instructions executed, {total_samples} stall samples")
    for line, n in per.most_common(args.top):
        text = source[line - 1].strip()[:90] if line else "?"
        print(f"{n:12d} {100 * n / total:5.1f} %  samples {100 * samples[line] / total_samples:5.1f} %  "
              f"L{line}: {text}")
    print("by innermost header line:")
    for where, n in inner.most_common(args.top // 2):
        print(f"{n:12d} {100 * n / total:5.1f} %  {where}")


if __name__ == "__main__":
    main()
