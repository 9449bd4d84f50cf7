#!/usr/bin/python3
"""One-op and few-op models, checked end to end against PyTorch (see e2e.py).

    op_cases.py --family FAMILY --cnnc PATH --cnnc-run PATH --workdir DIR [--only SUBSTR]
    op_cases.py --list [--family FAMILY]

Families (one lit test each in test/E2E): conv2d, pooling, batchnorm, activations,
broadcast, concat_slice_shuffle, dense_softmax_dropout.  Spatial sizes are odd on
purpose (13x17, 7x9, ...), and so are most channel counts (3/5/7).  Each case's seed is
derived from its name, so the inputs and parameters of a case do not change when
cases are added.  A case with `batch` is compiled with cnnc --batch=N.
"""

import argparse
import os
import sys
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402

FAMILIES = ("conv2d", "pooling", "batchnorm", "activations", "broadcast",
            "concat_slice_shuffle", "dense_softmax_dropout")

CASES = {f: [] for f in FAMILIES}


# ----------------------------------------------------------------------------------
# model builders


def N(name, op, inputs, params=None, **attrs):
    """A node; attrs are given as keyword arguments."""
    nd = {"name": name, "op": op, "inputs": list(inputs)}
    if attrs:
        nd["attrs"] = attrs
    if params:
        nd["params"] = params
    return nd


def model(name, inputs, nodes, outputs=None):
    """inputs: {name: shape} (ordered); outputs default to the last node."""
    return {
        "format": "cnnc-model",
        "version": 1,
        "name": name,
        "inputs": [{"name": k, "shape": list(v)} for k, v in inputs.items()],
        "outputs": list(outputs) if outputs else [nodes[-1]["name"]],
        "nodes": nodes,
    }


def add(family, name, inputs, nodes, outputs=None, batch=None, scale=1.0, **kw):
    """A case of `family`; kw go to e2e.Case (shift, weights_mode, cnnc_flags)."""
    assert family in CASES, family
    m = model(name, inputs, nodes, outputs)
    seed = zlib.crc32(name.encode()) % 10007
    CASES[family].append(e2e.Case(name, m, batch=batch, seed=seed, scale=scale, **kw))


def one(family, name, shape, op, batch=None, scale=1.0, shift=0.0, **attrs):
    """A single-op model: input x of `shape`, node y = op(x)."""
    add(family, name, {"x": shape}, [N("y", op, ["x"], **attrs)], batch=batch, scale=scale,
        shift=shift)


# ----------------------------------------------------------------------------------
# conv2d

C = "conv2d"
one(C, "conv_3x3", [1, 3, 13, 17], "conv2d", out_channels=5, kernel=3)
one(C, "conv_3x3_pad1", [1, 5, 13, 17], "conv2d", out_channels=7, kernel=3, padding=1)
one(C, "conv_3x3_pad1_b3", [1, 5, 13, 17], "conv2d", batch=3, out_channels=7, kernel=3,
    padding=1)
one(C, "conv_stride2", [1, 3, 13, 17], "conv2d", out_channels=5, kernel=3, stride=2,
    padding=1)
one(C, "conv_stride3_nopad", [1, 3, 13, 17], "conv2d", out_channels=5, kernel=3, stride=3)
one(C, "conv_stride_rect", [1, 3, 13, 17], "conv2d", out_channels=5, kernel=3,
    stride=[2, 3], padding=1)
one(C, "conv_pad_hw", [1, 3, 7, 9], "conv2d", out_channels=5, kernel=3, padding=[1, 2])
one(C, "conv_pad_hw_list1", [1, 3, 7, 9], "conv2d", out_channels=5, kernel=[3, 5],
    padding=[0, 2])
one(C, "conv_pad_asym", [1, 3, 13, 17], "conv2d", out_channels=5, kernel=3,
    padding=[1, 0, 2, 1])
one(C, "conv_pad_asym_stride2", [1, 5, 13, 17], "conv2d", out_channels=3, kernel=3,
    stride=2, padding=[0, 2, 1, 0])
one(C, "conv_pad_asym_large", [1, 3, 7, 9], "conv2d", out_channels=5, kernel=3,
    padding=[3, 0, 0, 4])
one(C, "conv_dilation2", [1, 3, 13, 17], "conv2d", out_channels=5, kernel=3, dilation=2,
    padding=2)
one(C, "conv_dilation_rect", [1, 3, 13, 17], "conv2d", out_channels=5, kernel=3,
    dilation=[2, 3], padding=[2, 3])
one(C, "conv_dilation_stride", [1, 5, 13, 17], "conv2d", out_channels=7, kernel=3,
    dilation=2, stride=2)
