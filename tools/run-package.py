#!/usr/bin/env python3
"""Runs a larc package once on fresh random inputs (GPU machine, PyTorch).

A smoke test for any package, and the target for compute-sanitizer:

  compute-sanitizer --tool memcheck python3 tools/run-package.py PKG [--varlen]

Inputs follow their roles as `larcc verify` draws them: queries, keys (L2-
normalised) and values standard normal in bf16; log-gates log U(0.01, 1) and
gates U(0.01, 1) in fp32; coefficients U(0, 1]; a random initial state. Fails
(exit 1) if an output or the final state is not finite.
"""

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
import larc  # noqa: E402


def draw(role, shape, gen):
    dev = "cuda"
    if role in ("query", "key", "value"):
        x = torch.randn(*shape, device=dev, generator=gen)
        if role == "key":
            x = x / x.norm(dim=-1, keepdim=True)
        return x.bfloat16()
    u = torch.rand(*shape, device=dev, generator=gen)
    if role == "log_gate":
        return torch.log(u * 0.99 + 0.01)
    if role == "gate":
        return u * 0.99 + 0.01
    return 1.0 - u  # coefficient in (0, 1]


def draw_inputs(manifest, B, T, H, gen):
    """Every input of a package's manifest, [B, T, H] (and its dim), by its role."""
    dims = manifest["kernels"][0]["dims"]
    return {inp["name"]: draw(inp["role"], [B, T, H] + ([dims[inp["dim"]]] if "dim" in inp else []),
                              gen) for inp in manifest["inputs"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("package")
    ap.add_argument("--B", type=int, default=2)
    ap.add_argument("--T", type=int, default=133)
    ap.add_argument("--H", type=int, default=3)
    ap.add_argument("--varlen", action="store_true")
    args = ap.parse_args()
    manifest = json.loads((Path(args.package) / "manifest.json").read_text())
    dims = manifest["kernels"][0]["dims"]
    gen = torch.Generator(device="cuda").manual_seed(0)
    B, T, H = (1, args.B * args.T, args.H) if args.varlen else (args.B, args.T, args.H)
    named = draw_inputs(manifest, B, T, H, gen)
    cu = None
    if args.varlen:  # uneven lengths, one of them empty
        cuts = sorted({0, T, T // 3, T // 3, T // 2 + 1})
        cu = torch.tensor(cuts, dtype=torch.int32, device="cuda")
    n = (len(cu) - 1) if cu is not None else B
    states = [torch.randn(n, H, dims[s["key_dim"]], dims[s["value_dim"]], device="cuda",
                          generator=gen) for s in manifest["states"]]
    rule = larc.load(args.package)
    o, final = rule(**named, initial_state=states[0] if len(states) == 1 else tuple(states),
                    output_final_state=True, cu_seqlens=cu)
    torch.cuda.synchronize()
    outs = [o] if torch.is_tensor(o) else list(o)
    finals = [final] if torch.is_tensor(final) else list(final)
    ok = all(torch.isfinite(t.float()).all().item() for t in outs + finals)
    print(f"{manifest['rule']}: outputs {[tuple(t.shape) for t in outs]}, "
          f"final states {[tuple(t.shape) for t in finals]}, {'finite' if ok else 'NOT FINITE'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
