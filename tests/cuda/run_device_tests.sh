#!/usr/bin/env bash
# Build and run the device tests of larc's CUDA tile library (lowering/cuda)
# on a Hopper GPU. Run from anywhere:
#   tests/cuda/run_device_tests.sh [build-dir]      (default build/cuda-tests)
# Each program prints its table of checks; the script prints one summary line
# per program last and exits non-zero if any check failed or a build broke.
# LARC_TEST_SEED=<n> reproduces a run's random inputs (each program prints its seed).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/build/cuda-tests}
nvcc=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
tests=(tma_test fragment_test wgmma_test mma_tf32_test)
mkdir -p "$out"

for t in "${tests[@]}"; do
  echo "== build $t"
  if ! "$nvcc" -std=c++17 -O2 -gencode=arch=compute_90a,code=sm_90a \
      -I "$root/lowering/cuda/include" -Xptxas -v \
      "$root/tests/cuda/$t.cu" -o "$out/$t" 2>"$out/$t.build.log"; then
    cat "$out/$t.build.log"
    echo "build of $t failed"
    exit 2
  fi
  grep -E "registers|smem|spill|C75" "$out/$t.build.log" | sort | uniq -c | sort -rn | head -20
done

status=0
summary=()
for t in "${tests[@]}"; do
  echo "== run $t"
  timeout 120 "$out/$t" 2>&1 | tee "$out/$t.log"
  rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || status=1
  line=$(grep -E "checks, [0-9]+ failed" "$out/$t.log" || echo "$t: did not finish")
  summary+=("$line (exit $rc)")
done

echo "== summary"
printf '%s\n' "${summary[@]}"
exit $status