one(C, "conv_groups3", [1, 15, 7, 9], "conv2d", out_channels=9, kernel=3, groups=3,
    padding=1)
one(C, "conv_groups5_1x1", [1, 15, 7, 9], "conv2d", out_channels=10, kernel=1, groups=5)
# Groups of 4 or more outputs run as one conv per group (ResNeXt's 32 x 4, RegNet's 16).
one(C, "conv_groups32_resnext", [1, 128, 14, 14], "conv2d", out_channels=128, kernel=3,
    groups=32, padding=1)
one(C, "conv_groups4_stride2_b3", [1, 64, 15, 15], "conv2d", batch=3, out_channels=64,
    kernel=3, stride=2, groups=4, padding=1)
one(C, "conv_groups2_1x1_nobias", [1, 32, 9, 9], "conv2d", out_channels=48, kernel=1, groups=2,
    bias=False)
one(C, "conv_depthwise", [1, 7, 13, 17], "conv2d", out_channels=7, kernel=3, groups=7,
    padding=1)
one(C, "conv_depthwise_b3", [1, 7, 13, 17], "conv2d", batch=3, out_channels=7, kernel=3,
    groups=7, padding=1)
one(C, "conv_depthwise_stride2", [1, 5, 13, 17], "conv2d", out_channels=5, kernel=3,
    groups=5, stride=2, padding=1, bias=False)
one(C, "conv_depthwise_mult2", [1, 5, 13, 17], "conv2d", out_channels=10, kernel=3,
    groups=5, padding=1)
one(C, "conv_depthwise_mult3_stride2", [1, 3, 13, 17], "conv2d", out_channels=9,
    kernel=5, groups=3, stride=2, padding=2)
one(C, "conv_depthwise_dil_asym_nobias", [1, 7, 13, 17], "conv2d", out_channels=7,
    kernel=3, groups=7, dilation=2, padding=[2, 1, 0, 3], stride=[1, 2], bias=False)
one(C, "conv_nobias", [1, 5, 13, 17], "conv2d", out_channels=7, kernel=3, padding=1,
    bias=False)
one(C, "conv_1x1", [1, 7, 13, 17], "conv2d", out_channels=5, kernel=1)
one(C, "conv_1x1_stride2_nobias", [1, 7, 13, 17], "conv2d", out_channels=5, kernel=1,
    stride=2, bias=False)
one(C, "conv_7x7_stride2_pad3", [1, 3, 13, 17], "conv2d", out_channels=5, kernel=7,
    stride=2, padding=3, bias=False)
one(C, "conv_7x7_valid", [1, 3, 7, 9], "conv2d", out_channels=5, kernel=7)
one(C, "conv_rect_3x5", [1, 3, 13, 17], "conv2d", out_channels=5, kernel=[3, 5],
    padding=[1, 2])
one(C, "conv_rect_1x7", [1, 5, 13, 17], "conv2d", out_channels=3, kernel=[1, 7],
    padding=[0, 3])
one(C, "conv_rect_5x1_stride", [1, 5, 13, 17], "conv2d", out_channels=3, kernel=[5, 1],
    stride=[2, 1], padding=[2, 0])
one(C, "conv_kernel_covers_input", [1, 5, 7, 9], "conv2d", out_channels=3, kernel=[7, 9])
one(C, "conv_wide_channels", [1, 37, 7, 9], "conv2d", out_channels=67, kernel=3,
    padding=1)
add(C, "conv_chain_relu_b1", {"x": [1, 3, 13, 17]}, [
    N("c1", "conv2d", ["x"], out_channels=5, kernel=3, padding=1),
    N("r1", "relu", ["c1"]),
    N("c2", "conv2d", ["r1"], out_channels=7, kernel=3, stride=2),
])
add(C, "conv_chain_relu_b3", {"x": [1, 3, 13, 17]}, [
    N("c1", "conv2d", ["x"], out_channels=5, kernel=3, padding=1),
    N("r1", "relu", ["c1"]),
    N("c2", "conv2d", ["r1"], out_channels=7, kernel=3, stride=2),
], batch=3)
add(C, "conv_shared_params", {"x": [1, 5, 7, 9]}, [
    N("c1", "conv2d", ["x"], out_channels=5, kernel=3, padding=1),
    N("c2", "conv2d", ["c1"], params={"weight": "c1.weight", "bias": "c1.bias"},
      out_channels=5, kernel=3, padding=1),
])

# ----------------------------------------------------------------------------------
# pooling

