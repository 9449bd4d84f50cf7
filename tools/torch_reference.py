#!/usr/bin/python3
"""PyTorch reference interpreter for cnnc model files (docs: shared/spec/model-format.md).

Runs a cnnc model JSON in eval mode, float32, op by op with PyTorch, so that cnnc's
compiled code can be checked against it.  Run it with Debian's Python
(/usr/bin/python3, torch 1.13), not the pyenv `python3`.

Command line:

    torch_reference.py MODEL.json
        (--inputs IN.safetensors | --random-inputs SEED [--save-inputs PATH])
        [--weights W.safetensors] [--batch N] [--outputs OUT.safetensors]
        [--dump NAME[,NAME...]] [--seed N] [--randomize-bn]

  --inputs          tensors looked up by the model's input names (F32)
  --random-inputs   generate every input with torch.randn (generator seeded with SEED,
                    inputs in the order the model lists them); --save-inputs writes them
  --weights         overrides the model's "weights" file; without either, parameters get
                    PyTorch's default initialization seeded by --seed (default 0), with a
                    warning; --randomize-bn then also randomizes batchnorm parameters and
                    statistics, layer norm and layer_scale parameters (see build_params)
  --batch           overrides the batch (first) dimension of every input
  --outputs         writes the model's outputs under its output names; without it a short
                    summary is printed (shape, top-5 classes of an [N, K] output)
  --dump            also writes these intermediate values (node names) to --outputs

Python API:

    run_model(model_json_path, inputs, weights=None, *, outputs=None, batch=None,
              seed=0) -> {output name: tensor}
    build_params(model_json_path, seed=0, randomize_bn=False) -> {tensor name: tensor}
    param_specs(model_json_path) -> {tensor name: ParamSpec(node, op, role, shape)}
    load_model(path) -> Model;  pool2d(...) (the [t, l, b, r] pooling used for the ops);
    conv_transpose2d(...) (F.conv_transpose2d with [t, l, b, r] padding)

`model_json_path` may also be a Model, or a dict (the parsed JSON; the weights path is
then relative to the current directory).
"""

import argparse
import collections
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "pyutil"))
import safetensors_io  # noqa: E402

__all__ = ["ModelError", "Model", "load_model", "run_model", "build_params",
           "param_specs", "ParamSpec", "pool2d", "pool_output_size"]


class ModelError(Exception):
    """A user error in a model, its weights or its inputs (the message names the node)."""


REQUIRED = object()

# op -> (min inputs, max inputs (None: unbounded), {attr: default}, param roles)
OPS = {
    "conv2d": (1, 1, {"out_channels": REQUIRED, "kernel": REQUIRED, "stride": 1,
                      "padding": 0, "dilation": 1, "groups": 1, "bias": True},
               ("weight", "bias")),
    "maxpool2d": (1, 1, {"kernel": REQUIRED, "stride": None, "padding": 0,
                         "ceil_mode": False}, ()),
    "avgpool2d": (1, 1, {"kernel": REQUIRED, "stride": None, "padding": 0,
                         "ceil_mode": False, "count_include_pad": True}, ()),
    "global_avgpool2d": (1, 1, {}, ()),
    "batchnorm": (1, 1, {"epsilon": 1e-5, "momentum": 0.1},
                  ("weight", "bias", "running_mean", "running_var")),
    "relu": (1, 1, {}, ()),
    "relu6": (1, 1, {}, ()),
    "sigmoid": (1, 1, {}, ()),
    "tanh": (1, 1, {}, ()),
    "silu": (1, 1, {}, ()),
    "hardswish": (1, 1, {}, ()),
    "hardsigmoid": (1, 1, {}, ()),
    "leaky_relu": (1, 1, {"negative_slope": 0.01}, ()),
    "gelu": (1, 1, {"approximate": "none"}, ()),
    "add": (2, 2, {}, ()),
    "mul": (2, 2, {}, ()),
    "concat": (1, None, {"axis": 1}, ()),
    "flatten": (1, 1, {}, ()),
    "dense": (1, 1, {"out_features": REQUIRED, "bias": True}, ("weight", "bias")),
    "softmax": (1, 1, {"axis": 1}, ()),
    "dropout": (1, 1, {"p": 0.5}, ()),
    "channel_shuffle": (1, 1, {"groups": REQUIRED}, ()),
    "slice": (1, 1, {"axis": 1, "start": REQUIRED, "end": REQUIRED}, ()),
    # beyond version 1 (docs/ops.md)
    "layer_norm": (1, 1, {"normalized_shape": REQUIRED, "eps": 1e-5,
                          "elementwise_affine": True}, ("weight", "bias")),
    "layer_norm2d": (1, 1, {"eps": 1e-6, "elementwise_affine": True}, ("weight", "bias")),
    "permute": (1, 1, {"dims": REQUIRED}, ()),
    "layer_scale": (1, 1, {"init": 1e-6, "axis": 1}, ("weight",)),
    "stochastic_depth": (1, 1, {"p": REQUIRED, "mode": "row"}, ()),
    "adaptive_avgpool2d": (1, 1, {"output_size": REQUIRED}, ()),
    "upsample": (1, 1, {"size": None, "scale_factor": None, "mode": "nearest",
                        "align_corners": False}, ()),
    "conv_transpose2d": (1, 1, {"out_channels": REQUIRED, "kernel": REQUIRED, "stride": 1,
                                "padding": 0, "output_padding": 0, "groups": 1,
                                "dilation": 1, "bias": True}, ("weight", "bias")),
}

