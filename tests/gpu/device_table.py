#!/usr/bin/env python3
"""The device table of issue 5 item 3: every example rule larcc compiles, on the GPU.

For every examples/*.larc whose package bench/prepare.sh wrote (rules larcc
refuses are listed with larcc's reason, from build-bench/REFUSED.txt) or, with
--peer-specs, every examples/peer/*.larc (flash-linear-attention's rules, named
peer/<stem>; packages and REFUSED.txt in build-bench/peer: issue 9 item 3), both
dims (K = V = 128 and 64; a rule's other dims, gsa's M slots, as its package's manifest
has them: M = K, prepare.sh's --dk), and a handful of cases (T not a multiple of 64, an
initial state or none, a packed variable-length batch with uneven lengths, one
sequence empty and one of a single token), on fresh random inputs:

  - larc's o and final state(s), outputs poisoned with NaN before the launch
    (an element the kernel does not write gives an infinite error);
  - flash-linear-attention's own bf16 chunk kernel on the same inputs, where it
    has the op (chunk_simple_gla, chunk_gla, chunk_delta_rule, ...; PEER_OPS);
  - a step-by-step fp64 recurrence of the rule (check_on_device.py's, imported,
    for the rules it has; the rest below, STEPS; a peer rule with the maths of
    another, SAME_MATHS, takes that one's).

Prints a table of relative errors ||got - ref|| / ||ref|| and a verdict per
row: larc's error at most 1.5x the peer's where the peer has the op, at most
1e-2 where it has none (or where the peer failed on that case, said in the
row). Exits 1 if any row fails.

--sanitize instead runs two shapes per rule (K = V = 128, initial state: a
varlen batch, and B = 1, T = 1000, which the runtime runs as 4 segments)
under compute-sanitizer --tool memcheck and --tool racecheck, only
larc's kernels instrumented (--kernel-name kns=larc_), one process per tool.

  # here (no GPU): packages and the runtime library into build-bench/ and build-bench/peer/
  bench/prepare.sh
  # on the GPU machine, carrying build-bench and .fla:
  PYTHONPATH=.fla:python python3 tests/gpu/device_table.py
  PYTHONPATH=.fla:python python3 tests/gpu/device_table.py --peer-specs [--rules comba,gdn2]
  PYTHONPATH=.fla:python python3 tests/gpu/device_table.py [--peer-specs] --sanitize
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

try:
    import torch
except ImportError:  # --help needs no torch
    torch = None

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
# Rules are named by their spec's path under examples/ less .larc: "gla" is
# examples/gla.larc (packages in build-bench), "peer/gla" examples/peer/gla.larc
# (flash-linear-attention's rules; packages in build-bench/peer).
#
# fp64 references. seqs: list of dicts of fp64 [T, H, ...] per sequence, by
# input name; h0: list (one per state, in the spec's order) of [N, H, ...] fp64
# or None. Returns (o [sum T, H, V], [final state per rule state, each [N, H, ...]]).

# Peer rules whose maths is another rule's: {rule: (that rule, {its input: the name there})}.
# Their reference, draws and peer op are that rule's.
SAME_MATHS = {
    "peer/retention": ("retnet", {}),
    "peer/simple_gla": ("simple_gla", {}),
    "peer/gla": ("gla", {"g": "gk"}),
    "peer/delta_rule": ("delta_rule", {}),
    "peer/gated_delta_rule": ("gated_delta_rule", {}),
    "peer/kda": ("kda", {}),
    "peer/comba": ("comba", {}),  # check_on_device's comba is this spec
}


def base_rule(rule):
    """(the rule whose reference, draws and peer op serve this one, its input renaming)."""
    return SAME_MATHS.get(rule, (rule, {}))


def renamed(x, names):
    return {names.get(k, k): v for k, v in x.items()}


l2 = cod.l2norm


def outer(a, b):  # [H, K], [H, V] -> [H, K, V]
    return a[:, :, None] * b[:, None, :]


def read(S, p):  # S^T p per head: [H, K, V], [H, K] -> [H, V]
    return torch.einsum("hkv,hk->hv", S, p)


def per_key(g):  # a log-decay per key [H, K] as a factor on S's rows
    return torch.exp(g)[:, :, None]


def per_head(g):  # a log-decay per head [H] as a factor on S
    return torch.exp(g)[:, None, None]


def delta_step(S, kn, v, beta):  # (I - beta kn kn^T) S + beta kn v^T
    return S + beta[:, None, None] * outer(kn, v - read(S, kn))


# One token of a rule: step(st, x, scale) advances the states in st (a dict by
# state name) by the token x (a dict of [H, ...] by input name) and returns o [H, V].

def step_gla(st, x, scale):
    st["S"] = per_key(x["gk"]) * st["S"] + outer(x["k"], x["v"])
    return read(st["S"], scale * x["q"])


def step_kda(st, x, scale):
    st["S"] = delta_step(per_key(x["g"]) * st["S"], l2(x["k"]), x["v"], x["beta"])
    return read(st["S"], scale * l2(x["q"]))


def step_decay_after_householder(st, x, scale):
    st["S"] = per_head(x["g"]) * delta_step(st["S"], l2(x["k"]), x["v"], x["beta"])
    return read(st["S"], scale * l2(x["q"]))


def step_gated_delta_gate(st, x, scale):
    kn = l2(x["k"])
    c = x["v"] - read(st["S"], kn)  # the previous state
    st["S"] = x["a"][:, :, None] * st["S"] + x["beta"][:, None, None] * outer(kn, c)
    return read(st["S"], scale * x["q"])


def step_delta_product(st, x, scale):  # peer/gated_delta_product: the gate g first
    S = per_head(x["g"]) * st["S"] if "g" in x else st["S"]
    S = delta_step(S, l2(x["k1"]), x["v1"], x["beta1"])
    st["S"] = delta_step(S, l2(x["k2"]), x["v2"], x["beta2"])
    return read(st["S"], scale * l2(x["q"]))


def step_rwkv6(st, x, scale):  # reads S_{t-1}, plus the bonus u
    r = scale * x["r"]
    o = read(st["S"], r) + (r * x["u"] * x["k"]).sum(-1, keepdim=True) * x["v"]
    st["S"] = per_key(x["w"]) * st["S"] + outer(x["k"], x["v"])
    return o


def elu1(a):
    return torch.nn.functional.elu(a) + 1.0


def linear_attention_step(phi, eps, scale_first=False):
    """S += phi(k) v^T, z += phi(k), o = S^T p / (z^T p + eps) with the probe p = scale phi(q),
    or phi(scale q) (scale_first: a feature map that sets the state's key dim, based and
    rebased)."""
    def step(st, x, scale):
        fk = phi(x["k"])
        fq = phi(scale * x["q"]) if scale_first else scale * phi(x["q"])
        st["S"] = st["S"] + outer(fk, x["v"])
        st["z"] = st["z"] + fk
        return read(st["S"], fq) / ((st["z"] * fq).sum(-1, keepdim=True) + eps)
    return step


def taylor2(x):  # Based's feature map (1, x, x (x) x / sqrt 2): [H, K] -> [H, 1 + K + K^2]
    H, K = x.shape
    kk = (x[:, :, None] * x[:, None, :]).reshape(H, K * K)
    return torch.cat([x.new_ones(H, 1), x, kk / math.sqrt(2.0)], -1)


def quadratic(x):  # ReBased's x (x) x: [H, K] -> [H, K^2]
    H, K = x.shape
    return (x[:, :, None] * x[:, None, :]).reshape(H, K * K)


def step_lightning_attn(st, x, scale):
    # log-decay -c h with c = 8 / 16 (1 - 0 / 24) = 0.5, as the spec writes it out
    heads = torch.arange(x["q"].shape[0], dtype=torch.float64, device=x["q"].device)
    st["S"] = torch.exp(-0.5 * heads)[:, None, None] * st["S"] + outer(x["k"], x["v"])
    return read(st["S"], scale * x["q"])


def step_gdn2(st, x, scale):  # (I - kn (b kn)^T) diag(exp(g)) S + kn (w v)^T
    kn = l2(x["k"])
    S = per_key(x["g"]) * st["S"]
    st["S"] = S - outer(kn, read(S, x["b"] * kn)) + outer(kn, x["w"] * x["v"])
    return read(st["S"], scale * l2(x["q"]))


def step_dplr(st, x, scale):  # (diag(exp(gk)) + b a^T) S + k v^T; iplr: no gk
    S = st["S"]
    decayed = per_key(x["gk"]) * S if "gk" in x else S
    st["S"] = decayed + outer(x["b"], read(S, x["a"])) + outer(x["k"], x["v"])
    return read(st["S"], scale * x["q"])


def step_rwkv7(st, x, scale):  # DPLR with the query r, the log-decay w and no scale
    return step_dplr(st, renamed(x, {"r": "q", "w": "gk"}), 1.0)


def preconditioned(A, k, g_atk, beta_atk):
    """precond_*'s A_t = exp(g_atk) A + beta_atk k*k and the key k * M(A_t), with the
    peer's defaults x = 1.5, eps = 1e-6, log_atk_scale = -0.2."""
    A = torch.exp(g_atk)[:, None] * A + beta_atk[:, None] * k * k
    r = torch.log(A + 1e-6) + 0.2
    return A, k * torch.exp(-math.log(1.5) * (r / (1 + r.abs())))