P = "pooling"
for kind in ("maxpool2d", "avgpool2d"):
    k = kind[:3]
    one(P, f"{k}_k2", [1, 3, 13, 17], kind, kernel=2)
    one(P, f"{k}_k2_ceil", [1, 3, 13, 17], kind, kernel=2, ceil_mode=True)
    one(P, f"{k}_k3_s2_p1", [1, 5, 13, 17], kind, kernel=3, stride=2, padding=1)
    one(P, f"{k}_k3_s2_p1_ceil", [1, 5, 14, 17], kind, kernel=3, stride=2, padding=1,
        ceil_mode=True)
    one(P, f"{k}_k3_s2_p1_b3", [1, 5, 13, 17], kind, batch=3, kernel=3, stride=2,
        padding=1)
    one(P, f"{k}_k3_s1_overlap", [1, 3, 7, 9], kind, kernel=3, stride=1)
    one(P, f"{k}_k2_s3_gaps", [1, 3, 13, 17], kind, kernel=2, stride=3)
    one(P, f"{k}_k2_s3_gaps_ceil", [1, 3, 13, 17], kind, kernel=2, stride=3,
        ceil_mode=True)
    one(P, f"{k}_rect_k2x3_s1x2", [1, 3, 13, 17], kind, kernel=[2, 3], stride=[1, 2])
    one(P, f"{k}_pad_hw", [1, 3, 13, 17], kind, kernel=[3, 5], stride=2, padding=[1, 2])
    one(P, f"{k}_pad_hw_ceil", [1, 3, 13, 17], kind, kernel=[3, 5], stride=2,
        padding=[1, 2], ceil_mode=True)
    one(P, f"{k}_pad_asym", [1, 3, 13, 17], kind, kernel=3, stride=2,
        padding=[1, 0, 0, 1])
    one(P, f"{k}_pad_asym_ceil", [1, 3, 13, 17], kind, kernel=3, stride=2,
        padding=[0, 1, 1, 0], ceil_mode=True)
    one(P, f"{k}_pad_asym_k4", [1, 5, 7, 9], kind, kernel=4, stride=3,
        padding=[2, 0, 1, 2], ceil_mode=True)
    # ceil_mode whose last window would start in the bottom/right padding: dropped
    one(P, f"{k}_ceil_drop_last", [1, 3, 7, 9], kind, kernel=2, stride=2, padding=1,
        ceil_mode=True)
    one(P, f"{k}_whole_input", [1, 3, 7, 9], kind, kernel=[7, 9])
    # all inputs negative: the padding must not win a max (-inf) / must count as 0
    one(P, f"{k}_pad_negative_inputs", [1, 3, 7, 9], kind, kernel=3, stride=2,
        padding=[1, 1, 0, 1], ceil_mode=True, shift=-10.0)
one(P, "avg_k3_s2_p1_nopad", [1, 5, 13, 17], "avgpool2d", kernel=3, stride=2, padding=1,
    count_include_pad=False)
one(P, "avg_k3_s2_p1_ceil_nopad", [1, 5, 14, 17], "avgpool2d", kernel=3, stride=2,
    padding=1, ceil_mode=True, count_include_pad=False)
one(P, "avg_k2_ceil_nopad", [1, 3, 13, 17], "avgpool2d", kernel=2, ceil_mode=True,
    count_include_pad=False)
one(P, "avg_pad_hw_nopad", [1, 3, 13, 17], "avgpool2d", kernel=[3, 5], stride=2,
    padding=[1, 2], count_include_pad=False)
one(P, "avg_pad_hw_ceil_nopad", [1, 3, 13, 17], "avgpool2d", kernel=[3, 5], stride=2,
    padding=[1, 2], ceil_mode=True, count_include_pad=False)
one(P, "avg_pad_asym_nopad", [1, 3, 13, 17], "avgpool2d", kernel=3, stride=2,
    padding=[1, 0, 0, 1], count_include_pad=False)
one(P, "avg_pad_asym_ceil_nopad", [1, 3, 13, 17], "avgpool2d", kernel=3, stride=2,
    padding=[0, 1, 1, 0], ceil_mode=True, count_include_pad=False)
one(P, "avg_pad_asym_k4_nopad", [1, 5, 7, 9], "avgpool2d", kernel=4, stride=3,
    padding=[2, 0, 1, 2], ceil_mode=True, count_include_pad=False)
one(P, "avg_ceil_drop_last_nopad", [1, 3, 7, 9], "avgpool2d", kernel=2, stride=2,
    padding=1, ceil_mode=True, count_include_pad=False)
one(P, "avg_k3_s1_p1_nopad_b3", [1, 7, 7, 9], "avgpool2d", batch=3, kernel=3, stride=1,
    padding=1, count_include_pad=False)
