#!/usr/bin/env python3
"""Runs larc's generated CUDA kernels on a Hopper GPU against fp64 recurrences.

For every supported rule (additive linear attention, RetNet, simple GLA, a
two-term rule with a prologue of reductions, and the delta-rule family with
its triangular solve: DeltaNet, Gated DeltaNet, Comba, and the delta rule
behind a constant per-head decay), both dims (K = V = 128 and
K = V = 64) and both ways of reading q, k, v (TMA, the default, and plain
loads: larcc --gpu-loads), loads the package with python/larc, draws random bf16 inputs on
the GPU, poisons the outputs (NaN) before the launch, runs the kernel and
compares the output and the final state with a step-by-step fp64 PyTorch
recurrence of the same rule written below. Prints a table of relative errors
(Frobenius norm of the difference over that of the reference) and exits
non-zero if any is above --tolerance (1e-2) or not finite.

Two steps (the GPU machine needs no compiler):

  # here, with larcc built (no GPU needed): packages + the runtime library
  python3 tests/gpu/check_on_device.py --prepare build-gpu-check \\
      --larcc build-cuda/bin/larcc --runtime build-cuda/lib/liblarc_runtime.so
  # on the GPU machine, carrying build-gpu-check:
  python3 tests/gpu/check_on_device.py --packages build-gpu-check
"""

import argparse
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# rule name -> the .larc file (relative to the repository).
RULES = {
    "additive": "tests/gpu/additive.larc",
    "retnet": "examples/retnet.larc",
    "simple_gla": "examples/simple_gla.larc",
    "two_terms": "tests/gpu/Inputs/two_terms.larc",
    "delta_rule": "examples/delta_rule.larc",
    "gated_delta_rule": "examples/gated_delta_rule.larc",
    "comba": "examples/peer/comba.larc",
    "const_delta": "tests/gpu/Inputs/const_delta.larc",
}
DIMS = [(128, 128), (64, 64)]
LOADS = ["tma", "plain"]  # larcc --gpu-loads


def package_name(rule, dk, dv, loads="tma"):
    return f"{rule}_k{dk}_v{dv}" + ("" if loads == "tma" else f"_{loads}")


def prepare(out, larcc, runtime):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for rule, spec in RULES.items():
        for dk, dv in DIMS:
            for loads in LOADS:
                target = out / package_name(rule, dk, dv, loads)
                if target.exists():
                    shutil.rmtree(target)
                cmd = [str(larcc), "compile", str(REPO / spec), "-o", str(target),
                       "--dk", str(dk), "--dv", str(dv), f"--gpu-loads={loads}"]
                print(" ".join(cmd))
                subprocess.run(cmd, check=True)
    if runtime:
        shutil.copy(runtime, out / "liblarc_runtime.so")
    print(f"prepared {out}")


# ---------------------------------------------------------------------------
# fp64 references: one token at a time, S [N, H, K, V], exactly the rules'
# semantics (scale = 1/sqrt(K) by default, head-dependent decay for RetNet).
# Each returns (o [T_total, H, V] per sequence concatenated, S_final).


def l2norm(x):
    """larc's l2norm: x / sqrt(x.x + 1e-6) over the last dim."""
    return x / (x * x).sum(-1, keepdim=True).add(1e-6).sqrt()


