#!/usr/bin/python3
"""Training-step checks of cnnc against PyTorch autograd + torch.optim.SGD.

    train_check.py --cnnc PATH --cnnc-run PATH --workdir DIR [--family F] [--steps K]
    train_check.py ... --model MODEL.json [--batch N] [--seed S]   # any model

For each case (a small model ending in logits [N, K]): random weights
(batchnorm statistics randomized) and inputs, random labels; `cnnc --train`
compiles it, `cnnc-run --train-step --steps=K` runs K SGD steps on the batch,
and PyTorch does the same: F.cross_entropy, backward, torch.optim.SGD with the
model's settings, batchnorm in training mode (running statistics updated).
The loss, every gradient (of the last step) and every parameter and running
statistic afterwards must agree within 1e-3 * max(1, max|ref|).

Dropout (p > 0) is active in a training step with cnnc's counter-based masks
(docs/training.md): the reference rebuilds each mask with the same hash
(dropout_keep below) from the --seed given to cnnc-run and the step index, so
the comparison is exact up to rounding. The "dropout" family also checks that
the same seed reproduces a run bit for bit, that another seed draws another
mask, that the kept fraction is 1 - p, and that the forward graph of a --train
library leaves dropout out (identity at inference). stochastic_depth uses the
same hash with the sample's row (mode "row") or 0 (mode "batch") as the index
(stochastic_depth_keep); its cases' seeds are chosen so that, over the two
steps, some samples (or the whole batch) are dropped and some kept.

--model takes any model JSON, the exporter's included (its weights are replaced by
seeded random ones, batchnorm statistics randomized); e.g. for torchvision's
MobileNetV3-Small and EfficientNet-B0 (dropout and stochastic depth active):

    cnnc_export.py torchvision:mobilenet_v3_small m.json --input-shape 1,3,64,64
    train_check.py --cnnc cnnc --cnnc-run cnnc-run --workdir W --model m.json --batch 4
"""

import argparse
import json
import os
import subprocess
import sys
import zlib

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tools", "pyutil"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import safetensors_io  # noqa: E402
import torch_reference as R  # noqa: E402

RTOL = 1e-3
SGD = {"type": "sgd", "learning_rate": 0.05, "momentum": 0.9, "weight_decay": 0.01}


def N(name, op, inputs, **attrs):
    n = {"name": name, "op": op, "inputs": list(inputs)}
    if attrs:
        n["attrs"] = attrs
    return n


def head(x, k=5):
    return [N("flat", "flatten", [x]), N("logits", "dense", ["flat"], out_features=k)]


def case(name, shape, nodes, optimizer=None, seed=None, **training):
    """`training`: more keys of the training object (lr_schedule, clip_grad_norm)."""
    return {"name": name, "seed": seed,
            "model": {"format": "cnnc-model", "version": 1, "name": name,
                      "inputs": [{"name": "x", "shape": shape}], "outputs": ["logits"],
                      "nodes": nodes,
                      "training": {"loss": "softmax_cross_entropy",
                                   "optimizer": optimizer or SGD, **training}}}


def cnblock(p, x, c, sd_p):
    """torchvision's CNBlock on value x with c channels."""
    return [
        N(f"{p}.dw", "conv2d", [x], out_channels=c, kernel=7, padding=3, groups=c),
        N(f"{p}.perm", "permute", [f"{p}.dw"], dims=[0, 2, 3, 1]),
        N(f"{p}.ln", "layer_norm", [f"{p}.perm"], normalized_shape=[c], eps=1e-6),
        N(f"{p}.fc1", "dense", [f"{p}.ln"], out_features=4 * c),
        N(f"{p}.gelu", "gelu", [f"{p}.fc1"]),
        N(f"{p}.fc2", "dense", [f"{p}.gelu"], out_features=c),
        N(f"{p}.back", "permute", [f"{p}.fc2"], dims=[0, 3, 1, 2]),
        N(f"{p}.scale", "layer_scale", [f"{p}.back"]),
        N(f"{p}.sd", "stochastic_depth", [f"{p}.scale"], p=sd_p),
        N(f"{p}.add", "add", [f"{p}.sd", x]),
    ]


# cnnc-run --seed of the stochastic_depth cases (see the "dropout" family)
SD_SEEDS = {"row": 2, "batch": 2, "dense_rows": 1, "convnext": 16}

def optimizer_case(name, optimizer, **training):
    """A conv + batchnorm + dense net with an unused branch (a parameter off
    the loss's path), for the optimizer, schedule and clipping families. The
    conv before batchnorm has no bias, as in real nets: its gradient would be
    rounding noise, which Adam's normalization turns into full-size steps of
    either sign."""
    return case(name, [2, 3, 6, 6], [
        N("c", "conv2d", ["x"], out_channels=4, kernel=3, padding=1, bias=False),
        N("bn", "batchnorm", ["c"]), N("r", "relu", ["bn"]),
        N("g", "global_avgpool2d", ["r"]), N("f", "flatten", ["g"]),
        N("unused", "dense", ["f"], out_features=2),
        N("logits", "dense", ["f"], out_features=4)], optimizer=optimizer, **training)


