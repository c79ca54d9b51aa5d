#!/usr/bin/env python3
"""larc against flash-linear-attention itself, one rule of examples/peer at a time.

Two halves, because larc's CPU path (MLIR JIT) and the peer (PyTorch + Triton)
live on different machines:

  here (MLIR, no torch):
    python3 tests/peer/compare_with_peer.py --prepare build-peer-check \
        --larcc build-peer/bin/larcc
  runs `larcc export` on every examples/peer/*.larc: the random problem
  `larcc verify` would draw (FLA layout, fp64), larc's derived chunk form run
  in f64 and larc's fp64 recurrence, as .npy files under DIR/<rule>/.

  on the GPU machine (torch, triton, fla on PYTHONPATH; carry
  ["build-peer-check", ".fla"]):
    PYTHONPATH=$PWD/.fla:$PYTHONPATH \
        python3 tests/peer/compare_with_peer.py --check build-peer-check
  feeds the same inputs, cast to fp32 on cuda, to the peer's reference for
  the rule (fla/ops/<op>/naive.py's recurrence, else the op's fused_recurrent_*
  Triton kernel, both fp32) and prints, per rule, ||larc - peer|| / ||peer||
  of every output and final state. larc's side is its f64 chunk form; the
  peer computes in fp32, so its own rounding over T = 77 tokens (~1e-7 per
  step, a few 1e-6 at worst on these sizes) is what the bound 1e-5 allows.
  Any error above it is a FAIL, and the exit status is non-zero. With
  --json PATH it also writes the results as {rule: {"outputs": {name:
  rel_err}, "pass": bool}} (pass null for a skipped rule; "error" where the
  mapping did not run), which tools/coverage.py --peer-json reads.

  --parse-only (or --check where torch is missing) reads every file back and
  checks it against problem.json without running the peer; it exits 0 only
  under --parse-only.

Each rule below maps larc's named inputs onto one peer function. The peer's
conventions (read from .fla/fla/ops/<op>/): naive functions take fp32; some
take [B, H, T, D] (bhtd); most do not l2-normalise, so the rules whose spec
reads l2norm(q), l2norm(k) get fla's l2norm, x / sqrt(x.x + 1e-6), applied
here; scale defaults to 1/sqrt(K) in all of them except where noted.
"""

import argparse
import json
import math
import os
import struct
import subprocess
import sys
from array import array
from pathlib import Path

# The shape every rule is exported with: small, odd, T not a multiple of the
# chunk (16) so the partial last chunk runs, dk != dv so a swapped axis shows,
# with random initial states.
SHAPE = dict(B=2, T=77, H=2, dk=16, dv=12, chunk=16, seed=1)
BOUND = 1e-5  # the peer's fp32 arithmetic over T tokens; larc's side is f64

