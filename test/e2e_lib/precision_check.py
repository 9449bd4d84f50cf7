#!/usr/bin/python3
"""End-to-end check of `cnnc --precision=bf16` against a reference with the same rounding.

    precision_check.py --cnnc PATH --cnnc-run PATH --workdir DIR [--cnnc-flag FLAG ...]

Run with Debian's Python (/usr/bin/python3, torch 1.13), as lit's %torchpy does.  Each
case is a small model compiled with --precision=bf16 and run by cnnc-run (test/e2e_lib/
e2e.py does both); the reference is tools/torch_reference.py with every convolution that
cnnc demotes (see conv2d_with_bf16_operands) reading its input and filter
rounded to bf16 (round to nearest even, as torch's .bfloat16() and LLVM's fptrunc do),
computed in float64. Everything else is float32, as in cnnc. The products of bf16 values
are exact in float32, so only the order of the float32 sums differs: the tolerance is
e2e.py's, max|diff| <= 1e-4 * max(1, max|ref|). The cases have no batchnorm: cnnc folds
it into the filter before rounding, which the reference cannot mirror op by op (the zoo
checks with batchnorm compare with float32 PyTorch instead, test/Precision).
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import e2e  # noqa: E402
from op_cases import N, model  # noqa: E402

_conv2d = F.conv2d


_linear = F.linear


def linear_with_bf16_operands(x, w, bias=None):
    """F.linear as cnnc computes it under --precision=bf16: an even number of inputs
    takes bf16 operands."""
    if x.shape[-1] % 2 == 0:
        x, w = x.bfloat16().float(), w.bfloat16().float()
    out = _linear(x.double(), w.double(), None if bias is None else bias.double())
    return out.float()


def conv2d_with_bf16_operands(x, w, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """F.conv2d as cnnc computes it under --precision=bf16: convs lowered to one
    conv per group (groups 1, or at least 4 outputs a group and at most 64 groups;
    compiler/Conversion/CnnToLinalg/Convolution.cpp) over an even number of input
    channels a group take bf16 operands; depthwise convs do not."""
    per_group = groups == 1 or (w.shape[0] // groups >= 4 and groups <= 64)
    if per_group and (x.shape[1] // groups) % 2 == 0:
        x, w = x.bfloat16().float(), w.bfloat16().float()
    out = _conv2d(x.double(), w.double(), None if bias is None else bias.double(), stride,
                  padding, dilation, groups)
    return out.float()


def conv(name, inputs, out_channels, kernel, **attrs):
    return N(name, "conv2d", inputs, out_channels=out_channels, kernel=kernel, **attrs)


def cases(flags):
    def case(name, inputs, nodes, batch=None, outputs=None):
        return e2e.Case(name, model(name, inputs, nodes, outputs), batch=batch, seed=len(name),
                        cnnc_flags=["--precision=bf16"] + flags)

    relu = lambda name, x: N(name, "relu", [x])  # noqa: E731
    return [
        # One register block per row of 14, two vectors of output channels.
        case("bf16_conv3x3", {"x": [1, 64, 14, 14]}, [conv("y", ["x"], 64, 3, padding=1)]),
        case("bf16_conv3x3_b2_relu", {"x": [1, 32, 28, 28]},
             [conv("c", ["x"], 32, 3, padding=1), relu("y", "c")], batch=2),
        # Strided (split into phases), 1x1, and one output vector of 16 channels.
        case("bf16_conv_stride2", {"x": [1, 64, 14, 14]},
             [conv("y", ["x"], 128, 3, stride=2, padding=1)]),
        case("bf16_conv1x1_stride2", {"x": [1, 64, 14, 14]},
             [conv("y", ["x"], 128, 1, stride=2, bias=False)]),
        case("bf16_conv_16_channels", {"x": [1, 48, 10, 10]},
             [conv("y", ["x"], 16, 3, padding=1)]),
        # Output channels no multiple of 16 (8-lane and 4-lane dot products) and input
        # channels no multiple of 8 (a reduction step of 2).
        case("bf16_conv_24_channels", {"x": [1, 6, 12, 12]},
             [conv("y", ["x"], 24, 3, padding=1)]),
        case("bf16_conv_12_channels", {"x": [1, 10, 9, 9]}, [conv("y", ["x"], 12, 3)]),
        # An odd number of input channels (an RGB stem) stays float32.
        case("bf16_stem_stays_f32", {"x": [1, 3, 20, 20]},
             [conv("c", ["x"], 16, 3, stride=2, padding=1), relu("r", "c"),
              conv("y", ["r"], 32, 3, padding=1)]),
        # A residual block: the first conv's ReLU feeds the second as bf16, the add
        # stays float32.
        case("bf16_residual", {"x": [1, 64, 8, 8]},
             [conv("c1", ["x"], 64, 3, padding=1), relu("r1", "c1"),
              conv("c2", ["r1"], 64, 3, padding=1), N("s", "add", ["c2", "x"]),
              relu("y", "s")]),
        # A filter of 2.4 MB: split into 64-channel blocks (cnnc-block-conv-filters),
        # rows of 7 grouped per block at batch 1, and reduction chunks.
        case("bf16_conv_filter_blocks", {"x": [1, 256, 7, 7]},
             [conv("c", ["x"], 256, 3, padding=1), relu("y", "c")]),
        case("bf16_conv_filter_blocks_b4", {"x": [1, 256, 7, 7]},
             [conv("c", ["x"], 256, 3, padding=1), relu("y", "c")], batch=4),
        # Dense layers: 1x1 convs over their rows (an even number of inputs; the odd
        # one stays float32).
        case("bf16_dense", {"x": [1, 64, 6, 6]},
             [N("f", "flatten", ["x"]), N("d1", "dense", ["f"], out_features=100),
              relu("r", "d1"), N("d2", "dense", ["r"], out_features=10)], batch=3),
        case("bf16_dense_odd_inputs", {"x": [1, 33]},
             [N("y", "dense", ["x"], out_features=24)], batch=2),
        # A grouped conv (one conv per group: bf16 too), a depthwise one (float32).
        case("bf16_grouped_and_depthwise", {"x": [1, 32, 9, 9]},
             [conv("g", ["x"], 32, 3, padding=1, groups=4),
              conv("d", ["g"], 32, 3, padding=1, groups=32),
              conv("y", ["d"], 32, 1)]),
    ]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    e2e.add_tool_args(ap)
    ap.add_argument("--cnnc-flag", action="append", default=[],
                    help="extra cnnc argument (repeatable), e.g. -mcpu=znver4")
    args = ap.parse_args(argv)
    F.conv2d = conv2d_with_bf16_operands
    F.linear = linear_with_bf16_operands
    failed = e2e.run_cases(cases(args.cnnc_flag), e2e._tool_path(args.cnnc),
                           e2e._tool_path(args.cnnc_run), args.workdir)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
