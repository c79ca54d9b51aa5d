#!/usr/bin/env python3
"""larc beside flash-linear-attention (and FlashQLA) on the GPU machine: speed and agreement.

Issue 10 item 1. For each variant (simple_gla, gla, delta_rule, gated_delta_rule,
kda: examples/<variant>.larc against the peer's chunk_<variant>, with
use_qk_l2norm_in_kernel=True where the spec l2-normalises q and k) and each shape
(B8-T2048-H16-D128, B1-T32768-H16-D128, B4-T4096-H64-D128, B8-T1024-H8-D64), in
one process:

  1. draws bf16 q, k, v (fp32 log-gates, bf16 beta), several input sets, enough
     that each timed call reads inputs the previous calls did not leave in L2;
  2. first call of each implementation on set 0, timed on the host (larc: load +
     first launch; the peer: its autotuning and JIT on a new shape; FlashQLA:
     TileLang JIT);
  3. checks that the outputs o agree: each against a step-by-step fp64 recurrence
     of the spec (tests/gpu/device_table.py's, which uses check_on_device.py's) on
     batch row 0 (all heads, whole sequence; said in the output), and larc against
     the peer on the whole output. Every call is the forward without the final
     state, as timed (another flag would be another round of the peer's autotuning);
     final states are checked by tests/gpu/device_table.py;
  4. times each (forward only, no final state): warm-up, then CUDA events around
     every call with the input sets rotated, median of --reps; device time (calls
     queued behind a spin kernel so host launch overhead does not show, as in
     triton.testing.do_bench) and, apart, eager time (calls back to back, the GPU
     waiting for the host where launching is slower than running);
  5. reports ms, speed-ups, the fraction of the memory floor (q, k, v, o, gates and
     beta moved once over the device-to-device copy bandwidth measured in this run)
     and of the bf16 matmul ceiling (the chunk form's matmul flops, C = 64, over the
     rate of an 8192^3 bf16 product measured in this run).

larc's column reads "no package" where bench/prepare.sh found that larcc refuses
the rule (build-bench/REFUSED.txt), so gla and kda are picked up as soon as larcc
compiles them. FlashQLA (QwenLM/FlashQLA, TileLang) runs beside them for
gated_delta_rule at D = 128; the peer is kept on its Triton path (FLA_FLASH_QLA=0).
One JSON per variant: OUT_DIR/<date>-<device>-<variant>.json.

--peer-specs benches flash-linear-attention's rules instead (issue 9 item 4): each
examples/peer/<variant>.larc that the peer has a chunk op for (comba, gdn2, dplr, ...),
larc's package from build-bench/peer, the peer's op, the inputs and the fp64 reference
as tests/gpu/device_table.py has them (peer_op, draw, reference); the same shapes and
steps; no FlashQLA. A rule's dims other than K = V = D (gsa's M slots: a state's key dim, so
bench/prepare.sh's --dk D makes M = D)
are its package manifest's, named in the row and the table; gsa's matmul flops are its two
chained recurrences' (K, M) and (M, V). Where larcc refuses a rule there is no package, hence
no manifest to draw the inputs from, and the row says so.
OUT_DIR/<date>-<device>-peer-<variant>.json, whose rows name the variant by the spec's stem
(as tools/coverage.py's rules).

  # here (no GPU): bench/prepare.sh
  # on the GPU machine, carrying build-bench, .fla, .flashqla, .tilelang.tar.xz:
  mkdir -p /tmp/site && tar -C /tmp/site -xJf .tilelang.tar.xz
  export PYTHONPATH=/tmp/site:$PWD/.fla:$PWD/.flashqla:$PWD/python TRITON_CACHE_DIR=/tmp/triton
  python3 bench/bench.py --out-dir $OUT [--variants gated_delta_rule] [--shapes 1,3] [--quick]
  python3 bench/bench.py --out-dir $OUT --peer-specs [--variants comba,gdn2] [--shapes 1]
"""

import argparse
import json
import math
import os
import re
import statistics
import sys
import time
import traceback
from pathlib import Path

