#!/usr/bin/python3
"""One-op and few-op models, checked end to end against PyTorch (see e2e.py).

    op_cases.py --family FAMILY --cnnc PATH --cnnc-run PATH --workdir DIR [--only SUBSTR]
    op_cases.py --list [--family FAMILY]

Families (one lit test each in test/E2E): conv2d (with conv_transpose2d), pooling (with
adaptive_avgpool2d and upsample), batchnorm (with layer_norm and layer_norm2d),
activations, broadcast (with layer_scale), concat_slice_shuffle (with permute),
dense_softmax_dropout (with dense over the last axis, stochastic_depth and a
ConvNeXt block).  Spatial sizes are odd on
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
# Maps smaller than the kernel's reach (cnnc-trim-padding-taps), with register
# blocks made of images (a 1x1 map's row is one pixel).
one(C, "conv_3x3_pad1_map1x1_b8", [1, 32, 1, 1], "conv2d", batch=8, out_channels=64,
    kernel=3, padding=1)
# A filter of at least 512 KiB with output channels no multiple of 64
# (cnnc-block-conv-filters: 4 blocks of 64, tail blocks of a whole line of
# 16 and of 8 channels), at batch 2.
one(C, "conv_1x1_filter_blocks_two_tails", [1, 480, 3, 3], "conv2d", batch=2,
    out_channels=280, kernel=1)
# Few output channels from a zero accumulator (no bias): on 16 lanes two
# output columns pack into 12 channels (cnnc-pack-columns-into-channels).
one(C, "conv_5x5_six_channels_packed", [1, 16, 18, 18], "conv2d", batch=2, out_channels=6,
    kernel=5, bias=False)
# Channels past the last whole vector, a power of two, as a register block of their
# own in each parallel iteration (channel_rest): 40 = 32 + 8 and 24 = 16 + 8 on 16
# lanes, 12 = 8 + 4 on 8 (AVX2); a conv with its bias and ReLU, a depthwise conv, and
# 1x1 convs; a depthwise conv's rest may be two powers of two (26 = 16 + 8 + 2; on
# AVX2 24 + 2).
add(C, "conv_channel_rest_relu_depthwise", {"x": [1, 5, 13, 17]}, [
    N("c", "conv2d", ["x"], out_channels=40, kernel=3, padding=1),
    N("r", "relu", ["c"]),
    N("d", "conv2d", ["r"], out_channels=40, kernel=3, groups=40, padding=1),
    N("p", "conv2d", ["d"], out_channels=12, kernel=1),
    N("q", "conv2d", ["d"], out_channels=24, kernel=1),
    N("s", "conv2d", ["d"], out_channels=26, kernel=1),
    N("t", "conv2d", ["s"], out_channels=26, kernel=3, groups=26, padding=1),
], outputs=["p", "q", "t"], batch=2)
# 3x3 stride-1 convs with whole vectors of channels run as Winograd F(4x4, 3x3)
# (cnnc-winograd-convs): outputs of 13 x 17 end in partial tiles (1 row, 1 column),
# a valid conv's 11 x 15 likewise; bias + ReLU, a residual add and a bias-free conv
# are applied as the tiles are written; 48 output channels take one-vector channel
# tiles on 16 lanes.
add(C, "conv_winograd_partial_tiles_residual", {"x": [1, 32, 13, 17]}, [
    N("c", "conv2d", ["x"], out_channels=32, kernel=3, padding=1),
    N("r", "relu", ["c"]),
    N("d", "conv2d", ["r"], out_channels=32, kernel=3, padding=1, bias=False),
    N("s", "add", ["d", "x"]),
    N("t", "relu", ["s"]),
    N("v", "conv2d", ["t"], out_channels=48, kernel=3),
], outputs=["t", "v"], batch=3)
# F(2x2, 3x3) where F(4x4)'s 4x larger filter transform would not stay in L2: a
# 128 -> 32 conv over 13 x 13 (AVX-512 Zen 5: 7 x 7 tiles of 2x2, the last
# partial), valid (no pad: 11 x 11).
add(C, "conv_winograd_2x2_tiles", {"x": [1, 128, 13, 13]}, [
    N("c", "conv2d", ["x"], out_channels=32, kernel=3, padding=1),
    N("r", "relu", ["c"]),
    N("v", "conv2d", ["x"], out_channels=32, kernel=3),
], outputs=["r", "v"])
# Where the transformed filter would come from memory, the 3x3 filter is transformed
# in the loops (one parallel iteration per group of images and channel tile): 256 ->
# 256 over 13 x 13 at batch 4 (AVX-512 Zen 5: F(4x4), 4 x 4 tiles per image, the last
# row and column partial, groups of 2 images) with a residual add; over 7 x 7 at
# batch 3 F(2x2) (48 tiles of 2x2, one group).
add(C, "conv_winograd_filter_in_loops", {"x": [1, 256, 13, 13]}, [
    N("c", "conv2d", ["x"], out_channels=256, kernel=3, padding=1, bias=False),
    N("s", "add", ["c", "x"]),
    N("r", "relu", ["s"]),
], batch=4)
add(C, "conv_winograd_filter_in_loops_2x2", {"x": [1, 256, 7, 7]}, [
    N("c", "conv2d", ["x"], out_channels=256, kernel=3, padding=1),
    N("r", "relu", ["c"]),
], batch=3)
one(C, "conv_3x3_s2_pad1_map2x3", [1, 6, 2, 3], "conv2d", batch=2, out_channels=5, kernel=3,
    stride=2, padding=1)
one(C, "conv_3x3_dil2_rows_all_padding", [1, 4, 1, 2], "conv2d", out_channels=3, kernel=3,
    dilation=2, padding=[1, 2, 3, 2])
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
# Over an input larger than half of L2 (2 MB here) the groups' rows are the parallel loop,
# every group walked inside each row (cnnc-walk-rows-outside-blocks), where the bias and
# activation join the groups' register blocks (a ResNeXt block's middle: a 1x1 conv
# follows); strided ones stay whole.
add(C, "conv_groups4_relu_rows_outside", {"x": [1, 64, 64, 64]}, [
    N("c", "conv2d", ["x"], out_channels=64, kernel=3, groups=4, padding=1),
    N("r", "relu", ["c"]),
    N("p", "conv2d", ["r"], out_channels=16, kernel=1),
], batch=2)
add(C, "conv_groups2_stride2_bn_relu_rows_outside", {"x": [1, 64, 64, 64]}, [
    N("c", "conv2d", ["x"], out_channels=96, kernel=3, stride=2, groups=2, padding=1,
      bias=False),
    N("bn", "batchnorm", ["c"]),
    N("r", "relu", ["bn"]),
    N("p", "conv2d", ["r"], out_channels=16, kernel=1),
], batch=2)
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
# conv_transpose2d (weight [C, out_channels/groups, kh, kw]): output (H - 1) * stride -
# pad_top - pad_bottom + dilation * (k - 1) + output_padding + 1
CT = "conv_transpose2d"
one(C, "convT_3x3", [1, 4, 7, 9], CT, out_channels=6, kernel=3)
one(C, "convT_s2_k3_p1_op1", [1, 4, 7, 9], CT, out_channels=6, kernel=3, stride=2,
    padding=1, output_padding=1)
one(C, "convT_s2_k3_p1_op1_b3", [1, 5, 7, 9], CT, batch=3, out_channels=3, kernel=3,
    stride=2, padding=1, output_padding=1)
one(C, "convT_k4_s2_p1", [1, 8, 7, 9], CT, out_channels=5, kernel=4, stride=2, padding=1)
one(C, "convT_k2_s2_unet", [1, 7, 6, 5], CT, out_channels=4, kernel=2, stride=2)
one(C, "convT_groups2", [1, 6, 7, 9], CT, out_channels=4, kernel=3, groups=2)
one(C, "convT_groups3_s2", [1, 9, 5, 7], CT, out_channels=6, kernel=3, groups=3, stride=2,
    padding=1)
one(C, "convT_depthwise_s2", [1, 7, 7, 9], CT, out_channels=7, kernel=3, groups=7,
    stride=2, padding=1, output_padding=1)
one(C, "convT_dilation2", [1, 4, 7, 9], CT, out_channels=5, kernel=3, dilation=2,
    padding=1)
one(C, "convT_dilation_rect_stride", [1, 4, 7, 9], CT, out_channels=5, kernel=3,
    dilation=[2, 3], stride=2, padding=[1, 2])
# output_padding below the dilation but not below the stride: valid in PyTorch
one(C, "convT_s1_dil2_op1", [1, 4, 7, 9], CT, out_channels=3, kernel=3, dilation=2,
    output_padding=1)
one(C, "convT_nobias", [1, 5, 7, 9], CT, out_channels=7, kernel=3, stride=2, padding=1,
    bias=False)
one(C, "convT_rect", [1, 4, 7, 9], CT, out_channels=5, kernel=[3, 5], stride=[2, 3],
    padding=[1, 2], output_padding=[1, 2])
one(C, "convT_pad_hw", [1, 4, 7, 9], CT, out_channels=5, kernel=3, stride=2,
    padding=[0, 1])
one(C, "convT_pad_asym", [1, 4, 7, 9], CT, out_channels=5, kernel=3, stride=2,
    padding=[1, 0, 2, 1])
one(C, "convT_pad_asym_op_dil", [1, 4, 5, 6], CT, out_channels=3, kernel=[3, 2],
    stride=[2, 3], padding=[0, 2, 3, 0], output_padding=[1, 2], dilation=[2, 1])
one(C, "convT_pad_larger_than_kernel", [1, 4, 7, 9], CT, out_channels=5, kernel=3,
    stride=3, padding=[4, 3])
one(C, "convT_1x1_stride2", [1, 5, 7, 9], CT, out_channels=3, kernel=1, stride=2)
one(C, "convT_k2_s3_gaps", [1, 5, 7, 9], CT, out_channels=3, kernel=2, stride=3)
one(C, "convT_wide_channels", [1, 37, 5, 7], CT, out_channels=67, kernel=3, stride=2,
    padding=1)
one(C, "convT_1x1_input", [1, 6, 1, 1], CT, out_channels=4, kernel=4)
add(C, "conv_relu_convT", {"x": [1, 3, 13, 17]}, [
    N("c1", "conv2d", ["x"], out_channels=6, kernel=3, stride=2, padding=1),
    N("r1", "relu", ["c1"]),
    N("up", CT, ["r1"], out_channels=4, kernel=3, stride=2, padding=1, output_padding=[0, 0]),
    N("r2", "relu", ["up"]),
    N("c2", "conv2d", ["r2"], out_channels=5, kernel=3, padding=1),
])
add(C, "convT_shared_params", {"x": [1, 5, 7, 9]}, [
    N("t1", CT, ["x"], out_channels=5, kernel=3, padding=1),
    N("t2", CT, ["t1"], params={"weight": "t1.weight", "bias": "t1.bias"},
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
# adaptive_avgpool2d: windows [floor(i * H / o), ceil((i + 1) * H / o)), uneven and
# overlapping, or repeating rows when the output is larger than the input
AP = "adaptive_avgpool2d"
one(P, "adaptive_13x17_to_5x3", [1, 5, 13, 17], AP, output_size=[5, 3])
one(P, "adaptive_7x7_to_3x3", [1, 7, 7, 7], AP, output_size=3)
one(P, "adaptive_up_2x3_to_5x4", [1, 3, 2, 3], AP, output_size=[5, 4])
one(P, "adaptive_13x17_to_4x6_b3", [1, 5, 13, 17], AP, batch=3, output_size=[4, 6])
one(P, "adaptive_one_axis_divides", [1, 3, 12, 17], AP, output_size=[4, 5])
one(P, "adaptive_to_1x1", [1, 5, 7, 9], AP, output_size=1)
one(P, "adaptive_same_size", [1, 3, 7, 9], AP, output_size=[7, 9])
one(P, "adaptive_to_column", [1, 3, 13, 17], AP, output_size=[13, 1])
one(P, "adaptive_wide", [1, 67, 9, 11], AP, output_size=[4, 7])
add(P, "conv_adaptive_relu", {"x": [1, 3, 13, 17]}, [
    N("c", "conv2d", ["x"], out_channels=5, kernel=3, padding=1),
    N("p", AP, ["c"], output_size=[6, 7]),
    N("r", "relu", ["p"]),
])
# upsample: size, or floor(H * scale_factor) with the source scale 1 / scale_factor
# (not in / out: nearest_scale1p5 and nearest_size_7x9_to_10x13 give one size and
# different values)
U = "upsample"
one(P, "nearest_scale2", [1, 3, 7, 9], U, scale_factor=2)
one(P, "nearest_scale2_float_b3", [1, 5, 7, 9], U, batch=3, scale_factor=2.0)
one(P, "nearest_scale3", [1, 3, 5, 4], U, scale_factor=3, mode="nearest")
one(P, "nearest_size_7x9_to_10x13", [1, 3, 7, 9], U, size=[10, 13])
one(P, "nearest_scale1p5", [1, 3, 7, 9], U, scale_factor=1.5)
one(P, "nearest_size_down_13x17_to_5x7", [1, 3, 13, 17], U, size=[5, 7])
one(P, "nearest_scale0p5", [1, 3, 13, 17], U, scale_factor=0.5)
one(P, "nearest_size_int", [1, 3, 7, 9], U, size=11)
one(P, "bilinear_scale2", [1, 3, 7, 9], U, scale_factor=2, mode="bilinear")
one(P, "bilinear_scale2_align", [1, 3, 7, 9], U, scale_factor=2, mode="bilinear",
    align_corners=True)
one(P, "bilinear_scale2_b3", [1, 5, 7, 9], U, batch=3, scale_factor=2.0, mode="bilinear",
    align_corners=False)
one(P, "bilinear_size_7x9_to_11x14", [1, 3, 7, 9], U, size=[11, 14], mode="bilinear")
one(P, "bilinear_size_7x9_to_11x14_align", [1, 3, 7, 9], U, size=[11, 14],
    mode="bilinear", align_corners=True)
one(P, "bilinear_size_down_13x17_to_6x5", [1, 3, 13, 17], U, size=[6, 5], mode="bilinear")
one(P, "bilinear_size_down_13x17_to_6x5_align", [1, 3, 13, 17], U, size=[6, 5],
    mode="bilinear", align_corners=True)
one(P, "bilinear_scale1p7", [1, 3, 7, 9], U, scale_factor=1.7, mode="bilinear")
one(P, "bilinear_scale1p7_align", [1, 3, 7, 9], U, scale_factor=1.7, mode="bilinear",
    align_corners=True)
one(P, "bilinear_scale0p6", [1, 3, 13, 17], U, scale_factor=0.6, mode="bilinear")
# align_corners with an output of 1 row: source 0
one(P, "bilinear_align_out1", [1, 3, 7, 9], U, size=[1, 4], mode="bilinear",
    align_corners=True)
one(P, "bilinear_from_1x1", [1, 5, 1, 1], U, size=[4, 3], mode="bilinear")
one(P, "bilinear_from_1x1_align", [1, 5, 1, 1], U, size=[4, 3], mode="bilinear",
    align_corners=True)
one(P, "bilinear_wide", [1, 67, 5, 7], U, scale_factor=2, mode="bilinear")
# a segmentation head: classify at 1/4 resolution, upsample to the input's size
add(P, "seg_head_bilinear", {"x": [1, 3, 17, 13]}, [
    N("c1", "conv2d", ["x"], out_channels=6, kernel=3, stride=2, padding=1),
    N("r1", "relu", ["c1"]),
    N("c2", "conv2d", ["r1"], out_channels=4, kernel=3, stride=2, padding=1),
    N("up", U, ["c2"], size=[17, 13], mode="bilinear"),
])
add(P, "fpn_nearest_add", {"x": [1, 4, 14, 18]}, [
    N("c1", "conv2d", ["x"], out_channels=5, kernel=3, stride=2, padding=1),
    N("up", U, ["c1"], scale_factor=2),
    N("lat", "conv2d", ["x"], out_channels=5, kernel=1),
    N("s", "add", ["up", "lat"]),
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
# layer_norm over the last dimensions (weight, bias of shape normalized_shape, biased
# variance) and layer_norm2d over the channels of NCHW (eps 1e-6 by default)
LN = "layer_norm"
one(B, "ln_last_dim_4d", [1, 5, 7, 9], LN, normalized_shape=[9])
one(B, "ln_last_dim_4d_int_b3", [1, 5, 7, 9], LN, batch=3, normalized_shape=9)
one(B, "ln_last_two_dims", [1, 5, 7, 9], LN, normalized_shape=[7, 9])
one(B, "ln_last_three_dims_eps", [1, 5, 7, 9], LN, normalized_shape=[5, 7, 9], eps=1e-3)
one(B, "ln_2d", [1, 37], LN, normalized_shape=[37])
one(B, "ln_2d_b3_x5", [1, 19], LN, batch=3, scale=5.0, normalized_shape=19)
one(B, "ln_rank3", [1, 6, 10], LN, normalized_shape=[10])
one(B, "ln_no_affine", [1, 5, 7, 9], LN, normalized_shape=[9], elementwise_affine=False)
one(B, "ln_eps_1e-6", [1, 5, 7, 9], LN, normalized_shape=[9], eps=1e-6)
one(B, "ln_channels_last_wide", [1, 3, 5, 96], LN, normalized_shape=[96], eps=1e-6)
# a large common offset: the variance must not lose it to cancellation
one(B, "ln_shifted_mean", [1, 5, 7, 9], LN, normalized_shape=[9], shift=10.0)
# one element: zero variance, the output is the bias (small inputs: PyTorch's own
# x * rstd - mean * rstd loses |x| / sqrt(eps) * 2^-24 here)
one(B, "ln_single_element", [1, 5, 7, 1], LN, scale=0.1, normalized_shape=[1])
add(B, "ln_shared_params", {"x": [1, 5, 7, 9]}, [
    N("a", LN, ["x"], normalized_shape=[9]),
    N("r", "relu", ["a"]),
    N("b", LN, ["r"], params={"weight": "a.weight", "bias": "a.bias"},
      normalized_shape=[9]),
])
L2 = "layer_norm2d"
one(B, "ln2d", [1, 5, 7, 9], L2)
one(B, "ln2d_b3", [1, 7, 5, 3], L2, batch=3)
one(B, "ln2d_eps_no_affine", [1, 5, 7, 9], L2, eps=1e-5, elementwise_affine=False)
one(B, "ln2d_wide_shifted", [1, 67, 3, 5], L2, shift=5.0)
one(B, "ln2d_1x1", [1, 9, 1, 1], L2)
add(B, "conv_ln2d_stem", {"x": [1, 3, 16, 20]}, [
    N("c", "conv2d", ["x"], out_channels=8, kernel=4, stride=4),
    N("ln", L2, ["c"], eps=1e-6),
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
# layer_scale: x * weight, weight [C, 1, ..., 1] for the axis ([C] for the last)
LS = "layer_scale"
one(BR, "layer_scale_nchw", [1, 5, 7, 9], LS)
one(BR, "layer_scale_nchw_b3", [1, 7, 7, 9], LS, batch=3, axis=1, init=0.5)
one(BR, "layer_scale_last_axis", [1, 7, 9, 5], LS, axis=3)
one(BR, "layer_scale_axis_m1", [1, 7, 9, 5], LS, axis=-1)
one(BR, "layer_scale_axis2", [1, 5, 7, 9], LS, axis=2)
one(BR, "layer_scale_2d", [1, 37], LS)
one(BR, "layer_scale_rank3_axis_m2", [1, 6, 10], LS, axis=-2)
add(BR, "layer_scale_residual", {"x": [1, 5, 7, 9]}, [
    N("c", "conv2d", ["x"], out_channels=5, kernel=3, padding=1),
    N("g", LS, ["c"]),
    N("s", "add", ["g", "x"]),
])
add(BR, "layer_scale_shared_params", {"x": [1, 5, 7, 9]}, [
    N("a", LS, ["x"]),
    N("b", LS, ["a"], params={"weight": "a.weight"}),
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
# permute: result dimension i is input dimension dims[i]
PM = "permute"
one(CS, "permute_0231", [1, 5, 7, 9], PM, dims=[0, 2, 3, 1])
one(CS, "permute_0312", [1, 5, 7, 9], PM, dims=[0, 3, 1, 2])
one(CS, "permute_0231_b3", [1, 5, 7, 9], PM, batch=3, dims=[0, 2, 3, 1])
one(CS, "permute_0132_hw", [1, 5, 7, 9], PM, dims=[0, 1, 3, 2])
one(CS, "permute_0321", [1, 5, 7, 9], PM, dims=[0, 3, 2, 1])
one(CS, "permute_identity", [1, 5, 7, 9], PM, dims=[0, 1, 2, 3])
one(CS, "permute_rank3", [1, 6, 10], PM, dims=[0, 2, 1])
one(CS, "permute_rank3_b3", [1, 6, 10], PM, batch=3, dims=[0, 2, 1])
one(CS, "permute_2d_identity", [1, 37], PM, dims=[0, 1])
one(CS, "permute_wide", [1, 67, 5, 7], PM, dims=[0, 2, 3, 1])
add(CS, "permute_roundtrip", {"x": [1, 5, 7, 9]}, [
    N("a", PM, ["x"], dims=[0, 2, 3, 1]),
    N("b", PM, ["a"], dims=[0, 3, 1, 2]),
])
add(CS, "permute_then_conv", {"x": [1, 5, 7, 9]}, [
    N("t", PM, ["x"], dims=[0, 1, 3, 2]),
    N("c", "conv2d", ["t"], out_channels=4, kernel=3, padding=1),
    N("u", PM, ["c"], dims=[0, 2, 3, 1]),
], outputs=["c", "u"])
add(CS, "permute_slice_concat", {"x": [1, 5, 7, 9]}, [
    N("t", PM, ["x"], dims=[0, 2, 3, 1]),
    N("s", "slice", ["t"], axis=3, start=1, end=4),
    N("y", "concat", ["s", "t"], axis=-1),
    N("z", PM, ["y"], dims=[0, 3, 1, 2]),
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
# dense over the last axis of a rank > 2 value, as nn.Linear: [..., F] -> [..., out]
add(D, "dense_last_axis_4d", {"x": [1, 5, 7, 9]}, [N("y", "dense", ["x"], out_features=6)])
add(D, "dense_last_axis_4d_b3_nobias", {"x": [1, 5, 7, 9]},
    [N("y", "dense", ["x"], out_features=11, bias=False)], batch=3)
add(D, "dense_last_axis_rank3", {"x": [1, 6, 10]}, [N("y", "dense", ["x"], out_features=4)])
add(D, "dense_last_axis_wide", {"x": [1, 3, 5, 96]},
    [N("y", "dense", ["x"], out_features=129)])
add(D, "dense_last_axis_out1", {"x": [1, 5, 7, 9]}, [N("y", "dense", ["x"], out_features=1)])
add(D, "dense_channels_last_mlp", {"x": [1, 5, 7, 9]}, [
    N("t", "permute", ["x"], dims=[0, 2, 3, 1]),
    N("fc1", "dense", ["t"], out_features=20),
    N("r", "relu", ["fc1"]),
    N("fc2", "dense", ["r"], out_features=5),
    N("u", "permute", ["fc2"], dims=[0, 3, 1, 2]),
])
# stochastic_depth: the identity at inference
one(D, "stochastic_depth_row", [1, 5, 7, 9], "stochastic_depth", p=0.2)
one(D, "stochastic_depth_batch_b3", [1, 5, 7, 9], "stochastic_depth", batch=3, p=0.5,
    mode="batch")
add(D, "stochastic_depth_p0_2d", {"x": [1, 19]}, [N("y", "stochastic_depth", ["x"], p=0.0)])
add(D, "stochastic_depth_residual", {"x": [1, 5, 7, 9]}, [
    N("c", "conv2d", ["x"], out_channels=5, kernel=3, padding=1),
    N("d", "stochastic_depth", ["c"], p=0.3, mode="row"),
    N("s", "add", ["d", "x"]),
])
# torchvision's ConvNeXt block (CNBlock): depthwise 7x7, channels last, layer_norm,
# the MLP over the last axis, back to NCHW, layer scale, stochastic depth, residual;
# then ConvNeXt's downsampling (layer_norm2d + 2x2 stride-2 conv)
def convnext_block(p, x, c):
    return [
        N(f"{p}.dw", "conv2d", [x], out_channels=c, kernel=7, padding=3, groups=c),
        N(f"{p}.perm", "permute", [f"{p}.dw"], dims=[0, 2, 3, 1]),
        N(f"{p}.ln", "layer_norm", [f"{p}.perm"], normalized_shape=[c], eps=1e-6),
        N(f"{p}.fc1", "dense", [f"{p}.ln"], out_features=4 * c),
        N(f"{p}.gelu", "gelu", [f"{p}.fc1"]),
        N(f"{p}.fc2", "dense", [f"{p}.gelu"], out_features=c),
        N(f"{p}.back", "permute", [f"{p}.fc2"], dims=[0, 3, 1, 2]),
        N(f"{p}.scale", "layer_scale", [f"{p}.back"]),
        N(f"{p}.sd", "stochastic_depth", [f"{p}.scale"], p=0.1),
        N(f"{p}.add", "add", [f"{p}.sd", x]),
    ]


add(D, "convnext_block", {"x": [1, 8, 9, 11]}, convnext_block("b", "x", 8))
add(D, "convnext_block_b3", {"x": [1, 8, 7, 7]}, convnext_block("b", "x", 8), batch=3)
add(D, "convnext_stage", {"x": [1, 3, 20, 28]}, [
    N("stem", "conv2d", ["x"], out_channels=8, kernel=4, stride=4),
    N("stem_ln", "layer_norm2d", ["stem"]),
] + convnext_block("b0", "stem_ln", 8) + convnext_block("b1", "b0.add", 8) + [
    N("down_ln", "layer_norm2d", ["b1.add"]),
    N("down", "conv2d", ["down_ln"], out_channels=16, kernel=2, stride=2),
] + convnext_block("b2", "down", 16) + [
    N("pool", "global_avgpool2d", ["b2.add"]),
    N("head_ln", "layer_norm2d", ["pool"]),
    N("flat", "flatten", ["head_ln"]),
    N("fc", "dense", ["flat"], out_features=10),
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
