"""torchvision_check.py NAME [--batch N] [--workdir DIR] [--cnnc-flag F ...]: a
torchvision architecture outside the zoo (random weights, batchnorm statistics
randomized so that it is not the identity), compiled from its nn.Module with
cnnc.compile (through the exporter) and compared with the module:
max|diff| <= 1e-4 * max(1, max|ref|). Prints one line, exits 1 on a mismatch."""
import argparse
import os
import sys

import numpy as np
import torch
import torchvision

import cnnc
from cnnc import exporter


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--workdir", default=".")
    ap.add_argument("--cnnc-flag", action="append", default=[])
    a = ap.parse_args()
    torch.manual_seed(0)
    net = getattr(torchvision.models, a.name)().eval()
    exporter.randomize_batchnorm(net, 1)
    x = torch.randn(a.batch, 3, 224, 224)
    lib = cnnc.compile(net, os.path.join(a.workdir, f"{a.name}.so"), example_input=x,
                       name=a.name, extra_args=a.cnnc_flag)
    got = cnnc.load(lib)(x)
    with torch.no_grad():
        ref = net(x).numpy()
    diff = float(np.abs(got - ref).max())
    tol = 1e-4 * max(1.0, float(np.abs(ref).max()))
    ok = got.shape == ref.shape and diff <= tol
    print(f"{a.name} b{a.batch}: max|diff| {diff:.3g} tol {tol:.3g} {'PASS' if ok else 'FAIL'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
