#!/usr/bin/python3
"""Trains LeNet on Fashion-MNIST with cnnc from Python (the C++ example's twin,
tools/examples/train_lenet.cpp):

    PYTHONPATH=build/python /usr/bin/python3 tools/examples/train_lenet.py \
        [--model lenet-train.so] [--epochs 10] [--batch 256] [--limit N] [--seed 0]

Without --model it compiles models/lenet.json with train=True at --batch first.
Prints the loss per epoch and the test accuracy; the test set runs through the
forward pass with the run-time batch (its last batch is smaller).
"""
import argparse
import gzip
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "build", "python"))
import cnnc  # noqa: E402


def load_idx(data, prefix):
    try:
        with gzip.open(os.path.join(data, f"{prefix}-images-idx3-ubyte.gz")) as f:
            images = np.frombuffer(f.read(), np.uint8, offset=16)
        with gzip.open(os.path.join(data, f"{prefix}-labels-idx1-ubyte.gz")) as f:
            labels = np.frombuffer(f.read(), np.uint8, offset=8)
    except OSError as e:
        sys.exit(f"error: {e}")
    return (images.reshape(-1, 1, 28, 28).astype(np.float32) / 255.0,
            labels.astype(np.int64))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="a --train library of LeNet (default: compile one)")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--limit", type=int, default=0, help="train on the first N images")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    train_x, train_y = load_idx(a.data, "train")
    test_x, test_y = load_idx(a.data, "t10k")
    model = a.model
    if not model:
        model = "lenet-train.so"
        cnnc.compile(os.path.join(HERE, "..", "..", "models", "lenet.json"), model,
                     train=True, batch=a.batch)
    net = cnnc.load(model)
    if not net.trainable:
        sys.exit(f"error: {model}: compile it with train=True")
    batch = net.max_batch
    n = min(a.limit, len(train_x)) if a.limit else len(train_x)
    steps = n // batch
    print(f"training {net.name} ({net.target}) on {steps * batch} Fashion-MNIST images, "
          f"batch {batch}, lr {net.learning_rate:.3g}, {a.epochs} epochs")
    rng = np.random.default_rng(a.seed)
    seconds = 0.0
    for epoch in range(1, a.epochs + 1):
        order = rng.permutation(n)
        t0 = time.perf_counter()
        total = 0.0
        for s in range(steps):
            idx = order[s * batch:(s + 1) * batch]
            total += net.train_step(train_x[idx], train_y[idx])
        took = time.perf_counter() - t0
        seconds += took
        print(f"epoch {epoch:2d}: loss {total / max(steps, 1):.4f}, {took:.2f} s")
    correct = 0
    for start in range(0, len(test_x), batch):
        logits = net(test_x[start:start + batch])
        correct += int((logits.argmax(1) == test_y[start:start + batch]).sum())
    print(f"test accuracy: {100.0 * correct / len(test_x):.2f}% ({correct} / {len(test_x)}); "
          f"{seconds / max(a.epochs, 1):.2f} s per epoch")


if __name__ == "__main__":
    main()
