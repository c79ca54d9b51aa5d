#!/usr/bin/env python3
"""A PNG of bench/bench.py's JSON results: per variant and shape, larc / peer / FlashQLA ms.

  python3 bench/plot.py -o bench/results/bench.png                 # newest run per variant
  python3 bench/plot.py -o out.png bench/results/2026-11-24-h100-*.json

One panel per variant; per shape, bars of the forward time of larc, the peer
(flash-linear-attention) and FlashQLA (gated delta, D128), the memory floor as a
dashed tick, and larc's speed-up over the peer written above its bar ("no
package" where larcc refuses the rule). Needs matplotlib (the GPU machine has it;
table.py's pick of runs is reused).
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import table  # noqa: E402

COLOURS = {"larc": "#d62728", "peer": "#1f77b4", "flashqla": "#2ca02c"}
LABELS = {"larc": "larc", "peer": "flash-linear-attention (Triton)", "flashqla": "FlashQLA (TileLang)"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*")
    ap.add_argument("-o", "--output", default=str(table.REPO / "bench" / "results" / "bench.png"))
    ap.add_argument("--all", action="store_true")
    args = ap.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = args.files or sorted(str(p) for p in (table.REPO / "bench" / "results").glob("*.json"))
    runs = table.pick(table.load(files), args.all)
    rows = [dict(r, device=run["device"], date=run["date"]) for run in runs for r in run["rows"]]
    if not rows:
        print("no results of bench/bench.py (format 2) found", file=sys.stderr)
        return 1
    variants = [v for v in table.VARIANT_ORDER if any(r["variant"] == v for r in rows)]
    variants += sorted({r["variant"] for r in rows} - set(variants))
    fig, axes = plt.subplots(1, len(variants), figsize=(4.2 * len(variants), 4.2), squeeze=False)
    width = 0.27
    for ax, variant in zip(axes[0], variants):
        vrows = [r for r in rows if r["variant"] == variant]
        vrows.sort(key=lambda r: table.SHAPE_ORDER.index(r["shape"]) if r["shape"] in table.SHAPE_ORDER else 99)
        for i, r in enumerate(vrows):
            names = ["larc", "peer"] + (["flashqla"] if ("ms_flashqla" in r or "flashqla_error" in r) else [])
            for j, name in enumerate(names):
                xpos = i + (j - (len(names) - 1) / 2) * width
                value = r.get(f"ms_{name}")
                if value is not None:
                    ax.bar(xpos, value, width, color=COLOURS[name],
                           label=LABELS[name] if (i == 0 or name == "flashqla") else None)
                elif name == "larc":
                    ax.text(xpos, 0, "no\npackage" if r.get("larc_error", "").startswith("no package")
                            else "error", ha="center", va="bottom", fontsize=7, rotation=90)
            if "floor_ms" in r:
                ax.plot([i - 0.45, i + 0.45], [r["floor_ms"]] * 2, "k--", linewidth=0.8,
                        label="memory floor" if i == 0 else None)
            if "speedup_vs_peer" in r:
                top = max(r.get(f"ms_{n}", 0) for n in ("larc", "peer", "flashqla"))
                ax.text(i, top * 1.03, f"{r['speedup_vs_peer']:.2f}×", ha="center", va="bottom", fontsize=8)
        ax.set_xticks(range(len(vrows)))
        ax.set_xticklabels([r["shape"].replace("-D", "\nD") for r in vrows], fontsize=7)
        ax.set_title(variant)
        ax.set_ylabel("forward ms (lower is better)")
        ax.margins(y=0.15)
    legend = {}
    for ax in axes[0]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    fig.legend(legend.values(), legend.keys(), loc="lower center", ncol=len(legend), fontsize=8, frameon=False)
    devices = sorted({r["device"] for r in rows})
    dates = sorted({r["date"] for r in rows})
    fig.suptitle(f"larc vs flash-linear-attention and FlashQLA, forward, bf16 — {', '.join(devices)}, "
                 f"{', '.join(dates)} (speed-up over the peer above the bars)", fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.output, dpi=110)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
