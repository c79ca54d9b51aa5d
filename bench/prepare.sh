#!/usr/bin/env bash
# Prepares build-bench/ for bench/bench.py and tests/gpu/device_table.py (here: no GPU needed).
#
# Compiles every examples/*.larc to a package build-bench/RULE_k{D}_v{D} for D in 128 and 64
# (larcc compile -o), skipping the rules larcc refuses: their reasons are printed and kept in
# build-bench/REFUSED.txt (one "RULE_kD_vD<TAB>reason" a line), which the bench and the device
# table print in place of a package. Copies the runtime library beside them. Packages of rules
# that larcc now refuses, or whose spec left examples/, are removed, so a stale one is never
# measured.
#
#   bench/prepare.sh                      # LARCC=build/bin/larcc RUNTIME=build/lib/liblarc_runtime.so
#   LARCC=build-bench-tools/larcc bench/prepare.sh
#
# Then carry build-bench (with .fla, .flashqla, .tilelang.tar.xz) to the GPU machine.
set -uo pipefail
top=$(git rev-parse --show-toplevel)
cd "$top"
larcc=${LARCC:-build/bin/larcc}
runtime=${RUNTIME:-build/lib/liblarc_runtime.so}
out=${OUT_DIR:-build-bench}
mkdir -p "$out"
: >"$out/REFUSED.txt"
made=0 refused=0
for spec in examples/*.larc; do
  rule=$(basename "$spec" .larc)
  for d in 128 64; do
    pkg="$out/${rule}_k${d}_v${d}"
    rm -rf "$pkg"
    if log=$("$larcc" compile "$spec" -o "$pkg" --dk "$d" --dv "$d" 2>&1); then
      echo "package  ${rule}_k${d}_v${d}: ${log##*$'\n'}"
      made=$((made + 1))
    else
      rm -rf "$pkg"
      why=$(printf '%s\n' "$log" | grep -m1 'error:' | sed 's/.*error: //')
      [ -n "$why" ] || why=$(printf '%s\n' "$log" | head -1)
      echo "refused  ${rule}_k${d}_v${d}: larcc: $why"
      printf '%s\tlarcc refuses it: %s\n' "${rule}_k${d}_v${d}" "$why" >>"$out/REFUSED.txt"
      refused=$((refused + 1))
    fi
  done
done
# Packages of rules no longer in examples/ (or examples/peer/, compiled by hand for a check)
# would be measured as if current: remove them.
for pkg in "$out"/*_k*_v*/; do
  rule=$(basename "$pkg" | sed -E 's/_k[0-9]+_v[0-9]+$//')
  [ -f "examples/$rule.larc" ] || [ -f "examples/peer/$rule.larc" ] || { echo "removed  $(basename "$pkg") (no examples/$rule.larc)"; rm -rf "$pkg"; }
done
cp "$runtime" "$out/liblarc_runtime.so"
echo "prepared $out: $made packages, $refused refused (larcc $(readlink -f "$larcc"), runtime $runtime); $(du -sh "$out" | cut -f1)"
