#!/usr/bin/python3
"""Write a safetensors file of random F32 tensors (torch.randn, seeded).

    make_tensors.py OUT.safetensors NAME=D0xD1x... [NAME=SHAPE ...] [--seed S]

e.g. `make_tensors.py %t/in.safetensors image=1x1x28x28`.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "pyutil"))

import torch  # noqa: E402

import safetensors_io  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("tensors", nargs="+", metavar="NAME=SHAPE")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    gen = torch.Generator().manual_seed(args.seed)
    out = {}
    for spec in args.tensors:
        name, sep, shape = spec.partition("=")
        if not sep or not name:
            ap.error(f"expected NAME=SHAPE, got {spec!r}")
        try:
            dims = [int(d) for d in shape.split("x")]
        except ValueError:
            ap.error(f"bad shape {shape!r} (expected e.g. 1x3x7x9)")
        out[name] = torch.randn(dims, generator=gen)
    safetensors_io.save(args.out, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