# rule -> (peer function, extra `larcc export` arguments). The function that
# maps the rule onto the peer is run_<rule> below; a rule listed in SKIPPED
# is not run and says why.
PEER = {
    # The layer applies a positive feature map to q and k before the op; on
    # signed random q, k, z_0 the denominator z^T (scale q) cancels, and the
    # fp32 peer's o is off by 3.9e-5 from its own rounding (S and z 1.6e-7;
    # measured on an H100, 2026-11-23). Export |q|, |k|, |z_0|, the op's
    # domain, where the denominator is a sum of positive terms.
    'linear_attn': ('linear_attn.naive.naive_recurrent_linear_attn(normalize=True)',
                    ['--positive', 'q', '--positive', 'k', '--positive', 'z']),
    'retention': ('retention.fused_recurrent.fused_recurrent_retention', []),
    # The spec writes lightning's slope for H = 16 heads (c = 8/16), the op
    # computes it from H: export 16 heads.
    'lightning_attn': ('lightning_attn.fused_recurrent.fused_recurrent_lightning_attn'
                       '(layer_idx=0, num_layers=24)', ['--H', '16']),
    'simple_gla': ('simple_gla.naive.naive_recurrent_simple_gla', []),
    'gla': ('gla.naive.naive_recurrent_gla', []),
    'delta_rule': ('delta_rule.naive.delta_rule_recurrence (bhtd; l2norm q, k here)', []),
    'gated_delta_rule': ('gated_delta_rule.naive.naive_recurrent_gated_delta_rule'
                         ' (l2norm q, k here)', []),
    'kda': ('kda.naive.naive_recurrent_kda (l2norm q, k here)', []),
    # naive_recurrent_comba probes the decayed state (a different rule, see
    # the spec); the fused kernel probes S_{t-1} as chunk_comba does.
    'comba': ('comba.fused_recurrent.fused_recurrent_comba(use_qk_l2norm_in_kernel=True)', []),
    'gdn2': ('gdn2.naive.naive_recurrent_gdn2 (l2norm q, k here)', []),
    'dplr': ('generalized_delta_rule.dplr.naive.dplr_recurrence (bhtd)', []),
    'iplr': ('generalized_delta_rule.iplr.naive.iplr_recurrence (bhtd)', []),
    'rwkv7': ('rwkv7.fused_recurrent.fused_recurrent_rwkv7(scale=1.0)', []),
    # The peer's u is one [K] vector per head: export u held constant over
    # batch and tokens, and pass u[0, 0] ([H, K]).
    'rwkv6': ('rwkv6.recurrent_naive.naive_recurrent_rwkv6 (bhtd; u [H, K])', ['--per-head', 'u']),
    'gated_delta_product': ('gated_delta_product.naive.naive_recurrent_gated_delta_product'
                            '(num_householder=2) (interleaved k, v, beta; l2norm q, k and '
                            'scale q here)', []),
    # No head axis in the peer: heads are folded into the batch here.
    'hgrn': ('hgrn.naive.naive_recurrent_hgrn (heads as batch)', []),
    # The spec stores the peer's h [K, V] transposed, P = h^T [V, K].
    'gated_oja_rule': ('gated_oja_rule.fused_recurrent.fused_recurrent_gated_oja_rule'
                       ' (h = P^T)', []),
    # The preconditioner takes log(A + eps): its initial state must be >= 0.
    'precond_gated_delta_rule': ('precond_gated_delta_rule.naive.'
                                 'naive_recurrent_precond_gated_delta_rule',
                                 ['--positive', 'A']),
    'precond_kda': ('precond_kda.naive.naive_recurrent_precond_kda', ['--positive', 'A']),
    # The spec stores hk [K, M] transposed, hkT [M, K].
    'gsa': ('gsa.naive.naive_recurrent_gsa (hk = hkT^T)', []),
    # The parallel ops take no state; their final states S, z are computed
    # here from the peer's feature map (larc's are the recurrence's).
    'based': ('based.naive.naive_parallel_based(use_norm=True) (bhtd)', ['--no-initial-state']),
    'rebased': ('rebased.naive.naive_parallel_rebased(use_norm=False) (bhtd; normalised '
                'here with eps 1e-5)',
                ['--no-initial-state']),
    # l0..l7 stacked into level_scales [B, T, H, 8] (8 levels cover T <= 128).
    # The naive op takes no state and returns none: the final states Z_j are
    # computed here from their definition (the last 2^j-aligned block).
    'log_linear_attn': ('log_linear_attn.naive.naive_log_linear_attn', ['--no-initial-state']),
}
SKIPPED = {}  # rule -> reason; every examples/peer spec has a mapping today


# --------------------------------------------------------------------------
# The per-rule mappings. x: inputs by larc name, fp32 cuda, [B, T, H, d] or
# [B, T, H]; s0: initial states by name ([B, H, K, V] / [B, H, K]) or empty;
# meta: problem.json. Each returns {name: tensor} in larc's layout for every
# output and final state.

def _imp(module, name):
    import importlib
    return getattr(importlib.import_module('fla.ops.' + module), name)


def l2norm(t):
    # fla.modules.l2norm and the kernels' use_qk_l2norm_in_kernel: x / sqrt(x.x + 1e-6)
    return t / (t * t).sum(-1, keepdim=True).add(1e-6).sqrt()


def bhtd(t):
    return t.transpose(1, 2).contiguous()


