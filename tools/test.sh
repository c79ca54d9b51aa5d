#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every test through ctest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/tools/build.sh"
cd "$root/build"
ctest --output-on-failure -j "${LARC_JOBS:-$(nproc)}" "$@"
