#!/usr/bin/python3
"""Write torchvision's ResNets as cnnc model JSON.

    make_resnet.py [ARCH ...] [-o OUT.json] [--batch N] [--size S] [--classes K]
                   [--weights FILE]

ARCH is resnet18 (default), resnet34, resnet50, resnet101 or resnet152; each is written
to models/ARCH.json next to this script unless -o names the file (one ARCH only).
Node names equal torchvision's state_dict module names (conv1, bn1, layer1.0.conv1,
layer1.0.downsample.0, ..., fc), so torchvision's state_dict loads as is.  Nodes without
parameters are named relu, maxpool, layerI.J.relu1/relu2 (inside a block),
layerI.J.add (the residual sum), layerI.J (the block output, after the last ReLU),
avgpool and flatten.  No "weights" is written unless --weights is given (see
make_weights.py).  Needs only the standard library.
"""

import argparse
import json
import os
import sys

ARCHS = {
    "resnet18": ("basic", [2, 2, 2, 2]),
    "resnet34": ("basic", [3, 4, 6, 3]),
    "resnet50": ("bottleneck", [3, 4, 6, 3]),
    "resnet101": ("bottleneck", [3, 4, 23, 3]),
    "resnet152": ("bottleneck", [3, 8, 36, 3]),
}


def build(arch, batch=1, size=224, classes=1000, weights=None):
    block, layers = ARCHS[arch]
    expansion = 1 if block == "basic" else 4
    nodes = []

    def node(name, op, inputs, attrs=None):
        n = {"name": name, "op": op, "inputs": list(inputs)}
        if attrs:
            n["attrs"] = attrs
        nodes.append(n)
        return name

    def conv(name, x, out, k, stride=1, pad=0):
        attrs = {"out_channels": out, "kernel": k}
        if stride != 1:
            attrs["stride"] = stride
        if pad:
            attrs["padding"] = pad
        attrs["bias"] = False
        return node(name, "conv2d", [x], attrs)

    def bn(name, x):
        return node(name, "batchnorm", [x])

    x = conv("conv1", "image", 64, 7, 2, 3)
    x = bn("bn1", x)
    x = node("relu", "relu", [x])
    x = node("maxpool", "maxpool2d", [x], {"kernel": 3, "stride": 2, "padding": 1})
    inplanes = 64
    for li, (planes, blocks) in enumerate(zip([64, 128, 256, 512], layers), start=1):
        for bi in range(blocks):
            stride = 2 if (li > 1 and bi == 0) else 1
            p = f"layer{li}.{bi}"
            identity = x
            if block == "basic":
                y = conv(f"{p}.conv1", x, planes, 3, stride, 1)
                y = bn(f"{p}.bn1", y)
                y = node(f"{p}.relu1", "relu", [y])
                y = conv(f"{p}.conv2", y, planes, 3, 1, 1)
                y = bn(f"{p}.bn2", y)
            else:  # torchvision's ResNet v1.5: the stride is on the 3x3 conv
                y = conv(f"{p}.conv1", x, planes, 1)
                y = bn(f"{p}.bn1", y)
                y = node(f"{p}.relu1", "relu", [y])
                y = conv(f"{p}.conv2", y, planes, 3, stride, 1)
                y = bn(f"{p}.bn2", y)
                y = node(f"{p}.relu2", "relu", [y])
                y = conv(f"{p}.conv3", y, planes * expansion, 1)
                y = bn(f"{p}.bn3", y)
            if stride != 1 or inplanes != planes * expansion:
                identity = conv(f"{p}.downsample.0", x, planes * expansion, 1, stride)
                identity = bn(f"{p}.downsample.1", identity)
            y = node(f"{p}.add", "add", [y, identity])
            x = node(p, "relu", [y])
            inplanes = planes * expansion
    x = node("avgpool", "global_avgpool2d", [x])
    x = node("flatten", "flatten", [x])
    x = node("fc", "dense", [x], {"out_features": classes})

    model = {"format": "cnnc-model", "version": 1, "name": arch}
    if weights:
        model["weights"] = weights
    model["inputs"] = [{"name": "image", "shape": [batch, 3, size, size]}]
    model["outputs"] = [x]
    model["nodes"] = nodes
    return model


def dumps(model):
    """JSON with one node per line."""
    lines = ["{"]
    items = list(model.items())
    for i, (k, v) in enumerate(items):
        comma = "," if i + 1 < len(items) else ""
        if k == "nodes":
            lines.append('  "nodes": [')
            for j, n in enumerate(v):
                lines.append("    " + json.dumps(n) + ("," if j + 1 < len(v) else ""))
            lines.append("  ]" + comma)
        else:
            lines.append(f"  {json.dumps(k)}: {json.dumps(v)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description="Write torchvision ResNets as cnnc model JSON.")
    ap.add_argument("arch", nargs="*", metavar="ARCH", help="one of " + ", ".join(ARCHS) + " (default resnet18)")
    ap.add_argument("-o", "--output", help="output file (one ARCH only)")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--size", type=int, default=224, help="input height and width")
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--weights", help='value of the model\'s "weights" (relative path)')
    args = ap.parse_args(argv)
    archs = args.arch or ["resnet18"]
    for a in archs:
        if a not in ARCHS:
            ap.error(f"unknown ARCH {a!r} (choose from {', '.join(ARCHS)})")
    if args.output and len(archs) != 1:
        ap.error("-o takes one ARCH")
    here = os.path.dirname(os.path.abspath(__file__))
    for arch in archs:
        out = args.output or os.path.join(here, f"{arch}.json")
        text = dumps(build(arch, args.batch, args.size, args.classes, args.weights))
        with open(out, "w") as f:
            f.write(text)
        print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