def run_linear_attn(x, s0, meta):
    f = _imp('linear_attn.naive', 'naive_recurrent_linear_attn')
    init = None
    if 'S' in s0:
        # z_init is added to k.cumsum(1) ([B, T, H, K]): give it the T axis.
        init = (s0['S'], s0['z'].unsqueeze(1))
    o, (S, z) = f(x['q'], x['k'], x['v'], initial_state=init, output_final_state=True,
                  normalize=True)
    return {'o': o, 'S': S, 'z': z.squeeze(1)}


def run_retention(x, s0, meta):
    f = _imp('retention.fused_recurrent', 'fused_recurrent_retention')
    o, S = f(x['q'], x['k'], x['v'], initial_state=s0.get('S'), output_final_state=True)
    return {'o': o, 'S': S}


def run_lightning_attn(x, s0, meta):
    f = _imp('lightning_attn.fused_recurrent', 'fused_recurrent_lightning_attn')
    assert meta['H'] == 16, 'the spec is written for H = 16 (export with --H 16)'
    o, S = f(x['q'], x['k'], x['v'], layer_idx=0, num_layers=24,
             initial_state=s0.get('S'), output_final_state=True)
    return {'o': o, 'S': S}


def run_simple_gla(x, s0, meta):
    f = _imp('simple_gla.naive', 'naive_recurrent_simple_gla')
    o, S = f(x['q'], x['k'], x['v'], x['g'], initial_state=s0.get('S'),
             output_final_state=True)
    return {'o': o, 'S': S}


def run_gla(x, s0, meta):
    f = _imp('gla.naive', 'naive_recurrent_gla')
    o, S = f(x['q'], x['k'], x['v'], x['g'], initial_state=s0.get('S'),
             output_final_state=True)
    return {'o': o, 'S': S}


def run_delta_rule(x, s0, meta):
    f = _imp('delta_rule.naive', 'delta_rule_recurrence')
    o, S = f(bhtd(l2norm(x['q'])), bhtd(l2norm(x['k'])), bhtd(x['v']), bhtd(x['beta']),
             initial_state=s0.get('S'), output_final_state=True)
    return {'o': bhtd(o), 'S': S}


def run_gated_delta_rule(x, s0, meta):
    f = _imp('gated_delta_rule.naive', 'naive_recurrent_gated_delta_rule')
    o, S = f(l2norm(x['q']), l2norm(x['k']), x['v'], beta=x['beta'], g=x['g'],
             initial_state=s0.get('S'), output_final_state=True)
    return {'o': o, 'S': S}


def run_kda(x, s0, meta):
    f = _imp('kda.naive', 'naive_recurrent_kda')
    o, S = f(l2norm(x['q']), l2norm(x['k']), x['v'], x['g'], x['beta'],
             initial_state=s0.get('S'), output_final_state=True)
    return {'o': o, 'S': S}


def run_comba(x, s0, meta):
    f = _imp('comba.fused_recurrent', 'fused_recurrent_comba')
    o, S = f(x['q'], x['k'], x['p'], x['v'], x['g'], x['beta'],
             initial_state=s0.get('S'), output_final_state=True,
             use_qk_l2norm_in_kernel=True)
    return {'o': o, 'S': S}


def run_gdn2(x, s0, meta):
    f = _imp('gdn2.naive', 'naive_recurrent_gdn2')
    o, S = f(l2norm(x['q']), l2norm(x['k']), x['v'], x['g'], x['b'], x['w'],
             initial_state=s0.get('S'), output_final_state=True)
    return {'o': o, 'S': S}


def run_dplr(x, s0, meta):
    f = _imp('generalized_delta_rule.dplr.naive', 'dplr_recurrence')
    o, S = f(bhtd(x['q']), bhtd(x['k']), bhtd(x['v']), bhtd(x['a']), bhtd(x['b']),
             bhtd(x['gk']), initial_state=s0.get('S'), output_final_state=True)
    return {'o': bhtd(o), 'S': S}


def run_iplr(x, s0, meta):
    f = _imp('generalized_delta_rule.iplr.naive', 'iplr_recurrence')
    o, S = f(bhtd(x['q']), bhtd(x['k']), bhtd(x['v']), bhtd(x['a']), bhtd(x['b']),
             initial_state=s0.get('S'), output_final_state=True)
    return {'o': bhtd(o), 'S': S}


