#!/usr/bin/env python3
"""The device table of issue 5 item 3: every example rule larcc compiles, on the GPU.

For every examples/*.larc whose package bench/prepare.sh wrote (rules larcc
refuses are listed with larcc's reason, from build-bench/REFUSED.txt), both
dims (K = V = 128 and 64), and a handful of cases (T not a multiple of 64, an
initial state or none, a packed variable-length batch with uneven lengths, one
sequence empty and one of a single token), on fresh random inputs:

  - larc's o and final state(s), outputs poisoned with NaN before the launch
    (an element the kernel does not write gives an infinite error);
  - flash-linear-attention's own bf16 chunk kernel on the same inputs, where it
    has the op (chunk_simple_gla, chunk_gla, chunk_delta_rule, ...);
  - a step-by-step fp64 recurrence of the rule (check_on_device.py's, imported,
    for the rules it has; the rest below).

Prints a table of relative errors ||got - ref|| / ||ref|| and a verdict per
row: larc's error at most 1.5x the peer's where the peer has the op, at most
1e-2 where it has none (or where the peer failed on that case, said in the
row). Exits 1 if any row fails.

--sanitize instead runs two shapes per rule (K = V = 128, initial state: a
varlen batch, and B = 1, T = 1000, which the runtime runs as 4 segments)
under compute-sanitizer --tool memcheck and --tool racecheck, only
larc's kernels instrumented (--kernel-name kns=larc_), one process per tool.

  # here (no GPU): packages and the runtime library into build-bench/
  bench/prepare.sh
  # on the GPU machine, carrying build-bench and .fla:
  PYTHONPATH=.fla:python python3 tests/gpu/device_table.py --packages build-bench
  PYTHONPATH=.fla:python python3 tests/gpu/device_table.py --packages build-bench --sanitize
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO / "python"))

import check_on_device as cod  # noqa: E402  (the fp64 recurrences, l2norm, draws, rel_err)

DIMS = [(128, 128), (64, 64)]
# (B, T, H, varlen, initial state); varlen packs B = 1 with uneven lengths. T is
# never a multiple of 64. One H throughout: the peer's kernels take H as a
# compile-time constant, and every new value, like every other flag combination,
# costs another round of its autotuning (tens of seconds per op).
CASES = [
    (2, 200, 2, False, True),
    (1, 300, 2, True, True),
    (1, 1000, 2, True, False),
    # 4 (sequence, head) pairs fill 4 SMs: the runtime splits each sequence
    # (4 segments of 256 tokens on a 132-SM H100; LARC_SEGMENTS=1 turns it off)
    (2, 1000, 2, False, True),
]
# the rules check_on_device.reference knows
COD_RULES = {"additive", "retnet", "simple_gla", "two_terms", "delta_rule",
             "gated_delta_rule", "comba", "const_delta"}
BAR_RATIO = 1.5
BAR_ABS = 1e-2


# ---------------------------------------------------------------------------
# fp64 references. seqs: list of dicts of fp64 [T, H, ...] per sequence;
# h0: list (one per state) of [N, H, ...] fp64 or None. Returns
# (o [sum T, H, V], [final state per rule state, each [N, H, ...]]).


def reference(rule, seqs, h0, scale):
    import torch

    if rule in COD_RULES:
        o, S = cod.reference(rule, seqs, h0[0] if h0 is not None else None, scale)
        return o, [S]
    l2 = cod.l2norm
    outs, finals = [], []
    for n, x in enumerate(seqs):
        q, v = (x["q"] if "q" in x else x["r"]), (x["v"] if "v" in x else x["v1"])
        T, H, K = q.shape
        V = v.shape[-1]
        dev = q.device
        S = h0[0][n].clone() if h0 is not None else torch.zeros(H, K, V, dtype=torch.float64, device=dev)
        z = None
        if rule == "linear_attention":
            z = h0[1][n].clone() if h0 is not None else torch.zeros(H, K, dtype=torch.float64, device=dev)
        o = torch.empty(T, H, V, dtype=torch.float64, device=dev)

        def delta_step(S, kn, vt, beta):  # S - beta kn (kn^T S) + beta kn v^T
            b = beta[:, None, None]
            pred = torch.einsum("hk,hkv->hv", kn, S)
            return S + b * kn[:, :, None] * (vt - pred)[:, None, :]

        for t in range(T):
            qt = q[t]
            if rule == "gla":
                S = torch.exp(x["gk"][t])[:, :, None] * S + x["k"][t][:, :, None] * x["v"][t][:, None, :]
                probe = scale * qt
            elif rule == "kda":
                S = torch.exp(x["g"][t])[:, :, None] * S
                S = delta_step(S, l2(x["k"][t]), x["v"][t], x["beta"][t])
                probe = scale * l2(qt)
            elif rule == "decay_after_householder":
                S = delta_step(S, l2(x["k"][t]), x["v"][t], x["beta"][t])
                S = torch.exp(x["g"][t])[:, None, None] * S
                probe = scale * l2(qt)
            elif rule == "gated_delta_gate":
                kn = l2(x["k"][t])
                c = x["v"][t] - torch.einsum("hk,hkv->hv", kn, S)  # the previous state
                S = x["a"][t][:, :, None] * S + x["beta"][t][:, None, None] * kn[:, :, None] * c[:, None, :]
                probe = scale * qt
            elif rule == "delta_product":
                S = delta_step(S, l2(x["k1"][t]), x["v1"][t], x["beta1"][t])
                S = delta_step(S, l2(x["k2"][t]), x["v2"][t], x["beta2"][t])
                probe = scale * l2(qt)
            elif rule == "rwkv6":  # reads S_{t-1}, plus the bonus u
                probe = scale * qt
                o[t] = torch.einsum("hkv,hk->hv", S, probe) + \
                    (probe * x["u"][t] * x["k"][t]).sum(-1, keepdim=True) * x["v"][t]
                S = torch.exp(x["w"][t])[:, :, None] * S + x["k"][t][:, :, None] * x["v"][t][:, None, :]
                continue
            elif rule == "linear_attention":
                elu1 = lambda a: torch.nn.functional.elu(a) + 1.0  # noqa: E731
                fk = elu1(x["k"][t])
                S = S + fk[:, :, None] * x["v"][t][:, None, :]
                z = z + fk
                fq = scale * elu1(qt)
                o[t] = torch.einsum("hkv,hk->hv", S, fq) / (z * fq).sum(-1, keepdim=True)
                continue
            else:
                raise KeyError(rule)
            o[t] = torch.einsum("hkv,hk->hv", S, probe)
        outs.append(o)
        finals.append([S] if z is None else [S, z])
    return torch.cat(outs, 0), [torch.stack([f[i] for f in finals], 0) for i in range(len(finals[0]))]


def has_reference(rule):
    return rule in COD_RULES or rule in {"gla", "kda", "decay_after_householder", "gated_delta_gate",
                                         "delta_product", "linear_attention", "rwkv6"}


# ---------------------------------------------------------------------------
# flash-linear-attention's op for a rule: fn(x, h0 list or None, cu) -> (o, [finals]).


def peer_op(rule):
    import torch

    def cu_long(cu):
        return cu.long() if cu is not None else None

    def one(h0):
        return h0[0] if h0 is not None else None

    if rule == "retnet":
        def run(x, h0, cu):
            from fla.ops.retention import chunk_retention
            o, s = chunk_retention(x["q"], x["k"], x["v"], initial_state=one(h0),
                                   output_final_state=True, cu_seqlens=cu_long(cu))
            return o, [s]
    elif rule == "simple_gla":
        def run(x, h0, cu):
            from fla.ops.simple_gla import chunk_simple_gla
            o, s = chunk_simple_gla(x["q"], x["k"], x["v"], g=x["g"], initial_state=one(h0),
                                    output_final_state=True, cu_seqlens=cu_long(cu))
            return o, [s]
    elif rule == "rwkv6":
        def run(x, h0, cu):
            from fla.ops.rwkv6 import chunk_rwkv6
            o, s = chunk_rwkv6(x["r"], x["k"], x["v"], x["w"], x["u"][0, 0], initial_state=one(h0),
                               output_final_state=True, cu_seqlens=cu_long(cu))
            return o, [s]
    elif rule == "gla":
        def run(x, h0, cu):
            from fla.ops.gla import chunk_gla
            o, s = chunk_gla(x["q"], x["k"], x["v"], g=x["gk"], initial_state=one(h0),
                             output_final_state=True, cu_seqlens=cu_long(cu))
            return o, [s]
    elif rule == "delta_rule":
        def run(x, h0, cu):
            from fla.ops.delta_rule import chunk_delta_rule
            o, s = chunk_delta_rule(x["q"], x["k"], x["v"], x["beta"], initial_state=one(h0),
                                    output_final_state=True, use_qk_l2norm_in_kernel=True,
                                    cu_seqlens=cu_long(cu))
            return o, [s]
    elif rule == "gated_delta_rule":
        def run(x, h0, cu):
            from fla.ops.gated_delta_rule import chunk_gated_delta_rule
            o, s = chunk_gated_delta_rule(x["q"], x["k"], x["v"], x["g"], x["beta"],
                                          initial_state=one(h0), output_final_state=True,
                                          use_qk_l2norm_in_kernel=True, cu_seqlens=cu_long(cu))
            return o, [s]
    elif rule == "kda":
        def run(x, h0, cu):
            from fla.ops.kda import chunk_kda
            o, s = chunk_kda(x["q"], x["k"], x["v"], x["g"], x["beta"], initial_state=one(h0),
                             output_final_state=True, use_qk_l2norm_in_kernel=True,
                             cu_seqlens=cu_long(cu))
            return o, [s]
    elif rule == "delta_product":
        def run(x, h0, cu):
            from fla.ops.gated_delta_product import chunk_gated_delta_product

            def inter(a, b):  # [B, T, ...] x2 -> [B, 2T, ...], sub-step 1 first
                return torch.stack([a, b], 2).flatten(1, 2).contiguous()
            o, s = chunk_gated_delta_product(
                x["q"], inter(x["k1"], x["k2"]), inter(x["v1"], x["v2"]), None,
                inter(x["beta1"], x["beta2"]), num_householder=2, initial_state=one(h0),
                output_final_state=True, use_qk_l2norm_in_kernel=True, cu_seqlens=cu_long(cu))
            return o, [s]
    elif rule == "linear_attention":
        def run(x, h0, cu):
            from fla.ops.linear_attn import chunk_linear_attn
            phi = lambda a: torch.nn.functional.elu(a) + 1  # noqa: E731  (FLA's layer, in bf16)
            init = None
            if h0 is not None:
                init = (h0[0], h0[1][:, None].float())  # z as [N, 1, H, K]
            o, (s, z) = chunk_linear_attn(phi(x["q"]), phi(x["k"]), x["v"], initial_state=init,
                                          output_final_state=True, normalize=True,
                                          cu_seqlens=cu_long(cu))
            return o, [s, z.reshape(z.shape[0], *z.shape[-2:])]
    else:
        return None
    return run


def peer_one_config():
    """Makes every Triton autotuner run the first of its configs that compiles and
    launches, instead of compiling and timing them all: the peer's numerics are the
    same kernels' (a config changes tile sizes, warps and stages, not the maths),
    and its first call per flag combination takes seconds instead of 30-90 s."""
    from triton.runtime.autotuner import Autotuner

    original = Autotuner.run

    def run(self, *args, **kwargs):
        every = getattr(self, "_larc_configs", None)
        if every is None:
            if len(self.configs) <= 1:
                return original(self, *args, **kwargs)
            every = self._larc_configs = list(self.configs)
        if len(self.configs) == 1:  # the one chosen before
            try:
                return original(self, *args, **kwargs)
            except Exception:  # it does not fit this call's sizes: choose again
                pass
        failure = None
        for config in every:
            self.configs = [config]
            try:
                return original(self, *args, **kwargs)
            except Exception as error:  # out of resources and the like: the next one
                failure = error
        self.configs = every
        raise failure

    Autotuner.run = run


# ---------------------------------------------------------------------------
# inputs


def draw(rule, manifest, B, T, H, gen):
    """check_on_device's draws for the rules it has; otherwise by role:
    queries and values N(0, 1), keys N(0, 1/K) in bf16; scalar log-gates
    log U(0.01, 1), per-key log-gates logsigmoid(2 + 2 N(0, 1)) (decays about
    0.5 to 1), gates sigmoid(3 + N(0, 1)), all fp32; coefficients sigmoid(N(0, 1))
    in bf16."""
    import torch

    dims = manifest["kernels"][0]["dims"]
    K, V = dims["K"], dims["V"]
    names = [i["name"] for i in manifest["inputs"]]
    if rule in COD_RULES:
        x = cod.draw_inputs(rule, B, T, H, K, V, "cuda", gen)
        if set(x) == set(names):
            return x
    x = {}
    for inp in manifest["inputs"]:
        d = dims[inp["dim"]] if "dim" in inp else None
        shape = (B, T, H) + ((d,) if d else ())
        randn = torch.randn(*shape, generator=gen, device="cuda")
        role = inp["role"]
        if role == "key":
            x[inp["name"]] = (randn / math.sqrt(d)).bfloat16()
        elif role in ("query", "value"):
            x[inp["name"]] = randn.bfloat16()
        elif role == "log_gate" and d:
            x[inp["name"]] = torch.nn.functional.logsigmoid(2.0 + 2.0 * randn).float()
        elif role == "log_gate":
            u = torch.rand(*shape, generator=gen, device="cuda")
            x[inp["name"]] = torch.log(0.01 + 0.99 * u).float()
        elif role == "gate":
            x[inp["name"]] = torch.sigmoid(3.0 + randn).float()
        elif role == "coefficient":
            x[inp["name"]] = torch.sigmoid(randn).bfloat16()
        else:
            raise ValueError(f"{rule}: input {inp['name']} has role {role}")
    if rule == "rwkv6":  # the peer's u is one vector per head: the same at every token
        x["u"] = x["u"][:1, :1].expand_as(x["u"]).contiguous()
    return x


def cuts_for(T):
    """Uneven lengths: an empty sequence and one of a single token among them."""
    return [0, T // 3, T // 3, T // 3 + 1, min(T, (2 * T) // 3 + 5), T]


def initial_states(manifest, N, H, gen):
    import torch

    dims = manifest["kernels"][0]["dims"]
    out = []
    for s in manifest["states"]:
        shape = (N, H, dims[s["key_dim"]]) + ((dims[s["value_dim"]],) if "value_dim" in s else ())
        t = torch.randn(*shape, generator=gen, device="cuda")
        if "value_dim" not in s:
            t = t.abs()  # a normaliser state (linear attention's z) stays positive
        out.append(t)
    return out


def as_list(value):
    import torch

    if value is None:
        return []
    return [value] if torch.is_tensor(value) else list(value)


# ---------------------------------------------------------------------------


def examples():
    return sorted(p.stem for p in (REPO / "examples").glob("*.larc"))


def refusals(packages):
    """bench/prepare.sh's REFUSED.txt: {package name: why larcc refused it}."""
    path = Path(packages) / "REFUSED.txt"
    out = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if "\t" in line:
                name, why = line.split("\t", 1)
                out[name] = why
    return out


