"""onnx_check.py NAME... [--batch N] [--workdir DIR] [--opset K] [--static-batch]
[--cnnc-flag F ...]:
a torchvision model (random weights, batchnorm statistics randomized so that it
is not the identity) exported with torch.onnx.export (batch dimension dynamic),
compiled from the .onnx file with cnnc.compile(batch=N), and compared with the
module at batch N: max|diff| <= 1e-4 * max(1, max|ref|). NAME "seg:fcn_resnet50"
names a segmentation model (its "out" output). Prints one line per model, exits
1 on a mismatch."""
import argparse
import os
import sys
import warnings

import numpy as np
import torch
import torchvision

import cnnc
from cnnc import exporter
from torchvision_check import weights_flags


class SegmentationOut(torch.nn.Module):
    """A segmentation model's "out" tensor (its forward returns a dict)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)["out"]


def build(name):
    if name.startswith("seg:"):
        ctor = getattr(torchvision.models.segmentation, name[4:])
        return SegmentationOut(ctor(weights=None, weights_backbone=None))
    return getattr(torchvision.models, name)(weights=None)


def check(name, batch, workdir, opset, flags, size, static_batch=False):
    torch.manual_seed(0)
    net = build(name).eval()
    exporter.randomize_batchnorm(net, 1)
    stem = name.replace("seg:", "")
    path = os.path.join(workdir, f"{stem}.onnx")
    x1 = torch.randn(1, 3, size, size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dynamic = None if static_batch else {"image": {0: "batch"}, "logits": {0: "batch"}}
        torch.onnx.export(net, x1, path, opset_version=opset, input_names=["image"],
                          output_names=["logits"], dynamic_axes=dynamic)
    lib = cnnc.compile(path, os.path.join(workdir, f"{stem}-b{batch}.so"),
                       batch=None if static_batch else batch,
                       extra_args=flags + weights_flags(net))
    model = cnnc.load(lib)
    x = torch.randn(batch, 3, size, size)
    got = model.run({"image": x.numpy()})["logits"]
    with torch.no_grad():
        ref = net(x).numpy()
    diff = float(np.abs(got - ref).max()) if got.shape == ref.shape else float("inf")
    tol = 1e-4 * max(1.0, float(np.abs(ref).max()))
    ok = diff <= tol
    print(f"{stem} onnx b{batch}: max|diff| {diff:.3g} tol {tol:.3g} {'PASS' if ok else 'FAIL'}",
          flush=True)
    return ok


def every_classifier():
    """torchvision's classification models, less the transformers (ViT, Swin, MaxViT)."""
    names = torchvision.models.list_models(module=torchvision.models)
    return [n for n in sorted(names) if not n.startswith(("vit_", "swin_", "maxvit"))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*")
    ap.add_argument("--all", action="store_true", help="every classifier of torchvision")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--workdir", default=".")
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--cnnc-flag", action="append", default=[])
    ap.add_argument("--static-batch", action="store_true",
                    help="export with a fixed batch of 1 and compile without --batch")
    a = ap.parse_args()
    if a.static_batch:
        a.batch = 1
    if a.all:
        a.names = every_classifier() + a.names
    ok = True
    for name in a.names:
        size = 299 if name == "inception_v3" else a.size
        try:
            ok &= check(name, a.batch, a.workdir, a.opset, a.cnnc_flag, size, a.static_batch)
        except cnnc.CompileError as e:
            first = str(e).splitlines()[0] if str(e) else "?"
            print(f"{name.replace('seg:', '')} onnx b{a.batch}: FAIL (compile: {first})",
                  flush=True)
            ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
