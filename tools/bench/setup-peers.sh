#!/usr/bin/env bash
# Sets up the peers that tools/bench/zoo_bench.py compares cnnc with (idempotent).
# Not part of scripts/install-deps.sh: building and testing cnnc needs none of this.
#   - PyTorch: Debian's python3-torch/python3-torchvision (already cnnc's test oracle) and
#     libopenblas0-openmp (Debian's torch otherwise links the slow reference BLAS);
#   - ONNX Runtime: the npm package onnxruntime-node, which carries ONNX Runtime's native
#     CPU library, installed into build/bench-peers/ (or $CNNC_BENCH_PEERS).  The apt
#     packages nodejs and npm are installed only if `node` or `npm` is missing.
#     `--ignore-scripts`: the package's install script would download CUDA files.
#   usage: tools/bench/setup-peers.sh            prints the node_modules folder last
set -euo pipefail
cd "$(dirname "$0")/../.."
PEERS=${CNNC_BENCH_PEERS:-build/bench-peers}
ORT_VERSION=${CNNC_ORT_VERSION:-}   # empty: npm's latest

missing=""
for p in python3-torch python3-torchvision libopenblas0-openmp; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# node and npm may come from elsewhere (e.g. NodeSource's nodejs carries npm): only
# a missing command asks for Debian's package
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "setup-peers: apt-get install$missing" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

mkdir -p "$PEERS"
if [ ! -f "$PEERS/node_modules/onnxruntime-node/package.json" ]; then
  echo "setup-peers: npm install --ignore-scripts onnxruntime-node${ORT_VERSION:+@$ORT_VERSION} into $PEERS" >&2
  [ -f "$PEERS/package.json" ] || echo '{"private": true}' > "$PEERS/package.json"
  (cd "$PEERS" && npm install --no-audit --no-fund --ignore-scripts \
     "onnxruntime-node${ORT_VERSION:+@$ORT_VERSION}" >&2)
fi
# The package must load its native binding for this platform.
(cd "$PEERS" && node -e '
  const ort = require("onnxruntime-node");
  const v = require("onnxruntime-node/package.json").version;
  if (typeof ort.InferenceSession?.create !== "function") throw new Error("no InferenceSession");
  console.error(`setup-peers: onnxruntime-node ${v} loads (${process.platform}-${process.arch}, node ${process.version})`);
')
echo "$(cd "$PEERS" && pwd)/node_modules"
