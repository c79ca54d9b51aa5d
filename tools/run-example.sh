#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, and runs larc end to end on one
# rule: its dialect IR, its algebra, its derived chunk form, the check of that form against the
# fp64 recurrence in f64 and f32, and (where nvcc is present and the rule's class has a GPU
# code generator) its sm_90a package.   Usage: tools/run-example.sh [examples/RULE.larc]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rule="${1:-$root/examples/gated_delta_rule.larc}"
"$root/tools/build.sh" >/dev/null
larcc="$root/build/bin/larcc"
out="$root/build/example"
mkdir -p "$out"
echo "== $rule: the rule in the larc dialect"
"$larcc" compile "$rule" --emit=mlir
echo "== its algebra in general form"
"$larcc" compile "$rule" --emit=class
echo "== the derived chunk form (chunk size 64): $out/chunk.mlir, first lines"
"$larcc" compile "$rule" --emit=chunk --chunk 64 -o "$out/chunk.mlir"
head -n 40 "$out/chunk.mlir"
echo "== chunk form vs fp64 step-by-step recurrence"
"$larcc" verify "$rule" --chunk 64 --T 200 --dtype f64
"$larcc" verify "$rule" --chunk 16 --T 77 --dtype f32
if command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ]; then
  echo "== sm_90a package in $out/package"
  "$larcc" compile "$rule" -o "$out/package" --dk 128 --dv 128 ||
    echo "(no GPU code generator for this rule's class yet; the CPU path above is complete)"
fi