one(P, "gap", [1, 5, 13, 17], "global_avgpool2d")
one(P, "gap_b3", [1, 7, 7, 9], "global_avgpool2d", batch=3)
one(P, "gap_1x1", [1, 3, 1, 1], "global_avgpool2d")
one(P, "gap_wide", [1, 67, 7, 9], "global_avgpool2d")
add(P, "conv_relu_maxpool", {"x": [1, 3, 13, 17]}, [
    N("c", "conv2d", ["x"], out_channels=5, kernel=3, padding=1),
    N("r", "relu", ["c"]),
    N("p", "maxpool2d", ["r"], kernel=3, stride=2, padding=1),
])
add(P, "gap_flatten", {"x": [1, 7, 7, 9]}, [
    N("g", "global_avgpool2d", ["x"]),
    N("f", "flatten", ["g"]),
])

# ----------------------------------------------------------------------------------
# batchnorm

B = "batchnorm"
one(B, "bn4d", [1, 5, 13, 17], "batchnorm")
one(B, "bn4d_b3", [1, 7, 7, 9], "batchnorm", batch=3)
one(B, "bn4d_eps1e-3", [1, 3, 7, 9], "batchnorm", epsilon=1e-3, momentum=0.3)
one(B, "bn4d_1x1", [1, 7, 1, 1], "batchnorm")
add(B, "bn2d_after_flatten", {"x": [1, 7, 3, 3]}, [
    N("f", "flatten", ["x"]),
    N("bn", "batchnorm", ["f"]),
])
add(B, "bn2d_after_flatten_b3", {"x": [1, 5, 3, 1]}, [
    N("f", "flatten", ["x"]),
    N("bn", "batchnorm", ["f"]),
], batch=3)
add(B, "bn2d_input", {"x": [1, 37]}, [N("bn", "batchnorm", ["x"])])
add(B, "dense_bn1d_relu", {"x": [1, 5, 7, 9]}, [
    N("f", "flatten", ["x"]),
    N("fc", "dense", ["f"], out_features=13),
    N("bn", "batchnorm", ["fc"]),
    N("r", "relu", ["bn"]),
])
add(B, "conv_bn_relu", {"x": [1, 3, 13, 17]}, [
    N("c", "conv2d", ["x"], out_channels=5, kernel=3, padding=1, bias=False),
    N("bn", "batchnorm", ["c"]),
    N("r", "relu", ["bn"]),
])
add(B, "conv_bias_bn_relu6_b3", {"x": [1, 5, 7, 9]}, [
    N("c", "conv2d", ["x"], out_channels=7, kernel=3, stride=2, padding=1),
    N("bn", "batchnorm", ["c"]),
    N("r", "relu6", ["bn"]),
], batch=3, scale=4.0)
add(B, "dwconv_bn_relu", {"x": [1, 7, 13, 17]}, [
    N("c", "conv2d", ["x"], out_channels=7, kernel=3, groups=7, padding=1, bias=False),
    N("bn", "batchnorm", ["c"]),
    N("r", "relu", ["bn"]),
])
add(B, "conv_bn_two_users", {"x": [1, 3, 7, 9]}, [
    N("c", "conv2d", ["x"], out_channels=5, kernel=3, padding=1, bias=False),
    N("bn", "batchnorm", ["c"]),
    N("r", "relu", ["bn"]),
    N("s", "add", ["c", "r"]),
])

# ----------------------------------------------------------------------------------
# activations (inputs scaled so that relu6 clips at 6 and sigmoid/tanh saturate)

A = "activations"
one(A, "relu", [1, 5, 13, 17], "relu")
one(A, "relu_b3", [1, 3, 7, 9], "relu", batch=3)
one(A, "relu6_x5", [1, 5, 13, 17], "relu6", scale=5.0)
one(A, "relu6_x5_b3", [1, 7, 7, 9], "relu6", batch=3, scale=5.0)
one(A, "sigmoid", [1, 5, 13, 17], "sigmoid")
one(A, "sigmoid_x20", [1, 5, 13, 17], "sigmoid", scale=20.0)
one(A, "tanh", [1, 5, 13, 17], "tanh")
one(A, "tanh_x8", [1, 7, 7, 9], "tanh", scale=8.0)
add(A, "sigmoid_2d_x20", {"x": [1, 3, 7, 9]}, [
    N("f", "flatten", ["x"]),
    N("s", "sigmoid", ["f"]),
], scale=20.0)
add(A, "tanh_2d_x8_b3", {"x": [1, 5, 3, 3]}, [
    N("f", "flatten", ["x"]),
    N("t", "tanh", ["f"]),
], batch=3, scale=8.0)
add(A, "relu6_2d_x5", {"x": [1, 41]}, [N("r", "relu6", ["x"])], scale=5.0)
add(A, "chain_all", {"x": [1, 5, 7, 9]}, [
    N("a", "relu6", ["x"]),
    N("b", "sigmoid", ["a"]),
    N("c", "tanh", ["x"]),
    N("d", "relu", ["c"]),
    N("e", "add", ["b", "d"]),
], scale=6.0)
# The activations of MobileNetV3, EfficientNet and ConvNeXt (scaled past +-3,
# where hardswish/hardsigmoid bend).
one(A, "silu_x5", [1, 5, 13, 17], "silu", scale=5.0)
one(A, "hardswish_x5", [1, 5, 13, 17], "hardswish", scale=5.0)
one(A, "hardsigmoid_x5_b3", [1, 7, 7, 9], "hardsigmoid", batch=3, scale=5.0)
add(A, "leaky_relu_02", {"x": [1, 5, 13, 17]},
    [N("y", "leaky_relu", ["x"], negative_slope=0.2)], scale=3.0)