def step_precond_gated_delta_rule(st, x, scale):
    kn = l2(x["k"])
    st["A"], km = preconditioned(st["A"], kn, x["g_atk"], x["beta_atk"])
    S = per_head(x["g"]) * st["S"]
    st["S"] = S + x["beta"][:, None, None] * outer(km, x["v"] - read(S, kn))
    return read(st["S"], scale * l2(x["q"]))


def step_precond_kda(st, x, scale):  # no l2norm of q, k
    st["A"], km = preconditioned(st["A"], x["k"], x["g_atk"], x["beta_atk"])
    S = per_key(x["g"]) * st["S"]
    st["S"] = S + x["beta"][:, None, None] * outer(km, x["v"] - read(S, x["k"]))
    return read(st["S"], scale * x["q"])


def step_gated_oja_rule(st, x, scale):
    # P = h^T [V, K]: a KDA step with k and v swapped (the gate gv over P's rows), o = P (scale q)
    st["P"] = delta_step(per_key(x["gv"]) * st["P"], x["v"], x["k"], x["beta"])
    return torch.einsum("hvk,hk->hv", st["P"], scale * x["q"])


def step_gsa(st, x, scale):
    # hkT = hk^T [M, K] and hv [M, V], both decayed over their rows (the M slots) by exp(g) and
    # written by s; o = hv^T softmax(hkT (scale q)), the softmax over the slots
    st["hkT"] = per_key(x["g"]) * st["hkT"] + outer(x["s"], x["k"])
    st["hv"] = per_key(x["g"]) * st["hv"] + outer(x["s"], x["v"])
    p = torch.softmax(torch.einsum("hmk,hk->hm", st["hkT"], scale * x["q"]), -1)
    return read(st["hv"], p)