CASES = {
    "conv2d": [
        case("conv_basic", [2, 3, 8, 8], [N("c", "conv2d", ["x"], out_channels=4, kernel=3)]
             + head("c")),
        case("conv_stride_pad", [2, 3, 9, 7], [N("c", "conv2d", ["x"], out_channels=4, kernel=3,
                                                   stride=2, padding=1)] + head("c")),
        case("conv_asym_pad_dil", [2, 2, 9, 9], [N("c", "conv2d", ["x"], out_channels=3,
                                                     kernel=[3, 2], padding=[1, 0, 2, 1],
                                                     dilation=[2, 1])] + head("c")),
        case("conv_groups", [2, 4, 7, 7], [N("c", "conv2d", ["x"], out_channels=6, kernel=3,
                                               groups=2)] + head("c")),
        case("conv_depthwise_nobias", [2, 4, 7, 7], [N("c", "conv2d", ["x"], out_channels=4,
                                                         kernel=3, groups=4, bias=False,
                                                         padding=1)] + head("c")),
        case("conv_chain", [2, 3, 10, 10], [N("c1", "conv2d", ["x"], out_channels=4, kernel=3),
                                           N("r", "relu", ["c1"]),
                                           N("c2", "conv2d", ["r"], out_channels=5, kernel=3,
                                             stride=2)] + head("c2")),
        # Fewer output channels than the narrowest vector over a batch that
        # fills vectors: dL/dW as per-channel depthwise convs along the batch.
        case("conv_few_channels_batch_lanes", [16, 2, 9, 9], [
            N("c", "conv2d", ["x"], out_channels=3, kernel=3, stride=2, padding=1,
              dilation=[1, 2])] + head("c")),
        # Filters of 512 KB or more: the training step copies their whole
        # channel blocks into one blocked tensor per step (a 1000-channel
        # 1x1 conv: 15 blocks of 64, tails of 32 and 8; 192 = 3 x 64).
        case("conv_filter_blocks_in_step", [2, 16, 7, 7], [
            N("c0", "conv2d", ["x"], out_channels=2048, kernel=1),
            N("r", "relu", ["c0"]),
            N("c1", "conv2d", ["r"], out_channels=1000, kernel=1),
            N("c2", "conv2d", ["c1"], out_channels=192, kernel=3, padding=1)] + head("c2")),
        # Maps smaller than the kernel's reach: cnnc-trim-padding-taps drops
        # the taps that read only padding (the dead taps' gradient is zero).
        case("conv_taps_trimmed_1x1", [4, 3, 1, 1], [
            N("c1", "conv2d", ["x"], out_channels=8, kernel=3, padding=1),
            N("r", "relu", ["c1"]),
            N("c2", "conv2d", ["r"], out_channels=5, kernel=3, padding=1, bias=False)]
            + head("c2")),
        case("conv_taps_trimmed_s2", [3, 4, 2, 3], [
            N("c", "conv2d", ["x"], out_channels=6, kernel=3, stride=2, padding=1)]
            + head("c")),
        # conv_transpose2d: dx is a conv2d of dy, dw correlates x with dy
        case("convT_s2_p1_op1", [2, 3, 5, 4], [
            N("t", "conv_transpose2d", ["x"], out_channels=4, kernel=3, stride=2, padding=1,
              output_padding=1)] + head("t")),
        case("convT_groups_dil_asym_nobias", [2, 4, 5, 6], [
            N("t", "conv_transpose2d", ["x"], out_channels=6, kernel=[3, 2], groups=2,
              dilation=[2, 1], stride=[1, 2], padding=[1, 0, 2, 1], output_padding=[1, 0],
              bias=False)] + head("t")),
        case("conv_convT_k4_s2", [2, 3, 6, 6], [
            N("c", "conv2d", ["x"], out_channels=4, kernel=3, stride=2, padding=1),
            N("r", "relu", ["c"]),
            N("t", "conv_transpose2d", ["r"], out_channels=3, kernel=4, stride=2, padding=1),
            N("s", "add", ["t", "x"])] + head("s")),
    ],
    "pooling": [
        case("maxpool", [2, 3, 8, 8], [N("p", "maxpool2d", ["x"], kernel=2)] + head("p")),
        case("maxpool_ceil_pad", [2, 3, 9, 7], [N("p", "maxpool2d", ["x"], kernel=3, stride=2,
                                                  padding=1, ceil_mode=True)] + head("p")),
        case("maxpool_relu_ties", [2, 3, 8, 8], [N("r", "relu", ["x"]),
                                                 N("p", "maxpool2d", ["r"], kernel=2)]
             + head("p")),
        # Input gradients of overlapping windows (a conv before the pool):
        # max pools add each window's gradient at its first maximum (ReLU's
        # zeros tie), avg pools spread it.
        case("conv_maxpool_overlap_ties", [2, 3, 9, 7], [
            N("c", "conv2d", ["x"], out_channels=4, kernel=3, padding=1),
            N("r", "relu", ["c"]),
            N("p", "maxpool2d", ["r"], kernel=3, stride=2, padding=1, ceil_mode=True)]
            + head("p")),
        case("conv_avgpool_overlap", [2, 3, 9, 7], [
            N("c", "conv2d", ["x"], out_channels=4, kernel=3, padding=1),
            N("p", "avgpool2d", ["c"], kernel=3, stride=2, padding=1)] + head("p")),
        case("avgpool", [2, 3, 8, 8], [N("p", "avgpool2d", ["x"], kernel=2)] + head("p")),
        case("avgpool_ceil_nopad", [2, 3, 9, 7], [N("p", "avgpool2d", ["x"], kernel=3, stride=2,
                                                    padding=1, ceil_mode=True,
                                                    count_include_pad=False)] + head("p")),
        case("global_avgpool", [2, 3, 5, 6], [N("c", "conv2d", ["x"], out_channels=4, kernel=1),
                                              N("p", "global_avgpool2d", ["c"])] + head("p")),
        # adaptive_avgpool2d: overlapping uneven windows, and repeated rows
        case("adaptive_uneven", [2, 3, 7, 9], [
            N("c", "conv2d", ["x"], out_channels=4, kernel=1),
            N("p", "adaptive_avgpool2d", ["c"], output_size=[3, 4])] + head("p")),
        case("adaptive_upsampling", [2, 3, 2, 3], [
            N("c", "conv2d", ["x"], out_channels=4, kernel=1),
            N("p", "adaptive_avgpool2d", ["c"], output_size=[5, 4])] + head("p")),
        # upsample: nearest scatters each output's gradient to its source pixel,
        # bilinear to the two neighbours by their weights
        case("upsample_nearest_scale2", [2, 3, 4, 5], [
            N("c", "conv2d", ["x"], out_channels=4, kernel=3, padding=1),
            N("u", "upsample", ["c"], scale_factor=2)] + head("u")),
        # one output size, two source scales (7/11 and 1/1.6 across the width)
        case("upsample_nearest_size_and_scale", [2, 3, 5, 7], [
            N("c", "conv2d", ["x"], out_channels=2, kernel=1),
            N("u", "upsample", ["c"], size=[8, 11]),
            N("v", "upsample", ["c"], scale_factor=1.6),
            N("s", "add", ["u", "v"]), N("p", "avgpool2d", ["s"], kernel=2)] + head("p")),
        case("upsample_bilinear", [2, 3, 5, 6], [
            N("c", "conv2d", ["x"], out_channels=2, kernel=1),
            N("u", "upsample", ["c"], size=[9, 7], mode="bilinear"),
            N("v", "upsample", ["c"], size=[9, 7], mode="bilinear", align_corners=True),
            N("s", "mul", ["u", "v"])] + head("s")),
        case("upsample_bilinear_scale_down", [2, 3, 7, 9], [
            N("c", "conv2d", ["x"], out_channels=4, kernel=1),
            N("u", "upsample", ["c"], scale_factor=2, mode="bilinear", align_corners=True),
            N("p", "maxpool2d", ["u"], kernel=2),
            N("v", "upsample", ["p"], scale_factor=0.6, mode="bilinear")] + head("v")),
    ],
    "batchnorm": [
        case("bn4d", [3, 3, 5, 5], [N("c", "conv2d", ["x"], out_channels=4, kernel=3),
                                    N("bn", "batchnorm", ["c"]), N("r", "relu", ["bn"])]
             + head("r")),
        case("bn2d", [4, 6], [N("d", "dense", ["x"], out_features=5),
                              N("bn", "batchnorm", ["d"]),
                              N("logits", "dense", ["bn"], out_features=3)]),
        # layer_norm: dx through the statistics, dweight and dbias summed over
        # the other dimensions
        case("layer_norm_last_dim", [2, 3, 5, 6], [
            N("c", "conv2d", ["x"], out_channels=2, kernel=3, padding=1),
            N("ln", "layer_norm", ["c"], normalized_shape=[6], eps=1e-6)] + head("ln")),
        case("layer_norm_two_dims_no_affine", [2, 3, 5, 6], [
            N("c", "conv2d", ["x"], out_channels=4, kernel=3, padding=1),
            N("ln", "layer_norm", ["c"], normalized_shape=[5, 6], elementwise_affine=False),
            N("c2", "conv2d", ["ln"], out_channels=3, kernel=1)] + head("c2")),
        case("layer_norm_2d", [4, 6], [
            N("d", "dense", ["x"], out_features=7),
            N("ln", "layer_norm", ["d"], normalized_shape=7),
            N("logits", "dense", ["ln"], out_features=3)]),
        case("layer_norm2d", [2, 3, 5, 6], [
            N("c", "conv2d", ["x"], out_channels=4, kernel=3, padding=1),
            N("ln", "layer_norm2d", ["c"]), N("r", "relu", ["ln"]),
            N("c2", "conv2d", ["r"], out_channels=4, kernel=1),
            N("ln2", "layer_norm2d", ["c2"], eps=1e-5, elementwise_affine=False)]
             + head("ln2")),
    ],
    "elementwise": [
        case("activations", [2, 3, 6, 6], [N("a", "relu6", ["x"]), N("b", "sigmoid", ["a"]),
                                           N("c", "conv2d", ["b"], out_channels=3, kernel=1),
                                           N("t", "tanh", ["c"])] + head("t")),
        case("silu_hardswish_hardsigmoid", [2, 3, 6, 6], [
            N("c", "conv2d", ["x"], out_channels=4, kernel=3, padding=1),
            N("a", "silu", ["c"]),
            N("c2", "conv2d", ["a"], out_channels=4, kernel=1),
            N("h", "hardswish", ["c2"]),
            N("c3", "conv2d", ["h"], out_channels=4, kernel=1),
            N("s", "hardsigmoid", ["c3"]),
            N("m", "mul", ["h", "s"])] + head("m")),
        case("leaky_relu_gelu", [2, 3, 6, 6], [
            N("c", "conv2d", ["x"], out_channels=4, kernel=3, padding=1),
            N("l", "leaky_relu", ["c"], negative_slope=0.1),
            N("c2", "conv2d", ["l"], out_channels=4, kernel=1),
            N("g", "gelu", ["c2"]),
            N("c3", "conv2d", ["g"], out_channels=4, kernel=1),
            N("t", "gelu", ["c3"], approximate="tanh")] + head("t")),
        case("gated_silu", [2, 3, 6, 6], [
            N("c", "conv2d", ["x"], out_channels=4, kernel=3, padding=1),
            N("s", "sigmoid", ["c"]), N("m", "mul", ["s", "c"])] + head("m")),
        case("residual_add", [2, 4, 6, 6], [N("c", "conv2d", ["x"], out_channels=4, kernel=3,
                                              padding=1),
                                            N("s", "add", ["c", "x"]), N("r", "relu", ["s"])]
             + head("r")),
        case("squeeze_excite_mul", [2, 4, 5, 5], [
            N("c", "conv2d", ["x"], out_channels=4, kernel=3, padding=1),
            N("g", "global_avgpool2d", ["c"]), N("f", "flatten", ["g"]),
            N("d", "dense", ["f"], out_features=4), N("s", "sigmoid", ["d"]),
            N("c1", "conv2d", ["g"], out_channels=4, kernel=1), N("s1", "sigmoid", ["c1"]),
            N("m", "mul", ["c", "s1"])] + head("m")),
        case("concat_shuffle", [2, 4, 5, 5], [
            N("a", "conv2d", ["x"], out_channels=2, kernel=1),
            N("b", "conv2d", ["x"], out_channels=4, kernel=1),
            N("cat", "concat", ["a", "b", "x"]),
            N("sh", "channel_shuffle", ["cat"], groups=2)] + head("sh")),
        case("nesterov_no_wd", [2, 6], [N("h", "dense", ["x"], out_features=8),
                                        N("r", "relu", ["h"]),
                                        N("logits", "dense", ["r"], out_features=4)],
             optimizer={"type": "sgd", "learning_rate": 0.1, "momentum": 0.5,
                        "nesterov": True}),
        case("plain_sgd", [2, 6], [N("h", "dense", ["x"], out_features=8, bias=False),
                                   N("r", "tanh", ["h"]),
                                   N("logits", "dense", ["r"], out_features=4)],
             optimizer={"type": "sgd", "learning_rate": 0.2}),
        # layer_scale: dweight sums x * dy over every dimension but the axis
        case("layer_scale_residual", [2, 4, 5, 5], [
            N("c", "conv2d", ["x"], out_channels=4, kernel=3, padding=1),
            N("g", "layer_scale", ["c"]), N("s", "add", ["g", "x"])] + head("s")),
        case("layer_scale_axes", [2, 3, 4, 5], [
            N("a", "layer_scale", ["x"], axis=3),
            N("b", "layer_scale", ["a"], axis=-2, init=0.5),
            N("c", "conv2d", ["b"], out_channels=3, kernel=1)] + head("c")),
        # dense over the last axis of [N, C, H, W]: dweight sums over N, C, H
        case("dense_last_axis", [2, 3, 4, 5], [
            N("d", "dense", ["x"], out_features=6), N("g", "gelu", ["d"]),
            N("d2", "dense", ["g"], out_features=3, bias=False)] + head("d2")),
    ],
    # Adam/AdamW (spec 5.3).
    "optimizers": [
        optimizer_case(name, opt)
        for name, opt in [
            ("adam_defaults", {"type": "adam", "learning_rate": 0.01}),
            ("adam_weight_decay", {"type": "adam", "learning_rate": 0.05,
                                   "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.1}),
            ("adamw_defaults", {"type": "adamw", "learning_rate": 0.02}),
            ("adamw_custom", {"type": "adamw", "learning_rate": 0.1, "betas": [0.5, 0.9],
                              "eps": 1e-4, "weight_decay": 0.3}),
        ]
    ],
    # Learning-rate schedules (stepped once per optimizer step) and gradient
    # clipping by the global norm, with SGD and Adam.
    "schedules": [
        optimizer_case(name, opt, **extra)
        for name, opt, extra in [
            ("sgd_step_lr", SGD, {"lr_schedule": {"type": "step", "step_size": 1,
                                                   "gamma": 0.5}}),
            ("adam_cosine", {"type": "adam", "learning_rate": 0.05},
             {"lr_schedule": {"type": "cosine", "t_max": 3, "eta_min": 0.001}}),
            ("sgd_linear_warmup", SGD, {"lr_schedule": {"type": "linear", "start_factor": 0.25,
                                                         "total_iters": 2}}),
            ("sgd_clip_active", SGD, {"clip_grad_norm": 0.05}),
            ("adamw_clip_inactive_step", {"type": "adamw", "learning_rate": 0.02},
             {"clip_grad_norm": 100.0, "lr_schedule": {"type": "step", "step_size": 2}}),
        ]
    ],
    "slice": [
        case("slice_channels_negative", [2, 3, 6, 6], [
            N("c", "conv2d", ["x"], out_channels=6, kernel=3, padding=1),
            N("s", "slice", ["c"], axis=1, start=-4, end=100)] + head("s")),
        case("slice_spatial", [2, 3, 8, 7], [
            N("c", "conv2d", ["x"], out_channels=4, kernel=3, padding=1),
            N("sh", "slice", ["c"], axis=2, start=1, end=-2),
            N("sw", "slice", ["sh"], axis=-1, start=-9, end=5)] + head("sw")),
        case("slice_dense_2d", [3, 6], [
            N("h", "dense", ["x"], out_features=9), N("t", "tanh", ["h"]),
            N("s", "slice", ["t"], axis=1, start=2, end=-1),
            N("logits", "dense", ["s"], out_features=4)]),
        # ShuffleNet v2 unit: split the channels, transform one half, concat,
        # shuffle; both halves' gradients flow back into one tensor.
        case("slice_concat_shuffle", [2, 3, 5, 5], [
            N("c0", "conv2d", ["x"], out_channels=4, kernel=1),
            N("left", "slice", ["c0"], axis=1, start=0, end=2),
            N("right", "slice", ["c0"], axis=1, start=2, end=4),
            N("rc", "conv2d", ["right"], out_channels=2, kernel=3, padding=1, groups=2),
            N("rr", "relu", ["rc"]),
            N("cat", "concat", ["left", "rr"]),
            N("sh", "channel_shuffle", ["cat"], groups=2),
            N("c1", "conv2d", ["sh"], out_channels=4, kernel=1)] + head("c1")),
        # permute: the gradient is permuted back by the inverse permutation
        case("permute_channels_last", [2, 3, 4, 5], [
            N("c", "conv2d", ["x"], out_channels=4, kernel=3, padding=1),
            N("t", "permute", ["c"], dims=[0, 2, 3, 1]),
            N("d", "dense", ["t"], out_features=6),
            N("u", "permute", ["d"], dims=[0, 3, 1, 2]),
            N("c2", "conv2d", ["u"], out_channels=3, kernel=1)] + head("c2")),
        case("permute_hw_and_rank3", [2, 6, 5], [
            N("t", "permute", ["x"], dims=[0, 2, 1]),
            N("d", "dense", ["t"], out_features=4),
            N("u", "permute", ["d"], dims=[0, 2, 1])] + head("u")),
    ],
    "softmax": [
        case("softmax_2d", [3, 6], [
            N("h", "dense", ["x"], out_features=7), N("sm", "softmax", ["h"]),
            N("logits", "dense", ["sm"], out_features=4)]),
        case("softmax_channels", [2, 3, 5, 5], [
            N("c", "conv2d", ["x"], out_channels=4, kernel=3, padding=1),
            N("sm", "softmax", ["c"], axis=1)] + head("sm")),
        case("softmax_spatial", [2, 3, 5, 6], [
            N("c", "conv2d", ["x"], out_channels=4, kernel=3, padding=1),
            N("sh", "softmax", ["c"], axis=2), N("sw", "softmax", ["sh"], axis=-1)]
             + head("sw")),
    ],
    "dropout": [
        case("dropout_dense", [4, 10], [
            N("h", "dense", ["x"], out_features=32), N("r", "relu", ["h"]),
            N("drop", "dropout", ["r"], p=0.5),
            N("logits", "dense", ["drop"], out_features=5)], seed=3),
        # After a convolution (NCHW element order through the layout passes),
        # two nodes of one shape (distinct masks), the seed's high word used.
        case("dropout_conv_two_nodes", [2, 3, 6, 6], [
            N("c", "conv2d", ["x"], out_channels=4, kernel=3, padding=1),
            N("d1", "dropout", ["c"], p=0.3), N("r", "relu", ["d1"]),
            N("c2", "conv2d", ["r"], out_channels=4, kernel=3, padding=1),
            N("d2", "dropout", ["c2"], p=0.2), N("d0", "dropout", ["d2"], p=0.0)]
             + head("d0"), seed=2**32 + 5),
        # On the input (no gradient flows back through it, the mask still
        # shapes the weight gradient), p close to 1.
        case("dropout_on_input", [4, 12], [
            N("d", "dropout", ["x"], p=0.9),
            N("logits", "dense", ["d"], out_features=3)], seed=1),
        # stochastic_depth: whole samples ("row") or the whole batch ("batch")
        # dropped, the kept ones scaled by 1 / (1 - p); seeds chosen so that both
        # steps drop some samples and keep others (row), and the batch is kept at
        # one step and dropped at the other (batch)
        case("stochastic_depth_row", [4, 3, 5, 5], [
            N("c", "conv2d", ["x"], out_channels=3, kernel=3, padding=1),
            N("sd", "stochastic_depth", ["c"], p=0.5),
            N("s", "add", ["sd", "x"])] + head("s"), seed=SD_SEEDS["row"]),
        case("stochastic_depth_batch", [2, 3, 5, 5], [
            N("c", "conv2d", ["x"], out_channels=3, kernel=3, padding=1),
            N("sd", "stochastic_depth", ["c"], p=0.4, mode="batch"),
            N("s", "add", ["sd", "x"])] + head("s"), seed=SD_SEEDS["batch"]),
        case("stochastic_depth_dense_rows", [6, 10], [
            N("h", "dense", ["x"], out_features=8), N("r", "relu", ["h"]),
            N("sd", "stochastic_depth", ["r"], p=0.3, mode="row"),
            N("logits", "dense", ["sd"], out_features=4)], seed=SD_SEEDS["dense_rows"]),
    ],
    "models": [
        # A small ResNet: stem conv+bn+relu, a basic block with an identity
        # shortcut, a strided one with a 1x1 conv+bn downsample, global
        # average pooling and a dense classifier (bias-free convs, as torchvision).
        case("resnet_small", [4, 3, 12, 12], [
            N("conv1", "conv2d", ["x"], out_channels=8, kernel=3, padding=1, bias=False),
            N("bn1", "batchnorm", ["conv1"]), N("relu1", "relu", ["bn1"]),
            N("b1c1", "conv2d", ["relu1"], out_channels=8, kernel=3, padding=1, bias=False),
            N("b1bn1", "batchnorm", ["b1c1"]), N("b1r1", "relu", ["b1bn1"]),
            N("b1c2", "conv2d", ["b1r1"], out_channels=8, kernel=3, padding=1, bias=False),
            N("b1bn2", "batchnorm", ["b1c2"]), N("b1add", "add", ["b1bn2", "relu1"]),
            N("b1out", "relu", ["b1add"]),
            N("b2c1", "conv2d", ["b1out"], out_channels=16, kernel=3, stride=2, padding=1,
              bias=False),
            N("b2bn1", "batchnorm", ["b2c1"]), N("b2r1", "relu", ["b2bn1"]),
            N("b2c2", "conv2d", ["b2r1"], out_channels=16, kernel=3, padding=1, bias=False),
            N("b2bn2", "batchnorm", ["b2c2"]),
            N("b2down", "conv2d", ["b1out"], out_channels=16, kernel=1, stride=2, bias=False),
            N("b2dbn", "batchnorm", ["b2down"]),
            N("b2add", "add", ["b2bn2", "b2dbn"]), N("b2out", "relu", ["b2add"]),
            N("pool", "global_avgpool2d", ["b2out"])] + head("pool", k=10)),
        # A small ConvNeXt as torchvision builds it: patchify stem + layer_norm2d,
        # CNBlocks (depthwise 7x7, permute, layer_norm, MLP over the last axis,
        # permute back, layer_scale, stochastic_depth, residual), a downsampling
        # layer_norm2d + 2x2 conv, and the layer_norm2d + dense head.
        case("convnext_small", [2, 3, 16, 16], [
            N("stem", "conv2d", ["x"], out_channels=8, kernel=2, stride=2),
            N("stem_ln", "layer_norm2d", ["stem"])]
             + cnblock("b0", "stem_ln", 8, 0.2) + [
            N("down_ln", "layer_norm2d", ["b0.add"]),
            N("down", "conv2d", ["down_ln"], out_channels=12, kernel=2, stride=2)]
             + cnblock("b1", "down", 12, 0.4) + [
            N("pool", "global_avgpool2d", ["b1.add"]),
            N("head_ln", "layer_norm2d", ["pool"]),
            N("flat", "flatten", ["head_ln"]),
            N("logits", "dense", ["flat"], out_features=10)], seed=SD_SEEDS["convnext"]),
        # Two EfficientNet-B0 stage-6 pointwise pairs (192 -> 1152 -> 192 at
        # 5x5): each 1x1 conv splits into filter blocks, and the bias-free
        # convs and gradient convs all start from zero, so CSE merges their
        # accumulators and first slices across chains; cnnc-fuse-conv-epilogues
        # must give each chain its own (it once moved a shared slice, and
        # wrote blocks into a shared zero tensor).
        case("pointwise_blocks", [4, 192, 5, 5], [
            N("e1", "conv2d", ["x"], out_channels=1152, kernel=1, bias=False),
            N("a1", "silu", ["e1"]),
            N("p1", "conv2d", ["a1"], out_channels=192, kernel=1, bias=False),
            N("r1", "add", ["p1", "x"]),
            N("e2", "conv2d", ["r1"], out_channels=1152, kernel=1, bias=False),
            N("a2", "silu", ["e2"]),
            N("p2", "conv2d", ["a2"], out_channels=192, kernel=1, bias=False),
            N("r2", "add", ["p2", "r1"]),
            N("pool", "global_avgpool2d", ["r2"])] + head("pool", k=10)),
    ],
}


def lenet_case():
    """models/lenet.json at batch 8 (its own SGD settings)."""
    spec = json.load(open(os.path.join(ROOT, "models", "lenet.json")))
    spec.pop("weights", None)
    spec["inputs"][0]["shape"] = [8] + spec["inputs"][0]["shape"][1:]
    return {"name": "lenet", "seed": None, "model": spec}


CASES["models"].append(lenet_case())

# Seeds and inference for a model with dropout (dropout_properties).
DROPOUT_PROBE = CASES["dropout"][0]


def fmix32(h):
    """MurmurHash3's 32-bit finalizer on uint32 arrays."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def fnv1a(name):
    h = 2166136261
    for c in name.encode():
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return h


def _keep_hash(seed, step, node, count, p):
    """Kept (True) or not for the indices 0..count-1 of cnnc's counter-based mask."""
    u = lambda v: np.uint32(v & 0xFFFFFFFF)  # noqa: E731
    with np.errstate(over="ignore"):
        h = fmix32(u(seed) ^ np.uint32(0x9E3779B9))
        h = fmix32(h ^ u(seed >> 32))
        h = fmix32(h ^ u(step))
        h = fmix32(h ^ u(step >> 32))
        h = fmix32(h ^ np.uint32(fnv1a(node)))
        index = np.arange(int(count), dtype=np.uint64).astype(np.uint32)
        h = fmix32(h ^ index)
    threshold = min(0xFFFFFFFF, round(p * 2.0**32))
    return h >= np.uint32(threshold)


def dropout_keep(seed, step, node, shape, p):
    """cnn.dropout_train's mask (True = kept), rebuilt independently of cnnc."""
    return torch.from_numpy(_keep_hash(seed, step, node, int(np.prod(shape)), p)
                            .reshape(shape))


def stochastic_depth_keep(seed, step, node, shape, p, mode):
    """stochastic_depth's mask in a training step, shaped to broadcast against the
    value: dropout's hash whose index is the sample's row n (mode "row", a mask
    [N, 1, ..., 1]) or 0 (mode "batch", [1, ..., 1])."""
    rows = shape[0] if mode == "row" else 1
    keep = _keep_hash(seed, step, node, rows, p)
    return torch.from_numpy(keep.reshape([rows] + [1] * (len(shape) - 1)))


def torch_steps(model_json, params, inputs, labels, steps, seed=0):
    """K SGD steps in PyTorch; returns (loss, grads, params) of/after the last.
    Dropout nodes with p > 0 use cnnc's mask for (seed, step)."""
    model = R.load_model(model_json)
    spec = json.load(open(model_json))
    step_index = [0]
    plain_node = model._run_node

    def run_node(n, args, param_fn):
        p = float(n.attrs.get("p", 0.0)) if n.op in ("dropout", "stochastic_depth") else 0.0
        if p == 0.0:
            return plain_node(n, args, param_fn)
        if n.op == "stochastic_depth":
            keep = stochastic_depth_keep(seed, step_index[0], n.name, tuple(args[0].shape), p,
                                         n.attrs["mode"])
        else:
            keep = dropout_keep(seed, step_index[0], n.name, tuple(args[0].shape), p)
        return args[0] * (keep.to(args[0].dtype) * (1.0 / (1.0 - p)))

    model._run_node = run_node
    opt = spec["training"]["optimizer"]
    bn_stats = set()
    for n in spec["nodes"]:
        if n["op"] == "batchnorm":
            bn_stats.update({f"{n['name']}.running_mean", f"{n['name']}.running_var"})
    tensors = {k: v.clone().requires_grad_(k not in bn_stats) for k, v in params.items()}
    learn = [v for k, v in tensors.items() if k not in bn_stats]
    if opt["type"] in ("adam", "adamw"):
        make = torch.optim.Adam if opt["type"] == "adam" else torch.optim.AdamW
        sgd = make(learn, lr=opt["learning_rate"], betas=tuple(opt.get("betas", (0.9, 0.999))),
                   eps=opt.get("eps", 1e-8),
                   weight_decay=opt.get("weight_decay", 0.0 if opt["type"] == "adam" else 0.01))
    else:
        sgd = torch.optim.SGD(learn, lr=opt["learning_rate"], momentum=opt.get("momentum", 0.0),
                              weight_decay=opt.get("weight_decay", 0.0),
                              nesterov=opt.get("nesterov", False))
    schedule = spec["training"].get("lr_schedule")
    sched = None
    if schedule and schedule["type"] == "step":
        sched = torch.optim.lr_scheduler.StepLR(sgd, schedule["step_size"],
                                                gamma=schedule.get("gamma", 0.1))
    elif schedule and schedule["type"] == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(sgd, schedule["t_max"],
                                                           eta_min=schedule.get("eta_min", 0))
    elif schedule and schedule["type"] == "linear":
        sched = torch.optim.lr_scheduler.LinearLR(
            sgd, start_factor=schedule.get("start_factor", 1 / 3),
            end_factor=schedule.get("end_factor", 1.0),
            total_iters=schedule.get("total_iters", 5))
    clip = spec["training"].get("clip_grad_norm")
    original = R.F.batch_norm

    def train_bn(x, rm, rv, w, b, training, momentum, eps):
        return original(x, rm, rv, w, b, True, momentum, eps)

    R.F.batch_norm = train_bn
    try:
        for _ in range(steps):
            sgd.zero_grad()
            out = model.execute(dict(inputs), lambda node, role, shape:
                                tensors[node.tensor_name(role)])
            loss = F.cross_entropy(out[spec["outputs"][0]], labels)
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(learn, clip)
            grads = {k: v.grad.clone() for k, v in tensors.items() if v.grad is not None}
            sgd.step()
            if sched:
                sched.step()
            step_index[0] += 1
    finally:
        R.F.batch_norm = original
    return loss.detach(), grads, {k: v.detach() for k, v in tensors.items()}


def prepare_case(c, args):
    """Writes the model, weights and batch; compiles with --train."""
    d = os.path.join(args.workdir, c["name"])
    os.makedirs(d, exist_ok=True)
    seed = zlib.crc32(c["name"].encode()) % 10007
    mpath = os.path.join(d, "model.json")
    spec = dict(c["model"])
    spec["weights"] = "weights.safetensors"
    json.dump(spec, open(mpath, "w"))
    params = R.build_params(R.load_model(mpath), seed, randomize_bn=True)
    safetensors_io.save(os.path.join(d, "weights.safetensors"), params)
    gen = torch.Generator().manual_seed(seed)
    name, shape = spec["inputs"][0]["name"], spec["inputs"][0]["shape"]
    x = torch.randn(shape, generator=gen)
    k = next(n["attrs"]["out_features"] for n in spec["nodes"] if n["name"] == spec["outputs"][0])
    labels = torch.randint(0, k, (shape[0],), generator=gen)
    batch = os.path.join(d, "batch.safetensors")
    safetensors_io.save(batch, {name: x, "labels": labels})
    so = os.path.join(d, "model.so")
    r = subprocess.run([args.cnnc, mpath, "--train", "-o", so] + args.cnnc_flag,
                       capture_output=True, text=True)
    if r.returncode:
        return None, f"cnnc --train failed: {r.stderr.strip()[:500]}"
    return {"dir": d, "model": mpath, "so": so, "batch": batch, "params": params,
            "inputs": {name: x}, "labels": labels}, ""


def cnnc_steps(prep, args, steps, seed, tag="step"):
    out = os.path.join(prep["dir"], f"{tag}.safetensors")
    r = subprocess.run([args.cnnc_run, prep["so"], "--train-step", f"--steps={steps}",
                        f"--seed={seed}", "--inputs", prep["batch"], "--outputs", out],
                       capture_output=True, text=True)
    if r.returncode:
        return None, f"cnnc-run --train-step failed: {r.stderr.strip()[:500]}"
    return safetensors_io.load(out), ""


def compare(prep, got, steps, seed):
    loss, grads, new = torch_steps(prep["model"], prep["params"], prep["inputs"],
                                   prep["labels"], steps, seed)
    worst, where = 0.0, ""
    refs = {"loss": loss.reshape(1)}
    refs.update({"grad." + k: v for k, v in grads.items()})
    refs.update({"param." + k: v for k, v in new.items()})
    for key, ref in refs.items():
        if key not in got:
            return False, f"cnnc-run wrote no '{key}'"
        tol = RTOL * max(1.0, ref.abs().max().item())
        diff = (got[key] - ref).abs().max().item()
        if diff / tol > worst:
            worst, where = diff / tol, key
    return worst <= 1.0, f"worst {where}: {worst:.2g} x tolerance ({len(refs)} tensors)"


def run_case(c, args, steps):
    prep, msg = prepare_case(c, args)
    if not prep:
        return False, msg
    seed = c["seed"] or 0
    got, msg = cnnc_steps(prep, args, steps, seed)
    if got is None:
        return False, msg
    return compare(prep, got, steps, seed)


def dropout_properties(args, steps):
    """Seeds, reproducibility, the kept fraction, and inference."""
    results = []
    # The hash itself: kept fraction 1 - p (binomial std < 0.002 here), and
    # distinct masks for distinct seeds, steps and nodes.
    for p in (0.1, 0.5, 0.8):
        kept = dropout_keep(7, 0, "drop", (200000,), p).double().mean().item()
        results.append((abs(kept - (1 - p)) < 0.01,
                        f"dropout_fraction_p{p}", f"kept {kept:.4f}, expected {1 - p:.4f}"))
    base = dropout_keep(7, 0, "drop", (4096,), 0.5)
    for what, other in (("seed", dropout_keep(8, 0, "drop", (4096,), 0.5)),
                        ("seed_high_word", dropout_keep(7 + 2**32, 0, "drop", (4096,), 0.5)),
                        ("step", dropout_keep(7, 1, "drop", (4096,), 0.5)),
                        ("node", dropout_keep(7, 0, "drop2", (4096,), 0.5))):
        same = (base == other).double().mean().item()
        results.append((0.45 < same < 0.55, f"dropout_mask_differs_by_{what}",
                        f"{same:.3f} of the elements agree (independent masks: 0.5)"))

    c = dict(DROPOUT_PROBE)
    prep, msg = prepare_case(c, args)
    if not prep:
        return results + [(False, c["name"], msg)]
    a, msg = cnnc_steps(prep, args, steps, 11, "seed11_a")
    b, _ = cnnc_steps(prep, args, steps, 11, "seed11_b") if a else (None, "")
    other, _ = cnnc_steps(prep, args, steps, 12, "seed12") if a else (None, "")
    if a is None or b is None or other is None:
        return results + [(False, "dropout_seeds", msg)]
    bitequal = all(torch.equal(a[k], b[k]) for k in a)
    results.append((bitequal, "dropout_same_seed_same_step", "bit-equal outputs"
                    if bitequal else "two runs with --seed=11 differ"))
    moved = max((a[k] - other[k]).abs().max().item() for k in a if k.startswith("grad."))
    results.append((moved > 1e-3, "dropout_other_seed_other_mask",
                    f"largest gradient change between --seed=11 and 12: {moved:.3g}"))
    ok, msg = compare(prep, other, steps, 12)
    results.append((ok, "dropout_seed12_vs_pytorch", msg))
    # Inference: the --train library's forward graph is the identity at dropout.
    out = os.path.join(prep["dir"], "forward.safetensors")
    r = subprocess.run([args.cnnc_run, prep["so"], "--inputs", prep["batch"], "--outputs", out],
                       capture_output=True, text=True)
    if r.returncode:
        return results + [(False, "dropout_inference_identity", r.stderr.strip()[:500])]
    got = safetensors_io.load(out)["logits"]
    model = R.load_model(prep["model"])
    ref = model.execute(dict(prep["inputs"]),
                        lambda node, role, shape: prep["params"][node.tensor_name(role)])["logits"]
    diff = (got - ref).abs().max().item()
    results.append((diff <= RTOL * max(1.0, ref.abs().max().item()),
                    "dropout_inference_identity", f"max |cnnc - eval-mode PyTorch| {diff:.3g}"))
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cnnc", required=True)
    ap.add_argument("--cnnc-run", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--family", choices=sorted(CASES))
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--cnnc-flag", action="append", default=[],
                    help="extra cnnc flag for every case (e.g. --gpu-loops-on-cpu)")
    ap.add_argument("--model", help="check this model instead of the cases (a zoo model: "
                    "random weights, SGD lr 0.01 momentum 0.9 unless it has a training object)")
    ap.add_argument("--batch", type=int, default=2, help="with --model")
    ap.add_argument("--seed", type=int, default=0, help="with --model: cnnc-run --seed")
    a = ap.parse_args()
    fams = [a.family] if a.family else sorted(CASES)
    failed = passed = 0
    if a.model:
        spec = json.load(open(a.model))
        spec.pop("weights", None)
        spec.setdefault("training", {"loss": "softmax_cross_entropy",
                                     "optimizer": {"type": "sgd", "learning_rate": 0.01,
                                                   "momentum": 0.9}})
        spec["inputs"][0]["shape"] = [a.batch] + spec["inputs"][0]["shape"][1:]
        fams = []
        CASES["model"] = [{"name": os.path.splitext(os.path.basename(a.model))[0],
                           "seed": a.seed, "model": spec}]
        fams = ["model"]

    def report(ok, name, msg):
        nonlocal passed, failed
        print(f"{'PASS' if ok else 'FAIL'} {name}: {msg}", flush=True)
        passed += ok
        failed += not ok

    for f in fams:
        for c in CASES[f]:
            ok, msg = run_case(c, a, a.steps)
            report(ok, c["name"], msg)
        if f == "dropout":
            for ok, name, msg in dropout_properties(a, a.steps):
                report(ok, name, msg)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