one(A, "leaky_relu_default", [1, 5, 7, 9], "leaky_relu")
one(A, "gelu_x4", [1, 5, 13, 17], "gelu", scale=4.0)
add(A, "gelu_tanh_x4", {"x": [1, 5, 13, 17]},
    [N("y", "gelu", ["x"], approximate="tanh")], scale=4.0)
add(A, "gelu_2d_x4", {"x": [1, 37]}, [N("y", "gelu", ["x"])], scale=4.0)
add(A, "conv_hardswish_x5", {"x": [1, 3, 13, 17]}, [
    N("c", "conv2d", ["x"], out_channels=8, kernel=3, padding=1),
    N("h", "hardswish", ["c"]),
], scale=5.0)
add(A, "conv_silu_dw", {"x": [1, 8, 13, 17]}, [
    N("c", "conv2d", ["x"], out_channels=8, kernel=3, padding=1, groups=8),
    N("h", "silu", ["c"]),
], scale=3.0)
# x * sigmoid(x) and x * hardsigmoid(x), as torch.onnx.export writes SiLU and
# Hardswish: fused into silu / hardswish (cnnc-fuse-activations).
add(A, "mul_gate_silu", {"x": [1, 5, 13, 17]}, [
    N("c", "conv2d", ["x"], out_channels=6, kernel=1),
    N("s", "sigmoid", ["c"]),
    N("m", "mul", ["c", "s"]),
], scale=3.0)
add(A, "mul_gate_hardswish", {"x": [1, 5, 13, 17]}, [
    N("c", "conv2d", ["x"], out_channels=6, kernel=1),
    N("s", "hardsigmoid", ["c"]),
    N("m", "mul", ["s", "c"]),
], scale=5.0)
add(A, "output_is_input", {"x": [1, 5, 7, 9]}, [N("y", "relu", ["x"])],
    outputs=["y", "x"])
add(A, "conv_sigmoid_x10", {"x": [1, 3, 13, 17]}, [
    N("c", "conv2d", ["x"], out_channels=5, kernel=3, padding=1),
    N("s", "sigmoid", ["c"]),
], scale=10.0)
add(A, "conv_tanh_relu6", {"x": [1, 3, 7, 9]}, [
    N("c", "conv2d", ["x"], out_channels=5, kernel=3, padding=1),
    N("t", "tanh", ["c"]),
    N("r", "relu6", ["c"]),
], outputs=["t", "r"], scale=10.0)

# ----------------------------------------------------------------------------------
# add / mul: same shape and broadcasting

BR = "broadcast"
for op in ("add", "mul"):
    add(BR, f"{op}_same", {"a": [1, 5, 13, 17], "b": [1, 5, 13, 17]},
        [N("y", op, ["a", "b"])])
    add(BR, f"{op}_same_b3", {"a": [1, 3, 7, 9], "b": [1, 3, 7, 9]},
        [N("y", op, ["a", "b"])], batch=3)
    add(BR, f"{op}_self", {"x": [1, 5, 7, 9]}, [N("y", op, ["x", "x"])])
    # squeeze-excite style: [N,C,H,W] x [N,C,1,1] from a global_avgpool2d branch
    add(BR, f"{op}_gap_rhs", {"x": [1, 7, 13, 17]}, [
        N("g", "global_avgpool2d", ["x"]),
        N("y", op, ["x", "g"]),
    ])
    add(BR, f"{op}_gap_lhs", {"x": [1, 7, 13, 17]}, [
        N("g", "global_avgpool2d", ["x"]),
        N("y", op, ["g", "x"]),
    ])
    add(BR, f"{op}_gap_b3", {"x": [1, 5, 7, 9]}, [
        N("g", "global_avgpool2d", ["x"]),
        N("y", op, ["x", "g"]),
    ], batch=3)
    add(BR, f"{op}_input_nc11", {"a": [1, 5, 7, 9], "b": [1, 5, 1, 1]},
        [N("y", op, ["a", "b"])])
    add(BR, f"{op}_input_n1hw", {"a": [1, 5, 7, 9], "b": [1, 1, 7, 9]},
        [N("y", op, ["a", "b"])])
    add(BR, f"{op}_both_sides", {"a": [1, 5, 1, 9], "b": [1, 1, 7, 1]},
        [N("y", op, ["a", "b"])])
    add(BR, f"{op}_2d_same", {"x": [1, 5, 3, 3]}, [
        N("f", "flatten", ["x"]),
        N("d1", "dense", ["f"], out_features=7),
        N("d2", "dense", ["f"], out_features=7),
        N("y", op, ["d1", "d2"]),
    ])