NODE_KEYS = {"name", "op", "inputs", "attrs", "params"}

ParamSpec = collections.namedtuple("ParamSpec", "node op role shape")


# ----------------------------------------------------------------------------------
# attribute helpers


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _pair(v, what, positive=True):
    if _is_int(v):
        v = [v, v]
    if isinstance(v, tuple):
        v = list(v)
    if (not isinstance(v, list) or len(v) != 2 or not all(_is_int(e) for e in v)
            or any((e <= 0) if positive else (e < 0) for e in v)):
        raise ValueError(f"'{what}' must be a{' positive' if positive else ' non-negative'}"
                         f" int or [h, w], got {json.dumps(v)}")
    return tuple(v)


def _pad4(v, what="padding"):
    """int | [ph, pw] | [top, left, bottom, right] -> (top, left, bottom, right)."""
    if _is_int(v):
        v = [v] * 4
    if isinstance(v, tuple):
        v = list(v)
    if isinstance(v, list) and len(v) == 2:
        v = [v[0], v[1], v[0], v[1]]
    if not isinstance(v, list) or len(v) != 4 or not all(_is_int(e) and e >= 0 for e in v):
        raise ValueError(f"'{what}' must be a non-negative int, [ph, pw] or "
                         f"[top, left, bottom, right], got {json.dumps(v)}")
    return tuple(v)


def _axis(axis, rank):
    if not _is_int(axis) or not -rank <= axis < rank:
        raise ValueError(f"axis {axis} is out of range for a rank-{rank} value")
    return axis % rank


def _shape(t):
    return list(t.shape)


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _normalized_shape(v):
    """layer_norm's normalized_shape: a positive int or a non-empty list of them."""
    if _is_int(v):
        v = [v]
    if (not isinstance(v, (list, tuple)) or not v or not all(_is_int(e) and e > 0 for e in v)):
        raise ValueError(f"'normalized_shape' must be a positive int or a non-empty list "
                         f"of them, got {json.dumps(v)}")
    return list(v)


def _permutation(v):
    if (not isinstance(v, (list, tuple)) or not v or not all(_is_int(e) for e in v)
            or sorted(v) != list(range(len(v)))):
        raise ValueError(f"'dims' must be a permutation of 0..rank-1, got {json.dumps(v)}")
    return list(v)


def conv_transpose2d(x, w, bias, stride, padding, output_padding, dilation, groups):
    """F.conv_transpose2d with padding (top, left, bottom, right): the full result
    (no padding, output_padding added at the bottom/right) with pad_top/pad_left rows and
    columns removed at the top/left and pad_bottom/pad_right at the bottom/right."""
    t, l, b, r = padding
    if t == b and l == r:
        return F.conv_transpose2d(x, w, bias, stride, (t, l), output_padding, groups,
                                  dilation)
    full = F.conv_transpose2d(x, w, bias, stride, 0, output_padding, groups, dilation)
    H, W = full.shape[2], full.shape[3]
    return full[:, :, t:H - b, l:W - r]


def _upsample_output(in_size, size, scale_factor):
    if size is not None:
        return _pair(size, "size")
    return tuple(int(math.floor(float(d) * float(scale_factor))) for d in in_size)


# ----------------------------------------------------------------------------------
# pooling with [top, left, bottom, right] padding