os.environ.setdefault("FLA_FLASH_QLA", "0")  # the peer on its own Triton path, FlashQLA timed apart

try:
    import torch  # noqa: E402
except ImportError:  # --help needs no torch
    torch = None

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(REPO / "tests" / "gpu"))
import device_table as dt  # noqa: E402  (REFUSED.txt; with --peer-specs the peer ops and draws)

SHAPES = [  # (B, T, H, D), the order
    (8, 2048, 16, 128),
    (1, 32768, 16, 128),
    (4, 4096, 64, 128),
    (8, 1024, 8, 64),
]
CHUNK = 64
L2_ROTATION_BYTES = 200 << 20  # input sets together at least this (H100 L2: 50 MB)


def shape_name(s):
    B, T, H, D = s
    return f"B{B}-T{T}-H{H}-D{D}"


# --------------------------------------------------------------------------
# inputs, by the specs' input names


def randn(gen, *shape):
    return torch.randn(*shape, device="cuda", generator=gen)


def scalar_log_gate(gen, B, T, H):
    # log U(0.01, 1): decays from 0.01 to 1 per token, as larcc verify draws them
    return torch.log(torch.rand(B, T, H, device="cuda", generator=gen) * 0.99 + 0.01)


def key_log_gate(gen, B, T, H, D):
    # per-key: logsigmoid(2 + 2 N(0, 1)), decays mostly 0.5 .. 1 (about -0.2 a token on average)
    return torch.nn.functional.logsigmoid(2.0 + 2.0 * randn(gen, B, T, H, D)).float()


def qkv(gen, B, T, H, D):
    return dict(q=randn(gen, B, T, H, D).bfloat16(), k=randn(gen, B, T, H, D).bfloat16(),
                v=randn(gen, B, T, H, D).bfloat16())


def beta(gen, B, T, H):
    # bf16 like q: the dtype larc's packages read beta in (docs/package-format.md), and the peer's
    return (torch.rand(B, T, H, device="cuda", generator=gen) * 0.999 + 0.001).bfloat16()


def draw_simple_gla(gen, B, T, H, D):
    return dict(qkv(gen, B, T, H, D), g=scalar_log_gate(gen, B, T, H))


def draw_gla(gen, B, T, H, D):
    return dict(qkv(gen, B, T, H, D), gk=key_log_gate(gen, B, T, H, D))


def draw_delta(gen, B, T, H, D):
    return dict(qkv(gen, B, T, H, D), beta=beta(gen, B, T, H))


def draw_gated_delta(gen, B, T, H, D):
    return dict(qkv(gen, B, T, H, D), g=scalar_log_gate(gen, B, T, H), beta=beta(gen, B, T, H))


def draw_kda(gen, B, T, H, D):
    return dict(qkv(gen, B, T, H, D), g=key_log_gate(gen, B, T, H, D), beta=beta(gen, B, T, H))


# --------------------------------------------------------------------------
# the peers: fn(x, final) -> (o, final state or None)


def peer_simple_gla(x, final):
    from fla.ops.simple_gla import chunk_simple_gla
    return chunk_simple_gla(x["q"], x["k"], x["v"], g=x["g"], output_final_state=final)


def peer_gla(x, final):
    from fla.ops.gla import chunk_gla
    return chunk_gla(x["q"], x["k"], x["v"], g=x["gk"], output_final_state=final)


def peer_delta(x, final):
    from fla.ops.delta_rule import chunk_delta_rule
    return chunk_delta_rule(x["q"], x["k"], x["v"], x["beta"], output_final_state=final,
                            use_qk_l2norm_in_kernel=True)


def peer_gated_delta(x, final):
    from fla.ops.gated_delta_rule import chunk_gated_delta_rule
    return chunk_gated_delta_rule(x["q"], x["k"], x["v"], x["g"], x["beta"], output_final_state=final,
                                  use_qk_l2norm_in_kernel=True)


def peer_kda(x, final):
    from fla.ops.kda import chunk_kda
    return chunk_kda(x["q"], x["k"], x["v"], x["g"], x["beta"], output_final_state=final,
                     use_qk_l2norm_in_kernel=True)