add(BR, "squeeze_excite", {"x": [1, 7, 13, 17]}, [
    N("g", "global_avgpool2d", ["x"]),
    N("fc1", "conv2d", ["g"], out_channels=3, kernel=1),
    N("r", "relu", ["fc1"]),
    N("fc2", "conv2d", ["r"], out_channels=7, kernel=1),
    N("s", "sigmoid", ["fc2"]),
    N("y", "mul", ["x", "s"]),
])
add(BR, "squeeze_excite_b3", {"x": [1, 5, 7, 9]}, [
    N("c", "conv2d", ["x"], out_channels=5, kernel=3, padding=1),
    N("g", "global_avgpool2d", ["c"]),
    N("fc1", "conv2d", ["g"], out_channels=3, kernel=1),
    N("r", "relu", ["fc1"]),
    N("fc2", "conv2d", ["r"], out_channels=5, kernel=1),
    N("s", "sigmoid", ["fc2"]),
    N("y", "mul", ["s", "c"]),
], batch=3)
add(BR, "residual_block", {"x": [1, 5, 13, 17]}, [
    N("c1", "conv2d", ["x"], out_channels=5, kernel=3, padding=1, bias=False),
    N("bn1", "batchnorm", ["c1"]),
    N("r1", "relu", ["bn1"]),
    N("c2", "conv2d", ["r1"], out_channels=5, kernel=3, padding=1, bias=False),
    N("bn2", "batchnorm", ["c2"]),
    N("s", "add", ["bn2", "x"]),
    N("y", "relu", ["s"]),
])
add(BR, "residual_nodes_out_of_order", {"x": [1, 5, 7, 9]}, [
    N("y", "relu", ["s"]),
    N("s", "add", ["r1", "x"]),
    N("r1", "relu", ["c1"]),
    N("c1", "conv2d", ["x"], out_channels=5, kernel=3, padding=1),
])
add(BR, "residual_downsample", {"x": [1, 3, 13, 17]}, [
    N("c1", "conv2d", ["x"], out_channels=7, kernel=3, stride=2, padding=1, bias=False),
    N("bn1", "batchnorm", ["c1"]),
    N("ds", "conv2d", ["x"], out_channels=7, kernel=1, stride=2, bias=False),
    N("dbn", "batchnorm", ["ds"]),
    N("s", "add", ["bn1", "dbn"]),
    N("y", "relu", ["s"]),
])

# ----------------------------------------------------------------------------------
# concat, slice, channel_shuffle

CS = "concat_slice_shuffle"
add(CS, "concat2_axis1", {"a": [1, 3, 7, 9], "b": [1, 5, 7, 9]},
    [N("y", "concat", ["a", "b"])])
add(CS, "concat3_axis1", {"a": [1, 3, 7, 9], "b": [1, 5, 7, 9], "c": [1, 7, 7, 9]},
    [N("y", "concat", ["a", "b", "c"], axis=1)])
add(CS, "concat3_axis1_b3", {"a": [1, 3, 7, 9], "b": [1, 5, 7, 9], "c": [1, 7, 7, 9]},
    [N("y", "concat", ["a", "b", "c"], axis=1)], batch=3)
add(CS, "concat2_axis_m1", {"a": [1, 3, 7, 9], "b": [1, 3, 7, 4]},
    [N("y", "concat", ["a", "b"], axis=-1)])
add(CS, "concat3_axis_m2", {"a": [1, 3, 7, 9], "b": [1, 3, 1, 9], "c": [1, 3, 5, 9]},
    [N("y", "concat", ["a", "b", "c"], axis=-2)])
add(CS, "concat2_axis_m3", {"a": [1, 5, 7, 9], "b": [1, 3, 7, 9]},
    [N("y", "concat", ["a", "b"], axis=-3)])