def reference(rule, seqs, h0, scale):
    """seqs: list of dicts of fp64 tensors [T, H, ...] per sequence."""
    import torch

    outs, finals = [], []
    for n, x in enumerate(seqs):
        q, k, v = x["q"], x["k"], x["v"]
        T, H, K = q.shape
        S = h0[n].clone() if h0 is not None else torch.zeros(
            H, K, v.shape[-1], dtype=torch.float64, device=q.device)
        heads = torch.arange(H, dtype=torch.float64, device=q.device)
        o = torch.empty(T, H, v.shape[-1], dtype=torch.float64, device=q.device)
        for t in range(T):
            qt, kt, vt = q[t], k[t], v[t]
            if rule == "additive":
                S = S + kt[:, :, None] * vt[:, None, :]
                probe = scale * qt
            elif rule == "retnet":
                gamma = 1.0 - torch.pow(2.0, -5.0 - heads)
                S = gamma[:, None, None] * S + kt[:, :, None] * vt[:, None, :]
                probe = scale * qt
            elif rule == "simple_gla":
                S = torch.exp(x["g"][t])[:, None, None] * S + kt[:, :, None] * vt[:, None, :]
                probe = scale * qt
            elif rule == "two_terms":
                kn = kt / torch.sqrt((kt * kt).sum(-1, keepdim=True) + 1e-6)
                qn = qt / torch.sqrt((qt * qt).sum(-1, keepdim=True) + 1e-6)
                beta = x["beta"][t]
                S = (x["a"][t][:, None, None] * S
                     + beta[:, None, None] * kn[:, :, None] * vt[:, None, :]
                     + torch.sigmoid(qt)[:, :, None] * torch.nn.functional.silu(vt)[:, None, :])
                probe = scale * qn
            elif rule in ("delta_rule", "gated_delta_rule", "const_delta"):
                # S = exp(g) (I - beta kn kn^T) S + beta kn v^T (no gate: g = 0;
                # const_delta: exp(g) = gamma = 1 - 2^(-5 - head))
                kn = l2norm(kt)
                beta = x["beta"][t][:, None, None]
                S = S - beta * kn[:, :, None] * torch.einsum("hk,hkv->hv", kn, S)[:, None, :]
                if rule == "gated_delta_rule":
                    S = torch.exp(x["g"][t])[:, None, None] * S
                if rule == "const_delta":
                    S = (1.0 - torch.pow(2.0, -5.0 - heads))[:, None, None] * S
                S = S + beta * kn[:, :, None] * vt[:, None, :]
                probe = scale * l2norm(qt)
            elif rule == "comba":
                # S = exp(g) S + beta kn (v - S^T pn)^T, the probe reading the
                # state before this token's decay
                kn, pn = l2norm(kt), l2norm(x["p"][t])
                beta = x["beta"][t][:, None, None]
                c = vt - torch.einsum("hk,hkv->hv", pn, S)
                S = torch.exp(x["g"][t])[:, None, None] * S + beta * kn[:, :, None] * c[:, None, :]
                probe = scale * l2norm(qt)
            else:
                raise ValueError(rule)
            o[t] = torch.einsum("hkv,hk->hv", S, probe)
        outs.append(o)
        finals.append(S)
    return torch.cat(outs, 0), torch.stack(finals, 0)


def draw_inputs(rule, B, T, H, K, V, device, gen):
    import torch

    def randn(*shape):
        return torch.randn(*shape, generator=gen, device=device)

    x = {
        "q": randn(B, T, H, K).to(torch.bfloat16),
        "k": (randn(B, T, H, K) / math.sqrt(K)).to(torch.bfloat16),
        "v": randn(B, T, H, V).to(torch.bfloat16),
    }
    if rule == "simple_gla":
        # log-gates in about (-0.7, -0.002): decays from 0.5 to 0.998
        x["g"] = torch.nn.functional.logsigmoid(2.0 + 2.0 * randn(B, T, H)).float()
    if rule in ("delta_rule", "gated_delta_rule", "comba", "const_delta"):
        x["beta"] = torch.sigmoid(randn(B, T, H)).to(torch.bfloat16)  # (0, 1)
    if rule in ("gated_delta_rule", "comba"):
        # g = log(U(0.01, 1)): decays from 0.01 to 1 per token
        u = torch.rand(B, T, H, generator=gen, device=device)
        x["g"] = torch.log(0.01 + 0.99 * u).float()
    if rule == "comba":
        x["p"] = randn(B, T, H, K).to(torch.bfloat16)
    if rule == "two_terms":
        x["a"] = torch.sigmoid(3.0 + randn(B, T, H)).float()  # gate in (0, 1]
        x["beta"] = torch.sigmoid(randn(B, T, H)).to(torch.bfloat16)
    return x


def poison_outputs(larc_rule):
    """Poison what the runtime allocates: rows the kernel fails to write show
    up as NaN (and an infinite error) instead of stale zeros."""
    allocate = larc_rule._allocate

    def poisoned(plan, output_final_state, device):
        outputs, finals = allocate(plan, output_final_state, device)
        for t in list(outputs) + [f for f in finals if f is not None]:
            t.fill_(float("nan"))
        return outputs, finals

    larc_rule._allocate = poisoned


def rel_err(got, want):
    got = got.double()
    den = want.norm().item()
    num = (got - want).norm().item()
    if not math.isfinite(num):
        return float("inf")
    return num / den if den > 0 else num