def run_rwkv7(x, s0, meta):
    f = _imp('rwkv7.fused_recurrent', 'fused_recurrent_rwkv7')
    # chunk_rwkv7's default scale is 1.0; fused_recurrent_rwkv7's is None
    # (1/sqrt(K)), so pass it.
    o, S = f(x['r'], x['w'], x['k'], x['v'], x['a'], x['b'], scale=1.0,
             initial_state=s0.get('S'), output_final_state=True)
    return {'o': o, 'S': S}


def run_rwkv6(x, s0, meta):
    f = _imp('rwkv6.recurrent_naive', 'naive_recurrent_rwkv6')
    u = x['u'][0, 0]  # [H, K]; exported constant over batch and tokens
    import torch
    assert torch.equal(x['u'], u.expand_as(x['u'])), 'export rwkv6 with --per-head u'
    o, S = f(bhtd(x['r']), bhtd(x['k']), bhtd(x['v']), bhtd(x['w']), u,
             initial_state=s0.get('S'), output_final_state=True)
    return {'o': bhtd(o), 'S': S}


def run_gated_delta_product(x, s0, meta):
    import torch
    f = _imp('gated_delta_product.naive', 'naive_recurrent_gated_delta_product')
    B, T, H = x['beta1'].shape

    def interleave(a, b):  # rows 2t = a[t], 2t + 1 = b[t]
        return torch.stack([a, b], dim=2).reshape(B, 2 * T, *a.shape[2:])

    k = interleave(l2norm(x['k1']), l2norm(x['k2']))
    v = interleave(x['v1'], x['v2'])
    beta = interleave(x['beta1'], x['beta2'])
    # The naive function takes scale but does not apply it: scale q here.
    q = l2norm(x['q']) * meta['scale']
    S0 = s0.get('S')
    o, S = f(q, k, v, x['g'], beta, scale=meta['scale'], cu_seqlens=None,
             initial_state=None if S0 is None else S0.clone(),
             output_final_state=True, num_householder=2)
    return {'o': o, 'S': S}


def run_hgrn(x, s0, meta):
    f = _imp('hgrn.naive', 'naive_recurrent_hgrn')
    B, T, H, D = x['x'].shape

    def fold(t):  # [B, T, H, D] -> [B H, T, D]
        return t.transpose(1, 2).reshape(B * H, T, D)

    h0 = s0.get('h')
    o, h = f(fold(x['x']), fold(x['g']),
             initial_state=None if h0 is None else h0.reshape(B * H, D),
             output_final_state=True)
    return {'o': o.reshape(B, H, T, D).transpose(1, 2), 'h': h.reshape(B, H, D)}


def run_gated_oja_rule(x, s0, meta):
    f = _imp('gated_oja_rule.fused_recurrent', 'fused_recurrent_gated_oja_rule')
    P0 = s0.get('P')
    o, h = f(x['q'], x['k'], x['v'], x['gv'], x['beta'],
             initial_state=None if P0 is None else P0.transpose(-1, -2).contiguous(),
             output_final_state=True)
    return {'o': o, 'P': h.transpose(-1, -2)}


def run_precond_gated_delta_rule(x, s0, meta):
    f = _imp('precond_gated_delta_rule.naive', 'naive_recurrent_precond_gated_delta_rule')
    o, S, A = f(x['q'], x['k'], x['v'], x['g_atk'], x['g'], x['beta_atk'], x['beta'],
                initial_state=s0.get('S'), initial_A_state=s0.get('A'),
                output_final_state=True)
    return {'o': o, 'S': S, 'A': A}


def run_precond_kda(x, s0, meta):
    f = _imp('precond_kda.naive', 'naive_recurrent_precond_kda')
    o, S, A = f(x['q'], x['k'], x['v'], x['g'], x['g_atk'], x['beta_atk'], x['beta'],
                initial_state=s0.get('S'), initial_A_state=s0.get('A'),
                output_final_state=True)
    return {'o': o, 'S': S, 'A': A}


