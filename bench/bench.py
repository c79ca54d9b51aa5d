#!/usr/bin/env python3
"""larc beside flash-linear-attention on the GPU machine: speed and agreement.

For each variant larc has a package for and each shape of the benchmark issue,
in one process: draws bf16 inputs (several sets, rotated so no run reads what
the previous one left in L2), checks larc's and the peer's outputs against an
fp64 step-by-step recurrence on the same inputs, then times both (CUDA events
around each call, warm-up first, median of --reps calls). Measures in the same
run the device copy bandwidth (for the memory floor: q, k, v, o and gates
moved once) and the bf16 matmul ceiling. Prints a table; writes JSON.

  # here: packages (larcc compile -o) and the runtime library into build-bench/
  # there, carrying build-bench and .fla (../shared/tools/bring-fla):
  PYTHONPATH=.fla:python LARC_RUNTIME_LIBRARY=build-bench/liblarc_runtime.so \\
      python3 bench/bench.py --packages build-bench --out $OUT/bench.json
"""

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import torch

SHAPES = [  # (B, T, H, D), benchmark issue order
    (8, 2048, 16, 128),
    (1, 32768, 16, 128),
    (4, 4096, 64, 128),
    (8, 1024, 8, 64),
]


def simple_gla_inputs(B, T, H, D, gen):
    dev = "cuda"
    q = torch.randn(B, T, H, D, device=dev, generator=gen).bfloat16()
    k = torch.randn(B, T, H, D, device=dev, generator=gen).bfloat16()
    v = torch.randn(B, T, H, D, device=dev, generator=gen).bfloat16()
    # decays spread over (0.01, 1), as larcc verify draws them
    g = torch.log(torch.rand(B, T, H, device=dev, generator=gen) * 0.99 + 0.01)
    return dict(q=q, k=k, v=v, g=g)


def simple_gla_reference(x):
    """fp64 step by step: S = e^g S + k v^T, o = S^T (scale q)."""
    q, k, v, g = (x[n].double() for n in "qkvg")
    B, T, H, D = q.shape
    scale = D ** -0.5
    S = torch.zeros(B, H, D, v.shape[-1], dtype=torch.float64, device=q.device)
    o = torch.empty(B, T, H, v.shape[-1], dtype=torch.float64, device=q.device)
    for t in range(T):
        S = S * torch.exp(g[:, t])[..., None, None] + k[:, t, :, :, None] * v[:, t, :, None, :]
        o[:, t] = torch.einsum("bhk,bhkv->bhv", q[:, t] * scale, S)
    return o, S


def simple_gla_peer(x):
    from fla.ops.simple_gla import chunk_simple_gla
    o, _ = chunk_simple_gla(x["q"], x["k"], x["v"], g=x["g"], output_final_state=True)
    return o


def gated_delta_inputs(B, T, H, D, gen):
    x = simple_gla_inputs(B, T, H, D, gen)
    x["beta"] = torch.rand(B, T, H, device="cuda", generator=gen) * 0.999 + 0.001
    return x


def l2norm(x, eps=1e-6):
    return x / torch.sqrt((x * x).sum(-1, keepdim=True) + eps)


def gated_delta_reference(x):
    """fp64 step by step: S = e^g (I - b k k^T) S + b k v^T on l2-normalised q, k."""
    q, k, v, g, beta = (x[n].double() for n in ("q", "k", "v", "g", "beta"))
    q, k = l2norm(q), l2norm(k)
    B, T, H, D = q.shape
    scale = D ** -0.5
    S = torch.zeros(B, H, D, v.shape[-1], dtype=torch.float64, device=q.device)
    o = torch.empty(B, T, H, v.shape[-1], dtype=torch.float64, device=q.device)
    for t in range(T):
        kt, bt = k[:, t], beta[:, t][..., None]
        S = S * torch.exp(g[:, t])[..., None, None]
        pred = torch.einsum("bhk,bhkv->bhv", kt, S)
        S = S + (bt * kt)[..., :, None] * (v[:, t] - pred)[..., None, :]
        o[:, t] = torch.einsum("bhk,bhkv->bhv", q[:, t] * scale, S)
    return o, S


def gated_delta_peer(x):
    from fla.ops.gated_delta_rule import chunk_gated_delta_rule
    o, _ = chunk_gated_delta_rule(x["q"], x["k"], x["v"], x["g"], x["beta"],
                                  output_final_state=True, use_qk_l2norm_in_kernel=True)
    return o


VARIANTS = {
    # name: (package stem, inputs, fp64 reference, peer call)
    "simple_gla": ("simple_gla", simple_gla_inputs, simple_gla_reference, simple_gla_peer),
    "gated_delta_rule": ("gated_delta_rule", gated_delta_inputs, gated_delta_reference,
                         gated_delta_peer),
}


