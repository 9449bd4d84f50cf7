#!/usr/bin/python3
"""A torchvision model through cnnc from Python, checked against PyTorch:

    PYTHONPATH=build/python /usr/bin/python3 tools/examples/classify_torchvision.py \
        [--model resnet18] [--batch 1] [--runs 10]

Builds torchvision.models.NAME (random weights: nothing is downloaded), compiles it
with cnnc.compile (through the exporter), runs both on the same random images and
prints the top-5 classes of each, the largest difference and the median times.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "build", "python"))
import cnnc  # noqa: E402


def median_ms(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(times))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="resnet18")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--out", default=None, help="the library to write (default NAME.so)")
    a = ap.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count())  # Debian's torch starts with 1; cnnc uses every core
    net = getattr(torchvision.models, a.model)().eval()
    x = torch.randn(a.batch, 3, 224, 224)
    lib = a.out or f"{a.model}.so"
    t0 = time.perf_counter()
    cnnc.compile(net, lib, example_input=x, name=a.model)
    print(f"compiled {a.model} into {lib} in {time.perf_counter() - t0:.1f} s")
    m = cnnc.load(lib)
    got = m(x)
    with torch.no_grad():
        want = net(x).numpy()
    diff = float(np.abs(got - want).max())
    print(f"cnnc    top-5: {np.argsort(-got[0])[:5].tolist()}")
    print(f"PyTorch top-5: {np.argsort(-want[0])[:5].tolist()}")
    print(f"max |cnnc - PyTorch| = {diff:.3g} (outputs up to {np.abs(want).max():.3g})")
    with torch.no_grad():
        torch_ms = median_ms(lambda: net(x), a.runs)
    cnnc_ms = median_ms(lambda: m(x), a.runs)
    print(f"median of {a.runs}: cnnc {cnnc_ms:.2f} ms, PyTorch {torch_ms:.2f} ms "
          f"({torch.get_num_threads()} threads)")
    if diff > 1e-4 * max(1.0, float(np.abs(want).max())):
        sys.exit("cnnc and PyTorch disagree")


if __name__ == "__main__":
    main()