def flashqla_gated_delta(x, final):
    import flash_qla
    return flash_qla.chunk_gated_delta_rule(x["q"], x["k"], x["v"], x["g"], x["beta"],
                                            output_final_state=final, use_qk_l2norm_in_kernel=True)


# name: (draw, peer function name, peer call, delta family (for the flop count))
VARIANTS = {
    "simple_gla": (draw_simple_gla, "chunk_simple_gla", peer_simple_gla, False),
    "gla": (draw_gla, "chunk_gla", peer_gla, False),
    "delta_rule": (draw_delta, "chunk_delta_rule", peer_delta, True),
    "gated_delta_rule": (draw_gated_delta, "chunk_gated_delta_rule", peer_gated_delta, True),
    "kda": (draw_kda, "chunk_kda", peer_kda, True),
}


# --peer-specs: the rules of examples/peer with a probe, the flop count's delta family. It counts
# one probe term per token; gated_delta_product's two sub-steps and the two rank-1 terms of dplr,
# iplr and rwkv7 take more, so their fraction of the matmul ceiling is a lower bound.
PEER_DELTA = {"comba", "delta_rule", "gated_delta_rule", "kda", "gdn2", "gated_delta_product", "dplr",
              "iplr", "rwkv7", "precond_gated_delta_rule", "precond_kda", "gated_oja_rule"}


def gsa_flops(B, T, H, dims):
    """gsa: two chained recurrences of the base form, hkT (keys K, values the M slots: q k^T,
    its softmax not counted) and then hv (keys M, values V, probed by the softmax)."""
    K, V, M = dims["K"], dims["V"], dims["M"]
    return matmul_flops(False, B, T, H, K, M) + matmul_flops(False, B, T, H, M, V)


def feature_map_flops(B, T, H, dims):
    """based, rebased: one [F, V] state of the base form, F the feature map's key dim (the
    kernel's 64-key padding of 273 not counted); the feature map itself not counted."""
    return matmul_flops(False, B, T, H, dims["F"], dims["V"])


# --peer-specs rules that are not one [K, V] state: variant -> flops(B, T, H, the manifest's dims)
PEER_FLOPS = {"gsa": gsa_flops, "based": feature_map_flops, "rebased": feature_map_flops}


def parts(args, variant, D):
    """(rule, package, draw(gen, B, T, H, D) or None, peer function name, peer call, delta family).
    A variant of VARIANTS, or with --peer-specs examples/peer/<variant>.larc against
    tests/gpu/device_table.py's peer op (peer_op) on its inputs (draw, which reads the names and
    roles from the package's manifest: None where there is no package)."""
    if not args.peer_specs:
        draw, peer_name, peer, delta = VARIANTS[variant]
        return variant, Path(args.packages) / f"{variant}_k{D}_v{D}", draw, peer_name, peer, delta
    rule = "peer/" + variant
    pkg = dt.package(args.packages, rule, *dt.package_dims(rule, D))
    draw = None
    if (pkg / "manifest.json").exists():
        manifest = json.loads((pkg / "manifest.json").read_text())

        def draw(gen, B, T, H, D):
            return dt.draw(rule, manifest, B, T, H, gen)
        draw.dims = manifest["kernels"][0]["dims"]  # K, V and any other (gsa's M)
    op = dt.peer_op(rule)
    return rule, pkg, draw, op.path, lambda x, final: op(x, final=final), variant in PEER_DELTA


def matmul_flops(delta, B, T, H, K, V):
    """The chunk form's matrix-product flops, C = 64, the triangular solve not counted.
    Per chunk and head: Q K^T 2C^2K, P V 2C^2V, Q S 2CKV, K^T V 2CKV; the delta family
    adds K K^T 2C^2K, W = T K 2C^2K, U = T V 2C^2V and W S 2CKV."""
    C = CHUNK
    per_token = 2 * C * (K + V) + 4 * K * V
    if delta:
        per_token += 2 * C * (2 * K + V) + 2 * K * V
    return B * T * H * per_token