def run_gsa(x, s0, meta):
    f = _imp('gsa.naive', 'naive_recurrent_gsa')
    init = None
    if s0:
        init = (s0['hkT'].transpose(-1, -2).contiguous(), s0['hv'])
    o, (hk, hv) = f(x['q'], x['k'], x['v'], x['s'], x['g'], initial_state=init,
                    output_final_state=True)
    return {'o': o, 'hkT': hk.transpose(-1, -2), 'hv': hv}


def _feature_states(phi_k, v):
    """S = sum_t phi(k_t) v_t^T and z = sum_t phi(k_t), [B, H, F, V] / [B, H, F]."""
    import torch
    return torch.einsum('bthf,bthv->bhfv', phi_k, v), phi_k.sum(1)


def run_based(x, s0, meta):
    import torch
    f = _imp('based.naive', 'naive_parallel_based')
    o = f(bhtd(x['q']), bhtd(x['k']), bhtd(x['v']), use_norm=True)
    k = x['k']
    kk = (k.unsqueeze(-1) * k.unsqueeze(-2)).flatten(-2) / math.sqrt(2)
    phi_k = torch.cat([torch.ones_like(k[..., :1]), k, kk], dim=-1)
    S, z = _feature_states(phi_k, x['v'])
    return {'o': bhtd(o), 'S': S, 'z': z}


def run_rebased(x, s0, meta):
    f = _imp('rebased.naive', 'naive_parallel_rebased')
    q, k, v = bhtd(x['q']), bhtd(x['k']), bhtd(x['v'])
    o = f(q, k, v, use_norm=False)
    # parallel_rebased normalises with eps = 1e-5 (the naive function with
    # 1e-6): the naive attention's row sums, normalised here.
    z = (((q * meta['scale']) @ k.transpose(-2, -1)) ** 2).tril().sum(-1)
    o = o / (z[..., None] + 1e-5)
    kk = x['k']
    phi_k = (kk.unsqueeze(-1) * kk.unsqueeze(-2)).flatten(-2)
    S, zs = _feature_states(phi_k, x['v'])
    return {'o': bhtd(o), 'S': S, 'z': zs}


def run_log_linear_attn(x, s0, meta):
    import torch
    f = _imp('log_linear_attn.naive', 'naive_log_linear_attn')
    lam = torch.stack([x[f'l{j}'] for j in range(8)], dim=-1)
    o = f(x['q'], x['k'], x['v'], x['g'], lam)
    out = {'o': o}
    T = x['g'].shape[1]
    G = x['g'].cumsum(1)  # [B, T, H]
    for j in range(8):
        start = (T - 1) // (1 << j) * (1 << j)
        w = (G[:, -1:] - G[:, start:]).exp()  # [B, T - start, H]
        out[f'Z{j}'] = torch.einsum('bth,bthk,bthv->bhkv', w, x['k'][:, start:],
                                    x['v'][:, start:])
    return out


# --------------------------------------------------------------------------
# .npy files (version 1.x, '<f8' / '<i8', C order), read without numpy.

def read_npy(path):
    """(descr, shape, raw little-endian data bytes)."""
    with open(path, 'rb') as fh:
        blob = fh.read()
    if blob[:6] != b'\x93NUMPY':
        raise ValueError(f'{path}: not a .npy file')
    major = blob[6]
    if major == 1:
        (hlen,), start = struct.unpack('<H', blob[8:10]), 10
    else:
        (hlen,), start = struct.unpack('<I', blob[8:12]), 12
    import ast
    header = ast.literal_eval(blob[start:start + hlen].decode('latin1'))
    if header['fortran_order']:
        raise ValueError(f'{path}: Fortran order')
    data = blob[start + hlen:]
    numel = math.prod(header['shape'])
    if len(data) != numel * 8 or header['descr'] not in ('<f8', '<i8'):
        raise ValueError(f'{path}: {len(data)} bytes for {header}')
    return header['descr'], tuple(header['shape']), data


def as_floats(data):
    a = array('d')
    a.frombytes(data)
    if sys.byteorder != 'little':
        a.byteswap()
    return a


