#!/usr/bin/python3
"""Export the smallest member of every torchvision classifier family, and the
segmentation models FCN-ResNet50 and LRASPP-MobileNetV3, as cnnc model JSON
(no weights: cnnc initializes the parameters) for checks that need the graphs
only, such as tools/ptx_sweep.sh.

    PYTHONPATH=build/python torchvision_families.py OUTDIR [--size 64]

Inception v3 is exported at 96x96 at least (its stem needs 75). One line per
model; exit 1 if any export fails.
"""
import argparse
import os
import sys

import torch
import torchvision

from cnnc import exporter

FAMILIES = ["alexnet", "convnext_tiny", "densenet121", "efficientnet_b0", "efficientnet_v2_s",
            "googlenet", "inception_v3", "mnasnet0_5", "mobilenet_v2", "mobilenet_v3_large",
            "regnet_x_400mf", "regnet_y_400mf", "resnet34", "resnext50_32x4d",
            "shufflenet_v2_x0_5", "squeezenet1_0", "squeezenet1_1", "vgg11_bn",
            "wide_resnet50_2", "fcn_resnet50", "lraspp_mobilenet_v3_large"]


def build(name):
    """The classifiers as the exporter builds them (its defaults: no auxiliary heads);
    the segmentation models, which it does not name, as torchvision_check.py does."""
    if hasattr(torchvision.models, name):
        return exporter.build_module("torchvision:" + name)[0]
    kw = {"weights": None, "weights_backbone": None}
    if name.startswith("fcn_"):
        kw["aux_loss"] = False
    return getattr(torchvision.models.segmentation, name)(**kw)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--size", type=int, default=64)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    failed = 0
    for name in FAMILIES:
        torch.manual_seed(0)
        size = max(a.size, 96) if name == "inception_v3" else a.size
        try:
            model, _ = exporter.export(build(name).eval(), [(1, 3, size, size)], name=name)
            with open(os.path.join(a.outdir, name + ".json"), "w") as f:
                f.write(exporter.dumps(model))
            print(f"exported {name} ({size}x{size})", flush=True)
        except Exception as e:  # report every model, then fail
            print(f"EXPORT FAIL {name}: {type(e).__name__}: {str(e)[:300]}", flush=True)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
