#!/usr/bin/env bash
# Set-up for a fresh machine of this kind (Debian, Node 20): installs what adequate needs when it is missing, and does
# nothing when it is there. Debian packages: Verilator, Yosys and Icarus Verilog (hardware flow), g++ (HLS C
# simulation), libonnx-testdata (ONNX conformance tests), NumPy (npy cross-checks), chromium (the report's browser
# test), Fashion-MNIST (dataset-fashion-mnist, the residual example's data), redis-server (the job queue of
# `adequate worker`, and its tests). Then `npm ci` when node_modules is missing or older than package-lock.json,
# which also builds dist/; else a build when dist/ is missing or older than a source.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for tool in verilator yosys iverilog g++; do command -v "$tool" >/dev/null 2>&1 || need+=("$tool"); done
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || need+=(redis-server)
[ -d /usr/share/libonnx-testdata/data/node ] || need+=(libonnx-testdata)
/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || need+=(python3-numpy)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup: missing ${need[*]}; install them with: sudo apt-get install -y ${need[*]}" >&2
  fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund
elif [ ! -f dist/.built ] || [ -n "$(find src bench scripts/build-wasm.mjs scripts/wasm-mac.mjs tsconfig.json -newer dist/.built -print -quit)" ]; then
  # dist/ is missing or older than a source (after a pull): the example would run the old code.
  echo "setup: npm run build" >&2
  npm run build
fi