# The states, in the spec's order: (name, shape per head in the dims K, V and a rule's others
# (OTHER_DIMS)).
S_ONLY = (("S", "KV"),)
S_Z = (("S", "KV"), ("z", "K"))
A_S = (("A", "K"), ("S", "KV"))

# rule -> (step, states), for the rules check_on_device.reference does not know
STEPS = {
    "gla": (step_gla, S_ONLY),
    "kda": (step_kda, S_ONLY),
    "decay_after_householder": (step_decay_after_householder, S_ONLY),
    "gated_delta_gate": (step_gated_delta_gate, S_ONLY),
    "delta_product": (step_delta_product, S_ONLY),
    "linear_attention": (linear_attention_step(elu1, 0.0), S_Z),
    "peer/gated_delta_product": (step_delta_product, S_ONLY),
    "peer/linear_attn": (linear_attention_step(lambda a: a, 1e-10), S_Z),  # the op has no feature map
    "peer/lightning_attn": (step_lightning_attn, S_ONLY),
    "peer/rwkv6": (step_rwkv6, S_ONLY),
    "peer/gdn2": (step_gdn2, S_ONLY),
    "peer/dplr": (step_dplr, S_ONLY),
    "peer/iplr": (step_dplr, S_ONLY),
    "peer/rwkv7": (step_rwkv7, S_ONLY),
    "peer/precond_gated_delta_rule": (step_precond_gated_delta_rule, A_S),
    "peer/precond_kda": (step_precond_kda, A_S),
    "peer/gated_oja_rule": (step_gated_oja_rule, (("P", "VK"),)),
    "peer/gsa": (step_gsa, (("hkT", "MK"), ("hv", "MV"))),
    "peer/based": (linear_attention_step(taylor2, 1e-6, scale_first=True), (("S", "FV"), ("z", "F"))),
    "peer/rebased": (linear_attention_step(quadratic, 1e-5, scale_first=True), (("S", "FV"), ("z", "F"))),
}

# The q, k dim of rules whose feature map sets the state's key dim (F): Based's feature dim
# 16 (the peer's fused_chunk_based takes at most 16). Their packages are <rule>_k16_v<D>
# (bench/prepare.sh's --dims K=16), F = 1 + K + K^2 = 273 and K^2 = 256 keys.
FEATURE_DIM = {"peer/based": 16, "peer/rebased": 16}
DERIVED_DIMS = {"peer/based": {"F": lambda K: 1 + K + K * K}, "peer/rebased": {"F": lambda K: K * K}}


def package_dims(rule, D):
    """(K, V) of the package of rule at the bench's or the table's dim D."""
    return FEATURE_DIM.get(rule, D), D

# Dims other than K (q's last axis) and V (o's): {rule: {dim: the input whose last axis it is}}.
OTHER_DIMS = {
    "peer/gsa": {"M": "s"},  # the slots
}


def reference(rule, seqs, h0, scale):
    base, names = base_rule(rule)
    seqs = [renamed(x, names) for x in seqs]
    if base in COD_RULES:
        o, S = cod.reference(base, seqs, h0[0] if h0 is not None else None, scale)
        return o, [S]
    step, states = STEPS[base]
    outs, finals = [], []
    for n, x in enumerate(seqs):
        q, v = (x["q"] if "q" in x else x["r"]), (x["v"] if "v" in x else x["v1"])
        T, H, K = q.shape
        V = v.shape[-1]
        dims = dict(K=K, V=V, **{d: x[name].shape[-1] for d, name in OTHER_DIMS.get(base, {}).items()})
        dims.update({d: size(K) for d, size in DERIVED_DIMS.get(base, {}).items()})
        st = {name: h0[i][n].clone() if h0 is not None else
              torch.zeros((H, *(dims[d] for d in shape)), dtype=torch.float64, device=q.device)
              for i, (name, shape) in enumerate(states)}
        o = [step(st, {k: a[t] for k, a in x.items()}, scale) for t in range(T)]
        outs.append(torch.stack(o) if o else q.new_zeros(0, H, V))
        finals.append([st[name] for name, _ in states])
    return torch.cat(outs, 0), [torch.stack([f[i] for f in finals], 0) for i in range(len(states))]


