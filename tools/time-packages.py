#!/usr/bin/env python3
"""Times larc packages alone on the benchmark shapes (GPU machine).

A quick loop for kernel work between full benchmark runs (bench/bench.py
times larc beside the peers and is what results and the README report):
for each package and shape, random inputs as tools/run-package.py draws them,
warm-up, then the median of --reps launches timed with CUDA events, inputs
rotated over --sets copies.

  python3 tools/time-packages.py build-perf/simple_gla_k128_v128 ...
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

spec = importlib.util.spec_from_file_location("run_package", REPO / "tools" / "run-package.py")
run_package = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_package)

SHAPES = [(8, 2048, 16), (1, 32768, 16), (4, 4096, 64), (8, 1024, 8)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("packages", nargs="+")
    ap.add_argument("--reps", type=int, default=50)
    ap.add_argument("--sets", type=int, default=3)
    args = ap.parse_args()
    for package in args.packages:
        manifest = json.loads((Path(package) / "manifest.json").read_text())
        dims = manifest["kernels"][0]["dims"]
        d = max(dims.values())
        rule = larc.load(package)
        for B, T, H in SHAPES:
            if (d == 64) != (H == 8):
                continue  # the D64 shape for the D64 packages only
            gen = torch.Generator(device="cuda").manual_seed(0)
            sets = []
            for _ in range(args.sets):
                sets.append(run_package.draw_inputs(manifest, B, T, H, gen))
            for x in sets:
                rule(**x)
            torch.cuda.synchronize()
            times = []
            for r in range(args.reps):
                x = sets[r % len(sets)]
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                rule(**x)
                end.record()
                end.synchronize()
                times.append(start.elapsed_time(end))
            print(f"{manifest['rule']:>20} D{d} B{B} T{T} H{H}: {statistics.median(times):.3f} ms "
                  f"(min {min(times):.3f})", flush=True)


if __name__ == "__main__":
    main()