def pool_output_size(size, kernel, stride, pad_begin, pad_end, ceil_mode):
    """PyTorch's pooling_output_shape generalized to asymmetric padding: with ceil_mode
    a last window that would start in the end padding is dropped."""
    num = size + pad_begin + pad_end - kernel
    # floor division as PyTorch's div_rtn; with ceil_mode a kernel up to stride-1
    # larger than the padded input still gives one (partial) window, as in PyTorch
    out = (num + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad_begin:
        out -= 1
    if out < 1:
        raise ValueError(f"output size is empty: kernel {kernel} on an input of "
                         f"{size} padded by {pad_begin} and {pad_end}")
    return out


def pool2d(x, kind, kernel, stride=None, padding=0, ceil_mode=False,
           count_include_pad=True):
    """max/avg pooling of an NCHW tensor with padding (top, left, bottom, right).

    The input is padded with -inf (max) or 0 (avg); windows that reach past the
    bottom/right padding (ceil_mode) see only what lies inside it.  The average
    divides by the number of window positions inside the padded input
    (count_include_pad) or inside the input (not count_include_pad).  For symmetric
    padding this equals F.max_pool2d / F.avg_pool2d."""
    if kind not in ("max", "avg"):
        raise ValueError(f"unknown pooling kind {kind!r}")
    kh, kw = _pair(kernel, "kernel")
    sh, sw = _pair(stride if stride is not None else kernel, "stride")
    t, l, b, r = _pad4(padding)
    if x.dim() != 4:
        raise ValueError(f"expects a 4-D NCHW input, got shape {_shape(x)}")
    for p, k, side in ((t, kh, "top"), (b, kh, "bottom"), (l, kw, "left"), (r, kw, "right")):
        if 2 * p > k:
            raise ValueError(f"{side} padding {p} is larger than half the kernel ({k})")
    H, W = x.shape[2], x.shape[3]
    oh = pool_output_size(H, kh, sh, t, b, ceil_mode)
    ow = pool_output_size(W, kw, sw, l, r, ceil_mode)
    need_h = (oh - 1) * sh + kh           # rows the windows cover, from the top padding
    need_w = (ow - 1) * sw + kw
    eb = need_h - H - t                   # rows below the input the windows reach
    er = need_w - W - l

    def pad_to(z, value):
        z = F.pad(z, (l, max(er, 0), t, max(eb, 0)), value=value)
        return z[:, :, :need_h, :need_w]

    if kind == "max":
        return F.max_pool2d(pad_to(x, -math.inf), (kh, kw), (sh, sw))
    sums = F.avg_pool2d(pad_to(x, 0.0), (kh, kw), (sh, sw), divisor_override=1)
    if count_include_pad:
        # the padded input: positions [0, H+t+b) x [0, W+l+r); beyond it counts nothing
        mask = torch.zeros(1, 1, need_h, need_w, dtype=x.dtype)
        mask[:, :, :H + t + b, :W + l + r] = 1
    else:
        mask = pad_to(torch.ones(1, 1, H, W, dtype=x.dtype), 0.0)
    counts = F.avg_pool2d(mask, (kh, kw), (sh, sw), divisor_override=1)
    return sums / counts


# ----------------------------------------------------------------------------------
# model


class Node:
    __slots__ = ("name", "op", "inputs", "attrs", "params", "index")

    def __init__(self, name, op, inputs, attrs, params, index):
        self.name, self.op, self.inputs = name, op, inputs
        self.attrs, self.params, self.index = attrs, params, index

    def tensor_name(self, role):
        return self.params.get(role, f"{self.name}.{role}")

    def roles(self):
        roles = OPS[self.op][3]
        if self.op in ("conv2d", "dense", "conv_transpose2d") and not self.attrs["bias"]:
            roles = ("weight",)
        if self.op in ("layer_norm", "layer_norm2d") and not self.attrs["elementwise_affine"]:
            roles = ()
        return roles


class Model:
    def __init__(self, spec, path=None):
        self.path = path
        self.base_dir = os.path.dirname(os.path.abspath(path)) if path else os.getcwd()
        where = path or "<model>"
        self.where = where
        if not isinstance(spec, dict):
            raise ModelError(f"{where}: the model must be a JSON object")
        if spec.get("format") != "cnnc-model":
            raise ModelError(f"{where}: \"format\" must be \"cnnc-model\", "
                             f"got {json.dumps(spec.get('format'))}")
        if spec.get("version") != 1:
            raise ModelError(f"{where}: unsupported model version "
                             f"{json.dumps(spec.get('version'))} (this reads version 1)")
        self.name = spec.get("name", os.path.splitext(os.path.basename(where))[0])
        self.weights = spec.get("weights")
        self.training = spec.get("training")
        errors = []

        self.inputs = []
        seen = set()
        for i, inp in enumerate(spec.get("inputs") or []):
            nm = inp.get("name") if isinstance(inp, dict) else None
            shp = inp.get("shape") if isinstance(inp, dict) else None
            if not isinstance(nm, str) or not isinstance(shp, list) or not shp or not all(
                    _is_int(d) and d > 0 for d in shp):
                errors.append(f"input #{i}: needs a \"name\" and a positive \"shape\"")
                continue
            if inp.get("dtype", "f32") != "f32":
                errors.append(f"input '{nm}': dtype {json.dumps(inp.get('dtype'))} is not "
                              f"supported (only \"f32\")")
            if nm in seen:
                errors.append(f"input '{nm}': duplicate name")
            seen.add(nm)
            self.inputs.append((nm, list(shp)))
        if not self.inputs:
            errors.append("the model has no inputs")

        self.nodes = []
        for i, nd in enumerate(spec.get("nodes") or []):
            if not isinstance(nd, dict) or not isinstance(nd.get("name"), str):
                errors.append(f"node #{i}: needs a string \"name\"")
                continue
            nm, op = nd["name"], nd.get("op")
            extra = sorted(set(nd) - NODE_KEYS)
            if extra:
                errors.append(f"node '{nm}': unknown key(s) {', '.join(extra)}")
            if nm in seen:
                errors.append(f"node '{nm}': duplicate name")
            seen.add(nm)
            if op not in OPS:
                errors.append(f"node '{nm}': unknown op {json.dumps(op)}")
                continue
            lo, hi, defaults, roles = OPS[op]
            ins = nd.get("inputs", [])
            if not isinstance(ins, list) or not all(isinstance(s, str) for s in ins):
                errors.append(f"node '{nm}': \"inputs\" must be a list of names")
                continue
            if len(ins) < lo or (hi is not None and len(ins) > hi):
                want = str(lo) if lo == hi else (f"{lo}..{hi}" if hi else f"at least {lo}")
                errors.append(f"node '{nm}' ({op}): takes {want} input(s), got {len(ins)}")
            attrs = nd.get("attrs") or {}
            if not isinstance(attrs, dict):
                errors.append(f"node '{nm}': \"attrs\" must be an object")
                attrs = {}
            for a in sorted(set(attrs) - set(defaults)):
                errors.append(f"node '{nm}' ({op}): unknown attribute '{a}'")
            for a, d in defaults.items():
                if d is REQUIRED and a not in attrs:
                    errors.append(f"node '{nm}' ({op}): missing required attribute '{a}'")
            full = {a: attrs.get(a, d) for a, d in defaults.items()}
            params = nd.get("params") or {}
            if not isinstance(params, dict) or not all(
                    isinstance(v, str) for v in params.values()):
                errors.append(f"node '{nm}': \"params\" must map roles to tensor names")
                params = {}
            for role in sorted(set(params) - set(roles)):
                errors.append(f"node '{nm}' ({op}): unknown parameter role '{role}'")
            node = Node(nm, op, list(ins), full, dict(params), i)
            try:
                self._check_attrs(node)
            except ValueError as e:
                errors.append(f"node '{nm}' ({op}): {e}")
            self.nodes.append(node)

        outs = spec.get("outputs")
        if not isinstance(outs, list) or not outs or not all(isinstance(o, str) for o in outs):
            errors.append("\"outputs\" must be a non-empty list of value names")
            outs = []
        self.outputs = list(outs)
        for o in self.outputs:
            if o not in seen:
                errors.append(f"output '{o}' is not an input or node")
        for n in self.nodes:
            for s in n.inputs:
                if s not in seen:
                    errors.append(f"node '{n.name}': input '{s}' is not defined")
        if errors:
            raise ModelError(f"{where}: " + f"\n{where}: ".join(errors))
        self.order = self._toposort()
        self.by_name = {n.name: n for n in self.nodes}

    @staticmethod
    def _check_attrs(n):
        a = n.attrs
        op = n.op
        if op == "conv2d":
            for k in ("out_channels", "groups"):
                if not _is_int(a[k]) or a[k] <= 0:
                    raise ValueError(f"'{k}' must be a positive int")
            _pair(a["kernel"], "kernel"), _pair(a["stride"], "stride")
            _pair(a["dilation"], "dilation"), _pad4(a["padding"])
            if not isinstance(a["bias"], bool):
                raise ValueError("'bias' must be true or false")
        elif op in ("maxpool2d", "avgpool2d"):
            _pair(a["kernel"], "kernel")
            if a["stride"] is not None:
                _pair(a["stride"], "stride")
            _pad4(a["padding"])
            for k in ("ceil_mode", "count_include_pad"):
                if k in a and not isinstance(a[k], bool):
                    raise ValueError(f"'{k}' must be true or false")
        elif op == "batchnorm":
            for k in ("epsilon", "momentum"):
                if isinstance(a[k], bool) or not isinstance(a[k], (int, float)) or a[k] < 0:
                    raise ValueError(f"'{k}' must be a non-negative number")
        elif op == "dense":
            if not _is_int(a["out_features"]) or a["out_features"] <= 0:
                raise ValueError("'out_features' must be a positive int")
            if not isinstance(a["bias"], bool):
                raise ValueError("'bias' must be true or false")
        elif op in ("concat", "softmax"):
            if not _is_int(a["axis"]):
                raise ValueError("'axis' must be an int")
        elif op == "dropout":
            p = a["p"]
            if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1:
                raise ValueError("'p' must be a number in [0, 1)")
        elif op == "channel_shuffle":
            if not _is_int(a["groups"]) or a["groups"] <= 0:
                raise ValueError("'groups' must be a positive int")
        elif op == "slice":
            for k in ("axis", "start", "end"):
                if not _is_int(a[k]):
                    raise ValueError(f"'{k}' must be an int")
        elif op in ("layer_norm", "layer_norm2d"):
            if op == "layer_norm":
                _normalized_shape(a["normalized_shape"])
            if not _is_number(a["eps"]) or a["eps"] < 0:
                raise ValueError("'eps' must be a non-negative number")
            if not isinstance(a["elementwise_affine"], bool):
                raise ValueError("'elementwise_affine' must be true or false")
        elif op == "permute":
            _permutation(a["dims"])
        elif op == "layer_scale":
            if not _is_number(a["init"]):
                raise ValueError("'init' must be a number")
            if not _is_int(a["axis"]):
                raise ValueError("'axis' must be an int")
        elif op == "stochastic_depth":
            p = a["p"]
            if not _is_number(p) or not 0 <= p < 1:
                raise ValueError("'p' must be a number in [0, 1)")
            if a["mode"] not in ("row", "batch"):
                raise ValueError(f"'mode' must be \"row\" or \"batch\", got "
                                 f"{json.dumps(a['mode'])}")
        elif op == "adaptive_avgpool2d":
            _pair(a["output_size"], "output_size")
        elif op == "upsample":
            if (a["size"] is None) == (a["scale_factor"] is None):
                raise ValueError("exactly one of 'size' and 'scale_factor' must be given")
            if a["size"] is not None:
                _pair(a["size"], "size")
            elif not _is_number(a["scale_factor"]) or a["scale_factor"] <= 0:
                raise ValueError("'scale_factor' must be a positive number")
            if a["mode"] not in ("nearest", "bilinear"):
                raise ValueError(f"'mode' must be \"nearest\" or \"bilinear\", got "
                                 f"{json.dumps(a['mode'])}")
            if not isinstance(a["align_corners"], bool):
                raise ValueError("'align_corners' must be true or false")
            if a["align_corners"] and a["mode"] != "bilinear":
                raise ValueError("'align_corners' applies to mode \"bilinear\" only")
        elif op == "conv_transpose2d":
            for k in ("out_channels", "groups"):
                if not _is_int(a[k]) or a[k] <= 0:
                    raise ValueError(f"'{k}' must be a positive int")
            _pair(a["kernel"], "kernel")
            sh, sw = _pair(a["stride"], "stride")
            dh, dw = _pair(a["dilation"], "dilation")
            _pad4(a["padding"])
            oph, opw = _pair(a["output_padding"], "output_padding", positive=False)
            if (oph >= sh and oph >= dh) or (opw >= sw and opw >= dw):
                raise ValueError(f"'output_padding' {json.dumps(a['output_padding'])} must be "
                                 f"smaller than the stride or the dilation")
            if not isinstance(a["bias"], bool):
                raise ValueError("'bias' must be true or false")

    def _toposort(self):
        """Kahn's algorithm; among ready nodes the one listed first goes first."""
        import heapq
        producers = {n.name: n for n in self.nodes}
        indeg = {n.name: 0 for n in self.nodes}
        users = collections.defaultdict(list)
        for n in self.nodes:
            for s in set(n.inputs):
                if s in producers:
                    indeg[n.name] += 1
                    users[s].append(n)
        heap = [(n.index, n.name) for n in self.nodes if indeg[n.name] == 0]
        heapq.heapify(heap)
        order = []
        while heap:
            _, nm = heapq.heappop(heap)
            order.append(producers[nm])
            for u in users[nm]:
                indeg[u.name] -= 1
                if indeg[u.name] == 0:
                    heapq.heappush(heap, (u.index, u.name))
        if len(order) != len(self.nodes):
            stuck = [n.name for n in self.nodes if indeg[n.name] > 0]
            raise ModelError(f"{self.where}: the graph has a cycle through node(s) "
                             + ", ".join(f"'{s}'" for s in stuck))
        return order

    def input_shapes(self, batch=None):
        return {nm: ([batch] + shp[1:] if batch else list(shp)) for nm, shp in self.inputs}

    def weights_path(self):
        return os.path.join(self.base_dir, self.weights) if self.weights else None

    # ------------------------------------------------------------------------------

    def execute(self, inputs, param_fn, keep=()):
        """Run the graph; param_fn(node, role, shape) returns a parameter tensor.
        Returns {name: value} for the model's outputs and the names in `keep`."""
        want = set(self.outputs) | set(keep)
        for k in keep:
            if k not in self.by_name and k not in dict(self.inputs):
                raise ModelError(f"{self.where}: '{k}' is not a value of the model")
        last_use = {}
        for i, n in enumerate(self.order):
            for s in n.inputs:
                last_use[s] = i
        values = dict(inputs)
        for i, n in enumerate(self.order):
            args = [values[s] for s in n.inputs]
            try:
                out = self._run_node(n, args, param_fn)
            except ModelError:
                raise
            except (RuntimeError, ValueError, IndexError) as e:
                msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                raise ModelError(f"{self.where}: node '{n.name}' ({n.op}): {msg}") from None
            values[n.name] = out
            for s in set(n.inputs):
                if last_use.get(s) == i and s not in want:
                    del values[s]
        return {k: values[k] for k in values if k in want}

    def _run_node(self, n, args, param_fn):
        a = n.attrs
        op = n.op
        x = args[0]

        def P(role, shape):
            return param_fn(n, role, list(shape))

        if op == "conv2d":
            if x.dim() != 4:
                raise ValueError(f"expects a 4-D NCHW input, got shape {_shape(x)}")
            C, O, g = x.shape[1], a["out_channels"], a["groups"]
            if C % g or O % g:
                raise ValueError(f"groups={g} must divide the input channels ({C}) "
                                 f"and out_channels ({O})")
            kh, kw = _pair(a["kernel"], "kernel")
            w = P("weight", [O, C // g, kh, kw])
            bias = P("bias", [O]) if a["bias"] else None
            stride, dil = _pair(a["stride"], "stride"), _pair(a["dilation"], "dilation")
            t, l, b, r = _pad4(a["padding"])
            if t == b and l == r:
                return F.conv2d(x, w, bias, stride, (t, l), dil, g)
            return F.conv2d(F.pad(x, (l, r, t, b)), w, bias, stride, 0, dil, g)
        if op in ("maxpool2d", "avgpool2d"):
            return pool2d(x, op[:3], a["kernel"], a["stride"], a["padding"],
                          a["ceil_mode"], a.get("count_include_pad", True))
        if op == "global_avgpool2d":
            if x.dim() != 4:
                raise ValueError(f"expects a 4-D NCHW input, got shape {_shape(x)}")
            return F.adaptive_avg_pool2d(x, 1)
        if op == "batchnorm":
            if x.dim() not in (2, 4):
                raise ValueError(f"expects a 4-D or 2-D input, got shape {_shape(x)}")
            C = x.shape[1]
            w, b = P("weight", [C]), P("bias", [C])
            rm, rv = P("running_mean", [C]), P("running_var", [C])
            return F.batch_norm(x, rm, rv, w, b, False, float(a["momentum"]),
                                float(a["epsilon"]))
        if op == "relu":
            return F.relu(x)
        if op == "relu6":
            return F.relu6(x)
        if op == "sigmoid":
            return torch.sigmoid(x)
        if op == "tanh":
            return torch.tanh(x)
        if op == "silu":
            return F.silu(x)
        if op == "hardswish":
            return F.hardswish(x)
        if op == "hardsigmoid":
            return F.hardsigmoid(x)
        if op == "leaky_relu":
            return F.leaky_relu(x, float(a["negative_slope"]))
        if op == "gelu":
            return F.gelu(x, approximate=a["approximate"])
        if op in ("add", "mul"):
            try:
                torch.broadcast_shapes(args[0].shape, args[1].shape)
            except RuntimeError:
                raise ValueError(f"shapes {_shape(args[0])} and {_shape(args[1])} "
                                 f"do not broadcast") from None
            return args[0] + args[1] if op == "add" else args[0] * args[1]
        if op == "concat":
            r = x.dim()
            ax = _axis(a["axis"], r)
            for y in args[1:]:
                if y.dim() != r or any(y.shape[d] != x.shape[d] for d in range(r) if d != ax):
                    raise ValueError(f"shapes {[_shape(v) for v in args]} do not "
                                     f"concatenate along axis {a['axis']}")
            return torch.cat(args, dim=ax)
        if op == "flatten":
            if x.dim() < 2:
                raise ValueError(f"expects at least 2 dimensions, got shape {_shape(x)}")
            return torch.flatten(x, 1)
        if op == "dense":
            if x.dim() < 2:
                raise ValueError(f"expects an [N, F] or [N, ..., F] input, got shape "
                                 f"{_shape(x)}")
            O = a["out_features"]
            w = P("weight", [O, x.shape[-1]])
            bias = P("bias", [O]) if a["bias"] else None
            return F.linear(x, w, bias)
        if op == "softmax":
            return F.softmax(x, dim=_axis(a["axis"], x.dim()))
        if op == "dropout":
            return x
        if op == "channel_shuffle":
            g = a["groups"]
            if x.dim() < 2 or x.shape[1] % g:
                raise ValueError(f"groups={g} must divide the channels of shape {_shape(x)}")
            N, C = x.shape[0], x.shape[1]
            rest = list(x.shape[2:])
            return x.reshape(N, g, C // g, *rest).transpose(1, 2).reshape(x.shape)
        if op == "slice":
            ax = _axis(a["axis"], x.dim())
            L = x.shape[ax]
            s, e, _ = slice(a["start"], a["end"]).indices(L)
            if e <= s:
                raise ValueError(f"slice [{a['start']}:{a['end']}] of a dimension of "
                                 f"size {L} is empty")
            return x.narrow(ax, s, e - s)
        if op == "layer_norm":
            ns = _normalized_shape(a["normalized_shape"])
            if x.dim() <= len(ns) or _shape(x)[x.dim() - len(ns):] != ns:
                raise ValueError(f"normalized_shape {ns} must be the last dimensions of "
                                 f"the input (not the batch), got shape {_shape(x)}")
            w = b = None
            if a["elementwise_affine"]:
                w, b = P("weight", ns), P("bias", ns)
            return F.layer_norm(x, ns, w, b, float(a["eps"]))
        if op == "layer_norm2d":
            if x.dim() != 4:
                raise ValueError(f"expects a 4-D NCHW input, got shape {_shape(x)}")
            C = x.shape[1]
            w = b = None
            if a["elementwise_affine"]:
                w, b = P("weight", [C]), P("bias", [C])
            y = F.layer_norm(x.permute(0, 2, 3, 1), [C], w, b, float(a["eps"]))
            return y.permute(0, 3, 1, 2)
        if op == "permute":
            dims = _permutation(a["dims"])
            if len(dims) != x.dim():
                raise ValueError(f"dims {dims} must permute all {x.dim()} dimensions of "
                                 f"shape {_shape(x)}")
            return x.permute(dims)
        if op == "layer_scale":
            ax = _axis(a["axis"], x.dim())
            if ax == 0:
                raise ValueError("axis 0 is the batch; layer_scale scales the channels")
            w = P("weight", [x.shape[ax]] + [1] * (x.dim() - 1 - ax))
            return x * w
        if op == "stochastic_depth":
            return x
        if op == "adaptive_avgpool2d":
            if x.dim() != 4:
                raise ValueError(f"expects a 4-D NCHW input, got shape {_shape(x)}")
            return F.adaptive_avg_pool2d(x, _pair(a["output_size"], "output_size"))
        if op == "upsample":
            if x.dim() != 4:
                raise ValueError(f"expects a 4-D NCHW input, got shape {_shape(x)}")
            oh, ow = _upsample_output(x.shape[2:], a["size"], a["scale_factor"])
            if oh < 1 or ow < 1:
                raise ValueError(f"the output size {oh}x{ow} is empty")
            kw = {"align_corners": a["align_corners"]} if a["mode"] == "bilinear" else {}
            if a["size"] is not None:
                return F.interpolate(x, size=(oh, ow), mode=a["mode"], **kw)
            return F.interpolate(x, scale_factor=float(a["scale_factor"]), mode=a["mode"],
                                 recompute_scale_factor=False, **kw)
        if op == "conv_transpose2d":
            if x.dim() != 4:
                raise ValueError(f"expects a 4-D NCHW input, got shape {_shape(x)}")
            C, O, g = x.shape[1], a["out_channels"], a["groups"]
            if C % g or O % g:
                raise ValueError(f"groups={g} must divide the input channels ({C}) "
                                 f"and out_channels ({O})")
            kh, kw = _pair(a["kernel"], "kernel")
            stride, dil = _pair(a["stride"], "stride"), _pair(a["dilation"], "dilation")
            op_ = _pair(a["output_padding"], "output_padding", positive=False)
            pad = _pad4(a["padding"])
            for i, (t, b) in enumerate(((pad[0], pad[2]), (pad[1], pad[3]))):
                full = ((x.shape[2 + i] - 1) * stride[i] + dil[i] * ((kh, kw)[i] - 1) + 1
                        + op_[i])
                if full - t - b < 1:
                    raise ValueError(f"padding {list(pad)} leaves no output of the "
                                     f"transposed convolution's {full} "
                                     f"{'rows' if i == 0 else 'columns'}")
            w = P("weight", [C, O // g, kh, kw])
            bias = P("bias", [O]) if a["bias"] else None
            return conv_transpose2d(x, w, bias, stride, pad, op_, dil, g)
        raise ModelError(f"{self.where}: node '{n.name}': unknown op {op!r}")


def load_model(path):
    if isinstance(path, Model):
        return path
    if isinstance(path, dict):
        return Model(path)
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ModelError(f"{path}: cannot read: {e.strerror}") from None
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as e:
        raise ModelError(f"{path}:{e.lineno}:{e.colno}: JSON syntax error: {e.msg}") from None
    return Model(spec, path)


# ----------------------------------------------------------------------------------
# parameters


def _dict_param_fn(model, weights):
    def get(node, role, shape):
        tn = node.tensor_name(role)
        if tn not in weights:
            raise ModelError(f"{model.where}: node '{node.name}' ({node.op}): parameter "
                             f"'{tn}' ({role}) is missing from the weights")
        t = weights[tn]
        if t.dtype != torch.float32:
            raise ModelError(f"{model.where}: node '{node.name}': parameter '{tn}' has "
                             f"dtype {t.dtype}, expected float32 (F32)")
        if list(t.shape) != shape:
            raise ModelError(f"{model.where}: node '{node.name}': parameter '{tn}' has "
                             f"shape {_shape(t)}, expected {shape}")
        return t
    return get


def param_specs(model_json_path):
    """{tensor name: ParamSpec(node, op, role, shape)} for every parameter the model
    uses, in the order the nodes are listed (shapes inferred by a batch-1 pass)."""
    model = load_model(model_json_path)
    found = {}

    def record(node, role, shape):
        tn = node.tensor_name(role)
        if tn in found and found[tn].shape != shape:
            raise ModelError(f"{model.where}: node '{node.name}': parameter '{tn}' is "
                             f"shared with shape {shape} and {found[tn].shape}")
        found.setdefault(tn, ParamSpec(node.name, node.op, role, shape))
        return torch.zeros(shape)

    inputs = {nm: torch.zeros(shp) for nm, shp in model.input_shapes(batch=1).items()}
    with torch.no_grad():
        model.execute(inputs, record)
    index = {n.name: n.index for n in model.nodes}
    return dict(sorted(found.items(), key=lambda kv: index[kv[1].node]))


def build_params(model_json_path, seed=0, randomize_bn=False):
    """PyTorch-default-initialized parameters for every node, seeded with `seed`:
    conv2d as nn.Conv2d, dense as nn.Linear, conv_transpose2d as nn.ConvTranspose2d
    (kaiming-uniform weight, uniform bias), batchnorm weight 1, bias 0, running_mean 0,
    running_var 1, layer_norm / layer_norm2d weight 1, bias 0, layer_scale weight the
    node's `init`.  With randomize_bn the batchnorm tensors are instead weight ~
    U(0.5, 1.5), bias ~ N(0, 0.1), running_mean ~ N(0, 0.1), running_var ~ U(0.5, 1.5),
    the layer norms' weight ~ U(0.5, 1.5), bias ~ N(0, 0.1), and layer_scale's weight ~
    U(0.5, 1.5) (for tests: none of them the identity or nearly zero).  Nodes are
    initialized in the order the model lists them, from one generator; the caller's
    global RNG state is left as it was."""
    model = load_model(model_json_path)
    specs = param_specs(model)
    by_node = collections.defaultdict(dict)
    for tn, sp in specs.items():
        by_node[sp.node][sp.role] = (tn, sp.shape)
    out = {}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for n in model.nodes:
            roles = by_node.get(n.name)
            if not roles:
                continue
            if n.op == "conv2d":
                O, Cg, kh, kw = roles["weight"][1]
                g = n.attrs["groups"]
                m = nn.Conv2d(Cg * g, O, (kh, kw), groups=g, bias=n.attrs["bias"])
                vals = {"weight": m.weight, "bias": m.bias}
            elif n.op == "dense":
                O, Fin = roles["weight"][1]
                m = nn.Linear(Fin, O, bias=n.attrs["bias"])
                vals = {"weight": m.weight, "bias": m.bias}
            elif n.op == "conv_transpose2d":
                C, Og, kh, kw = roles["weight"][1]
                g = n.attrs["groups"]
                m = nn.ConvTranspose2d(C, Og * g, (kh, kw), groups=g, bias=n.attrs["bias"])
                vals = {"weight": m.weight, "bias": m.bias}
            elif n.op in ("layer_norm", "layer_norm2d"):
                shape = roles["weight"][1]
                if randomize_bn:
                    vals = {"weight": torch.rand(shape) + 0.5,
                            "bias": torch.randn(shape) * 0.1}
                else:
                    vals = {"weight": torch.ones(shape), "bias": torch.zeros(shape)}
            elif n.op == "layer_scale":
                shape = roles["weight"][1]
                if randomize_bn:
                    vals = {"weight": torch.rand(shape) + 0.5}
                else:
                    vals = {"weight": torch.full(shape, float(n.attrs["init"]))}
            elif n.op == "batchnorm":
                C = roles["weight"][1][0]
                if randomize_bn:
                    vals = {"weight": torch.rand(C) + 0.5, "bias": torch.randn(C) * 0.1,
                            "running_mean": torch.randn(C) * 0.1,
                            "running_var": torch.rand(C) + 0.5}
                else:
                    vals = {"weight": torch.ones(C), "bias": torch.zeros(C),
                            "running_mean": torch.zeros(C), "running_var": torch.ones(C)}
            else:
                raise ModelError(f"node '{n.name}': op {n.op} has no parameters")
            for role, (tn, shape) in roles.items():
                if tn not in out:
                    out[tn] = vals[role].detach().clone().float().contiguous()
    return out


# ----------------------------------------------------------------------------------
# running


def run_model(model_json_path, inputs, weights=None, *, outputs=None, batch=None, seed=0):
    """Run the model in eval mode (float32) and return {output name: tensor}.

    inputs: {input name: tensor}; shapes must match the model's except the batch
    dimension (which must equal `batch` when given).  weights: {tensor name: tensor};
    None reads the model's "weights" file, or, when it has none, uses
    build_params(model, seed) with a warning.  outputs: the value names to return
    (default: the model's outputs)."""
    model = load_model(model_json_path)
    if weights is None:
        wp = model.weights_path()
        if wp:
            try:
                weights = safetensors_io.load(wp)
            except (OSError, ValueError) as e:
                raise ModelError(f"{model.where}: cannot read weights {wp}: {e}") from None
        else:
            print(f"warning: {model.where}: no weights; using PyTorch's default "
                  f"initialization with seed {seed}", file=sys.stderr)
            weights = build_params(model, seed)
    feed = {}
    for nm, shp in model.inputs:
        if nm not in inputs:
            raise ModelError(f"{model.where}: input '{nm}' is missing from the inputs")
        t = inputs[nm]
        if not isinstance(t, torch.Tensor):
            t = torch.as_tensor(t)
        if not t.is_floating_point():
            raise ModelError(f"input '{nm}': dtype {t.dtype}, expected float32")
        t = t.detach().to(torch.float32).cpu()
        want = [batch if batch else t.shape[0] if t.dim() else None] + shp[1:]
        if list(t.shape) != want:
            raise ModelError(f"input '{nm}': shape {_shape(t)}, expected "
                             f"{[batch or 'N'] + shp[1:]}")
        feed[nm] = t
    names = list(outputs) if outputs is not None else model.outputs
    with torch.no_grad():
        values = model.execute(feed, _dict_param_fn(model, weights), keep=names)
    return {k: values[k].contiguous() for k in names}


def _summary(name, t):
    line = f"{name}: shape {_shape(t)}"
    if t.dim() == 2:
        print(line)
        k = min(5, t.shape[1])
        vals, idx = t.topk(k, dim=1)
        for i in range(t.shape[0]):
            top = ", ".join(f"{c}:{v:.4f}" for v, c in zip(vals[i].tolist(), idx[i].tolist()))
            print(f"  [{i}] top-{k}: {top}")
    else:
        print(f"{line}, mean {t.mean().item():.6g}, min {t.min().item():.6g}, "
              f"max {t.max().item():.6g}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="cnnc model JSON")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--inputs", help="input tensors (safetensors)")
    src.add_argument("--random-inputs", type=int, metavar="SEED",
                     help="generate inputs with torch.randn seeded with SEED")
    ap.add_argument("--save-inputs", metavar="PATH", help="write the generated inputs")
    ap.add_argument("--weights", help="weights (safetensors), overrides the model's")
    ap.add_argument("--batch", type=int, help="override the batch dimension")
    ap.add_argument("--outputs", help="write the outputs here (safetensors)")
    ap.add_argument("--dump", default="", metavar="NAMES",
                    help="comma-separated intermediate values to write too")
    ap.add_argument("--seed", type=int, default=0,
                    help="seed of the default initialization when there are no weights")
    ap.add_argument("--randomize-bn", action="store_true",
                    help="with the default initialization, randomize batchnorm, layer "
                         "norm and layer_scale tensors")
    args = ap.parse_args(argv)
    if args.save_inputs and args.random_inputs is None:
        ap.error("--save-inputs needs --random-inputs")
    if args.batch is not None and args.batch <= 0:
        ap.error("--batch must be positive")
    try:
        model = load_model(args.model)
        if args.random_inputs is not None:
            gen = torch.Generator().manual_seed(args.random_inputs)
            inputs = {nm: torch.randn(shp, generator=gen)
                      for nm, shp in model.input_shapes(args.batch).items()}
            if args.save_inputs:
                safetensors_io.save(args.save_inputs, inputs)
        else:
            try:
                inputs = safetensors_io.load(args.inputs)
            except (OSError, ValueError) as e:
                raise ModelError(f"cannot read inputs {args.inputs}: {e}") from None
        weights = None
        if args.weights:
            try:
                weights = safetensors_io.load(args.weights)
            except (OSError, ValueError) as e:
                raise ModelError(f"cannot read weights {args.weights}: {e}") from None
        elif not model.weights:
            print(f"warning: {model.where}: no weights; using PyTorch's default "
                  f"initialization with seed {args.seed}", file=sys.stderr)
            weights = build_params(model, args.seed, randomize_bn=args.randomize_bn)
        dump = [s for s in args.dump.split(",") if s]
        names = list(model.outputs) + [d for d in dump if d not in model.outputs]
        outs = run_model(model, inputs, weights, outputs=names, batch=args.batch)
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.outputs:
        safetensors_io.save(args.outputs, outs)
    else:
        for k, v in outs.items():
            _summary(k, v)
    return 0


if __name__ == "__main__":
    sys.exit(main())
