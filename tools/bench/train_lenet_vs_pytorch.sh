#!/usr/bin/env bash
# Benchmark (not a test): LeNet on Fashion-MNIST, 10 epochs, batch 256, same
# initial weights and recipe, cnnc (cnnc-example-train) and PyTorch (2 threads),
# one after the other. Prints both logs.
#   usage: tools/bench/train_lenet_vs_pytorch.sh [EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/../.."
EPOCHS=${1:-10}
work=$(mktemp -d)
build/bin/cnnc models/lenet.json --train --batch=256 --weights=external -o "$work/lenet.so"
echo "== cnnc"
build/bin/cnnc-example-train "$work/lenet.so" --epochs "$EPOCHS" 2>/dev/null
echo "== PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
/usr/bin/python3 tools/bench/train_lenet_pytorch.py "$work/lenet.so.weights.safetensors" --epochs "$EPOCHS"
rm -rf "$work"
