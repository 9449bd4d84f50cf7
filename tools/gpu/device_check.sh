#!/bin/bash
# The whole GPU check in one script, for a machine with an NVIDIA GPU, CUDA's
# driver and PyTorch but no compiler (docs/gpu.md). Everything it runs was
# compiled beforehand on the compiling machine into devcarry/:
#   /usr/bin/python3 tools/gpu/gpu_suite.py prepare --out devcarry/gpu --cnnc build/bin/cnnc
#   bash tools/gpu/device_check.sh --prepare      # LeNet training library + data
# then, on the GPU machine, from the repository root with build/bin/cnnc-run,
# build/bin/cnnc-example-train and build/lib/libcnnrt.so beside it, in two
# runs, each within the device tool's 64 MiB carry (docs/gpu.md):
#   OUT=results bash tools/gpu/device_check.sh suite   # carry devcarry/gpu + the runtime files
#   OUT=results bash tools/gpu/device_check.sh lenet   # carry devcarry/lenet devcarry/fashion-mnist + them
# where the runtime files are build/bin/cnnc-run, build/bin/cnnc-example-train
# and build/lib/libcnnrt.so.0.1.0 (the script makes the library's links if
# they did not come along); no argument: both, where nothing limits the carry.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
if [ "${1:-}" = "--prepare" ]; then
  set -e
  mkdir -p devcarry/lenet devcarry/fashion-mnist
  build/bin/cnnc models/lenet.json --train --batch=256 -target=nvptx --weights=external \
    -o devcarry/lenet/lenet.so
  cp /usr/share/datasets/fashion-mnist/*.gz devcarry/fashion-mnist/
  exit 0
fi
PART=${1:-all}
for link in libcnnrt.so.0 libcnnrt.so; do
  [ -e "build/lib/$link" ] || ln -sf libcnnrt.so.0.1.0 "build/lib/$link"
done
OUT=${OUT:-gpu-results}
mkdir -p "$OUT"
export LD_LIBRARY_PATH=$ROOT/build/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
PY=$(command -v python3)
nvidia-smi -L 2>&1 | tee "$OUT/gpu.txt"
# Op cases, training steps, ResNet benchmarks against PyTorch (cuDNN).
if [ "$PART" != lenet ]; then
  timeout 300 "$PY" tools/gpu/gpu_suite.py run --dir devcarry/gpu --cnnc-run build/bin/cnnc-run \
    --report "$OUT/suite.txt" --runs 20 > "$OUT/suite.log" 2>&1
  echo "gpu_suite exit $?" >> "$OUT/suite.log"
fi
if [ "$PART" = suite ]; then
  tail -n 40 "$OUT"/suite.txt
  exit 0
fi
# LeNet on Fashion-MNIST, trained on the GPU: cnnc, then PyTorch from the same
# initial weights with the same recipe.
timeout 60 build/bin/cnnc-example-train devcarry/lenet/lenet.so --data devcarry/fashion-mnist \
  --epochs 10 > "$OUT/train_cnnc.log" 2> "$OUT/train_cnnc.progress"
tr '\r' '\n' < "$OUT/train_cnnc.progress" | grep -v '^epoch' | grep . >> "$OUT/train_cnnc.log"
timeout 60 "$PY" tools/bench/train_lenet_pytorch.py devcarry/lenet/lenet.so.weights.safetensors \
  --data devcarry/fashion-mnist --device cuda --epochs 10 > "$OUT/train_pytorch.log" 2>&1
tail -n 40 "$OUT"/suite.txt "$OUT"/train_*.log