add(CS, "concat3_axis2", {"a": [1, 3, 7, 9], "b": [1, 3, 5, 9], "c": [1, 3, 3, 9]},
    [N("y", "concat", ["a", "b", "c"], axis=2)])
add(CS, "concat2_axis3_b3", {"a": [1, 3, 7, 9], "b": [1, 3, 7, 5]},
    [N("y", "concat", ["a", "b"], axis=3)], batch=3)
add(CS, "concat1", {"x": [1, 3, 7, 9]}, [N("y", "concat", ["x"])])
add(CS, "concat_same_value", {"x": [1, 3, 7, 9]}, [N("y", "concat", ["x", "x"])])
add(CS, "concat_2d_axis_m1", {"x": [1, 3, 3, 3]}, [
    N("f", "flatten", ["x"]),
    N("d", "dense", ["f"], out_features=5),
    N("y", "concat", ["f", "d"], axis=-1),
])
add(CS, "concat_inception", {"x": [1, 3, 13, 17]}, [
    N("b1", "conv2d", ["x"], out_channels=5, kernel=1),
    N("b2", "conv2d", ["x"], out_channels=7, kernel=3, padding=1),
    N("b3", "maxpool2d", ["x"], kernel=3, stride=1, padding=1),
    N("y", "concat", ["b1", "b2", "b3"]),
    N("r", "relu", ["y"]),
])
for g in (1, 3, 5, 15):
    one(CS, f"shuffle_g{g}", [1, 15, 7, 9], "channel_shuffle", groups=g)
one(CS, "shuffle_g3_b3", [1, 21, 7, 9], "channel_shuffle", batch=3, groups=3)
add(CS, "shuffle_after_gconv", {"x": [1, 15, 7, 9]}, [
    N("c", "conv2d", ["x"], out_channels=15, kernel=1, groups=3),
    N("s", "channel_shuffle", ["c"], groups=3),
    N("d", "conv2d", ["s"], out_channels=15, kernel=3, groups=15, padding=1),
])
one(CS, "slice_axis1", [1, 7, 7, 9], "slice", axis=1, start=1, end=4)
one(CS, "slice_axis1_neg", [1, 7, 7, 9], "slice", axis=1, start=-4, end=-1)
one(CS, "slice_axis1_neg_start_pos_end", [1, 7, 7, 9], "slice", start=-5, end=6)
one(CS, "slice_axis1_clamp_both", [1, 7, 7, 9], "slice", axis=1, start=-100, end=100)
one(CS, "slice_axis1_clamp_end", [1, 7, 7, 9], "slice", axis=1, start=2, end=1000)
one(CS, "slice_axis1_b3", [1, 7, 7, 9], "slice", batch=3, axis=1, start=-3, end=7)
one(CS, "slice_axis2", [1, 5, 13, 17], "slice", axis=2, start=3, end=10)
one(CS, "slice_axis2_neg", [1, 5, 13, 17], "slice", axis=2, start=-9, end=-2)
one(CS, "slice_axis2_clamp_start", [1, 5, 13, 17], "slice", axis=2, start=-50, end=4)
one(CS, "slice_axis_m1_clamp", [1, 5, 13, 17], "slice", axis=-1, start=5, end=99)
one(CS, "slice_axis3_neg", [1, 5, 13, 17], "slice", axis=3, start=-16, end=-15)
add(CS, "slice_2d", {"x": [1, 5, 3, 3]}, [
    N("f", "flatten", ["x"]),
    N("y", "slice", ["f"], axis=1, start=-20, end=-3),
])
add(CS, "slice_then_conv", {"x": [1, 7, 13, 17]}, [
    N("s", "slice", ["x"], axis=2, start=2, end=-2),
    N("t", "slice", ["s"], axis=1, start=1, end=-1),
    N("c", "conv2d", ["t"], out_channels=3, kernel=3, padding=1),
])
add(CS, "slice_flatten_dense", {"x": [1, 7, 7, 9]}, [
    N("s", "slice", ["x"], axis=3, start=1, end=-1),
    N("f", "flatten", ["s"]),
    N("d", "dense", ["f"], out_features=5),
])
add(CS, "split_concat", {"x": [1, 7, 7, 9]}, [
    N("lo", "slice", ["x"], start=0, end=3),
    N("hi", "slice", ["x"], start=3, end=7),
    N("r", "relu", ["hi"]),
    N("y", "concat", ["r", "lo"]),
    N("z", "channel_shuffle", ["y"], groups=7),
], outputs=["z", "lo"])

# ----------------------------------------------------------------------------------
# flatten, dense, softmax, dropout