def load_tensor(path, device=None, dtype=None):
    import torch
    descr, shape, data = read_npy(path)
    t = torch.frombuffer(bytearray(data), dtype=torch.float64 if descr == '<f8' else torch.int64)
    t = t.reshape(shape)
    if dtype is not None:
        t = t.to(dtype)
    return t.to(device) if device else t


# --------------------------------------------------------------------------

def spec_dir():
    return Path(__file__).resolve().parents[2] / 'examples' / 'peer'


def prepare(out, larcc):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    specs = sorted(spec_dir().glob('*.larc'))
    failed = 0
    for spec in specs:
        rule = spec.stem
        extra = PEER.get(rule, (None, []))[1]
        # SHAPE, less what the rule's extra arguments set (an option may be
        # given once).
        args = [larcc, 'export', str(spec), '-o', str(out / rule)]
        for key, value in SHAPE.items():
            if '--' + key not in extra:
                args += ['--' + key, str(value)]
        args += extra
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode != 0:
            failed += 1
            print(f'{rule}: larcc export failed:\n{r.stdout}{r.stderr}', file=sys.stderr)
        else:
            print(r.stdout.strip())
    print(f'prepared {len(specs) - failed} of {len(specs)} rules in {out}')
    return 1 if failed else 0


def rules_in(root):
    root = Path(root)
    dirs = sorted(p.parent for p in root.glob('*/problem.json'))
    specs = sorted(s.stem for s in spec_dir().glob('*.larc')) if spec_dir().is_dir() else []
    return dirs, [s for s in specs if s not in {d.name for d in dirs}]


def names(meta):
    return [o['name'] for o in meta['outputs']] + [s['name'] for s in meta['states']]


def parse_only(root):
    """Reads every file back and checks it against problem.json; no peer."""
    dirs, missing = rules_in(root)
    bad = 0
    for d in dirs:
        meta = json.loads((d / 'problem.json').read_text())
        rule = meta['rule']
        problems = []
        files = [('inputs', i['name'], i['shape']) for i in meta['inputs']]
        files += [('initial', s['name'], s['shape']) for s in meta['states'] if s['initial']]
        for sub in ('larc', 'reference'):
            files += [(sub, o['name'], o['shape']) for o in meta['outputs']]
            files += [(sub, s['name'], s['shape']) for s in meta['states']]
        for sub, name, shape in files:
            try:
                descr, got, data = read_npy(d / sub / f'{name}.npy')
                if list(got) != list(shape) or descr != '<f8':
                    problems.append(f'{sub}/{name}: {descr} {got}, expected {shape}')
                elif not all(math.isfinite(v) for v in as_floats(data)):
                    problems.append(f'{sub}/{name}: non-finite values')
            except (OSError, ValueError) as e:
                problems.append(str(e))
        if rule not in PEER and rule not in SKIPPED:
            problems.append('no mapping onto the peer and no SKIPPED reason')
        for name in names(meta):
            if not (d / 'larc' / f'{name}.npy').exists():
                problems.append(f'larc/{name}.npy missing')
        status = 'ok' if not problems else 'BAD: ' + '; '.join(problems)
        bad += bool(problems)
        peer = 'SKIPPED: ' + SKIPPED[rule] if rule in SKIPPED else PEER.get(rule, ('?',))[0]
        print(f'{rule:<20} {len(files):>3} files  {status}\n{"":<20} -> {peer}')
    for rule in missing:
        print(f'{rule:<20} no export dir')
        bad += 1
    print(f'parsed {len(dirs)} rules, {bad} with problems')
    return bad