def run_case(larc, torch, pkg_dir, rule, K, V, case, gen):
    B, T, H, varlen, with_h0 = case
    device = "cuda"
    fn = larc.load(pkg_dir)
    x = draw_inputs(rule, B, T, H, K, V, device, gen)
    names = list(fn.inputs)
    cu = None
    if varlen:
        # B = 1: T split into uneven sequences, one empty and one of one token.
        cuts = [0, T // 3, T // 3, T // 3 + 1, min(T, (2 * T) // 3 + 5), T]
        cu = torch.tensor(cuts, dtype=torch.int32, device=device)
    N = (cu.numel() - 1) if cu is not None else B
    h0 = torch.randn(N, H, K, V, generator=gen, device=device) if with_h0 else None
    out, final = fn(*[x[n] for n in names], initial_state=h0,
                    output_final_state=True, cu_seqlens=cu)
    torch.cuda.synchronize()

    # The reference per sequence, fp64 from the same (rounded) inputs.
    seqs = []
    bounds = cu.tolist() if cu is not None else None
    for n in range(N):
        if bounds is not None:
            sl = {name: x[name][0, bounds[n]:bounds[n + 1]].double() for name in names}
        else:
            sl = {name: x[name][n].double() for name in names}
        seqs.append(sl)
    scale = K ** -0.5
    want_o, want_s = reference(rule, seqs, h0.double() if h0 is not None else None, scale)
    got_o = out.reshape(-1, H, V)
    return rel_err(got_o, want_o), rel_err(final, want_s), out.shape


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepare", metavar="DIR",
                        help="build the packages into DIR (needs larcc and nvcc, no GPU)")
    parser.add_argument("--larcc", default=str(REPO / "build-cuda/bin/larcc"))
    parser.add_argument("--runtime", help="liblarc_runtime.so to copy into DIR with --prepare")
    parser.add_argument("--packages", default=str(REPO / "build-gpu-check"),
                        help="the directory --prepare wrote")
    parser.add_argument("--tolerance", type=float, default=1e-2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    if args.prepare:
        prepare(args.prepare, args.larcc, args.runtime)
        return 0

    packages = Path(args.packages)
    lib = packages / "liblarc_runtime.so"
    if lib.exists() and "LARC_RUNTIME_LIBRARY" not in os.environ:
        os.environ["LARC_RUNTIME_LIBRARY"] = str(lib)
    sys.path.insert(0, str(REPO / "python"))
    import torch
    import larc
    import larc._rule as larc_rule

    ok, why = larc.driver_available()
    if not ok or not torch.cuda.is_available():
        print(f"no usable GPU: {why}")
        return 2
    print(f"device: {torch.cuda.get_device_name()}  runtime: {os.environ.get('LARC_RUNTIME_LIBRARY', '(default)')}")

    poison_outputs(larc_rule)

    gen = torch.Generator(device="cuda")
    gen.manual_seed(args.seed)
    # (B, T, H, varlen, initial state)
    cases = [(2, 200, 3, False, True), (1, 64, 2, False, False), (2, 1, 2, False, True),
             (1, 300, 2, True, True), (3, 129, 1, False, False)]
    worst = 0.0
    failed = []
    print(f"{'rule':<12} {'loads':<6} {'K':>4} {'V':>4} {'B':>2} {'T':>4} {'H':>2} "
          f"{'varlen':>6} {'h0':>3} {'o rel err':>10} {'S rel err':>10}")
    for rule in RULES:
        for K, V in DIMS:
            for loads in LOADS:
                pkg = packages / package_name(rule, K, V, loads)
                head = f"{rule:<12} {loads:<6} {K:>4} {V:>4}"
                if not pkg.exists():
                    print(f"{head}  missing package {pkg} (run --prepare)")
                    failed.append(f"{rule} {loads} K={K} V={V}: no package")
                    continue
                for case in cases:
                    try:
                        eo, es, _ = run_case(larc, torch, pkg, rule, K, V, case, gen)
                    except Exception as error:  # report and go on
                        print(f"{head}  {case}: {type(error).__name__}: {error}")
                        failed.append(f"{rule} {loads} K={K} V={V} {case}: {error}")
                        continue
                    B, T, H, varlen, h0 = case
                    bad = not (eo <= args.tolerance and es <= args.tolerance)
                    print(f"{head} {B:>2} {T:>4} {H:>2} {str(varlen):>6} "
                          f"{'y' if h0 else 'n':>3} {eo:>10.3e} {es:>10.3e}"
                          f"{'  FAIL' if bad else ''}")
                    worst = max(worst, eo, es)
                    if bad:
                        failed.append(f"{rule} {loads} K={K} V={V} {case}: "
                                      f"o {eo:.3e}, S {es:.3e}")
    print(f"worst relative error {worst:.3e} (tolerance {args.tolerance:.0e})")
    if failed:
        print("FAILED:\n  " + "\n  ".join(failed))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