# --------------------------------------------------------------------------
# measuring


def time_calls(fn, sets, reps, warmup=5, queue_ahead=True):
    """Median and min ms of reps calls: CUDA events around each call, the input sets rotated.

    queue_ahead=True (device time, as triton.testing.do_bench sees it): every batch of
    10 calls is queued behind a ~10 ms spin kernel (torch.cuda._sleep), so the host has
    enqueued them all before the GPU reaches them and host-side launch overhead between
    kernels does not show. queue_ahead=False (eager): calls issued back to back with no
    host synchronisation; where the host launches more slowly than the GPU runs, the
    GPU waits and the time includes it (what an eager PyTorch loop sees)."""
    for i in range(warmup):
        fn(sets[i % len(sets)])
    torch.cuda.synchronize()
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
    for i in range(reps):
        if queue_ahead and i % 10 == 0:
            torch.cuda._sleep(20_000_000)  # cycles: ~10 ms at 1.98 GHz
        s = sets[i % len(sets)]
        starts[i].record()
        fn(s)
        ends[i].record()
    torch.cuda.synchronize()
    times = [a.elapsed_time(b) for a, b in zip(starts, ends)]
    return statistics.median(times), min(times)


def copy_bandwidth():
    n = 1 << 28  # 512 MiB of bf16 each way
    a = torch.empty(n, dtype=torch.bfloat16, device="cuda").normal_()
    b = torch.empty_like(a)
    ms, _ = time_calls(lambda _: b.copy_(a), [None], 30)
    del a, b
    return 2 * n * 2 / (ms * 1e-3)  # bytes read + written per second


def matmul_ceiling():
    n = 8192
    a = torch.randn(n, n, device="cuda").bfloat16()
    b = torch.randn(n, n, device="cuda").bfloat16()
    ms, _ = time_calls(lambda _: a @ b, [None], 30)
    del a, b
    return 2 * n ** 3 / (ms * 1e-3)


def rel(a, b):
    a, b = a.double(), b.double()
    num = (a - b).norm().item()
    if not math.isfinite(num):
        return float("inf")
    den = b.norm().item()
    return num / den if den > 0 else num


def first_call(fn, x):
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    out = fn(x)
    torch.cuda.synchronize()
    return out, time.perf_counter() - t0


def short(error):
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200] if text else ''}"


def device_tag(name):
    m = re.search(r"(H100|H200|H800|H20|B200|GB200|A100)", name)
    return m.group(1).lower() if m else re.sub(r"[^0-9a-z]+", "-", name.lower()).strip("-")


# --------------------------------------------------------------------------


def no_grad(fn):  # torch.no_grad(), where torch is importable (--help needs no torch)
    return torch.no_grad()(fn) if torch is not None else fn


