#!/usr/bin/env bash
# Benchmark (not a test): LeNet on Fashion-MNIST, batch 256, same initial
# weights and recipe: cnnc in one process (2 OpenMP threads), cnnc
# data-parallel (mpirun -np 2, one thread each, 2 x 128 rows per batch) and
# PyTorch (2 threads), one after the other, REPEAT rounds. Prints the logs.
#   usage: tools/bench/train_lenet_vs_pytorch.sh [EPOCHS] [REPEAT]
set -euo pipefail
cd "$(dirname "$0")/../.."
EPOCHS=${1:-10}
REPEAT=${2:-1}
work=$(mktemp -d)
build/bin/cnnc models/lenet.json --train --batch=256 --weights=external -o "$work/lenet.so"
build/bin/cnnc models/lenet.json --train --batch=128 --data-parallel --weights=external \
  -o "$work/lenet-dp.so"
# Both libraries start from the same weights (the first one's file).
cp "$work/lenet.so.weights.safetensors" "$work/lenet-dp.so.weights.safetensors"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
for round in $(seq "$REPEAT"); do
  echo "== round $round: cnnc, one process"
  build/bin/cnnc-example-train "$work/lenet.so" --epochs "$EPOCHS" 2>/dev/null
  echo "== round $round: cnnc, data-parallel, 2 processes"
  OMP_NUM_THREADS=1 mpirun -np 2 --oversubscribe build/bin/cnnc-example-train \
    "$work/lenet-dp.so" --data-parallel --epochs "$EPOCHS" 2>/dev/null
  echo "== round $round: PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
  /usr/bin/python3 tools/bench/train_lenet_pytorch.py "$work/lenet.so.weights.safetensors" \
    --epochs "$EPOCHS"
done
rm -rf "$work"