def run_case(fn, rule, manifest, case, gen, torch, peer):
    B, T, H, varlen, with_h0 = case
    x = draw(rule, manifest, B, T, H, gen)
    cu = torch.tensor(cuts_for(T), dtype=torch.int32, device="cuda") if varlen else None
    N = cu.numel() - 1 if varlen else B
    h0 = initial_states(manifest, N, H, gen) if with_h0 else None
    names = [i["name"] for i in manifest["inputs"]]
    o, finals = fn(**{n: x[n] for n in names},
                   initial_state=(None if h0 is None else (h0[0] if len(h0) == 1 else tuple(h0))),
                   output_final_state=True, cu_seqlens=cu)
    torch.cuda.synchronize()
    finals = as_list(finals)

    bounds = cu.tolist() if varlen else None
    seqs = []
    for n in range(N):
        if varlen:
            seqs.append({k: x[k][0, bounds[n]:bounds[n + 1]].double() for k in names})
        else:
            seqs.append({k: x[k][n].double() for k in names})
    K = manifest["kernels"][0]["dims"]["K"]
    want_o, want_s = reference(rule, seqs, [h.double() for h in h0] if h0 else None, K ** -0.5)
    V = want_o.shape[-1]
    err_o = cod.rel_err(o.reshape(-1, H, V), want_o)
    err_s = max(cod.rel_err(f, w) for f, w in zip(finals, want_s))

    peer_o = peer_s = None
    peer_note = ""
    if peer is not None:
        try:
            po, ps = peer({k: v.clone() for k, v in x.items()},
                          [h.clone() for h in h0] if h0 else None, cu)
            torch.cuda.synchronize()
            peer_o = cod.rel_err(po.reshape(-1, H, V), want_o)
            peer_s = max(cod.rel_err(f, w) for f, w in zip(ps, want_s))
        except Exception as error:  # the row says so and takes the absolute bar
            peer_note = f"peer failed: {type(error).__name__}: {str(error).splitlines()[0][:120]}"
    return err_o, err_s, peer_o, peer_s, peer_note