@no_grad
def bench_shape(args, variant, shape, larc, reference_fn, refused, log):
    B, T, H, D = shape
    rule, pkg, draw, peer_name, peer, delta = parts(args, variant, D)
    row = dict(variant=variant, spec=f"examples/{rule}.larc", shape=shape_name(shape), B=B, T=T, H=H, D=D,
               peer_function=peer_name)
    dims = getattr(draw, "dims", None) or dict(K=D, V=D)
    # gsa's M; based's F (and its q, k dim K = 16, not D)
    row.update({d: n for d, n in dims.items() if d not in ("K", "V") or (d == "K" and n != D)})
    if draw is None:  # a peer rule without a package: no manifest to draw its inputs from
        row["larc_error"] = "no package" + (f" ({refused[pkg.name]})" if pkg.name in refused else
                                            f" ({pkg} missing: run bench/prepare.sh)")
        row["peer_error"] = "not timed: its inputs are drawn by larc's package manifest"
        return row
    gen = torch.Generator(device="cuda").manual_seed(B * 1000003 + T * 101 + H * 7 + D)
    x0 = draw(gen, B, T, H, D)
    set_bytes = sum(t.numel() * t.element_size() for t in x0.values())
    nsets = max(args.sets, min(16, math.ceil(L2_ROTATION_BYTES / set_bytes)))
    sets = [x0] + [draw(gen, B, T, H, D) for _ in range(nsets - 1)]
    out_bytes = B * T * H * D * 2  # o in bf16
    row.update(input_sets=nsets, bytes_moved=set_bytes + out_bytes,
               floor_ms=(set_bytes + out_bytes) / args.bw * 1e3,
               ceiling_ms=(PEER_FLOPS[variant](B, T, H, dims) if args.peer_specs and variant in PEER_FLOPS
                           else matmul_flops(delta, B, T, H, D, D)) / args.flops * 1e3)

    impls = {}  # name -> fn(x, final) ; or error string
    if pkg.exists():
        try:
            t0 = time.perf_counter()
            kernel = larc.load(str(pkg))
            load_s = time.perf_counter() - t0
            impls["larc"] = lambda x, final: kernel(**x, output_final_state=final)
            row["larc_load_s"] = load_s
        except Exception as error:
            impls["larc"] = "load failed: " + short(error)
    else:
        impls["larc"] = "no package" + (f" ({refused[pkg.name]})" if pkg.name in refused else
                                        f" ({pkg} missing: run bench/prepare.sh)")
    impls["peer"] = peer if not args.no_peer else "skipped (--no-peer)"
    if rule == "gated_delta_rule" and D == 128 and not args.no_flashqla:
        impls["flashqla"] = flashqla_gated_delta

    # first calls and agreement. Forward without the final state throughout, as timed: a
    # different flag is a different Triton specialisation, i.e. another round of the peer's
    # autotuning (the final state is checked by tests/gpu/device_table.py).
    results = {}
    for name, fn in impls.items():
        if isinstance(fn, str):
            row[f"{name}_error"] = fn
            continue
        try:
            (o, _), secs = first_call(lambda x: fn(x, False), x0)
            if name == "larc":
                secs += row.get("larc_load_s", 0.0)
            row[f"first_call_{name}_s"] = secs
            results[name] = o
        except Exception as error:
            row[f"{name}_error"] = "first call failed: " + short(error)
            log(traceback.format_exc(limit=4))
            impls[name] = row[f"{name}_error"]

    if results and not args.no_reference:
        t0 = time.perf_counter()
        names = list(x0)
        seq = [{k: x0[k][0].double() for k in names}]
        want_o, _ = reference_fn(rule, seq, None, D ** -0.5)
        row["reference_s"] = time.perf_counter() - t0
        row["reference_slice"] = f"batch row 0 of {B}, all {H} heads, all {T} tokens"
        for name, o in results.items():
            row[f"err_o_{name}"] = rel(o[0], want_o)
        del want_o
    for name in ("peer", "flashqla"):
        if "larc" in results and name in results:
            row[f"larc_vs_{name}_o"] = rel(results["larc"], results[name])
    del results

    # timing: forward, no final state
    for name, fn in impls.items():
        if isinstance(fn, str):
            continue
        try:
            med, best = time_calls(lambda x: fn(x, False), sets, args.reps)
            row[f"ms_{name}"] = med
            row[f"ms_min_{name}"] = best
            row[f"ms_eager_{name}"], _ = time_calls(lambda x: fn(x, False), sets, args.reps,
                                                    warmup=2, queue_ahead=False)
            row[f"{name}_of_floor"] = row["floor_ms"] / med
            row[f"{name}_of_ceiling"] = row["ceiling_ms"] / med
        except Exception as error:
            row[f"{name}_error"] = "timing failed: " + short(error)
    if "ms_larc" in row:
        for name in ("peer", "flashqla"):
            if f"ms_{name}" in row:
                row[f"speedup_vs_{name}"] = row[f"ms_{name}"] / row["ms_larc"]
    del sets, x0
    torch.cuda.empty_cache()
    return row


def fmt_ms(row, name):
    if f"ms_{name}" in row:
        return f"{row[f'ms_{name}']:.3f}"
    err = row.get(f"{name}_error")
    if err is None:
        return "-"
    return "no package" if err.startswith("no package") else "error"


