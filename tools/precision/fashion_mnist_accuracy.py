#!/usr/bin/python3
"""Test accuracy on Fashion-MNIST of cnnc's reduced-precision builds against float32.

    fashion_mnist_accuracy.py [--models lenet,resnet] [--epochs 3] [--seed 0]
                              [--precision bf16|int8] [--calibration minmax]
                              [--threads 2] [--json OUT.json]

A measurement (issue 25), not a timed benchmark: for each model, PyTorch trains it on
the 60,000 training images (SGD with momentum 0.9, batch 128, pixels / 255, a fixed
seed), then the trained module is compiled by cnnc (the Python package's exporter)
twice, float32 and --precision=PRECISION, and both libraries classify the 10,000 test
images (batches of 500). int8 is calibrated on 1,000 training images (the first of a
seeded permutation; --calibration names the method). Printed per model: PyTorch's, cnnc float32's and cnnc
PRECISION's test accuracy, the share of images whose predicted class the two cnnc
builds agree on, and the largest logit difference between them relative to the
largest logit. Models: `lenet` (models/lenet.json's LeNet-5: ReLU, max pools; its
first conv has one input channel and stays float32), `resnet` (a small ResNet: a
3x3 stem to 32 channels, two residual stages of 32 and 64 channels with batchnorm,
global average pool, linear).

Run with Debian's Python (/usr/bin/python3: torch 1.13) and the package on the path:
PYTHONPATH=build/python.
"""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import cnnc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pyutil"))
from fashion_mnist import LeNet, load  # noqa: E402

class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                      nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (self.down(x) if self.down is not None else x))


class SmallResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 32, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(32)
        self.layers = nn.Sequential(Block(32, 32, 1), Block(32, 64, 2), Block(64, 64, 1))
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.layers(F.relu(self.bn(self.stem(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


MODELS = {"lenet": LeNet, "resnet": SmallResNet}


def train(module, x, y, epochs, seed):
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.SGD(module.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    module.train()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), 128):
            batch = order[i:i + 128]
            opt.zero_grad()
            F.cross_entropy(module(x[batch]), y[batch]).backward()
            opt.step()
    module.eval()


def classify(lib, x, threads):
    model = cnnc.load(lib)
    logits = [model(x[i:i + 500].numpy(), threads=threads) for i in range(0, len(x), 500)]
    return np.concatenate(logits)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="lenet,resnet")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--precision", default="bf16", choices=["bf16", "int8"])
    ap.add_argument("--calibration", default="minmax",
                    help="int8: minmax or percentile[:P] (cnnc --calibration)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", help="write the results here too")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    x_train, y_train = load("train")
    x_test, y_test = load("test")
    results = []
    for name in [m for m in args.models.split(",") if m]:
        torch.manual_seed(args.seed)
        module = MODELS[name]()
        t0 = time.time()
        train(module, x_train, y_train, args.epochs, args.seed)
        train_s = time.time() - t0
        with torch.no_grad():
            ref = torch.cat([module(x_test[i:i + 500]) for i in range(0, len(x_test), 500)])
        row = {"model": name, "epochs": args.epochs, "seed": args.seed,
               "train_s": round(train_s, 1),
               "pytorch_accuracy": (ref.argmax(1) == y_test).float().mean().item() * 100}
        with tempfile.TemporaryDirectory(prefix="cnnc-accuracy-") as tmp:
            logits = {}
            calibrate = {}
            if args.precision == "int8":
                pick = torch.randperm(len(x_train), generator=torch.Generator().manual_seed(1))
                calibrate = {"calibrate": x_train[pick[:1000]],
                             "calibration": args.calibration}
            for precision in ("fp32", args.precision):
                lib = os.path.join(tmp, f"{name}_{precision}.so")
                cnnc.compile(module, lib, example_input=x_test[:500], name=name,
                             precision=precision, **(calibrate if precision == "int8" else {}))
                logits[precision] = classify(lib, x_test, args.threads)
        lo, hi = logits["fp32"], logits[args.precision]
        labels = y_test.numpy()
        row["cnnc_fp32_accuracy"] = float((lo.argmax(1) == labels).mean() * 100)
        row[f"cnnc_{args.precision}_accuracy"] = float((hi.argmax(1) == labels).mean() * 100)
        row["agreement"] = float((lo.argmax(1) == hi.argmax(1)).mean() * 100)
        row["max_logit_diff_rel"] = float(np.abs(hi - lo).max() / max(1.0, np.abs(lo).max()))
        row["accuracy_drop"] = row["cnnc_fp32_accuracy"] - row[f"cnnc_{args.precision}_accuracy"]
        results.append(row)
        print(f"{name:7s} PyTorch {row['pytorch_accuracy']:.2f}%  cnnc fp32 "
              f"{row['cnnc_fp32_accuracy']:.2f}%  cnnc {args.precision} "
              f"{row[f'cnnc_{args.precision}_accuracy']:.2f}%  (drop "
              f"{row['accuracy_drop']:+.2f} points; same class on {row['agreement']:.2f}% of "
              f"images; max|logit diff| {row['max_logit_diff_rel']:.1e} of max|logit|; trained "
              f"{args.epochs} epochs in {train_s:.0f} s)", flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