def verdict(err_o, err_s, peer_o, peer_s):
    if peer_o is not None and peer_s is not None:
        bar_o, bar_s = BAR_RATIO * peer_o, BAR_RATIO * peer_s
        bar = "1.5x peer"
    else:
        bar_o = bar_s = BAR_ABS
        bar = "1e-2"
    ok = err_o <= bar_o and err_s <= bar_s  # NaN and inf fail
    return ok, bar


def table(args):
    import torch
    import larc
    import larc._rule as larc_rule

    ok, why = larc.driver_available()
    if not ok or not torch.cuda.is_available():
        print(f"no usable GPU: {why}")
        return 2
    cod.poison_outputs(larc_rule)
    if not args.no_peer and not args.peer_autotune:
        try:
            peer_one_config()
        except Exception as error:
            print(f"could not restrict the peer's autotuning ({error}); it autotunes fully")
            args.peer_autotune = True
    device = torch.cuda.get_device_name()
    print(f"device: {device}; outputs poisoned with NaN before every larc launch; "
          f"bar: larc <= {BAR_RATIO}x the peer's bf16 error where the peer has the op, "
          f"<= {BAR_ABS:.0e} otherwise; the peer "
          + ("absent" if args.no_peer else "fully autotuned" if args.peer_autotune
             else "with the first of its autotune configs that runs (--peer-autotune for all)"), flush=True)
    gen = torch.Generator(device="cuda").manual_seed(args.seed)
    refused = refusals(args.packages)
    rows, failed, absent = [], [], []
    head = (f"| {'rule':<24} | {'K=V':>4} | {'B':>2} | {'T':>5} | {'H':>2} | {'varlen':>6} | {'h0':>2} | "
            f"{'o: larc':>9} | {'o: peer':>9} | {'S: larc':>9} | {'S: peer':>9} | {'bar':<9} | verdict |")
    lines = [head, "|" + "|".join("---" for _ in range(13)) + "|"]
    print(head, flush=True)
    for rule in args.rules:
        if not has_reference(rule):
            absent.append(f"{rule}: no fp64 reference in device_table.py")
            continue
        peer = peer_op(rule) if not args.no_peer else None
        for K, V in args.dims:
            pkg = Path(args.packages) / f"{rule}_k{K}_v{V}"
            if not pkg.exists():
                why = refused.get(f"{rule}_k{K}_v{V}", "no package (run bench/prepare.sh)")
                absent.append(f"{rule} K={K} V={V}: {why}")
                continue
            manifest = json.loads((pkg / "manifest.json").read_text())
            fn = larc.load(str(pkg))
            for case in CASES:
                B, T, H, varlen, h0 = case
                t0 = time.perf_counter()
                try:
                    eo, es, po, ps, note = run_case(fn, rule, manifest, case, gen, torch, peer)
                except Exception as error:
                    eo = es = float("inf")
                    po = ps = None
                    note = f"larc failed: {type(error).__name__}: {str(error).splitlines()[0][:160]}"
                good, bar = verdict(eo, es, po, ps)
                fmt = lambda e: "-" if e is None else f"{e:.2e}"  # noqa: E731
                line = (f"| {rule:<24} | {K:>4} | {B:>2} | {T:>5} | {H:>2} | {'yes' if varlen else 'no':>6} | "
                        f"{'y' if h0 else 'n':>2} | {fmt(eo):>9} | {fmt(po):>9} | {fmt(es):>9} | {fmt(ps):>9} | "
                        f"{bar:<9} | {'PASS' if good else 'FAIL'} |" + (f" {note}" if note else ""))
                lines.append(line)
                print(line + f"  ({time.perf_counter() - t0:.1f} s)", flush=True)
                rows.append(dict(rule=rule, K=K, V=V, B=B, T=T, H=H, varlen=varlen, initial_state=h0,
                                 err_o=eo, err_s=es, peer_err_o=po, peer_err_s=ps, bar=bar,
                                 ok=good, note=note))
                if not good:
                    failed.append(line)
    print("\n" + "\n".join(lines))
    for a in absent:
        print(f"not in the table: {a}")
    worst = max((max(r["err_o"], r["err_s"]) for r in rows), default=float("nan"))
    ratios = [max(r["err_o"] / r["peer_err_o"], r["err_s"] / r["peer_err_s"]) for r in rows
              if r["peer_err_o"] and r["peer_err_s"]]
    summary = (f"{len(rows)} rows, {len(rows) - len(failed)} PASS, {len(failed)} FAIL; worst larc error "
               f"{worst:.2e}" + (f"; worst larc/peer error ratio {max(ratios):.2f}" if ratios else ""))
    print(summary)
    if args.out:
        Path(args.out).write_text(json.dumps(dict(device=device, date=time.strftime("%Y-%m-%d"),
                                                  rows=rows, absent=absent, summary=summary), indent=1))
    return 1 if failed else 0