def fmt_pct(v):
    return "-" if v is None else f"{100 * v:.0f} %"


def fmt_x(v):
    return "-" if v is None else f"{v:.2f}x"


def fmt_e(v):
    return "-" if v is None else f"{v:.1e}"


def print_table(rows, header):
    print(header)
    print("| variant | shape | larc ms | peer ms | FlashQLA ms | vs peer | vs FlashQLA | of floor: larc / peer / FQLA "
          "| of matmul ceiling: larc / peer | err vs fp64 o: larc / peer / FQLA | larc vs peer o | first call s: larc / peer / FQLA "
          "| eager ms: larc / peer / FQLA |")
    print("|" + "---|" * 13)
    for r in rows:
        other = "".join(f" {d}{r[d]}" for d in ("K", "M", "F") if d in r)  # gsa: " M64"
        print(f"| {r['variant']}{other} | {r['shape']} | {fmt_ms(r, 'larc')} | {fmt_ms(r, 'peer')} | {fmt_ms(r, 'flashqla')} | "
              f"{fmt_x(r.get('speedup_vs_peer'))} | {fmt_x(r.get('speedup_vs_flashqla'))} | "
              f"{fmt_pct(r.get('larc_of_floor'))} / {fmt_pct(r.get('peer_of_floor'))} / {fmt_pct(r.get('flashqla_of_floor'))} | "
              f"{fmt_pct(r.get('larc_of_ceiling'))} / {fmt_pct(r.get('peer_of_ceiling'))} | "
              f"{fmt_e(r.get('err_o_larc'))} / {fmt_e(r.get('err_o_peer'))} / {fmt_e(r.get('err_o_flashqla'))} | "
              f"{fmt_e(r.get('larc_vs_peer_o'))} | "
              + " / ".join(f"{r[k]:.2f}" if k in r else "-" for k in
                           ("first_call_larc_s", "first_call_peer_s", "first_call_flashqla_s")) + " | "
              + " / ".join(f"{r[k]:.3f}" if k in r else "-" for k in
                           ("ms_eager_larc", "ms_eager_peer", "ms_eager_flashqla")) + " |")
    notes = sorted({f"{r['variant']} {r['shape']}: {k.split('_')[0]}: {v}" for r in rows for k, v in r.items()
                    if k.endswith("_error") and not v.startswith("no package")})
    no_pkg = sorted({f"{r['variant']} D{r['D']}: {r['larc_error']}" for r in rows
                     if r.get("larc_error", "").startswith("no package")})
    for n in no_pkg + notes:
        print(f"  {n}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    dt.add_package_arguments(ap)
    ap.add_argument("--out-dir", default=str(REPO / "bench" / "results"))
    ap.add_argument("--tag", default=None, help="appended to the JSON names (default: -quick with --quick)")
    ap.add_argument("--variants", help="comma-separated (default: " + ", ".join(VARIANTS)
                    + "; with --peer-specs every examples/peer rule the peer has a chunk op for)")
    ap.add_argument("--shapes", default="1,2,3,4",
                    help="comma-separated indices 1-4 into " + ", ".join(map(shape_name, SHAPES))
                    + ", or names like B8-T1024-H8-D64")
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--sets", type=int, default=3, help="at least this many input sets (more when small)")
    ap.add_argument("--quick", action="store_true", help="only the first of --shapes, 20 repeats")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--no-flashqla", action="store_true")
    ap.add_argument("--no-reference", action="store_true")
    args = ap.parse_args()

    shapes = []
    for s in args.shapes.split(","):
        s = s.strip()
        if s.isdigit():
            shapes.append(SHAPES[int(s) - 1])
        else:
            m = re.fullmatch(r"B(\d+)-T(\d+)-H(\d+)-D(\d+)", s)
            if not m:
                ap.error(f"--shapes: {s!r}")
            shapes.append(tuple(int(g) for g in m.groups()))
    if args.quick:
        shapes, args.reps = shapes[:1], 20 if args.reps == 100 else args.reps
    if args.tag is None:
        args.tag = "-quick" if args.quick else ""
    args.packages = dt.packages_folder(args)
    known = ([r.split("/", 1)[1] for r in dt.examples(peer=True) if dt.peer_op(r)] if args.peer_specs
             else list(VARIANTS))
    variants = [v for v in args.variants.split(",") if v] if args.variants else known
    for v in variants:
        if v not in known:
            ap.error(f"--variants: unknown {v!r} (known{' with --peer-specs' if args.peer_specs else ''}: "
                     f"{', '.join(known)})")
    import larc
    from device_table import reference as reference_fn

    torch.backends.cuda.matmul.allow_tf32 = False
    device = torch.cuda.get_device_name()
    tag = device_tag(device)
    args.bw = copy_bandwidth()
    args.flops = matmul_ceiling()
    date = time.strftime("%Y-%m-%d")
    versions = {"torch": torch.__version__}
    for mod in ("triton", "fla", "flash_qla", "tilelang"):
        try:
            versions[mod] = getattr(__import__(mod), "__version__", "?")
        except Exception as error:
            versions[mod] = "not importable: " + short(error)
    header = (f"{date}, {device}: copy {args.bw / 1e12:.2f} TB/s (read + write), bf16 matmul "
              f"{args.flops / 1e12:.0f} TFLOP/s; median of {args.reps} calls; "
              + ", ".join(f"{k} {v}" for k, v in versions.items())
              + ("; the rules of examples/peer" if args.peer_specs else ""))
    print(header, flush=True)
    refused = dt.refusals(args.packages)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    all_rows = []

    def log(text):
        print(text, file=sys.stderr, flush=True)

    for variant in variants:
        rows = []
        for shape in shapes:
            t0 = time.perf_counter()
            try:
                row = bench_shape(args, variant, shape, larc, reference_fn, refused, log)
            except Exception as error:  # keep going with the next shape
                log(traceback.format_exc())
                row = dict(variant=variant, shape=shape_name(shape), B=shape[0], T=shape[1], H=shape[2],
                           D=shape[3], bench_error=short(error))
                torch.cuda.empty_cache()
            row["wall_s"] = time.perf_counter() - t0
            rows.append(row)
            print(f"{variant} {row['shape']} ({row['wall_s']:.0f} s): larc {fmt_ms(row, 'larc')}, "
                  f"peer {fmt_ms(row, 'peer')}, FlashQLA {fmt_ms(row, 'flashqla')} ms; "
                  f"err o larc {fmt_e(row.get('err_o_larc'))} peer {fmt_e(row.get('err_o_peer'))} "
                  f"FlashQLA {fmt_e(row.get('err_o_flashqla'))}; larc vs peer "
                  f"{fmt_e(row.get('larc_vs_peer_o'))}; first call larc "
                  f"{row.get('first_call_larc_s', float('nan')):.2f} s, peer "
                  f"{row.get('first_call_peer_s', float('nan')):.1f} s, FlashQLA "
                  f"{row.get('first_call_flashqla_s', float('nan')):.1f} s", flush=True)
        result = dict(format=2, date=date, device=device, copy_bytes_per_s=args.bw, bf16_flops=args.flops,
                      reps=args.reps, timing="device: calls queued behind a spin kernel (ms_*); eager: back to back (ms_eager_*)",
                      versions=versions, flash_qla_env=os.environ.get("FLA_FLASH_QLA"),
                      command=" ".join(sys.argv), rows=rows)
        path = out_dir / f"{date}-{tag}-{'peer-' if args.peer_specs else ''}{variant}{args.tag}.json"
        path.write_text(json.dumps(result, indent=1))
        print(f"wrote {path}", flush=True)
        all_rows += rows

    print()
    print_table(all_rows, header)
    bad = [r for r in all_rows if r.get("err_o_larc") is not None and r.get("err_o_peer") is not None
           and not r["err_o_larc"] <= 1.5 * r["err_o_peer"]]
    for r in bad:
        print(f"larc's error above 1.5x the peer's: {r['variant']} {r['shape']}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
