"""torchvision_check.py NAME [--batch N] [--size S] [--workdir DIR] [--cnnc-flag F ...]: a
torchvision architecture outside the zoo (random weights, batchnorm statistics -- and
layer norms and layer scales -- randomized so that they are not the identity), compiled
from its nn.Module with cnnc.compile (through the exporter) and compared with the
module: max|diff| <= 1e-4 * max(1, max|ref|). NAME is a classifier of
torchvision.models or a segmentation model of torchvision.models.segmentation (built
without any pretrained backbone and without the auxiliary head; its output dict's
"out" is compared). Inputs are S x S (default 224). Prints one line, exits 1 on a
mismatch."""
import argparse
import os
import sys

import numpy as np
import torch
import torchvision

import cnnc
from cnnc import exporter


# A library embeds at most 2 GiB less 64 MiB of weights (x86-64's default code
# model); larger models (RegNetY-128GF) keep theirs beside it.
EMBED_LIMIT_BYTES = (2 << 30) - (64 << 20)


def weights_flags(net):
    size = sum(t.numel() * t.element_size() for t in net.state_dict().values())
    return ["--weights=external"] if size > EMBED_LIMIT_BYTES else []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--workdir", default=".")
    ap.add_argument("--cnnc-flag", action="append", default=[])
    a = ap.parse_args()
    torch.manual_seed(0)
    if hasattr(torchvision.models, a.name):
        net = getattr(torchvision.models, a.name)()
    else:
        kw = {"weights": None, "weights_backbone": None}
        if a.name.startswith(("fcn_", "deeplabv3_")):
            kw["aux_loss"] = False
        net = getattr(torchvision.models.segmentation, a.name)(**kw)
    net.eval()
    exporter.randomize_batchnorm(net, 1)
    x = torch.randn(a.batch, 3, a.size, a.size)
    lib = cnnc.compile(net, os.path.join(a.workdir, f"{a.name}.so"), example_input=x,
                       name=a.name, extra_args=a.cnnc_flag + weights_flags(net))
    got = cnnc.load(lib)(x)
    with torch.no_grad():
        ref = net(x)
    if isinstance(ref, dict):
        ref = ref["out"]
    ref = ref.numpy()
    diff = float(np.abs(got - ref).max())
    tol = 1e-4 * max(1.0, float(np.abs(ref).max()))
    ok = got.shape == ref.shape and diff <= tol
    print(f"{a.name} b{a.batch}: max|diff| {diff:.3g} tol {tol:.3g} {'PASS' if ok else 'FAIL'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