# ---------------------------------------------------------------------------
# compute-sanitizer: the parent starts one child per tool; the child runs one
# shape per rule (K = V = 128, varlen, initial state) and checks the outputs
# are finite.


def child(args):
    import torch
    import larc

    gen = torch.Generator(device="cuda").manual_seed(args.seed)
    bad = 0
    for rule in args.rules:
        pkg = Path(args.packages) / f"{rule}_k128_v128"
        if not pkg.exists():
            continue
        manifest = json.loads((pkg / "manifest.json").read_text())
        fn = larc.load(str(pkg))
        H = 2
        names = [i["name"] for i in manifest["inputs"]]
        # varlen (never split), then one long sequence (split into segments)
        for T, varlen in ((200, True), (1000, False)):
            x = draw(rule, manifest, 1, T, H, gen)
            cu = torch.tensor(cuts_for(T), dtype=torch.int32, device="cuda") if varlen else None
            h0 = initial_states(manifest, cu.numel() - 1 if varlen else 1, H, gen)
            o, finals = fn(**{n: x[n] for n in names}, initial_state=h0[0] if len(h0) == 1 else tuple(h0),
                           output_final_state=True, cu_seqlens=cu)
            torch.cuda.synchronize()
            finite = all(torch.isfinite(t.float()).all().item() for t in as_list(o) + as_list(finals))
            bad += not finite
            print(f"sanitizer child: {rule} K=V=128 {'varlen' if varlen else 'B=1'} T={T} H={H}: "
                  f"{'finite' if finite else 'NOT FINITE'}", flush=True)
    return 1 if bad else 0