def rel(a, b):
    a, b = a.double(), b.double()
    if not torch.isfinite(a).all():
        return float("nan")
    return ((a - b).norm() / b.norm()).item()


def time_calls(fn, sets, reps):
    for s in sets[:2]:
        fn(s)
    torch.cuda.synchronize()
    times = []
    for i in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s = sets[i % len(sets)]
        start.record()
        fn(s)
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def copy_bandwidth():
    n = 1 << 28  # 512 MiB of bf16 each way
    a = torch.empty(n, dtype=torch.bfloat16, device="cuda").normal_()
    b = torch.empty_like(a)
    ms = time_calls(lambda _: b.copy_(a), [None], 30)
    return 2 * a.numel() * a.element_size() / (ms * 1e-3)  # bytes read + written per second


def matmul_ceiling():
    n = 8192
    a = torch.randn(n, n, device="cuda").bfloat16()
    b = torch.randn(n, n, device="cuda").bfloat16()
    ms = time_calls(lambda _: a @ b, [None], 20)
    return 2 * n ** 3 / (ms * 1e-3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--packages", default="build-bench")
    ap.add_argument("--out", default="bench.json")
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--sets", type=int, default=3)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    args = ap.parse_args()
    import larc

    device = torch.cuda.get_device_name()
    bw = copy_bandwidth()
    flops = matmul_ceiling()
    print(f"device {device}; copy {bw / 1e12:.2f} TB/s (read + write); bf16 matmul {flops / 1e12:.0f} TFLOP/s")
    rows = []
    for name in args.variants.split(","):
        stem, make, reference, peer = VARIANTS[name]
        for (B, T, H, D) in SHAPES:
            pkg = Path(args.packages) / f"{stem}_k{D}_v{D}"
            gen = torch.Generator(device="cuda").manual_seed(B * 1000003 + T * 101 + H * 7 + D)
            sets = [make(B, T, H, D, gen) for _ in range(args.sets)]
            t0 = time.perf_counter()
            rule = larc.load(str(pkg))
            o_larc, _ = rule(**sets[0])
            torch.cuda.synchronize()
            first_larc = time.perf_counter() - t0
            t0 = time.perf_counter()
            o_peer = peer(sets[0])
            torch.cuda.synchronize()
            first_peer = time.perf_counter() - t0
            o_ref, _ = reference(sets[0])
            err_larc, err_peer = rel(o_larc, o_ref), rel(o_peer, o_ref)
            agree = rel(o_larc, o_peer)
            ms_larc = time_calls(lambda s: rule(**s), sets, args.reps)
            ms_peer = time_calls(peer, sets, args.reps)
            x = sets[0]
            moved = sum(t.numel() * t.element_size() for t in x.values()) + o_larc.numel() * o_larc.element_size()
            floor_ms = moved / bw * 1e3
            row = dict(variant=name, B=B, T=T, H=H, D=D, ms_larc=ms_larc, ms_peer=ms_peer,
                       speedup=ms_peer / ms_larc, floor_ms=floor_ms,
                       larc_of_floor=floor_ms / ms_larc, peer_of_floor=floor_ms / ms_peer,
                       err_larc=err_larc, err_peer=err_peer, larc_vs_peer=agree,
                       first_call_larc_s=first_larc, first_call_peer_s=first_peer)
            rows.append(row)
            print(f"{name:11s} B{B} T{T} H{H} D{D}: larc {ms_larc:.3f} ms, peer {ms_peer:.3f} ms, "
                  f"speed-up {ms_peer / ms_larc:.2f}x, floor {floor_ms:.3f} ms "
                  f"(larc {100 * floor_ms / ms_larc:.0f} %, peer {100 * floor_ms / ms_peer:.0f} %), "
                  f"err vs fp64 larc {err_larc:.2e} peer {err_peer:.2e}, first call larc {first_larc:.2f} s "
                  f"peer {first_peer:.1f} s", flush=True)
            del sets, o_ref
            torch.cuda.empty_cache()
    result = dict(device=device, date=time.strftime("%Y-%m-%d"), copy_bytes_per_s=bw,
                  bf16_flops=flops, reps=args.reps, rows=rows)
    Path(args.out).write_text(json.dumps(result, indent=1))
    print("\n| variant | shape | larc ms | peer ms | speed-up | larc of floor | peer of floor | err larc / peer (vs fp64) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['variant']} | B{r['B']} T{r['T']} H{r['H']} D{r['D']} | {r['ms_larc']:.3f} | {r['ms_peer']:.3f} | "
              f"{r['speedup']:.2f}x | {100 * r['larc_of_floor']:.0f} % | {100 * r['peer_of_floor']:.0f} % | "
              f"{r['err_larc']:.1e} / {r['err_peer']:.1e} |")
    bad = [r for r in rows if not (r["err_larc"] <= 1.5 * r["err_peer"])]  # the bar
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