def has_reference(rule):
    base = base_rule(rule)[0]
    return base in COD_RULES or base in STEPS


# ---------------------------------------------------------------------------
# flash-linear-attention's chunk op for a rule. PEER_OPS: rule -> (the op under
# fla.ops, run(op, x, h0, cu, final) calling it); peer_op(rule) gives
# fn(x, h0 list or None, cu, final=True) -> (o, [finals in the spec's state
# order]). final=False asks for no final state (bench.py's timed call).


def fla_op(path):
    """'gla.chunk_gla' -> fla.ops.gla.chunk_gla."""
    import importlib

    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module("fla.ops." + module), name)


def first(h0):
    return h0[0] if h0 is not None else None


def as_long(cu):
    return cu.long() if cu is not None else None


def chunk_op(names, **options):
    """An op taking the named inputs in this order, and one state [K, V]."""
    def run(op, x, h0, cu, final):
        o, s = op(*(x[n] for n in names.split()), initial_state=first(h0), output_final_state=final,
                  cu_seqlens=as_long(cu), **options)
        return o, [s]
    return run


L2_IN_KERNEL = dict(use_qk_l2norm_in_kernel=True)  # the specs read l2norm(q), l2norm(k)


def run_delta_product(op, x, h0, cu, final):  # peer/gated_delta_product has the gate g

    def inter(a, b):  # [B, T, ...] x2 -> [B, 2T, ...], sub-step 1 first
        return torch.stack([a, b], 2).flatten(1, 2).contiguous()
    o, s = op(x["q"], inter(x["k1"], x["k2"]), inter(x["v1"], x["v2"]), x.get("g"),
              inter(x["beta1"], x["beta2"]), num_householder=2, initial_state=first(h0),
              output_final_state=final, use_qk_l2norm_in_kernel=True, cu_seqlens=as_long(cu))
    return o, [s]


def linear_attn_op(phi):
    """chunk_linear_attn(phi(q), phi(k), v, normalize=True), states (S, z)."""
    def run(op, x, h0, cu, final):
        init = None
        if h0 is not None:
            init = (h0[0], h0[1][:, None].float())  # z as [N, 1, H, K]
        o, (s, z) = op(phi(x["q"]), phi(x["k"]), x["v"], initial_state=init, output_final_state=final,
                       normalize=True, cu_seqlens=as_long(cu))
        return o, [s, z.reshape(z.shape[0], *z.shape[-2:])]
    return run


def run_lightning_attn(op, x, h0, cu, final):
    # The op's slope is c = 8 / H (1 - layer_idx / num_layers); the spec's c = 0.5 (layer 0 of
    # 24 at H = 16) is layer 16 - H of 16 at any H.
    H = x["q"].shape[2]
    return chunk_op("q k v", layer_idx=16 - H, num_layers=16)(op, x, h0, cu, final)


def run_rwkv6(op, x, h0, cu, final):  # the peer's u is one [K] per head
    o, s = op(x["r"], x["k"], x["v"], x["w"], x["u"][0, 0], initial_state=first(h0),
              output_final_state=final, cu_seqlens=as_long(cu))
    return o, [s]


def run_gated_oja_rule(op, x, h0, cu, final):  # the peer's state h is the spec's P^T
    P0 = first(h0)
    o, h = op(x["q"], x["k"], x["v"], x["gv"], x["beta"],
              initial_state=None if P0 is None else P0.transpose(-1, -2).contiguous(),
              output_final_state=final, cu_seqlens=as_long(cu))
    return o, [None if h is None else h.transpose(-1, -2)]


def run_gsa(op, x, h0, cu, final):
    """chunk_gsa(q, k, v, s, g) with states (hkT, hv): the peer's hk [N, H, K, M] is the spec's
    hkT^T, its hv [N, H, M, V] the spec's hv; scale 1/sqrt(K), the spec's and the op's default."""
    init = None
    if h0 is not None:
        init = (h0[0].transpose(-1, -2).contiguous(), h0[1])
    o, finals = op(x["q"], x["k"], x["v"], x["s"], x["g"], scale=x["q"].shape[-1] ** -0.5,
                   initial_state=init, output_final_state=final, cu_seqlens=as_long(cu))
    hk, hv = finals if finals else (None, None)
    return o, [None if hk is None else hk.transpose(-1, -2), hv]


