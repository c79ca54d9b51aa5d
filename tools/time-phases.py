#!/usr/bin/env python3
"""Cycles per chunk in each phase of the chunk loop (GPU machine, PyTorch).

Runs copies made by tools/stamp-phases.py on the benchmark shapes of their head dim
(tools/time-packages.py's), after a warm-up, and prints each warpgroup's SM clock cycles
per chunk by phase as CTA (0, 0, 0) counted them, with the call's median time. The stamps
cost a few percent; time the unstamped package with tools/time-packages.py.

  python3 tools/time-phases.py build-prof/gdr build-prof/sg64
"""

import argparse
import importlib.util
import json
import statistics
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
import larc  # noqa: E402


def load_tool(name):
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"),
                                                  REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run_package = load_tool("run-package")
SHAPES = load_tool("time-packages").SHAPES


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("packages", nargs="+")
    ap.add_argument("--reps", type=int, default=30)
    args = ap.parse_args()
    for package in args.packages:
        manifest = json.loads((Path(package) / "manifest.json").read_text())
        phases = json.loads((Path(package) / "phases.json").read_text())
        dims = manifest["kernels"][0]["dims"]
        state = manifest["states"][0]
        d = max(dims.values())
        # A row per value warpgroup, or (pipelined) the owner's and the producer's.
        rows = (list(phases.items()) if isinstance(phases, dict) else
                [(f"warpgroup {wg}", phases) for wg in range(dims[state["value_dim"]] // 64)])
        width = max(len(names) for _, names in rows)
        chunk = manifest["kernels"][0]["chunk_size"]
        rule = larc.load(package)
        for B, T, H in SHAPES:
            if (d == 64) != (H == 8) or B == 1:
                continue  # the D64 shape for D64 packages; not the split plan's
            gen = torch.Generator(device="cuda").manual_seed(0)
            named = run_package.draw_inputs(manifest, B, T, H, gen)
            h0 = tuple(torch.zeros(B, H, dims[s["key_dim"]], *(
                [dims[s["value_dim"]]] if "value_dim" in s else []), device="cuda")
                for s in manifest["states"])
            h0 = h0[0] if len(h0) == 1 else h0
            times = []
            for rep in range(5 + args.reps):
                start, end = (torch.cuda.Event(enable_timing=True) for _ in range(2))
                torch.cuda._sleep(2_000_000)  # queue the call: device time, not launch time
                start.record()
                _, final = rule(**named, initial_state=h0, output_final_state=True)
                end.record()
                torch.cuda.synchronize()
                if rep >= 5:
                    times.append(start.elapsed_time(end))
            print(f"{Path(package).name} B{B}-T{T}-H{H}: {statistics.median(times):.3f} ms")
            final = final if torch.is_tensor(final) else final[0]  # the stamps: state 0's
            cycles = final[0, 0, :len(rows), :width].contiguous().view(torch.int32)
            chunks = -(-T // chunk)
            for (who, names), row in zip(rows, cycles.cpu().tolist()):
                row = row[:len(names)]
                parts = ", ".join(f"{n} {c / chunks:.0f}" for n, c in zip(names, row))
                print(f"  {who}: {sum(row) / chunks:.0f} cycles a chunk: {parts}")


if __name__ == "__main__":
    main()
