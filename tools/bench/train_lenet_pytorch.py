#!/usr/bin/python3
"""The PyTorch side of the Fashion-MNIST LeNet comparison: the same model as
models/lenet.json (ReLU, max-pool), the same initial weights (a safetensors
file, e.g. the one `cnnc --weights=external` writes), the same recipe (batch
256, SGD with the model's lr/momentum/weight decay, pixels / 255, shuffled
each epoch), 2 threads. Prints loss and seconds per epoch and the test accuracy.

    train_lenet_pytorch.py WEIGHTS.safetensors [--epochs 10] [--threads 2] [--seed 0]
                           [--data DIR] [--device cpu|cuda]
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "pyutil"))
import safetensors_io  # noqa: E402
from fashion_mnist import DATA, LeNet, read_idx as idx  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("weights")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    a = ap.parse_args()
    dev = torch.device(a.device)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    opt = json.load(open(os.path.join(ROOT, "models", "lenet.json")))["training"]["optimizer"]
    net = LeNet()
    net.load_state_dict(safetensors_io.load(a.weights))
    net = net.to(dev)
    xs = (idx(f"{a.data}/train-images-idx3-ubyte.gz").float() / 255).to(dev)
    ys = idx(f"{a.data}/train-labels-idx1-ubyte.gz").to(dev)
    xt = (idx(f"{a.data}/t10k-images-idx3-ubyte.gz").float() / 255).to(dev)
    yt = idx(f"{a.data}/t10k-labels-idx1-ubyte.gz").to(dev)
    sgd = torch.optim.SGD(net.parameters(), lr=opt["learning_rate"],
                          momentum=opt.get("momentum", 0), weight_decay=opt.get("weight_decay", 0),
                          nesterov=opt.get("nesterov", False))
    steps = len(xs) // a.batch
    total = 0.0
    for e in range(1, a.epochs + 1):
        perm = torch.randperm(len(xs)).to(dev)
        t0 = time.perf_counter()
        loss_sum = 0.0
        for s in range(steps):
            i = perm[s * a.batch:(s + 1) * a.batch]
            sgd.zero_grad()
            loss = F.cross_entropy(net(xs[i]), ys[i])
            loss.backward()
            sgd.step()
            loss_sum += loss.item()
        if a.device == "cuda":
            torch.cuda.synchronize()
        secs = time.perf_counter() - t0
        total += secs
        print(f"epoch {e:2d}: loss {loss_sum / steps:.4f}, {secs:.2f} s", flush=True)
    with torch.no_grad():
        acc = (net(xt).argmax(1) == yt).float().mean().item()
    print(f"test accuracy: {100 * acc:.2f}%; {total / a.epochs:.2f} s per epoch")


if __name__ == "__main__":
    main()
