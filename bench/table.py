#!/usr/bin/env python3
"""Prints the README's benchmark table (markdown) from bench/bench.py's JSON results.

  python3 bench/table.py                         # newest full run per device and variant in bench/results
  python3 bench/table.py bench/results/2026-11-24-h100-*.json

Per device: a line with the dates, the device, the copy bandwidth and matmul rate
measured in those runs, then one row per variant and shape: ms of larc, the peer
(flash-linear-attention) and FlashQLA, larc's speed-ups, each one's fraction of the
memory floor, larc's fraction of the matmul ceiling and its error against fp64;
last, the median of larc's speed-up over the peer. Needs only the standard library.
By default runs made with --quick (under 100 repeats) are left out when a full one
exists for that device and variant.
"""

import argparse
import json
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VARIANT_ORDER = ["simple_gla", "gla", "delta_rule", "gated_delta_rule", "kda"]
SHAPE_ORDER = ["B8-T2048-H16-D128", "B1-T32768-H16-D128", "B4-T4096-H64-D128", "B8-T1024-H8-D64"]


def load(paths):
    runs = []
    for p in paths:
        try:
            data = json.loads(Path(p).read_text())
        except (OSError, ValueError) as error:
            print(f"skipped {p}: {error}", file=sys.stderr)
            continue
        if data.get("format") != 2:
            continue  # the first harness's files (ms_larc, ms_peer) predate this table
        data["path"] = str(p)
        runs.append(data)
    return runs


def pick(runs, keep_all):
    """Newest run per (device, variant); full runs (>= 100 repeats) before quick ones."""
    if keep_all:
        return runs
    best = {}
    for run in runs:
        variants = {r["variant"] for r in run["rows"]}
        for v in variants:
            key = (run["device"], v)
            rank = (run.get("reps", 0) >= 100, run["date"], run["path"])
            if key not in best or rank > best[key][0]:
                best[key] = (rank, run)
    out = {}
    for (device, v), (_, run) in best.items():
        out.setdefault(run["path"], (run, set()))[1].add(v)
    return [dict(run, rows=[r for r in run["rows"] if r["variant"] in vs]) for run, vs in out.values()]


def ms(r, name):
    if f"ms_{name}" in r:
        return f"{r[f'ms_{name}']:.3f}"
    err = r.get(f"{name}_error")
    if err is None:
        return "—"
    return "no package" if err.startswith("no package") else "error"


def x(v):
    return "—" if v is None else f"{v:.2f}×"


def pct(v):
    return "—" if v is None else f"{100 * v:.0f} %"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*")
    ap.add_argument("--all", action="store_true", help="every file given or found, not the newest per variant")
    args = ap.parse_args()
    files = args.files or sorted(str(p) for p in (REPO / "bench" / "results").glob("*.json"))
    runs = pick(load(files), args.all)
    if not runs:
        print("no results of bench/bench.py (format 2) found", file=sys.stderr)
        return 1
    by_device = {}
    for run in runs:
        by_device.setdefault(run["device"], []).append(run)
    for device, dev_runs in by_device.items():
        dates = sorted({r["date"] for r in dev_runs})
        bw = [r["copy_bytes_per_s"] / 1e12 for r in dev_runs]
        fl = [r["bf16_flops"] / 1e12 for r in dev_runs]
        reps = sorted({r["reps"] for r in dev_runs})
        print(f"**{device}**, {', '.join(dates)} (bench/bench.py; median of {'/'.join(map(str, reps))} calls, "
              f"input sets rotated; copy {min(bw):.2f}–{max(bw):.2f} TB/s and bf16 matmul "
              f"{min(fl):.0f}–{max(fl):.0f} TFLOP/s measured in the same runs)\n")
        print("| variant | shape | larc ms | peer ms | FlashQLA ms | larc vs peer | larc vs FlashQLA "
              "| of memory floor: larc / peer / FlashQLA | larc of matmul ceiling | larc err vs fp64 |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        rows = [dict(r, _eager_only="timing" not in run) for run in dev_runs for r in run["rows"]]
        rows.sort(key=lambda r: (VARIANT_ORDER.index(r["variant"]) if r["variant"] in VARIANT_ORDER else 99,
                                 SHAPE_ORDER.index(r["shape"]) if r["shape"] in SHAPE_ORDER else 99))
        for r in rows:
            fq = r.get("flashqla_of_floor")
            err = r.get("err_o_larc")
            mark = " †" if r["_eager_only"] else ""
            print(f"| {r['variant']}{mark} | {r['shape'].replace('-', ' ')} | {ms(r, 'larc')} | {ms(r, 'peer')} | "
                  f"{ms(r, 'flashqla') if ('ms_flashqla' in r or 'flashqla_error' in r) else '—'} | "
                  f"{x(r.get('speedup_vs_peer'))} | {x(r.get('speedup_vs_flashqla'))} | "
                  f"{pct(r.get('larc_of_floor'))} / {pct(r.get('peer_of_floor'))}"
                  f"{' / ' + pct(fq) if fq is not None else ''} | {pct(r.get('larc_of_ceiling'))} | "
                  f"{'—' if err is None else f'{err:.1e}'} |")
        if any(r["_eager_only"] for r in rows):
            print("\n† timed by the first version of this harness: calls back to back, the GPU waiting for the "
                  "host where it launches more slowly than the kernels run (later runs queue the calls "
                  "ahead and report that apart as eager ms)")
        ups = [r["speedup_vs_peer"] for r in rows if "speedup_vs_peer" in r]
        if ups:
            print(f"\nlarc vs peer over {len(ups)} variant-shapes: median {statistics.median(ups):.2f}×, "
                  f"min {min(ups):.2f}× (targets: ≥ 3× median, ≥ 1.5× each)")
        first = [(r["variant"], r.get("first_call_larc_s"), r.get("first_call_peer_s"),
                  r.get("first_call_flashqla_s")) for r in rows]
        lf = [f for _, f, _, _ in first if f is not None]
        pf = [f for _, _, f, _ in first if f is not None]
        qf = [f for _, _, _, f in first if f is not None]
        if lf or pf:
            print(f"first call (load or autotune/JIT + first launch): larc {min(lf):.2f}–{max(lf):.2f} s"
                  if lf else "first call: larc —", end="")
            print(f", peer {min(pf):.1f}–{max(pf):.1f} s" if pf else "", end="")
            print(f", FlashQLA {min(qf):.1f}–{max(qf):.1f} s" if qf else "")
        missing = sorted({f"{r['variant']} D{r['D']}" for r in rows
                          if r.get("larc_error", "").startswith("no package")})
        if missing:
            print(f"larc has no package for: {', '.join(missing)} (larcc refuses the rule)")
        print(f"\nraw: {', '.join(sorted(Path(r['path']).name for r in dev_runs))}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
