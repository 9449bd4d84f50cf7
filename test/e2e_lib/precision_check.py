#!/usr/bin/python3
"""End-to-end check of `cnnc --precision=bf16|int8` against a reference with the same rounding.

    precision_check.py [--precision bf16|int8] --cnnc PATH --cnnc-run PATH --workdir DIR
                       [--cnnc-flag FLAG ...]

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

int8 (--precision int8): each case is compiled with `--calibrate` on its own inputs. The
reference runs twice: once in float32, recording each conv's and dense layer's input range
in call order (the model's node order: the calibration), then with every conv that cnnc
quantizes (Int8Reference.conv2d) reading its input as round-half-even(x / s_x) + z in
[0, 127] (z = 0 and s_x = max / 127 for a non-negative input, s_x = (max - min) / 127
and z = round(-min / s_x) for a signed one; padding is z), and its filter per output channel as round(w / s_w[f]) in
[-127, 127], s_w[f] = max|w[f]| / 127 (float32 arithmetic, as cnnc's), the integer sums
exact in float64 and init + s_x * s_w[f] * sum in float32. An elementwise op (a residual
add) that reads a tensor some conv quantized whole (channels a multiple of 4) reads
s_x * (q - z) of it instead, as cnnc does (the conv comes first in these cases' node
order). The tolerance is e2e.py's
(measured: 0 to 3.6e-7 on the cases below). cnnc calibrates on its own float32 build:
where that and torch's float32 differ in the last bit of a later conv's input range, a
value on a rounding boundary could round the other way; none does on these cases.
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


def _per_group_conv(w, groups):
    """Whether cnnc lowers a conv to one conv per group (groups 1, or at least 4 outputs
    a group and at most 64 groups; compiler/Conversion/CnnToLinalg/Convolution.cpp), the
    convs --precision demotes; depthwise convs are not."""
    return groups == 1 or (w.shape[0] // groups >= 4 and groups <= 64)


class Int8Reference:
    """F.conv2d and F.linear as cnnc computes them under --precision=int8 (see above)."""

    def __init__(self):
        self.ranges = []       # per call, in order: (min, max) of the input
        self.calibrating = True
        self.call = 0
        self.dequantized = {}  # id(x) -> (x, s_x * (q - z)) of the inputs quantized whole

    def start(self, calibrating):
        self.calibrating, self.call = calibrating, 0
        self.dequantized = {}

    def as_read_elementwise(self, x):
        """x as an elementwise op reads it: its dequantized copy if a conv quantized it."""
        entry = self.dequantized.get(id(x))
        return entry[1] if entry is not None and entry[0] is x else x

    def _quantized_input(self, x):
        """(q - z, s_x) with x ~ s_x * (q - z); None while calibrating. (cnnc pads the
        input channels to a multiple of 4 with z and zero weights: the same sums.)"""
        if self.calibrating:
            self.ranges.append((x.min().item(), x.max().item()))
            return None
        lo, hi = self.ranges[self.call]
        self.call += 1
        f32 = lambda v: torch.tensor(v, dtype=torch.float32)  # noqa: E731
        if lo >= 0:
            scale, zero = (f32(hi) / 127.0 if hi > 0 else f32(1.0)), f32(0.0)
        else:
            scale = (f32(hi) - f32(lo)) / 127.0 if hi > lo else f32(1.0)
            zero = torch.round(f32(-lo) / scale).clamp(0, 127)
        inverse = f32(1.0) / scale
        q = (torch.round(x.float() * inverse) + zero).clamp(0, 127)
        if x.dim() == 4 and x.shape[1] % 4 == 0:
            self.dequantized.setdefault(id(x), (x, (q - zero) * scale))
        return q - zero, scale

    @staticmethod
    def _quantized_weight(w):
        """Per output channel (dim 0): the integer weights and max|w|."""
        absmax = w.abs().flatten(1).max(dim=1).values
        # A tensor over a tensor: torch computes `127.0 / t` as 127 * (1 / t), which
        # is not what cnnc's (IEEE) division gives in the last bit.
        inverse = torch.full_like(absmax, 127.0) / absmax.clamp(min=1e-30)
        shape = [-1] + [1] * (w.dim() - 1)
        return torch.round(w * inverse.view(shape)).clamp(-127, 127), absmax

    def _dequantized(self, acc, absmax, scale, bias, channel_dim):
        factor = (absmax * (scale / 127.0)).float()
        shape = [1] * acc.dim()
        shape[channel_dim] = -1
        out = acc.float() * factor.view(shape)
        if bias is not None:
            bshape = [1] * acc.dim()
            bshape[channel_dim] = -1
            out = out + bias.float().view(bshape)
        return out

    def conv2d(self, x, w, bias=None, stride=1, padding=0, dilation=1, groups=1):
        q = self._quantized_input(x) if _per_group_conv(w, groups) else None
        if q is None:
            return _conv2d(x, w, bias, stride, padding, dilation, groups)
        qx, scale = q
        qw, absmax = self._quantized_weight(w)
        acc = _conv2d(qx.double(), qw.double(), None, stride, padding, dilation, groups)
        return self._dequantized(acc, absmax, scale, bias, 1)

    def linear(self, x, w, bias=None):
        q = self._quantized_input(x)
        if q is None:
            return _linear(x, w, bias)
        qx, scale = q
        qw, absmax = self._quantized_weight(w)
        acc = _linear(qx.double(), qw.double(), None)
        return self._dequantized(acc, absmax, scale, bias, acc.dim() - 1)


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


def int8_cases(flags):
    def case(name, inputs, nodes, batch=None, outputs=None):
        return e2e.Case(name, model(name, inputs, nodes, outputs), batch=batch, seed=len(name),
                        cnnc_flags=["--precision=int8", "--calibrate={inputs}"] + flags)

    relu = lambda name, x: N(name, "relu", [x])  # noqa: E731
    return [
        # One register block per row of 14, two vectors of output channels; the input
        # after a ReLU (non-negative: quantized).
        case("int8_conv3x3", {"x": [1, 64, 14, 14]},
             [relu("r", "x"), conv("y", ["r"], 64, 3, padding=1)]),
        case("int8_conv3x3_b2_chain", {"x": [1, 32, 28, 28]},
             [relu("r", "x"), conv("c1", ["r"], 32, 3, padding=1), relu("r1", "c1"),
              conv("c2", ["r1"], 64, 3, padding=1), relu("y", "c2")], batch=2),
        # Strided (split into phases), 1x1, a max pool between.
        case("int8_conv_stride2", {"x": [1, 64, 14, 14]},
             [relu("r", "x"), conv("y", ["r"], 128, 3, stride=2, padding=1)]),
        case("int8_conv1x1_pool", {"x": [1, 64, 14, 14]},
             [relu("r", "x"), N("p", "maxpool2d", ["r"], kernel=2),
              conv("y", ["p"], 128, 1, bias=False)]),
        # Output channels no multiple of 16 (8-lane and 4-lane dot products), input
        # channels no multiple of 8 (a reduction step of 4).
        case("int8_conv_24_channels", {"x": [1, 12, 12, 12]},
             [relu("r", "x"), conv("y", ["r"], 24, 3, padding=1)]),
        case("int8_conv_12_channels", {"x": [1, 20, 9, 9]},
             [relu("r", "x"), conv("y", ["r"], 12, 3)]),
        # A signed input (a zero point; padded with it), then a conv over input
        # channels no multiple of 4 (padded to 8).
        case("int8_signed_then_6_channels", {"x": [1, 8, 10, 10]},
             [conv("c", ["x"], 6, 3, padding=1), relu("r", "c"),
              conv("y", ["r"], 16, 3, padding=1)]),
        # MobileNetV2's linear bottleneck: a projection (no ReLU) added to the block's
        # input feeds the next expansion, a signed int8 input.
        case("int8_linear_bottleneck", {"x": [1, 16, 10, 10]},
             [conv("e", ["x"], 64, 1), N("r6", "relu6", ["e"]),
              conv("p", ["r6"], 16, 1), N("s", "add", ["p", "x"]),
              conv("y", ["s"], 64, 1)], batch=2),
        # An RGB stem (7x7, stride 2, 3 input channels padded to 4, a signed input),
        # then a max pool and a 3x3 conv.
        case("int8_rgb_stem", {"x": [1, 3, 32, 32]},
             [conv("c", ["x"], 64, 7, stride=2, padding=3), relu("r", "c"),
              N("p", "maxpool2d", ["r"], kernel=3, stride=2, padding=1),
              conv("y", ["p"], 64, 3, padding=1)], batch=2),
        # A residual block: the add and its ReLU stay float32 around the int8 convs.
        case("int8_residual", {"x": [1, 64, 8, 8]},
             [relu("r", "x"), conv("c1", ["r"], 64, 3, padding=1), relu("r1", "c1"),
              conv("c2", ["r1"], 64, 3, padding=1), N("s", "add", ["c2", "r"]),
              relu("y", "s")]),
        # 64-channel filter blocks, rows of 7 at batch 1 with reduction chunks, batch 4.
        case("int8_conv_filter_blocks", {"x": [1, 256, 7, 7]},
             [relu("r", "x"), conv("c", ["r"], 256, 3, padding=1), relu("y", "c")]),
        case("int8_conv_filter_blocks_b4", {"x": [1, 256, 7, 7]},
             [relu("r", "x"), conv("c", ["r"], 256, 3, padding=1), relu("y", "c")], batch=4),
        # Dense layers (1x1 convs over their rows); 33 inputs padded to 36.
        case("int8_dense", {"x": [1, 64, 6, 6]},
             [relu("r", "x"), N("f", "flatten", ["r"]), N("d1", "dense", ["f"], out_features=100),
              relu("r1", "d1"), N("d2", "dense", ["r1"], out_features=10)], batch=3),
        case("int8_dense_33_inputs", {"x": [1, 33]},
             [relu("r", "x"), N("y", "dense", ["r"], out_features=24)], batch=2),
        case("int8_dense_signed", {"x": [1, 40]},
             [N("y", "dense", ["x"], out_features=24)], batch=2),
        # ResNeXt's grouped conv: 32 groups of 8 channels over one padded input, which
        # is quantized once, the groups reading slices of it.
        case("int8_resnext_groups", {"x": [1, 256, 14, 14]},
             [relu("r", "x"), conv("c", ["r"], 256, 1, bias=False), relu("rc", "c"),
              conv("y", ["rc"], 256, 3, padding=1, groups=32)]),
        # A grouped conv (one int8 conv per group), a depthwise one (float32), a 1x1.
        case("int8_grouped_and_depthwise", {"x": [1, 32, 9, 9]},
             [relu("r", "x"), conv("g", ["r"], 32, 3, padding=1, groups=4), relu("rg", "g"),
              conv("d", ["rg"], 32, 3, padding=1, groups=32), relu("rd", "d"),
              conv("y", ["rd"], 32, 1)]),
    ]


def use_int8_reference():
    """F.conv2d and F.linear quantize as cnnc does; each reference run is preceded by a
    float32 run that calibrates them on the same inputs."""
    reference = Int8Reference()
    F.conv2d, F.linear = reference.conv2d, reference.linear
    run_model = e2e.R.run_model

    def calibrated_run_model(*args, **kwargs):
        reference.ranges = []
        reference.start(calibrating=True)
        run_model(*args, **kwargs)
        reference.start(calibrating=False)
        try:
            return run_model(*args, **kwargs)
        finally:  # the reference also runs convs outside run_model (shape checks)
            reference.start(calibrating=True)

    e2e.R.run_model = calibrated_run_model
    run_node = e2e.R.Model._run_node

    def run_node_reading_dequantized(self, n, args, param_fn):
        if n.op in ELEMENTWISE_OPS:
            args = [reference.as_read_elementwise(a) for a in args]
        return run_node(self, n, args, param_fn)

    e2e.R.Model._run_node = run_node_reading_dequantized


# The ops cnnc lowers to elementwise generics (which read a quantized tensor's copy).
ELEMENTWISE_OPS = {"add", "mul", "relu", "relu6", "sigmoid", "tanh", "silu", "hardswish",
                   "hardsigmoid", "leaky_relu", "gelu"}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    e2e.add_tool_args(ap)
    ap.add_argument("--cnnc-flag", action="append", default=[],
                    help="extra cnnc argument (repeatable), e.g. -mcpu=znver4")
    ap.add_argument("--precision", choices=["bf16", "int8"], default="bf16")
    ap.add_argument("--rtol", type=float, default=None,
                    help="tolerance relative to max(1, max|ref|) (default: e2e.py's)")
    args = ap.parse_args(argv)
    if args.precision == "bf16":
        F.conv2d = conv2d_with_bf16_operands
        F.linear = linear_with_bf16_operands
        selected = cases(args.cnnc_flag)
    else:
        use_int8_reference()
        selected = int8_cases(args.cnnc_flag)
    if args.rtol is not None:
        e2e.RTOL = args.rtol
    failed = e2e.run_cases(selected, e2e._tool_path(args.cnnc),
                           e2e._tool_path(args.cnnc_run), args.workdir)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