def check(root, json_path=None):
    import torch
    dirs, missing = rules_in(root)
    dev = 'cuda' if torch.cuda.is_available() else 'cpu'
    if dev != 'cuda':
        print('warning: no GPU; the Triton-backed peers will fail', file=sys.stderr)
    rows, fails, skips = [], 0, 0
    results = {}  # rule -> {'outputs': {name: rel_err}, 'pass': bool or None}, for --json
    for d in dirs:
        meta = json.loads((d / 'problem.json').read_text())
        rule = meta['rule']
        if rule in SKIPPED or rule not in PEER:
            rows.append((rule, 'SKIPPED', SKIPPED.get(rule, 'no mapping'), '', ''))
            results[rule] = {'outputs': {}, 'pass': None}
            skips += 1
            continue
        peer_name = PEER[rule][0]
        x = {i['name']: load_tensor(d / 'inputs' / f"{i['name']}.npy", dev, torch.float32)
             for i in meta['inputs']}
        s0 = {s['name']: load_tensor(d / 'initial' / f"{s['name']}.npy", dev, torch.float32)
              for s in meta['states'] if s['initial']}
        try:
            with torch.no_grad():
                got = globals()['run_' + rule](x, s0, meta)
            torch.cuda.synchronize() if dev == 'cuda' else None
        except Exception as e:  # a mapping that does not run is a failure
            rows.append((rule, peer_name, f'ERROR {type(e).__name__}: {e}', '', 'FAIL'))
            results[rule] = {'outputs': {}, 'pass': False, 'error': f'{type(e).__name__}: {e}'}
            fails += 1
            continue
        errs, ref_errs = {}, {}
        for name in names(meta):
            peer = got[name].detach().to('cpu', torch.float64)
            larc = load_tensor(d / 'larc' / f'{name}.npy')
            ref = load_tensor(d / 'reference' / f'{name}.npy')
            if tuple(peer.shape) != tuple(larc.shape):
                errs[name] = float('inf')
                print(f'{rule}: {name} has shape {tuple(peer.shape)} from the peer, '
                      f'{tuple(larc.shape)} from larc', file=sys.stderr)
                continue
            denom = peer.norm().item()
            errs[name] = (larc - peer).norm().item() / denom if denom else float('inf')
            ref_errs[name] = (ref - peer).norm().item() / denom if denom else float('inf')
        ok = all(e <= BOUND for e in errs.values())  # NaN fails
        fails += not ok
        fmt = lambda es: ' '.join(f'{n}={e:.2e}' for n, e in es.items())
        rows.append((rule, peer_name, fmt(errs), fmt(ref_errs), 'PASS' if ok else 'FAIL'))
        results[rule] = {'outputs': errs, 'pass': ok}
    for rule in missing:
        rows.append((rule, '-', 'no export dir (run --prepare)', '', 'FAIL'))
        results[rule] = {'outputs': {}, 'pass': False, 'error': 'no export dir'}
        fails += 1

    print(f'larc (f64 chunk form) vs flash-linear-attention (fp32 reference), '
          f'||larc - peer|| / ||peer||, bound {BOUND:.0e} (the peer\'s fp32 rounding)')
    print(f'{"rule":<20} {"larc chunk f64 vs peer":<34} {"larc fp64 recurrence vs peer":<34} '
          f'status  peer function')
    for rule, peer, e, r, status in rows:
        print(f'{rule:<20} {e:<34} {r:<34} {status or "SKIPPED":<7} {peer}')
    passed = len(rows) - fails - skips
    print(f'{passed} passed, {fails} failed, {skips} skipped, of {len(rows)} rules')
    if json_path:
        Path(json_path).write_text(json.dumps(results, indent=1) + '\n')
    return 1 if fails else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument('--prepare', metavar='DIR', help='run larcc export for every examples/peer spec')
    mode.add_argument('--check', metavar='DIR', help='run the peer on DIR and compare (GPU machine)')
    mode.add_argument('--parse-only', metavar='DIR', help='read DIR back without the peer')
    ap.add_argument('--larcc', default='build/bin/larcc', help='larcc for --prepare')
    ap.add_argument('--json', metavar='PATH', help='--check: also write the results as JSON')
    a = ap.parse_args()
    if a.prepare:
        return prepare(a.prepare, a.larcc)
    if a.parse_only:
        return 1 if parse_only(a.parse_only) else 0
    try:
        import torch  # noqa: F401
    except ImportError:
        print('torch is not importable here: parsing only (run --check on the GPU machine)')
        parse_only(a.check)
        return 3
    return check(a.check, a.json)


if __name__ == '__main__':
    sys.exit(main())