def feature_map_op(**options):
    """parallel_based / parallel_rebased: o only (no initial or final state), no cu_seqlens:
    a packed batch runs one call per sequence."""
    def run(op, x, h0, cu, final):
        if h0 is not None:
            raise ValueError("the op takes no initial state")
        names = ("q", "k", "v")
        if cu is None:
            return op(*(x[n] for n in names), **options), [None, None]
        bounds = cu.tolist()
        outs = [op(*(x[n][:, a:b] for n in names), **options) if b > a else x["v"][:, a:b]
                for a, b in zip(bounds, bounds[1:])]
        return torch.cat(outs, 1), [None, None]
    return run


def precond_op(names):
    """chunk_precond_*: states (A, S) in the specs' order; the op returns (o, S, A)."""
    def run(op, x, h0, cu, final):
        A0, S0 = h0 if h0 is not None else (None, None)
        o, S, A = op(*(x[n] for n in names.split()), initial_state=S0, initial_A_state=A0,
                     output_final_state=final, cu_seqlens=as_long(cu))
        return o, [A, S]
    return run


PEER_OPS = {
    "retnet": ("retention.chunk_retention", chunk_op("q k v")),
    "simple_gla": ("simple_gla.chunk_simple_gla", chunk_op("q k v g")),
    "gla": ("gla.chunk_gla", chunk_op("q k v gk")),
    "delta_rule": ("delta_rule.chunk_delta_rule", chunk_op("q k v beta", **L2_IN_KERNEL)),
    "gated_delta_rule": ("gated_delta_rule.chunk_gated_delta_rule",
                         chunk_op("q k v g beta", **L2_IN_KERNEL)),
    "kda": ("kda.chunk_kda", chunk_op("q k v g beta", **L2_IN_KERNEL)),
    "comba": ("comba.chunk_comba", chunk_op("q k v p g beta", **L2_IN_KERNEL)),  # and of p
    "delta_product": ("gated_delta_product.chunk_gated_delta_product", run_delta_product),
    "linear_attention": ("linear_attn.chunk_linear_attn", linear_attn_op(elu1)),  # the layer's map, in bf16
    "peer/gated_delta_product": ("gated_delta_product.chunk_gated_delta_product", run_delta_product),
    "peer/linear_attn": ("linear_attn.chunk_linear_attn", linear_attn_op(lambda a: a)),
    "peer/lightning_attn": ("lightning_attn.chunk_lightning_attn", run_lightning_attn),
    "peer/rwkv6": ("rwkv6.chunk_rwkv6", run_rwkv6),
    "peer/gdn2": ("gdn2.chunk_gdn2", chunk_op("q k v g b w", **L2_IN_KERNEL)),
    "peer/dplr": ("generalized_delta_rule.chunk_dplr_delta_rule", chunk_op("q k v a b gk")),
    "peer/iplr": ("generalized_delta_rule.chunk_iplr_delta_rule", chunk_op("q k v a b")),
    "peer/rwkv7": ("rwkv7.chunk_rwkv7", chunk_op("r w k v a b")),  # its default scale 1.0
    # precond_gated_delta_rule's op l2-normalises q and k by default, as the spec does;
    # precond_kda's always does, and the spec does not: DOMAINS gives it unit-norm q, k.
    "peer/precond_gated_delta_rule": ("precond_gated_delta_rule.chunk_precond_gated_delta_rule",
                                      precond_op("q k v g_atk g beta_atk beta")),
    "peer/precond_kda": ("precond_kda.chunk_precond_kda", precond_op("q k v g g_atk beta_atk beta")),
    "peer/gated_oja_rule": ("gated_oja_rule.chunk_gated_oja_rule", run_gated_oja_rule),
    "peer/gsa": ("gsa.chunk_gsa", run_gsa),
    "peer/based": ("based.parallel_based", feature_map_op(use_norm=True)),
    "peer/rebased": ("rebased.parallel_rebased", feature_map_op(use_scale=True, use_normalize=True)),
}


def peer_op(rule):
    """fn(x, h0=None, cu=None, final=True) -> (o, [finals]) running the peer's op for rule
    (for a rule of SAME_MATHS without its own, that rule's, inputs renamed), its name under
    fla.ops in fn.path; None where the peer has no chunk op."""
    base, names = (rule, {}) if rule in PEER_OPS else base_rule(rule)
    if base not in PEER_OPS:
        return None
    path, run = PEER_OPS[base]

    def fn(x, h0=None, cu=None, final=True):
        return run(fla_op(path), renamed(x, names), h0, cu, final)
    fn.path = path
    return fn


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


# Inputs some rules take in a narrower domain than the draw by role gives: fn(x, gen) edits x.

def per_head_u(x, gen):  # rwkv6: the peer's u is one vector per head: the same at every token
    x["u"] = x["u"][:1, :1].expand_as(x["u"]).contiguous()


def positive_qk(x, gen):
    # linear_attn: the op's domain (the layer applies a positive feature map first); on
    # signed q, k the denominator z^T (scale q) cancels
    x["q"], x["k"] = x["q"].abs(), x["k"].abs()