def sanitize(args):
    rules = [r for r in args.rules if (Path(args.packages) / f"{r}_k128_v128").exists()]
    print(f"compute-sanitizer on {', '.join(rules)} (K = V = 128, B = 1 varlen T = 200 H = 2, "
          f"initial state), kernels named larc_*", flush=True)
    result = 0
    summary = []
    for tool in ("memcheck", "racecheck"):
        cmd = ["compute-sanitizer", "--tool", tool, "--kernel-name", "kns=larc_", "--error-exitcode", "3"]
        if tool == "racecheck":
            cmd += ["--racecheck-report", "all"]
        cmd += [sys.executable, __file__, "--child", "--packages", args.packages, "--rules", ",".join(rules)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        out = proc.stdout + proc.stderr
        tail = [ln for ln in out.splitlines() if "SUMMARY" in ln or "child" in ln or "rror" in ln][-12:]
        print(f"--- {tool}: exit {proc.returncode} ({time.perf_counter() - t0:.0f} s)\n" + "\n".join(tail),
              flush=True)
        if args.out:
            Path(args.out).with_suffix(f".{tool}.log").write_text(out)
        clean = proc.returncode == 0
        summary.append(f"{tool}: {'clean' if clean else 'NOT CLEAN (exit %d)' % proc.returncode}")
        result |= 0 if clean else 1
    print("; ".join(summary))
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packages", default=str(REPO / "build-bench"))
    ap.add_argument("--rules", default=",".join(examples()),
                    help="comma-separated rule names (default: every examples/*.larc)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dims", default="128,64", help="K = V values to test (default 128,64)")
    ap.add_argument("--no-peer", action="store_true", help="skip flash-linear-attention")
    ap.add_argument("--peer-autotune", action="store_true",
                    help="let the peer autotune fully (30-90 s per op and flag combination) instead of "
                    "running the first of its configs that works")
    ap.add_argument("--out", help="write the rows as JSON here")
    ap.add_argument("--sanitize", action="store_true",
                    help="one shape per rule under compute-sanitizer memcheck and racecheck")
    ap.add_argument("--segments", help="set LARC_SEGMENTS: force this many segments per sequence "
                    "(1: never split) instead of the runtime's choice by shape")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.segments:
        os.environ["LARC_SEGMENTS"] = args.segments
    args.rules = [r for r in args.rules.split(",") if r]
    args.dims = [(int(d), int(d)) for d in args.dims.split(",") if d]
    lib = Path(args.packages) / "liblarc_runtime.so"
    if lib.exists() and "LARC_RUNTIME_LIBRARY" not in os.environ:
        os.environ["LARC_RUNTIME_LIBRARY"] = str(lib.resolve())
    if args.child:
        return child(args)
    if args.sanitize:
        return sanitize(args)
    return table(args)


if __name__ == "__main__":
    sys.exit(main())
