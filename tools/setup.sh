#!/usr/bin/env bash
# Installs what larc builds against (Debian 12 packages only). Shared by tools/run-example.sh and
# tools/test.sh; does nothing when everything is already there.
set -euo pipefail
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for p in cmake ninja-build g++ llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools libfmt-dev catch2 python3; do
  have "$p" || need+=("$p")
done
if ((${#need[@]})); then
  echo "larc setup: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
