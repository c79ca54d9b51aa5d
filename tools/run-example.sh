#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, and runs larc end to end on one
# rule: its dialect IR, its derived chunk form, and the check of that form against the fp64
# recurrence in f64 and f32.   Usage: tools/run-example.sh [examples/RULE.larc]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rule="${1:-$root/examples/gated_delta_rule.larc}"
"$root/tools/build.sh" >/dev/null
larcc="$root/build/bin/larcc"
echo "== $rule: the rule in the larc dialect"
"$larcc" compile "$rule" --emit=mlir
echo "== the derived chunk form (chunk size 64), first lines"
"$larcc" compile "$rule" --emit=chunk --chunk 64 | head -n 60
echo "== chunk form vs fp64 step-by-step recurrence"
"$larcc" verify "$rule" --chunk 64 --T 200 --dtype f64
"$larcc" verify "$rule" --chunk 16 --T 77 --dtype f32