def unit_qk(x, gen):
    # precond_kda: the peer's chunk op l2-normalises q and k, the spec does not; on
    # unit-norm q, k the two agree (up to the bf16 rounding of the norm, ~1e-4)
    x["q"], x["k"] = (l2(x[n].float()).bfloat16() for n in ("q", "k"))


def unit_v(x, gen):
    # gated_oja_rule: the layer feeds a unit-norm v (I - beta v v^T is contractive only then)
    x["v"] = l2(x["v"].float()).bfloat16()


def contractive_ab(x, gen):
    # dplr, iplr, rwkv7: as the RWKV-7 layer passes them, a = -kk and b = kk * c with kk
    # unit-norm and c = sigmoid(N(0, 1)) per key, so the transition D + b a^T =
    # D - (c kk) kk^T stays contractive over T
    kk, c = l2(normal_like(x["a"], gen)), torch.sigmoid(normal_like(x["a"], gen))
    x["a"], x["b"] = (-kk).bfloat16(), (kk * c).bfloat16()


def rwkv7_domain(x, gen):  # and the RWKV-7 layer's log-decay w = -e^-1/2 sigmoid(N(0, 1))
    contractive_ab(x, gen)
    x["w"] = -math.exp(-0.5) * torch.sigmoid(normal_like(x["w"], gen))


def gsa_domain(x, gen):
    # as the GSA layer (fla.layers.gsa) feeds chunk_gsa: q, k through its default feature map
    # swish and v through silu, each of N(0, 1); the log-gate g = logsigmoid(N(0, 1)) / 8
    # (gate_logit_normalizer = 8: decays mostly 0.77 to 0.99) and s = 1 - exp(g) per slot
    silu = torch.nn.functional.silu
    for n in ("q", "k", "v"):
        x[n] = silu(normal_like(x[n], gen)).bfloat16()
    g = torch.nn.functional.logsigmoid(normal_like(x["g"], gen)) / 8.0
    x["g"], x["s"] = g.float(), (1.0 - torch.exp(g)).bfloat16()


def normal_like(t, gen):  # N(0, 1), fp32, t's shape
    return torch.randn(t.shape, generator=gen, device=gen.device)


def unit_normal_qk(x, gen):
    # based, rebased: q, k of N(0, 1) over the feature dim (the ReBased layer normalises them),
    # so s = (scale q) . k is of order 1 and the normaliser z^T phi(q) well away from 0
    for n in ("q", "k"):
        x[n] = normal_like(x[n], gen).bfloat16()


DOMAINS = {
    "peer/rwkv6": per_head_u,
    "peer/linear_attn": positive_qk,
    "peer/precond_kda": unit_qk,
    "peer/gated_oja_rule": unit_v,
    "peer/dplr": contractive_ab,
    "peer/iplr": contractive_ab,
    "peer/rwkv7": rwkv7_domain,
    "peer/gsa": gsa_domain,
    "peer/based": unit_normal_qk,
    "peer/rebased": unit_normal_qk,
}


def draw(rule, manifest, B, T, H, gen):
    """check_on_device's draws for the rules it has (or has the maths of); otherwise by
    role, each input's last axis the size of its dim in the manifest (K, V, or another, as
    gsa's M): queries and values N(0, 1), keys N(0, 1/K) in bf16; scalar log-gates
    log U(0.01, 1), per-key log-gates logsigmoid(2 + 2 N(0, 1)) (decays about
    0.5 to 1), gates sigmoid(3 + N(0, 1)), all fp32; coefficients sigmoid(N(0, 1))
    in bf16; then DOMAINS' edits."""
    dims = manifest["kernels"][0]["dims"]
    K, V = dims["K"], dims["V"]
    names = [i["name"] for i in manifest["inputs"]]
    base = base_rule(rule)[0]
    if base in COD_RULES:
        x = cod.draw_inputs(base, B, T, H, K, V, gen.device, gen)
        if set(x) == set(names):
            return x
    x = {}
    for inp in manifest["inputs"]:
        d = dims[inp["dim"]] if "dim" in inp else None
        shape = (B, T, H) + ((d,) if d else ())
        randn = torch.randn(*shape, generator=gen, device=gen.device)
        role = inp["role"]
        if role == "key":
            x[inp["name"]] = (randn / math.sqrt(d)).bfloat16()
        elif role in ("query", "value"):
            x[inp["name"]] = randn.bfloat16()
        elif role == "log_gate" and d:
            x[inp["name"]] = torch.nn.functional.logsigmoid(2.0 + 2.0 * randn).float()
        elif role == "log_gate":
            u = torch.rand(*shape, generator=gen, device=gen.device)
            x[inp["name"]] = torch.log(0.01 + 0.99 * u).float()
        elif role == "gate":
            x[inp["name"]] = torch.sigmoid(3.0 + randn).float()
        elif role == "coefficient":
            x[inp["name"]] = torch.sigmoid(randn).bfloat16()
        else:
            raise ValueError(f"{rule}: input {inp['name']} has role {role}")
    if rule in DOMAINS:
        DOMAINS[rule](x, gen)
    return x