D = "dense_softmax_dropout"
one(D, "flatten", [1, 7, 3, 5], "flatten")
one(D, "flatten_b3", [1, 5, 7, 9], "flatten", batch=3)
add(D, "flatten_dense", {"x": [1, 5, 7, 9]}, [
    N("f", "flatten", ["x"]),
    N("y", "dense", ["f"], out_features=10),
])
add(D, "flatten_dense_nobias", {"x": [1, 5, 7, 9]}, [
    N("f", "flatten", ["x"]),
    N("y", "dense", ["f"], out_features=10, bias=False),
])
add(D, "dense_2d_input", {"x": [1, 37]}, [N("y", "dense", ["x"], out_features=11)])
add(D, "dense_2d_input_b3", {"x": [1, 37]}, [N("y", "dense", ["x"], out_features=11)],
    batch=3)
add(D, "dense_nobias_b3", {"x": [1, 53]},
    [N("y", "dense", ["x"], out_features=7, bias=False)], batch=3)
add(D, "dense_wide", {"x": [1, 513]}, [N("y", "dense", ["x"], out_features=129)])
add(D, "dense_out1", {"x": [1, 7]}, [N("y", "dense", ["x"], out_features=1)])
add(D, "mlp", {"x": [1, 3, 7, 9]}, [
    N("f", "flatten", ["x"]),
    N("fc1", "dense", ["f"], out_features=33),
    N("r1", "relu", ["fc1"]),
    N("drop", "dropout", ["r1"], p=0.3),
    N("fc2", "dense", ["drop"], out_features=10),
    N("sm", "softmax", ["fc2"]),
])
add(D, "conv_flatten_dense_b3", {"x": [1, 3, 7, 9]}, [
    N("c", "conv2d", ["x"], out_channels=5, kernel=3, stride=2, padding=1),
    N("f", "flatten", ["c"]),
    N("y", "dense", ["f"], out_features=7),
], batch=3)
add(D, "softmax_2d_axis1", {"x": [1, 10]}, [N("y", "softmax", ["x"], axis=1)], scale=3.0)
add(D, "softmax_2d_axis_m1_b3", {"x": [1, 13]}, [N("y", "softmax", ["x"], axis=-1)],
    batch=3, scale=3.0)
add(D, "softmax_2d_default_x30", {"x": [1, 1000]}, [N("y", "softmax", ["x"])],
    scale=30.0)
one(D, "softmax_4d_axis1", [1, 5, 7, 9], "softmax", axis=1, scale=3.0)
one(D, "softmax_4d_axis_m1", [1, 5, 7, 9], "softmax", axis=-1, scale=3.0)
one(D, "softmax_4d_axis2_b3", [1, 3, 7, 9], "softmax", batch=3, axis=2, scale=3.0)
one(D, "softmax_single_class", [1, 1, 7, 9], "softmax", axis=1)
one(D, "softmax_4d_axis1_x50", [1, 7, 5, 3], "softmax", axis=1, scale=50.0)
one(D, "dropout_4d", [1, 5, 7, 9], "dropout")
one(D, "dropout_4d_p0", [1, 5, 7, 9], "dropout", p=0.0)
add(D, "dropout_2d_b3", {"x": [1, 19]}, [N("y", "dropout", ["x"], p=0.9)], batch=3)
add(D, "dropout_between", {"x": [1, 3, 7, 9]}, [
    N("c", "conv2d", ["x"], out_channels=5, kernel=3),
    N("d", "dropout", ["c"], p=0.5),
    N("r", "relu", ["d"]),
])


# ----------------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--family", choices=FAMILIES)
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--only", help="run only the cases whose name contains this")
    ap.add_argument("--cnnc")
    ap.add_argument("--cnnc-run")
    ap.add_argument("--workdir")
    ap.add_argument("--cnnc-flag", action="append", default=[],
                    help="extra cnnc flag for every case (e.g. --gpu-loops-on-cpu)")
    args = ap.parse_args(argv)
    fams = [args.family] if args.family else list(FAMILIES)
    if args.list:
        for f in fams:
            for c in CASES[f]:
                print(f"{f}: {c.name} (batch {c.batch or 1}, seed {c.seed}, "
                      f"scale {c.scale})")
        return 0
    if not args.family or not args.cnnc or not args.cnnc_run or not args.workdir:
        ap.error("--family, --cnnc, --cnnc-run and --workdir are required")
    cases = [c for c in CASES[args.family] if not args.only or args.only in c.name]
    for c in cases:
        c.cnnc_flags = list(c.cnnc_flags) + args.cnnc_flag
    if not cases:
        ap.error("no case selected")
    return 1 if e2e.run_cases(cases, args.cnnc, args.cnnc_run, args.workdir) else 0


if __name__ == "__main__":
    sys.exit(main())
