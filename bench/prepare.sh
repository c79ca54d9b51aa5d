#!/usr/bin/env bash
# Prepares build-bench/ for bench/bench.py and tests/gpu/device_table.py (here: no GPU needed).
#
# Compiles every examples/*.larc to a package build-bench/RULE_k{D}_v{D}, and every
# examples/peer/*.larc (flash-linear-attention's rules) to build-bench/peer/RULE_k{D}_v{D},
# for D in 128 and 64 (larcc compile -o), skipping the rules larcc refuses: their reasons are
# printed and kept in build-bench/REFUSED.txt and build-bench/peer/REFUSED.txt (one
# "RULE_kD_vD<TAB>reason" a line), which the bench and the device table print in place of a
# package. Copies the runtime library into build-bench. Packages of rules that larcc now
# refuses, or whose spec left the directory, are removed, so a stale one is never measured.
# Exits 1 if larcc failed other than by refusing a rule (did not start, crashed): such a rule
# has neither a package nor a REFUSED.txt line.
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
made=0 refused=0 failed=0

# compile_specs SPEC_DIR PKG_DIR: every SPEC_DIR/*.larc into PKG_DIR/RULE_kD_vD, refusals into
# PKG_DIR/REFUSED.txt; then removes PKG_DIR's packages with no SPEC_DIR/RULE.larc.
compile_specs() {
  local specs=$1 dir=$2 spec rule d name pkg log status why
  mkdir -p "$dir"
  : >"$dir/REFUSED.txt"
  for spec in "$specs"/*.larc; do
    rule=$(basename "$spec" .larc)
    for d in 128 64; do
      name=${rule}_k${d}_v${d}
      sizes=(--dk "$d" --dv "$d")
      # A feature map that sets the key dim: q, k of Based's feature dim 16
      # (tests/gpu/device_table.py's FEATURE_DIM), V = d.
      case $rule in
        based | rebased) name=${rule}_k16_v${d} sizes=(--dims K=16 --dv "$d") ;;
      esac
      pkg="$dir/$name"
      rm -rf "$pkg"
      log=$("$larcc" compile "$spec" -o "$pkg" "${sizes[@]}" 2>&1)
      status=$?
      why=$(printf '%s\n' "$log" | grep -m1 'error:' | sed 's/.*error: //')
      if [ "$status" = 0 ]; then
        echo "package  $dir/$name: ${log##*$'\n'}"
        made=$((made + 1))
      elif [ "$status" = 1 ] && [ -n "$why" ]; then  # a diagnostic: larcc refuses the rule
        rm -rf "$pkg"
        echo "refused  $dir/$name: larcc: $why"
        printf '%s\tlarcc refuses it: %s\n' "$name" "$why" >>"$dir/REFUSED.txt"
        refused=$((refused + 1))
      else  # larcc did not run or crashed: no refusal recorded, and prepare.sh fails
        rm -rf "$pkg"
        echo "FAILED   $dir/$name: larcc exit $status: $(printf '%s\n' "$log" | head -1)"
        failed=$((failed + 1))
      fi
    done
  done
  # Packages of rules no longer in SPEC_DIR would be measured as if current: remove them.
  for pkg in "$dir"/*_k*_v*/; do
    [ -d "$pkg" ] || continue
    rule=$(basename "$pkg" | sed -E 's/_k[0-9]+_v[0-9]+$//')
    [ -f "$specs/$rule.larc" ] || { echo "removed  $dir/$(basename "$pkg") (no $specs/$rule.larc)"; rm -rf "$pkg"; }
  done
}

compile_specs examples "$out"
compile_specs examples/peer "$out/peer"
cp "$runtime" "$out/liblarc_runtime.so"
echo "prepared $out and $out/peer: $made packages, $refused refused, $failed failed (larcc $(readlink -f "$larcc"), runtime $runtime); $(du -sh "$out" | cut -f1)"
[ "$failed" = 0 ]
