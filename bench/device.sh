#!/usr/bin/env bash
# The GPU machine's environment for bench/bench.py and tests/gpu/device_table.py, then runs "$@".
# Carry ["build-bench", ".fla", ".flashqla", ".tilelang.tar.xz"] (bench/prepare.sh, ../shared/tools/
# bring-fla and bring-tilelang, and .flashqla/flash_qla from github:QwenLM/FlashQLA). Unpacks tilelang
# into /tmp/site once per machine; the peer's Triton cache stays in /tmp/triton so that later calls
# on a warm machine skip its JIT (its autotuning still runs once per process, shape and flag set).
#
#   bench/device.sh python3 bench/bench.py --out-dir $OUT --variants gated_delta_rule
#   bench/device.sh python3 tests/gpu/device_table.py --out $OUT/table.json
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -f .tilelang.tar.xz ] && [ ! -d /tmp/site/tilelang ]; then
  mkdir -p /tmp/site && tar -C /tmp/site -xJf .tilelang.tar.xz || echo "device.sh: could not unpack .tilelang.tar.xz" >&2
fi
export PYTHONPATH=/tmp/site:$PWD/.fla:$PWD/.flashqla:$PWD/python${PYTHONPATH:+:$PYTHONPATH}
export TRITON_CACHE_DIR=${TRITON_CACHE_DIR:-/tmp/triton} FLA_FLASH_QLA=0 PYTHONUNBUFFERED=1
export LARC_RUNTIME_LIBRARY=${LARC_RUNTIME_LIBRARY:-$PWD/build-bench/liblarc_runtime.so}
exec "$@"