def cuts_for(T):
    """Uneven lengths: an empty sequence and one of a single token among them."""
    return [0, T // 3, T // 3, T // 3 + 1, min(T, (2 * T) // 3 + 5), T]


def initial_states(manifest, N, H, gen):
    dims = manifest["kernels"][0]["dims"]
    out = []
    for s in manifest["states"]:
        shape = (N, H, dims[s["key_dim"]]) + ((dims[s["value_dim"]],) if "value_dim" in s else ())
        t = torch.randn(*shape, generator=gen, device=gen.device)
        if "value_dim" not in s:
            t = t.abs()  # vector states stay positive: linear attention's z, precond_*'s A
        out.append(t)
    return out


# Rules whose initial states are those the recurrence reaches from zero over a random prefix of
# PREFIX tokens: based and rebased divide by z^T phi(q), which a reached z keeps positive (a sum of
# phi(k_j) . phi(q) = 1 + s + s^2 / 2 or s^2) and a random z does not (it crosses zero).
REACHED_H0 = {"peer/based", "peer/rebased"}
PREFIX = 32


def reached_states(rule, manifest, N, H, gen):
    x = draw(rule, manifest, N, PREFIX, H, gen)
    seqs = [{k: v[n].double() for k, v in x.items()} for n in range(N)]
    K = manifest["kernels"][0]["dims"]["K"]
    return [f.float() for f in reference(rule, seqs, None, K ** -0.5)[1]]


def as_list(value):
    if value is None:
        return []
    return [value] if torch.is_tensor(value) else list(value)


# ---------------------------------------------------------------------------


def examples(peer=False):
    """The rules of examples/*.larc or, with peer, of examples/peer/*.larc (named peer/<stem>)."""
    return rule_names(sorted(p.stem for p in (REPO / "examples" / ("peer" if peer else "")).glob("*.larc")),
                      peer)


def rule_names(names, peer):
    """--rules NAME,... as rules: with peer (--peer-specs), stems of examples/peer specs."""
    return [f"peer/{n}" if peer and not n.startswith("peer/") else n for n in names if n]


def package(packages, rule, K, V):
    """bench/prepare.sh's package of rule: PACKAGES/<spec stem>_k{K}_v{V} (for peer rules
    PACKAGES is build-bench/peer)."""
    return Path(packages) / f"{rule.rsplit('/', 1)[-1]}_k{K}_v{V}"


def add_package_arguments(ap):
    """--peer-specs and --packages (this script's and bench/bench.py's); packages_folder(args) reads them."""
    ap.add_argument("--peer-specs", action="store_true",
                    help="flash-linear-attention's rules, examples/peer/*.larc (named peer/<stem>), "
                    "their packages in build-bench/peer")
    ap.add_argument("--packages", help="bench/prepare.sh's packages (default: build-bench, with "
                    "--peer-specs build-bench/peer)")


def packages_folder(args):
    """The packages' folder of --packages and --peer-specs; sets LARC_RUNTIME_LIBRARY, unless
    set, to bench/prepare.sh's copy of the runtime in that folder or the one above it."""
    folder = Path(args.packages or REPO / "build-bench" / ("peer" if args.peer_specs else ""))
    for d in (folder, folder.parent):
        lib = d / "liblarc_runtime.so"
        if lib.exists() and "LARC_RUNTIME_LIBRARY" not in os.environ:
            os.environ["LARC_RUNTIME_LIBRARY"] = str(lib.resolve())
    return str(folder)


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


def run_case(fn, rule, manifest, case, gen, peer):
    B, T, H, varlen, with_h0 = case
    x = draw(rule, manifest, B, T, H, gen)
    cu = torch.tensor(cuts_for(T), dtype=torch.int32, device="cuda") if varlen else None
    N = cu.numel() - 1 if varlen else B
    h0 = None
    if with_h0:
        h0 = (reached_states(rule, manifest, N, H, gen) if rule in REACHED_H0
              else initial_states(manifest, N, H, gen))
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
    err_s = [cod.rel_err(f, w) for f, w in zip(finals, want_s)]

    peer_o = peer_s = None
    peer_note = ""
    if peer is not None:
        try:
            po, ps = peer({k: v.clone() for k, v in x.items()},
                          [h.clone() for h in h0] if h0 else None, cu)
            torch.cuda.synchronize()
            peer_o = cod.rel_err(po.reshape(-1, H, V), want_o)
            # None: the op returns no such state (parallel_based): that state takes BAR_ABS
            peer_s = [None if f is None else cod.rel_err(f, w) for f, w in zip(ps, want_s)]
        except Exception as error:  # the row says so and takes the absolute bar
            peer_note = f"peer failed: {type(error).__name__}: {str(error).splitlines()[0][:120]}"
    return err_o, err_s, peer_o, peer_s, peer_note


def verdict(err_o, err_s, peer_o, peer_s):
    """err_s, peer_s: one error per final state. Each quantity is held to 1.5x the
    peer's error where the peer's own result is sane (its error at most BAR_ABS;
    chunk_linear_attn's z and chunk_precond_*'s states of varlen batches are not),
    else to BAR_ABS."""
    peer_s = peer_s if peer_s is not None else [None] * len(err_s)
    bars = [BAR_RATIO * p if p is not None and p <= BAR_ABS else BAR_ABS
            for p in [peer_o] + list(peer_s)]
    ok = all(e <= b for e, b in zip([err_o] + list(err_s), bars))  # NaN and inf fail
    ratio = [p is not None and p <= BAR_ABS for p in [peer_o] + list(peer_s)]
    bar = "1.5x peer" if all(ratio) else "1e-2" if not any(ratio) else "mixed"
    return ok, bar


def table(args):
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
          f"bar (o and each state): larc <= {BAR_RATIO}x the peer's bf16 error where the peer has "
          f"the op and its error is <= {BAR_ABS:.0e}, "
          f"<= {BAR_ABS:.0e} otherwise; the peer "
          + ("absent" if args.no_peer else "fully autotuned" if args.peer_autotune
             else "with the first of its autotune configs that runs (--peer-autotune for all)"), flush=True)
    gen = torch.Generator(device="cuda").manual_seed(args.seed)
    refused = refusals(args.packages)
    rows, failed, absent = [], [], []
    head = (f"| {'rule':<30} | {'K=V':>4} | {'B':>2} | {'T':>5} | {'H':>2} | {'varlen':>6} | {'h0':>2} | "
            f"{'o: larc':>9} | {'o: peer':>9} | {'S: larc':>9} | {'S: peer':>9} | {'bar':<9} | verdict |")
    lines = [head, "|" + "|".join("---" for _ in range(13)) + "|"]
    print(head, flush=True)
    for rule in args.rules:
        peer = peer_op(rule) if not args.no_peer else None
        for K, V in [package_dims(rule, D) for D, _ in args.dims]:
            pkg = package(args.packages, rule, K, V)
            if not pkg.exists():
                why = refused.get(pkg.name, "no package (run bench/prepare.sh)")
                absent.append(f"{rule} K={K} V={V}: {why}")
                continue
            if not has_reference(rule):
                absent.append(f"{rule} K={K} V={V}: no fp64 reference in device_table.py")
                continue
            manifest = json.loads((pkg / "manifest.json").read_text())
            fn = larc.load(str(pkg))
            other = {d: n for d, n in manifest["kernels"][0]["dims"].items() if d not in ("K", "V")}
            label = rule + "".join(f" {d}={n}" for d, n in other.items())  # peer/gsa M=64
            for case in CASES:
                B, T, H, varlen, h0 = case
                t0 = time.perf_counter()
                try:
                    eo, es, po, ps, note = run_case(fn, rule, manifest, case, gen, peer)
                except Exception as error:
                    eo, es = float("inf"), [float("inf")]
                    po = ps = None
                    note = f"larc failed: {type(error).__name__}: {str(error).splitlines()[0][:160]}"
                good, bar = verdict(eo, es, po, ps)
                # the table shows the worst state
                es, ps = max(es), max((p for p in ps or [] if p is not None), default=None)
                fmt = lambda e: "-" if e is None else f"{e:.2e}"  # noqa: E731
                line = (f"| {label:<30} | {K:>4} | {B:>2} | {T:>5} | {H:>2} | {'yes' if varlen else 'no':>6} | "
                        f"{'y' if h0 else 'n':>2} | {fmt(eo):>9} | {fmt(po):>9} | {fmt(es):>9} | {fmt(ps):>9} | "
                        f"{bar:<9} | {'PASS' if good else 'FAIL'} |" + (f" {note}" if note else ""))
                lines.append(line)
                print(line + f"  ({time.perf_counter() - t0:.1f} s)", flush=True)
                rows.append(dict(rule=rule, K=K, V=V, **other, B=B, T=T, H=H, varlen=varlen, initial_state=h0,
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
    import larc

    gen = torch.Generator(device="cuda").manual_seed(args.seed)
    bad = 0
    for rule in args.rules:
        pkg = package(args.packages, rule, *package_dims(rule, 128))
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
    rules = [r for r in args.rules if package(args.packages, r, *package_dims(r, 128)).exists()]
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
    add_package_arguments(ap)
    ap.add_argument("--rules", help="comma-separated rule names, with --peer-specs spec stems "
                    "(default: every examples/*.larc, with --peer-specs every examples/peer/*.larc)")
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
    args.packages = packages_folder(args)
    args.rules = (rule_names(args.rules.split(","), args.peer_specs) if args.rules
                  else examples(args.peer_specs))
    args.dims = [(int(d), int(d)) for d in args.dims.split(",") if d]
    if args.child:
        return child(args)
    if args.sanitize:
        return sanitize(args)
    return table(args)


if __name__ == "__main__":
    sys.exit(main())
