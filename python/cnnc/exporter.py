"""cnnc.exporter (command line: tools/export/cnnc_export.py): turn a PyTorch nn.Module into a cnnc model JSON + safetensors weights.

    cnnc_export.py SPEC OUT.json [--weights OUT.safetensors] [--batch N]
                   [--input-shape 1,3,224,224 ...] [--input-name image] [--name NAME]
                   [--seed S] [--pretrained | --pretrained-off] [--model-kwargs JSON]
                   [--randomize-bn] [--verify]

SPEC is one of

    torchvision:NAME              torchvision.models.NAME(**kwargs), e.g. torchvision:resnet50
    module:FILE.py:NAME           NAME (an nn.Module class or a function returning a module)
                                  from the Python file FILE.py, called with **kwargs
    module:pkg.mod:NAME           the same from an importable module

The module is built under torch.manual_seed(--seed) (default 0) with its own
initialization: torchvision.models.NAME() has random weights, as in torchvision >= 0.13.
--pretrained asks torchvision for its default pretrained weights instead (this may
download them); --pretrained-off (the default) says explicitly that it must not.
--model-kwargs is a JSON object passed to the constructor; for torchvision's googlenet
and inception_v3 the defaults are aux_logits=false, transform_input=false (the auxiliary
classifiers only exist for training).  --randomize-bn gives every batchnorm non-trivial
parameters and running statistics (weight ~ U(0.5, 1.5), bias, running_mean ~ N(0, 0.1),
running_var ~ U(0.5, 1.5), seeded by --seed), which tests use so that batchnorm is not
the identity; layer norms and ConvNeXt's layer scales (1e-6 at initialization) are
randomized too (see randomize_batchnorm).

The module is traced with torch.fx in eval mode (control flow on self.training and
constant attributes is resolved then) and run once on random inputs of --input-shape
(default: the module's `cnnc_input_shape` attribute, else 1,3,224,224; repeat the
option for a module with several inputs; --batch N overrides the first dimension).
Every traced operation is mapped to cnnc ops:

    nn.Conv2d (zeros padding, 'same'/'valid' too) conv2d    nn.ConvTranspose2d conv_transpose2d
    nn.Linear ([N, F], or [N, ..., F] over the last axis as ConvNeXt's MLP)     dense
    nn.BatchNorm2d / nn.BatchNorm1d               batchnorm nn.ReLU, F.relu(_), relu
    nn.ReLU6, F.relu6, nn.Hardtanh(0, 6)          relu6     nn.Sigmoid, sigmoid    sigmoid
    nn.Tanh, tanh                                 tanh      nn.Softmax, softmax    softmax
    nn.SiLU, F.silu                               silu      nn.Hardswish, F.hardswish hardswish
    nn.Hardsigmoid, F.hardsigmoid                 hardsigmoid
    nn.LeakyReLU, F.leaky_relu                    leaky_relu nn.GELU, F.gelu        gelu
    nn.MaxPool2d, F.max_pool2d                    maxpool2d nn.AvgPool2d, F.avg_pool2d avgpool2d
    nn.AdaptiveAvgPool2d / F.adaptive_avg_pool2d: output 1x1 -> global_avgpool2d, output =
        input -> nothing, an output that divides the input -> avgpool2d, any other
        (uneven windows, or larger than the input) -> adaptive_avgpool2d
    nn.AdaptiveMaxPool2d: output = input -> nothing, dividing -> maxpool2d
    nn.Upsample (UpsamplingNearest2d, UpsamplingBilinear2d), F.interpolate: modes
        'nearest' and 'bilinear' (align_corners), NCHW -> upsample with scale_factor (one
        factor, kept as given: PyTorch's source scale is then 1/scale_factor) or size (a
        size given, recompute_scale_factor=True, or two factors that give whole sizes)
    nn.LayerNorm, F.layer_norm (weight and bias parameters, or neither)  layer_norm
    torchvision's LayerNorm2d (ConvNeXt; a leaf of the trace)            layer_norm2d
    parameter [C, 1, ..., 1] (or [C]) * tensor, the parameter read directly as
        ConvNeXt's `self.layer_scale * x`: layer_scale (weight = that parameter)
    torchvision.ops.StochasticDepth / stochastic_depth(training=self.training)
                                                  stochastic_depth (p, mode)
    x.permute, torch.permute, transpose (torchvision's Permute too)      permute
    x.mean((2, 3), keepdim=True) -> global_avgpool2d (keepdim=False: + flatten)
    nn.Dropout, F.dropout(training=False)         dropout   nn.Identity, contiguous  nothing
    nn.Flatten(1), torch.flatten(x, 1), x.view(x.size(0), -1) / reshape     flatten
    torch.cat                                     concat    +, +=, torch.add, add(_) add
    *, *=, torch.mul, mul(_)  (tensor * tensor, NumPy broadcasting; expand(_as) allowed) mul
    chunk, split, narrow, x[:, a:b]               slice     nn.ChannelShuffle,
    view(N, g, C/g, H, W) + transpose(1, 2) + view(N, C, H, W)   channel_shuffle
    x.size(), x.shape, x.dim() and integer arithmetic on them: evaluated at export

A module that returns a dict (torchvision's segmentation models: {"out": ...}) has its
tensors, in the dict's order, as the model's outputs.

Anything else (nn.GroupNorm, uneven nn.AdaptiveMaxPool2d, F.interpolate's 'bicubic' and
antialias, a reshape that is not one of the above, a parameter or tensor used as a
constant other than a layer_scale, arithmetic with a Python number, ...) is refused: the
exporter lists every module, function and method it cannot map, with the traced nodes
where each occurs, and exits with status 1 (ExportError from the Python API).

Names: a call of a submodule is named by its path in the module (torch.fx's target,
e.g. layer1.0.conv1), so its tensors are the state_dict entries <node>.<role>
(layer1.0.conv1.weight, layer1.0.bn1.running_mean) and the state_dict loads as it is.
A module called a second time gets the suffix _1, _2, ... and a "params" map to the
first call's tensors.  Other operations are named <path of the module whose forward
made them>.<op> (layer1.0.add, features.denseblock1.cat, stage2.0.channel_shuffle), made
unique the same way.  The weights file holds exactly the state_dict tensors that nodes
use, as F32 (num_batches_tracked and the like are left out).  The JSON's "weights" is
the weights file relative to the JSON (only when --weights is given).

--verify runs the exported JSON with tools/torch_reference.py and checks it against the
module itself on random inputs (max|diff| <= 1e-5 * max(1, max|ref|)).

Works with Debian's torch 1.13 (/usr/bin/python3) and newer torch alike.

Python API:

    build_module(spec, seed=0, pretrained=False, kwargs=None) -> (module, name, input_shape)
    randomize_batchnorm(module, seed)
    export(module, input_shapes, name="model", input_names=None)
        -> (model dict, {tensor name: F32 tensor})
    dumps(model dict) -> JSON text (one node per line)
    ExportError
"""

import argparse
import collections
import dis
import importlib
import importlib.util
import inspect
import json
import math
import operator
import os
import sys

import torch
import torch.fx
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
# cnnc's source tree (tools/torch_reference.py, for verify); absent in an install.
TOOLS = os.path.normpath(os.path.join(HERE, "..", "..", "tools"))

__all__ = ["ExportError", "build_module", "randomize_batchnorm", "export", "dumps",
           "trace", "save_weights"]


class ExportError(Exception):
    """The module cannot be exported (the message lists every reason)."""


# ----------------------------------------------------------------------------------
# building the module


# constructor defaults for torchvision models whose training-only parts would otherwise
# be exported (parameters the eval graph never uses) or whose input is transformed
TORCHVISION_DEFAULTS = {
    "googlenet": {"aux_logits": False, "transform_input": False, "init_weights": True},
    "inception_v3": {"aux_logits": False, "transform_input": False, "init_weights": True},
}


def _load_python(path_or_module, attr):
    if path_or_module.endswith(".py") or os.path.sep in path_or_module:
        path = os.path.abspath(path_or_module)
        if not os.path.exists(path):
            raise ExportError(f"module file {path_or_module} does not exist")
        modname = "cnnc_export_user_" + os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(modname, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[modname] = mod
        d = os.path.dirname(path)
        sys.path.insert(0, d)
        try:
            spec.loader.exec_module(mod)
        finally:
            if sys.path and sys.path[0] == d:
                sys.path.pop(0)
    else:
        mod = importlib.import_module(path_or_module)
    if not hasattr(mod, attr):
        raise ExportError(f"{path_or_module} has no attribute '{attr}'")
    return getattr(mod, attr)


def build_module(spec, seed=0, pretrained=False, kwargs=None):
    """Build the module a SPEC names (see the module docstring), seeded with `seed`
    (the caller's global RNG state is left as it was).  Returns (module in eval mode,
    model name, default input shape)."""
    kwargs = dict(kwargs or {})
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if spec.startswith("torchvision:"):
            import torchvision
            name = spec[len("torchvision:"):]
            ctor = getattr(torchvision.models, name, None)
            if ctor is None or not callable(ctor) or name.startswith("_"):
                raise ExportError(f"torchvision.models has no model '{name}'")
            kw = dict(TORCHVISION_DEFAULTS.get(name, {}))
            kw.update(kwargs)
            if pretrained:
                kw["weights"] = "DEFAULT"
                kw.pop("init_weights", None)
            module = ctor(**kw)
            shape = [1, 3, 299, 299] if name == "inception_v3" else [1, 3, 224, 224]
        elif spec.startswith("module:"):
            rest = spec[len("module:"):]
            if ":" not in rest:
                raise ExportError(f"'{spec}': expected module:FILE.py:NAME or "
                                  f"module:pkg.mod:NAME")
            where, attr = rest.rsplit(":", 1)
            obj = _load_python(where, attr)
            if pretrained:
                raise ExportError("--pretrained applies to torchvision models only")
            module = obj(**kwargs) if callable(obj) and not isinstance(obj, nn.Module) \
                else obj
            name = attr.lower()
            shape = None
        else:
            raise ExportError(f"'{spec}': expected torchvision:NAME or "
                              f"module:FILE.py:NAME")
    if not isinstance(module, nn.Module):
        raise ExportError(f"'{spec}' did not give an nn.Module (got {type(module).__name__})")
    if shape is None:
        shape = list(getattr(module, "cnnc_input_shape", None) or [1, 3, 224, 224])
    module.eval()
    return module, name, list(shape)


def randomize_batchnorm(module, seed):
    """Non-trivial batchnorm parameters and statistics, in module order, seeded; layer
    norms (nn.LayerNorm and its subclasses, ConvNeXt's LayerNorm2d) get weight ~
    U(0.5, 1.5), bias ~ N(0, 0.1), and a layer scale (a parameter named layer_scale,
    as in ConvNeXt's blocks, initialized to 1e-6) ~ U(0.5, 1.5), so that neither is the
    identity nor nearly zero."""
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                C = m.num_features
                if m.affine:
                    m.weight.copy_(torch.rand(C, generator=gen) + 0.5)
                    m.bias.copy_(torch.randn(C, generator=gen) * 0.1)
                if m.track_running_stats:
                    m.running_mean.copy_(torch.randn(C, generator=gen) * 0.1)
                    m.running_var.copy_(torch.rand(C, generator=gen) + 0.5)
            elif isinstance(m, nn.LayerNorm) and m.elementwise_affine:
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                if getattr(m, "bias", None) is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
            ls = m._parameters.get("layer_scale") if hasattr(m, "_parameters") else None
            if ls is not None:
                ls.copy_(torch.rand(ls.shape, generator=gen) + 0.5)


# ----------------------------------------------------------------------------------
# tracing


def _torchvision_parts():
    """(torchvision.ops.stochastic_depth, torchvision's LayerNorm2d), each None when
    torchvision is not loaded (a module that does not import it uses neither)."""
    if "torchvision" not in sys.modules:
        return None, None
    sd = ln2d = None
    try:
        from torchvision.ops import stochastic_depth as sd
    except ImportError:
        pass
    try:
        from torchvision.models.convnext import LayerNorm2d as ln2d
    except ImportError:
        pass
    return sd, ln2d


class _ScopeTracer(torch.fx.Tracer):
    """torch.fx's tracer that also records, for every node, the path of the module
    whose forward created it (node.meta["cnnc_scope"]).  torchvision's LayerNorm2d is
    a leaf (one layer_norm2d), and torchvision.ops.stochastic_depth stays a call
    (torchvision wraps it for torch.fx; this also wraps it where the traced module's
    own file imported it)."""

    def __init__(self):
        sd, self._ln2d = _torchvision_parts()
        super().__init__(autowrap_functions=(sd,) if sd is not None else ())
        self._scope = [""]
        self._scope_cls = [None]
        self.failed_in = None

    def is_leaf_module(self, m, qualname):
        if self._ln2d is not None and isinstance(m, self._ln2d) and \
                type(m).forward is self._ln2d.forward:
            return True
        return super().is_leaf_module(m, qualname)

    def call_module(self, m, forward, args, kwargs):
        try:
            path = self.path_of_module(m)
        except NameError:
            path = self._scope[-1]
        self._scope.append(path)
        self._scope_cls.append(type(m))
        try:
            return super().call_module(m, forward, args, kwargs)
        except Exception:
            if self.failed_in is None:
                self.failed_in = path
            raise
        finally:
            self._scope.pop()
            self._scope_cls.pop()

    def create_node(self, kind, target, args, kwargs, name=None, type_expr=None):
        node = super().create_node(kind, target, args, kwargs, name, type_expr)
        node.meta["cnnc_scope"] = self._scope[-1]
        node.meta["cnnc_scope_class"] = self._scope_cls[-1]
        return node


def _proxy_iter(self):
    """Proxy.__iter__ for `a, b = proxy` (x.size(), chunk, split): torch 1.13 finds
    the UNPACK_SEQUENCE by an instruction index that is wrong on Python >= 3.11 (and may
    raise IndexError); this finds it by its byte offset, as newer torch does."""
    frame = inspect.currentframe()
    caller = frame.f_back if frame is not None else None
    if caller is not None:
        for inst in dis.get_instructions(caller.f_code):
            if inst.offset == caller.f_lasti:
                if inst.opname == "UNPACK_SEQUENCE":
                    return (self[i] for i in range(inst.argval))
                break
    return self.tracer.iter(self)


def trace(module):
    """torch.fx GraphModule of `module` (in eval mode), nodes tagged with their scope."""
    module.eval()
    tracer = _ScopeTracer()
    Proxy = torch.fx.proxy.Proxy
    saved_iter = Proxy.__iter__
    Proxy.__iter__ = _proxy_iter
    try:
        graph = tracer.trace(module)
    except Exception as e:  # TraceError, NotImplementedError, TypeError, ...
        where = f"'{tracer.failed_in}'" if tracer.failed_in else "the top-level module"
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ExportError(f"torch.fx cannot trace the module (in the forward of "
                          f"{where}): {type(e).__name__}: {msg}\n  (data-dependent "
                          f"control flow or a Python operation on a traced tensor; "
                          f"cnnc models are static graphs)") from None
    finally:
        Proxy.__iter__ = saved_iter
    name = getattr(module, "__class__", type(module)).__name__
    return torch.fx.GraphModule(tracer.root, graph, name)


class _TMeta:
    """Shape (and dtype) of a tensor the module computed."""
    __slots__ = ("shape", "dtype")

    def __init__(self, t):
        self.shape = tuple(int(d) for d in t.shape)
        self.dtype = t.dtype

    def __repr__(self):
        return f"T{list(self.shape)}"


def _summarize(v):
    if isinstance(v, torch.Tensor):
        return _TMeta(v)
    if isinstance(v, torch.Size):
        return tuple(int(d) for d in v)
    if isinstance(v, (list, tuple)):
        return type(v)(_summarize(e) for e in v) if not hasattr(v, "_fields") \
            else tuple(_summarize(e) for e in v)
    if isinstance(v, dict):
        return {k: _summarize(e) for k, e in v.items()}
    return v


def _has_tensor(v):
    if isinstance(v, _TMeta):
        return True
    if isinstance(v, (list, tuple)):
        return any(_has_tensor(e) for e in v)
    if isinstance(v, dict):
        return any(_has_tensor(e) for e in v.values())
    return False


class _Recorder(torch.fx.Interpreter):
    def __init__(self, gm):
        super().__init__(gm)
        self.meta = {}

    def run_node(self, n):
        out = super().run_node(n)
        self.meta[n] = _summarize(out)
        return out


# ----------------------------------------------------------------------------------
# symbolic values


class Val:
    """A cnnc value: a model input or a node's output."""
    __slots__ = ("name", "shape")

    def __init__(self, name, shape):
        self.name, self.shape = name, tuple(shape)


class Const:
    """A Python value computed at export time (sizes and arithmetic on them)."""
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class Seq:
    """A tuple of values (chunk / split)."""
    __slots__ = ("items",)

    def __init__(self, items):
        self.items = list(items)


class Shuffle5:
    """x.view(N, g, C/g, H, W) (transposed: and then .transpose(1, 2))."""
    __slots__ = ("src", "groups", "transposed")

    def __init__(self, src, groups, transposed):
        self.src, self.groups, self.transposed = src, groups, transposed


class Expanded:
    """x.expand(...) / x.expand_as(y): only add and mul may use it (they broadcast)."""
    __slots__ = ("val",)

    def __init__(self, val):
        self.val = val


class ParamRef:
    """A parameter read directly (an fx get_attr): the weight of a layer_scale (ConvNeXt's
    `self.layer_scale * x`) or of F.layer_norm's weight and bias."""
    __slots__ = ("target", "shape")

    def __init__(self, target, shape):
        self.target, self.shape = target, tuple(shape)


class Unknown:
    """The result of an operation that was refused."""


UNKNOWN = Unknown()


class _Refuse(Exception):
    """An operation that has a handler but cannot be mapped as called."""


def _qualname(obj):
    mod = getattr(obj, "__module__", None) or ""
    nm = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)
    if mod in ("_operator", "operator"):
        return f"operator.{nm}"
    if mod.startswith("torch.nn.modules"):
        return f"torch.nn.{nm}"
    if mod == "torch._C._nn":
        mod = "torch.nn.functional"
    if mod in ("torch._C._VariableFunctions", "torch._C", ""):
        mod = "torch"
    return f"{mod}.{nm}" if mod else nm


def _pair_attr(v):
    """int or [h, w] as cnnc writes it (an int when both agree)."""
    if isinstance(v, int):
        return v
    v = [int(e) for e in v]
    if len(v) == 1:
        return v[0]
    return v[0] if v[0] == v[1] else v


def _as_pair(v):
    if isinstance(v, int):
        return (v, v)
    v = tuple(int(e) for e in v)
    return v if len(v) == 2 else (v[0], v[0])


def _pad_attr(t, l, b, r):
    if t == b and l == r:
        return t if t == l else [t, l]
    return [t, l, b, r]


def _layer_scale_axis(pshape, xshape):
    """The axis a parameter of shape [C, 1, ..., 1] ([C] for the last axis) scales in
    a value of shape xshape, or None (the batch axis, or a shape that is not that)."""
    pshape, xshape = tuple(pshape), tuple(xshape)
    if not pshape or len(pshape) >= len(xshape) or any(d != 1 for d in pshape[1:]):
        return None
    ax = len(xshape) - len(pshape)
    return ax if xshape[ax] == pshape[0] else None


def _broadcast_ok(a, b):
    for x, y in zip(reversed(a), reversed(b)):
        if x != y and x != 1 and y != 1:
            return False
    return True


# ----------------------------------------------------------------------------------
# the translation


class _Exporter:
    def __init__(self, gm, meta, input_names):
        self.gm = gm
        self.meta = meta
        self.input_names = input_names
        self.nodes = []            # cnnc node dicts, in graph order
        self.shapes = {}           # value name -> shape
        self.taken = set()
        self.errors = collections.OrderedDict()  # (what, reason) -> [fx node names]
        self.module_calls = collections.Counter()
        self.param_src = {}        # cnnc node name -> {role: state_dict key}
        self.live = set()          # fx nodes the outputs depend on
        self.param_names = {k for k, _ in gm.named_parameters()} | \
            {k for k, _ in gm.named_buffers()}
        self.env = {}
        self._build_tables()

    # -- names ---------------------------------------------------------------------

    def _reserve(self, base):
        name, k = base, 0
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.taken.add(name)
        return name

    def _func_name(self, node, op):
        scope = node.meta.get("cnnc_scope", "")
        return self._reserve(f"{scope}.{op}" if scope else op)

    # -- errors --------------------------------------------------------------------

    def _refuse(self, node, what, reason):
        self.errors.setdefault((what, reason), []).append(node.name if node.op != "call_module"
                                                          else str(node.target))

    def _what(self, node):
        if node.op == "call_module":
            return f"module {_qualname(type(self.gm.get_submodule(node.target)))}"
        if node.op == "call_method":
            return f"method Tensor.{node.target}"
        if node.op == "call_function":
            return f"function {_qualname(node.target)}"
        return f"{node.op} {node.target}"

    # -- emitting ------------------------------------------------------------------

    def emit(self, name, op, inputs, attrs, shape, params=None):
        for v in inputs:
            assert isinstance(v, Val), v
        nd = {"name": name, "op": op, "inputs": [v.name for v in inputs]}
        if attrs:
            nd["attrs"] = attrs
        if params:
            nd["params"] = params
        self.nodes.append(nd)
        self.shapes[name] = tuple(shape)
        return Val(name, shape)

    def out_shape(self, node):
        m = self.meta.get(node)
        if not isinstance(m, _TMeta):
            raise _Refuse(f"does not give one tensor ({m!r})")
        return m.shape

    # -- argument resolution ---------------------------------------------------------

    def resolve(self, a):
        if isinstance(a, torch.fx.Node):
            return self.env.get(a, UNKNOWN)
        if isinstance(a, (list, tuple)):
            return type(a)(self.resolve(e) for e in a) if not hasattr(a, "_fields") \
                else tuple(self.resolve(e) for e in a)
        if isinstance(a, dict):
            return {k: self.resolve(v) for k, v in a.items()}
        if isinstance(a, slice):
            return slice(self.resolve(a.start), self.resolve(a.stop), self.resolve(a.step))
        return Const(a)

    @staticmethod
    def _contains(v, kinds):
        if isinstance(v, kinds):
            return True
        if isinstance(v, (list, tuple)):
            return any(_Exporter._contains(e, kinds) for e in v)
        if isinstance(v, dict):
            return any(_Exporter._contains(e, kinds) for e in v.values())
        if isinstance(v, slice):
            return any(_Exporter._contains(e, kinds) for e in (v.start, v.stop, v.step))
        return False

    @staticmethod
    def value(v):
        """Const (possibly nested) -> Python value; raises _Refuse on tensors."""
        if isinstance(v, Const):
            return v.value
        if isinstance(v, (list, tuple)):
            return type(v)(_Exporter.value(e) for e in v)
        if isinstance(v, slice):
            return slice(_Exporter.value(v.start), _Exporter.value(v.stop),
                         _Exporter.value(v.step))
        if isinstance(v, dict):
            return {k: _Exporter.value(e) for k, e in v.items()}
        raise _Refuse("a tensor where cnnc needs a constant")

    @staticmethod
    def bind(node, names):
        """Positional + keyword arguments of a call, by parameter names
        ([(name, default)], the first being the tensor for methods)."""
        got = {}
        for i, (nm, df) in enumerate(names):
            if i < len(node.args):
                got[nm] = node.args[i]
            elif nm in node.kwargs:
                got[nm] = node.kwargs[nm]
            else:
                got[nm] = df
        known = {nm for nm, _ in names}
        extra = [k for k in node.kwargs if k not in known]
        if len(node.args) > len(names) or extra:
            raise _Refuse("called with arguments the exporter does not know: "
                          + ", ".join(extra or [f"{len(node.args)} positional"]))
        return got

    def tensor(self, sym, what="input"):
        if isinstance(sym, Val):
            return sym
        if isinstance(sym, Expanded):
            raise _Refuse(f"its {what} is an expand()ed tensor (only add and mul "
                          f"may use one)")
        if isinstance(sym, Shuffle5):
            raise _Refuse(f"its {what} is a rank-5 view that is not a channel shuffle")
        if isinstance(sym, Const):
            raise _Refuse(f"its {what} is a Python value, not a tensor")
        raise _Refuse(f"its {what} is not a tensor")

    # -- tables ----------------------------------------------------------------------

    def _build_tables(self):
        M = {}
        M[nn.Conv2d] = self.m_conv
        M[nn.ConvTranspose2d] = self.m_conv_transpose
        M[nn.Linear] = self.m_linear
        M[nn.LayerNorm] = self.m_layer_norm
        sd, ln2d = _torchvision_parts()
        if ln2d is not None:
            M[ln2d] = self.m_layer_norm2d
        M[nn.Upsample] = self.m_upsample
        M[nn.BatchNorm2d] = self.m_batchnorm
        M[nn.BatchNorm1d] = self.m_batchnorm
        M[nn.ReLU] = lambda n, m, x, name: self.unary(n, "relu", x, name)
        M[nn.ReLU6] = lambda n, m, x, name: self.unary(n, "relu6", x, name)
        M[nn.Sigmoid] = lambda n, m, x, name: self.unary(n, "sigmoid", x, name)
        M[nn.Tanh] = lambda n, m, x, name: self.unary(n, "tanh", x, name)
        M[nn.Hardtanh] = self.m_hardtanh
        M[nn.SiLU] = lambda n, m, x, name: self.unary(n, "silu", x, name)
        M[nn.Hardswish] = lambda n, m, x, name: self.unary(n, "hardswish", x, name)
        M[nn.Hardsigmoid] = lambda n, m, x, name: self.unary(n, "hardsigmoid", x, name)
        M[nn.LeakyReLU] = lambda n, m, x, name: self.emit(
            name, "leaky_relu", [x], {"negative_slope": float(m.negative_slope)}, x.shape)
        M[nn.GELU] = lambda n, m, x, name: self.emit(
            name, "gelu", [x], {"approximate": getattr(m, "approximate", "none")}, x.shape)
        M[nn.MaxPool2d] = self.m_maxpool
        M[nn.AvgPool2d] = self.m_avgpool
        M[nn.AdaptiveAvgPool2d] = lambda n, m, x, name: self.adaptive_pool(
            n, x, m.output_size, "avg", name)
        M[nn.AdaptiveMaxPool2d] = self.m_adaptive_max
        M[nn.Dropout] = lambda n, m, x, name: self.emit(
            name, "dropout", [x], self._dropout_attrs(m.p), x.shape)
        M[nn.Identity] = lambda n, m, x, name: x
        M[nn.Flatten] = self.m_flatten
        M[nn.Softmax] = lambda n, m, x, name: self.softmax(n, x, m.dim, name)
        if hasattr(nn, "ChannelShuffle"):
            M[nn.ChannelShuffle] = lambda n, m, x, name: self.channel_shuffle(
                n, x, m.groups, name)
        self.module_handlers = M

        def fn(*names):
            return [getattr(ns, nm) for nm in names for ns in (torch, F)
                    if hasattr(ns, nm)]

        Fh = {}

        def reg(objs, h):
            for o in objs:
                Fh[o] = h

        reg([operator.add, operator.iadd, torch.add], self.f_add)
        reg([operator.mul, operator.imul, torch.mul], self.f_mul)
        reg([torch.cat] + ([torch.concat] if hasattr(torch, "concat") else []), self.f_cat)
        reg([torch.flatten], self.f_flatten)
        reg([F.relu, torch.relu] + ([F.relu_] if hasattr(F, "relu_") else [])
            + ([torch.relu_] if hasattr(torch, "relu_") else []), self.f_relu)
        reg([F.relu6], self.f_relu6)
        reg([F.hardtanh], self.f_hardtanh)
        reg([torch.sigmoid, F.sigmoid], lambda n: self.f_unary(n, "sigmoid"))
        reg([torch.tanh, F.tanh], lambda n: self.f_unary(n, "tanh"))
        reg([F.silu], lambda n: self.f_unary(n, "silu"))
        reg([F.hardswish], lambda n: self.f_unary(n, "hardswish"))
        reg([F.hardsigmoid], lambda n: self.f_unary(n, "hardsigmoid"))
        reg([F.leaky_relu], self.f_leaky_relu)
        reg([F.gelu], self.f_gelu)
        reg([F.softmax, torch.softmax], self.f_softmax)
        reg([F.dropout], self.f_dropout)
        reg([F.adaptive_avg_pool2d], self.f_adaptive_avg)
        reg([F.layer_norm], self.f_layer_norm)
        reg([F.interpolate], self.f_interpolate)
        if sd is not None:
            reg([sd], self.f_stochastic_depth)
        reg([F.avg_pool2d], self.f_avg_pool)
        reg([F.max_pool2d], self.f_max_pool)
        reg([torch.mean], self.f_mean)
        reg([torch.chunk], self.f_chunk)
        reg([torch.split], self.f_split)
        reg([torch.narrow], self.f_narrow)
        reg([operator.getitem], self.f_getitem)
        reg([torch.reshape], self.f_reshape)
        reg([torch.transpose], self.f_transpose)
        reg([torch.permute] if hasattr(torch, "permute") else [], self.f_permute)
        reg([torch.clone], lambda n: self.alias(n))
        reg(fn("channel_shuffle", "native_channel_shuffle"), self.f_channel_shuffle)
        self.function_handlers = Fh

        self.method_handlers = {
            "add": self.f_add, "add_": self.f_add, "__iadd__": self.f_add,
            "mul": self.f_mul, "mul_": self.f_mul, "__imul__": self.f_mul,
            "flatten": self.f_flatten,
            "relu": self.f_relu, "relu_": self.f_relu,
            "sigmoid": lambda n: self.f_unary(n, "sigmoid"),
            "sigmoid_": lambda n: self.f_unary(n, "sigmoid"),
            "tanh": lambda n: self.f_unary(n, "tanh"),
            "tanh_": lambda n: self.f_unary(n, "tanh"),
            "softmax": self.f_softmax,
            "mean": self.f_mean,
            "chunk": self.f_chunk, "split": self.f_split, "narrow": self.f_narrow,
            "view": self.f_view, "reshape": self.f_view,
            "transpose": self.f_transpose, "permute": self.f_permute,
            "contiguous": self.alias, "clone": self.alias, "detach": self.alias,
            "expand": self.f_expand, "expand_as": self.f_expand,
            "size": self.f_const, "dim": self.f_const, "numel": self.f_const,
        }

    # -- the walk --------------------------------------------------------------------

    def run(self):
        graph = self.gm.graph
        # liveness: an fx node matters only if the output depends on it
        live = set()
        out_node = None
        for n in reversed(list(graph.nodes)):
            if n.op == "output":
                out_node = n
                live.add(n)
            if n in live:
                for a in n.all_input_nodes:
                    live.add(a)
        self.live = live
        self._check_inplace(graph, live)
        # module targets are reserved first so that op names never take them
        for n in graph.nodes:
            if n.op == "call_module":
                self.taken.add(str(n.target))
        for nm in self.input_names:
            self.taken.add(nm)

        inputs = []
        k = 0
        for n in graph.nodes:
            if n.op == "placeholder":
                m = self.meta.get(n)
                if not isinstance(m, _TMeta):
                    self._refuse(n, f"input {n.target}", "is not a tensor")
                    self.env[n] = UNKNOWN
                    continue
                nm = self.input_names[k]
                k += 1
                self.env[n] = Val(nm, m.shape)
                self.shapes[nm] = m.shape
                inputs.append({"name": nm, "shape": list(m.shape)})
                continue
            if n.op == "output" or n not in live:
                continue
            try:
                self.env[n] = self.visit(n)
            except _Refuse as e:
                self._refuse(n, self._what(n), str(e))
                self.env[n] = self._poison(n)

        outs = []

        def collect(v):
            if isinstance(v, Val):
                outs.append(v.name)
            elif isinstance(v, (list, tuple)):
                for e in v:
                    collect(e)
            elif isinstance(v, dict):
                for e in v.values():
                    collect(e)
            elif isinstance(v, Seq):
                for e in v.items:
                    collect(e)
            elif isinstance(v, Unknown):
                pass
            else:
                self._refuse(out_node, "output", "the module returns something other "
                             "than tensors (or a view cnnc cannot express)")
        collect(self.resolve(out_node.args[0]))
        outs = list(dict.fromkeys(outs))
        if not outs and not self.errors:
            self._refuse(out_node, "output", "the module returns no tensor")
        self._raise_errors()
        self._prune(outs)
        return inputs, outs

    def _poison(self, n):
        """A stand-in for the result of a refused node, shaped as the module computed
        it, so that the nodes after it are still checked (and refused if need be)."""
        def mk(m, suffix=""):
            if isinstance(m, _TMeta):
                return Val(f"?{n.name}{suffix}", m.shape)
            if isinstance(m, (list, tuple)) and m and all(isinstance(e, _TMeta) for e in m):
                return Seq(mk(e, f".{i}") for i, e in enumerate(m))
            return UNKNOWN
        return mk(self.meta.get(n))

    def _raise_errors(self):
        if not self.errors:
            return
        lines = []
        nops = sum(len(v) for v in self.errors.values())
        for (what, reason), where in self.errors.items():
            shown = ", ".join(where[:8]) + (f", ... ({len(where)} in all)"
                                            if len(where) > 8 else "")
            lines.append(f"  {what}: {reason}\n      at: {shown}")
        kinds = sorted({w for w, _ in self.errors})
        raise ExportError(
            f"{len(kinds)} kind(s) of operation ({nops} node(s)) cannot be mapped to "
            f"cnnc ops:\n" + "\n".join(lines))

    def _prune(self, outs):
        need = set(outs)
        keep = []
        for nd in reversed(self.nodes):
            if nd["name"] in need:
                keep.append(nd)
                need.update(nd["inputs"])
        self.nodes = list(reversed(keep))

    @staticmethod
    def _is_inplace(gm, n):
        if n.op == "call_method":
            return n.target.endswith("_") and not n.target.endswith("__") or \
                n.target in ("__iadd__", "__imul__")
        if n.op == "call_function":
            if n.target in (operator.iadd, operator.imul, operator.isub,
                            operator.itruediv):
                return True
            if n.kwargs.get("inplace") is True:
                return True
            nm = getattr(n.target, "__name__", "")
            return nm.endswith("_") and not nm.endswith("__")
        if n.op == "call_module":
            m = gm.get_submodule(n.target)
            return getattr(m, "inplace", False) is True and not isinstance(
                m, (nn.Dropout,))
        return False

    def _check_inplace(self, graph, live):
        order = {n: i for i, n in enumerate(graph.nodes)}
        for n in graph.nodes:
            if not self._is_inplace(self.gm, n) or not n.args:
                continue
            a = n.args[0]
            if not isinstance(a, torch.fx.Node):
                continue
            if n not in live and any(u in live for u in a.users):
                self._refuse(n, self._what(n), "an in-place operation whose result is "
                             "unused: torch.fx does not follow the mutation")
                continue
            later = [u for u in a.users if u is not n and u in live
                     and order[u] > order[n]]
            if n in live and later:
                self._refuse(n, self._what(n), f"modifies '{a.name}' in place, which "
                             f"is used again later ({later[0].name}): torch.fx does "
                             f"not follow the mutation")

    def visit(self, n):
        if n.op == "get_attr":
            ref = self._param_ref(n)
            if ref is None:
                raise _Refuse("a parameter or buffer used directly as a tensor (cnnc has "
                              "no constants; use a module such as nn.Conv2d; a parameter "
                              "of shape [C, 1, ..., 1] times a tensor is a layer_scale)")
            return ref
        if n.op == "call_module":
            m = self.gm.get_submodule(n.target)
            h = None
            for cls in type(m).__mro__:
                if cls in self.module_handlers:
                    if cls is type(m) or type(m).forward is cls.forward:
                        h = self.module_handlers[cls]
                    break
            if h is None:
                raise _Refuse("no cnnc equivalent")
            if n.kwargs or len(n.args) != 1:
                raise _Refuse("called with more than one argument")
            x = self.resolve(n.args[0])
            if isinstance(x, Unknown):
                return UNKNOWN
            x = self.tensor(x)
            self.module_calls[n.target] += 1
            return h(n, m, x, self._module_node_name(n))
        if n.op == "call_function":
            h = self.function_handlers.get(n.target)
        elif n.op == "call_method":
            h = self.method_handlers.get(n.target)
        else:
            raise _Refuse("unexpected node")
        args = self.resolve((list(n.args), dict(n.kwargs)))
        if self._contains(args, Unknown):
            if h is None and not self._const_ok(n, args):
                raise _Refuse("no cnnc equivalent")
            return UNKNOWN
        if self._const_ok(n, args):
            return Const(self.meta.get(n))
        if h is None:
            raise _Refuse("no cnnc equivalent")
        return h(n)

    SHAPE_QUERIES = {"size", "dim", "numel"}

    MUL_TARGETS = (operator.mul, torch.mul)

    def _param_ref(self, n):
        """A ParamRef for a get_attr node whose every live use is a layer_scale (a mul
        with a tensor it scales per channel), F.layer_norm's weight or bias, or a shape
        query; None otherwise (the parameter is refused as a constant)."""
        target = str(n.target)
        m = self.meta.get(n)
        if target not in self.param_names or not isinstance(m, _TMeta):
            return None
        for u in n.users:
            if u not in self.live:
                continue
            res = self.meta.get(u)
            if not isinstance(res, _TMeta):
                if (u.op == "call_method" and u.target in self.SHAPE_QUERIES) or (
                        u.op == "call_function" and u.target is getattr):
                    continue
                return None
            is_mul = (u.op == "call_function" and u.target in self.MUL_TARGETS) or \
                (u.op == "call_method" and u.target == "mul")
            if is_mul and len(u.args) == 2 and not u.kwargs and n in u.args:
                other = u.args[1] if u.args[0] is n else u.args[0]
                om = self.meta.get(other) if isinstance(other, torch.fx.Node) else None
                if isinstance(om, _TMeta) and \
                        _layer_scale_axis(m.shape, om.shape) is not None:
                    continue
                return None
            if u.op == "call_function" and u.target is F.layer_norm:
                pos = [i for i, a in enumerate(u.args) if a is n]
                kws = [k for k, a in u.kwargs.items() if a is n]
                if all(i in (2, 3) for i in pos) and all(k in ("weight", "bias")
                                                         for k in kws):
                    continue
            return None
        return ParamRef(target, m.shape)

    def _const_ok(self, n, args):
        """An operation on Python values, or a shape query: evaluated at export."""
        res = self.meta.get(n)
        if _has_tensor(res):
            return False
        if not self._contains(args, (Val, Seq, Shuffle5, Expanded, Unknown, ParamRef)):
            return True
        if n.op == "call_method" and n.target in self.SHAPE_QUERIES:
            return True
        if n.op == "call_function" and n.target is getattr and len(n.args) > 1 and \
                n.args[1] in ("shape", "ndim"):
            return True
        if n.op == "call_function" and n.target is operator.getitem and \
                isinstance(self.resolve(n.args[0]), Const):
            return True
        return False

    def _module_node_name(self, n):
        t = str(n.target)
        if self.module_calls[t] == 1:
            return t
        return self._reserve(f"{t}_{self.module_calls[t] - 1}")

    def _param_map(self, name, target, roles):
        """The parameters of a module call: <module path>.<role>."""
        return self._param_keys(name, {r: f"{target}.{r}" for r in roles})

    def _param_keys(self, name, keys):
        """Records {role: state_dict key} for node `name`; returns its "params" map
        (None when every key is <name>.<role>)."""
        self.param_src[name] = dict(keys)
        if all(k == f"{name}.{r}" for r, k in keys.items()):
            return None
        return dict(keys)

    def alias(self, n):
        x = self.resolve(n.args[0])
        if isinstance(x, (Val, Shuffle5, Expanded)):
            return x
        raise _Refuse("its input is not a tensor")

    def f_const(self, n):
        return Const(self.meta.get(n))

    # -- modules -------------------------------------------------------------------

    def m_conv(self, n, m, x, name):
        if len(x.shape) != 4:
            raise _Refuse(f"a rank-{len(x.shape)} input (cnnc convolves NCHW)")
        if m.padding_mode != "zeros":
            raise _Refuse(f"padding_mode='{m.padding_mode}' (cnnc pads with zeros)")
        kh, kw = _as_pair(m.kernel_size)
        dh, dw = _as_pair(m.dilation)
        if isinstance(m.padding, str):
            if m.padding == "valid":
                pad = (0, 0, 0, 0)
            else:  # 'same': PyTorch puts the odd pixel at the end
                th, tw = dh * (kh - 1), dw * (kw - 1)
                pad = (th // 2, tw // 2, th - th // 2, tw - tw // 2)
        else:
            ph, pw = _as_pair(m.padding)
            pad = (ph, pw, ph, pw)
        attrs = {"out_channels": m.out_channels, "kernel": _pair_attr(m.kernel_size)}
        if _as_pair(m.stride) != (1, 1):
            attrs["stride"] = _pair_attr(m.stride)
        if any(pad):
            attrs["padding"] = _pad_attr(*pad)
        if (dh, dw) != (1, 1):
            attrs["dilation"] = _pair_attr(m.dilation)
        if m.groups != 1:
            attrs["groups"] = m.groups
        roles = ["weight"]
        if m.bias is None:
            attrs["bias"] = False
        else:
            roles.append("bias")
        return self.emit(name, "conv2d", [x], attrs, self.out_shape(n),
                         self._param_map(name, str(n.target), roles))

    def m_linear(self, n, m, x, name):
        if len(x.shape) < 2:
            raise _Refuse(f"a rank-{len(x.shape)} input {list(x.shape)} (cnnc's dense "
                          f"takes [N, F] or [N, ..., F])")
        attrs = {"out_features": m.out_features}
        roles = ["weight"]
        if m.bias is None:
            attrs["bias"] = False
        else:
            roles.append("bias")
        return self.emit(name, "dense", [x], attrs, self.out_shape(n),
                         self._param_map(name, str(n.target), roles))

    def m_batchnorm(self, n, m, x, name):
        want = 4 if isinstance(m, nn.BatchNorm2d) else 2
        if len(x.shape) != want:
            raise _Refuse(f"a rank-{len(x.shape)} input (cnnc's batchnorm takes "
                          f"{'NCHW' if want == 4 else '[N, C]'} here)")
        if not m.affine:
            raise _Refuse("affine=False (cnnc's batchnorm has weight and bias)")
        if not m.track_running_stats or m.running_mean is None:
            raise _Refuse("track_running_stats=False (cnnc's batchnorm uses running "
                          "statistics at inference)")
        attrs = {}
        if m.eps != 1e-5:
            attrs["epsilon"] = float(m.eps)
        if m.momentum is not None and m.momentum != 0.1:
            attrs["momentum"] = float(m.momentum)
        roles = ["weight", "bias", "running_mean", "running_var"]
        return self.emit(name, "batchnorm", [x], attrs, x.shape,
                         self._param_map(name, str(n.target), roles))

    def m_conv_transpose(self, n, m, x, name):
        if len(x.shape) != 4:
            raise _Refuse(f"a rank-{len(x.shape)} input (cnnc convolves NCHW)")
        if m.padding_mode != "zeros":
            raise _Refuse(f"padding_mode='{m.padding_mode}' (cnnc pads with zeros)")
        ph, pw = _as_pair(m.padding)
        attrs = {"out_channels": m.out_channels, "kernel": _pair_attr(m.kernel_size)}
        if _as_pair(m.stride) != (1, 1):
            attrs["stride"] = _pair_attr(m.stride)
        if ph or pw:
            attrs["padding"] = _pad_attr(ph, pw, ph, pw)
        if _as_pair(m.output_padding) != (0, 0):
            attrs["output_padding"] = _pair_attr(m.output_padding)
        if m.groups != 1:
            attrs["groups"] = m.groups
        if _as_pair(m.dilation) != (1, 1):
            attrs["dilation"] = _pair_attr(m.dilation)
        roles = ["weight"]
        if m.bias is None:
            attrs["bias"] = False
        else:
            roles.append("bias")
        return self.emit(name, "conv_transpose2d", [x], attrs, self.out_shape(n),
                         self._param_map(name, str(n.target), roles))

    def _layer_norm_attrs(self, x, shape, eps, default_eps, affine):
        if len(x.shape) <= len(shape) or tuple(x.shape[len(x.shape) - len(shape):]) != \
                tuple(shape):
            raise _Refuse(f"normalized_shape {list(shape)} of a {list(x.shape)} input (cnnc "
                          f"normalizes the last dimensions, not the batch)")
        attrs = {}
        if float(eps) != default_eps:
            attrs["eps"] = float(eps)
        if not affine:
            attrs["elementwise_affine"] = False
        return attrs

    def m_layer_norm(self, n, m, x, name):
        shape = [int(d) for d in m.normalized_shape]
        affine = bool(m.elementwise_affine)
        if affine and getattr(m, "bias", None) is None:
            raise _Refuse("bias=False (cnnc's layer_norm has a weight and a bias, or neither)")
        attrs = {"normalized_shape": shape}
        attrs.update(self._layer_norm_attrs(x, shape, m.eps, 1e-5, affine))
        return self.emit(name, "layer_norm", [x], attrs, x.shape,
                         self._param_map(name, str(n.target),
                                         ["weight", "bias"] if affine else []))

    def m_layer_norm2d(self, n, m, x, name):
        if len(x.shape) != 4:
            raise _Refuse(f"a rank-{len(x.shape)} input (LayerNorm2d normalizes the "
                          f"channels of NCHW)")
        affine = bool(m.elementwise_affine)
        if tuple(m.normalized_shape) != (x.shape[1],):
            raise _Refuse(f"normalized_shape {list(m.normalized_shape)} is not the "
                          f"{x.shape[1]} channels")
        if affine and getattr(m, "bias", None) is None:
            raise _Refuse("bias=False (cnnc's layer_norm2d has a weight and a bias, or "
                          "neither)")
        attrs = {}
        if float(m.eps) != 1e-6:
            attrs["eps"] = float(m.eps)
        if not affine:
            attrs["elementwise_affine"] = False
        return self.emit(name, "layer_norm2d", [x], attrs, x.shape,
                         self._param_map(name, str(n.target),
                                         ["weight", "bias"] if affine else []))

    def upsample(self, n, x, size, scale_factor, mode, align_corners,
                 recompute_scale_factor, antialias, name):
        if len(x.shape) != 4:
            raise _Refuse(f"a rank-{len(x.shape)} input (cnnc's upsample resizes NCHW)")
        if mode not in ("nearest", "bilinear"):
            raise _Refuse(f"mode='{mode}' (cnnc's upsample has 'nearest' and 'bilinear')")
        if antialias:
            raise _Refuse("antialias=True")
        out = self.out_shape(n)
        oh, ow = out[2], out[3]
        attrs = {}
        if size is not None or recompute_scale_factor:
            attrs["size"] = [oh, ow]
        else:
            sf = scale_factor
            if isinstance(sf, (list, tuple)):
                sf = [float(e) for e in sf]
                if len(sf) == 1 or sf[0] == sf[1]:
                    sf = sf[0]
                elif float(x.shape[2]) * sf[0] == oh and float(x.shape[3]) * sf[1] == ow:
                    # whole output sizes: in / out is the scale PyTorch uses
                    attrs["size"] = [oh, ow]
                else:
                    raise _Refuse(f"scale_factor={tuple(sf)}: two factors that do not both "
                                  f"give whole output sizes (cnnc's upsample takes one "
                                  f"factor or an output size)")
            if not attrs:
                attrs["scale_factor"] = float(sf)
        if mode != "nearest":
            attrs["mode"] = mode
            if align_corners:
                attrs["align_corners"] = True
        return self.emit(name, "upsample", [x], attrs, out)

    def m_upsample(self, n, m, x, name):
        return self.upsample(n, x, m.size, m.scale_factor, m.mode, m.align_corners,
                             getattr(m, "recompute_scale_factor", None), False, name)

    def unary(self, n, op, x, name):
        return self.emit(name, op, [x], None, x.shape)

    def m_hardtanh(self, n, m, x, name):
        if m.min_val == 0 and m.max_val == 6:
            return self.unary(n, "relu6", x, name)
        raise _Refuse(f"Hardtanh({m.min_val}, {m.max_val}) (only (0, 6), relu6, maps)")

    def _pool_attrs(self, kernel, stride, padding, ceil_mode):
        k = _as_pair(kernel)
        s = _as_pair(stride) if stride not in (None, [], ()) else k
        ph, pw = _as_pair(padding)
        attrs = {"kernel": _pair_attr(k)}
        if s != k:
            attrs["stride"] = _pair_attr(s)
        if ph or pw:
            attrs["padding"] = _pad_attr(ph, pw, ph, pw)
        if ceil_mode:
            attrs["ceil_mode"] = True
        return attrs

    def maxpool(self, n, x, kernel, stride, padding, dilation, ceil_mode, return_indices,
                name):
        if len(x.shape) != 4:
            raise _Refuse(f"a rank-{len(x.shape)} input (cnnc pools NCHW)")
        if _as_pair(dilation) != (1, 1):
            raise _Refuse(f"dilation={dilation} (cnnc's maxpool2d has none)")
        if return_indices:
            raise _Refuse("return_indices=True")
        return self.emit(name, "maxpool2d", [x],
                         self._pool_attrs(kernel, stride, padding, ceil_mode),
                         self.out_shape(n))

    def avgpool(self, n, x, kernel, stride, padding, ceil_mode, count_include_pad,
                divisor_override, name):
        if len(x.shape) != 4:
            raise _Refuse(f"a rank-{len(x.shape)} input (cnnc pools NCHW)")
        if divisor_override is not None:
            raise _Refuse(f"divisor_override={divisor_override}")
        attrs = self._pool_attrs(kernel, stride, padding, ceil_mode)
        if not count_include_pad:
            attrs["count_include_pad"] = False
        return self.emit(name, "avgpool2d", [x], attrs, self.out_shape(n))

    def m_maxpool(self, n, m, x, name):
        return self.maxpool(n, x, m.kernel_size, m.stride, m.padding, m.dilation,
                            m.ceil_mode, m.return_indices, name)

    def m_avgpool(self, n, m, x, name):
        return self.avgpool(n, x, m.kernel_size, m.stride, m.padding, m.ceil_mode,
                            m.count_include_pad, m.divisor_override, name)

    def adaptive_pool(self, n, x, output_size, kind, name):
        if len(x.shape) != 4:
            raise _Refuse(f"a rank-{len(x.shape)} input (cnnc pools NCHW)")
        H, W = x.shape[2], x.shape[3]
        oh, ow = self.out_shape(n)[2:]
        if (oh, ow) == (H, W):
            return x
        if kind == "avg" and (oh, ow) == (1, 1):
            return self.emit(name, "global_avgpool2d", [x], None, self.out_shape(n))
        if H % oh == 0 and W % ow == 0:
            k = (H // oh, W // ow)
            op = "avgpool2d" if kind == "avg" else "maxpool2d"
            return self.emit(name, op, [x], {"kernel": _pair_attr(k)}, self.out_shape(n))
        if kind == "avg":
            return self.emit(name, "adaptive_avgpool2d", [x], {"output_size": [oh, ow]},
                             self.out_shape(n))
        raise _Refuse(f"output size {oh}x{ow} does not divide the input {H}x{W} "
                      f"(uneven adaptive max windows have no cnnc equivalent)")

    def m_adaptive_max(self, n, m, x, name):
        if m.return_indices:
            raise _Refuse("return_indices=True")
        return self.adaptive_pool(n, x, m.output_size, "max", name)

    @staticmethod
    def _dropout_attrs(p):
        p = float(p)
        if not 0 <= p < 1:
            raise _Refuse(f"p={p} (cnnc's dropout takes p in [0, 1))")
        return None if p == 0.5 else {"p": p}

    def m_flatten(self, n, m, x, name):
        return self.flatten(n, x, m.start_dim, m.end_dim, name)

    def flatten(self, n, x, start, end, name):
        r = len(x.shape)
        if r < 2:
            raise _Refuse(f"a rank-{r} input")
        start = start % r
        end = end % r
        if start != 1 or end != r - 1:
            raise _Refuse(f"flatten(start_dim={start}, end_dim={end}) of a rank-{r} "
                          f"tensor (cnnc's flatten keeps the batch and merges the rest)")
        if r == 2:
            return x
        return self.emit(name, "flatten", [x], None, self.out_shape(n))

    def softmax(self, n, x, dim, name):
        if dim is None:
            raise _Refuse("softmax without dim")
        ax = dim % len(x.shape)
        return self.emit(name, "softmax", [x], None if ax == 1 else {"axis": ax}, x.shape)

    def channel_shuffle(self, n, x, groups, name):
        if len(x.shape) < 2 or x.shape[1] % groups:
            raise _Refuse(f"groups={groups} does not divide the channels of "
                          f"{list(x.shape)}")
        return self.emit(name, "channel_shuffle", [x], {"groups": int(groups)}, x.shape)

    # -- functions and methods -----------------------------------------------------

    def _binary(self, n, op):
        a = self.bind(n, [("input", None), ("other", None), ("alpha", 1)])
        x, y = self.resolve(a["input"]), self.resolve(a["other"])
        if op == "mul" and (isinstance(x, ParamRef) or isinstance(y, ParamRef)):
            return self.layer_scale(n, x, y)
        if op == "add" and self.value(self.resolve(a["alpha"])) != 1:
            raise _Refuse("add with alpha != 1")
        for v in (x, y):
            if isinstance(v, Const):
                raise _Refuse(f"{op} of a tensor and a Python number (cnnc's {op} takes "
                              f"two tensors)")
        x = x.val if isinstance(x, Expanded) else self.tensor(x)
        y = y.val if isinstance(y, Expanded) else self.tensor(y)
        if not _broadcast_ok(x.shape, y.shape):
            raise _Refuse(f"shapes {list(x.shape)} and {list(y.shape)} do not broadcast")
        out = self.out_shape(n)
        return self.emit(self._func_name(n, op), op, [x, y], None, out)

    def layer_scale(self, n, x, y):
        p, v = (x, y) if isinstance(x, ParamRef) else (y, x)
        v = self.tensor(v)
        ax = _layer_scale_axis(p.shape, v.shape)
        if ax is None:
            raise _Refuse(f"a parameter of shape {list(p.shape)} times a {list(v.shape)} "
                          f"tensor (a layer_scale is [C, 1, ..., 1])")
        name = self._func_name(n, "layer_scale")
        return self.emit(name, "layer_scale", [v], None if ax == 1 else {"axis": ax},
                         v.shape, self._param_keys(name, {"weight": p.target}))

    def f_add(self, n):
        return self._binary(n, "add")

    def f_mul(self, n):
        return self._binary(n, "mul")

    def f_cat(self, n):
        a = self.bind(n, [("tensors", None), ("dim", 0)])
        ts = self.resolve(a["tensors"])
        if isinstance(ts, Seq):
            ts = ts.items
        if not isinstance(ts, (list, tuple)):
            raise _Refuse("its tensors are not a list")
        ts = [self.tensor(t) for t in ts]
        dim = self.value(self.resolve(a["dim"]))
        r = len(ts[0].shape)
        ax = dim % r
        if len(ts) == 1:
            return ts[0]
        return self.emit(self._func_name(n, "concat"), "concat", ts,
                         None if ax == 1 else {"axis": ax}, self.out_shape(n))

    def f_flatten(self, n):
        a = self.bind(n, [("input", None), ("start_dim", 0), ("end_dim", -1)])
        x = self.tensor(self.resolve(a["input"]))
        return self.flatten(n, x, self.value(self.resolve(a["start_dim"])),
                            self.value(self.resolve(a["end_dim"])),
                            self._func_name(n, "flatten"))

    def f_unary(self, n, op):
        a = self.bind(n, [("input", None), ("inplace", False)])
        x = self.tensor(self.resolve(a["input"]))
        return self.emit(self._func_name(n, op), op, [x], None, x.shape)

    def f_relu(self, n):
        return self.f_unary(n, "relu")

    def f_leaky_relu(self, n):
        a = self.bind(n, [("input", None), ("negative_slope", 0.01), ("inplace", False)])
        x = self.tensor(self.resolve(a["input"]))
        slope = float(self.value(self.resolve(a["negative_slope"])))
        return self.emit(self._func_name(n, "leaky_relu"), "leaky_relu", [x],
                         {"negative_slope": slope}, x.shape)

    def f_gelu(self, n):
        a = self.bind(n, [("input", None), ("approximate", "none")])
        x = self.tensor(self.resolve(a["input"]))
        approximate = self.value(self.resolve(a["approximate"]))
        return self.emit(self._func_name(n, "gelu"), "gelu", [x], {"approximate": approximate},
                         x.shape)

    def f_relu6(self, n):
        return self.f_unary(n, "relu6")

    def f_hardtanh(self, n):
        a = self.bind(n, [("input", None), ("min_val", -1.0), ("max_val", 1.0),
                          ("inplace", False)])
        lo, hi = self.value(self.resolve(a["min_val"])), self.value(self.resolve(a["max_val"]))
        if (lo, hi) != (0, 6):
            raise _Refuse(f"hardtanh({lo}, {hi}) (only (0, 6), relu6, maps)")
        x = self.tensor(self.resolve(a["input"]))
        return self.emit(self._func_name(n, "relu6"), "relu6", [x], None, x.shape)

    def f_softmax(self, n):
        a = self.bind(n, [("input", None), ("dim", None), ("_stacklevel", 3),
                          ("dtype", None)])
        x = self.tensor(self.resolve(a["input"]))
        if self.value(self.resolve(a["dtype"])) is not None:
            raise _Refuse("softmax with a dtype")
        return self.softmax(n, x, self.value(self.resolve(a["dim"])),
                            self._func_name(n, "softmax"))

    def f_dropout(self, n):
        a = self.bind(n, [("input", None), ("p", 0.5), ("training", True),
                          ("inplace", False)])
        x = self.tensor(self.resolve(a["input"]))
        if self.value(self.resolve(a["training"])):
            raise _Refuse("F.dropout(training=True) drops at inference too; pass "
                          "training=self.training or use nn.Dropout")
        p = self.value(self.resolve(a["p"]))
        return self.emit(self._func_name(n, "dropout"), "dropout", [x],
                         self._dropout_attrs(p), x.shape)

    def f_adaptive_avg(self, n):
        a = self.bind(n, [("input", None), ("output_size", None)])
        x = self.tensor(self.resolve(a["input"]))
        return self.adaptive_pool(n, x, self.value(self.resolve(a["output_size"])), "avg",
                                  self._func_name(n, "avgpool"))

    def f_layer_norm(self, n):
        a = self.bind(n, [("input", None), ("normalized_shape", None), ("weight", None),
                          ("bias", None), ("eps", 1e-5)])
        x = self.tensor(self.resolve(a["input"]))
        shape = self.value(self.resolve(a["normalized_shape"]))
        shape = [int(shape)] if isinstance(shape, int) else [int(d) for d in shape]
        w, b = self.resolve(a["weight"]), self.resolve(a["bias"])
        affine = isinstance(w, ParamRef)
        if affine != isinstance(b, ParamRef) or \
                (not affine and (self.value(w) is not None or self.value(b) is not None)):
            raise _Refuse("a weight without a bias or a bias without a weight (cnnc's "
                          "layer_norm has both or neither)")
        if affine and (list(w.shape) != shape or list(b.shape) != shape):
            raise _Refuse(f"weight {list(w.shape)} and bias {list(b.shape)} are not "
                          f"{shape}")
        attrs = {"normalized_shape": shape}
        attrs.update(self._layer_norm_attrs(x, shape, self.value(self.resolve(a["eps"])),
                                            1e-5, affine))
        name = self._func_name(n, "layer_norm")
        params = self._param_keys(name, {"weight": w.target, "bias": b.target}) \
            if affine else None
        return self.emit(name, "layer_norm", [x], attrs, x.shape, params)

    def f_interpolate(self, n):
        a = self.bind(n, [("input", None), ("size", None), ("scale_factor", None),
                          ("mode", "nearest"), ("align_corners", None),
                          ("recompute_scale_factor", None), ("antialias", False)])
        x = self.tensor(self.resolve(a["input"]))
        v = {k: self.value(self.resolve(a[k])) for k in a if k != "input"}
        return self.upsample(n, x, v["size"], v["scale_factor"], v["mode"],
                             v["align_corners"], v["recompute_scale_factor"], v["antialias"],
                             self._func_name(n, "upsample"))

    def f_stochastic_depth(self, n):
        a = self.bind(n, [("input", None), ("p", None), ("mode", None), ("training", True)])
        x = self.tensor(self.resolve(a["input"]))
        if self.value(self.resolve(a["training"])):
            raise _Refuse("stochastic_depth(training=True) drops at inference too; pass "
                          "training=self.training or use torchvision.ops.StochasticDepth")
        p = float(self.value(self.resolve(a["p"])))
        mode = self.value(self.resolve(a["mode"]))
        if not 0 <= p < 1:
            raise _Refuse(f"p={p} (cnnc's stochastic_depth takes p in [0, 1))")
        if mode not in ("row", "batch"):
            raise _Refuse(f"mode={mode!r}")
        attrs = {"p": p}
        if mode != "row":
            attrs["mode"] = mode
        # called by a StochasticDepth module's forward: named by the module's path
        scope = n.meta.get("cnnc_scope", "")
        owner = n.meta.get("cnnc_scope_class")
        if scope and owner is not None and owner.__name__ == "StochasticDepth":
            name = self._reserve(scope)
        else:
            name = self._func_name(n, "stochastic_depth")
        return self.emit(name, "stochastic_depth", [x], attrs, x.shape)

    def f_avg_pool(self, n):
        a = self.bind(n, [("input", None), ("kernel_size", None), ("stride", None),
                          ("padding", 0), ("ceil_mode", False), ("count_include_pad", True),
                          ("divisor_override", None)])
        x = self.tensor(self.resolve(a["input"]))
        v = {k: self.value(self.resolve(a[k])) for k in a if k != "input"}
        return self.avgpool(n, x, v["kernel_size"], v["stride"], v["padding"],
                            v["ceil_mode"], v["count_include_pad"], v["divisor_override"],
                            self._func_name(n, "avgpool"))

    def f_max_pool(self, n):
        a = self.bind(n, [("input", None), ("kernel_size", None), ("stride", None),
                          ("padding", 0), ("dilation", 1), ("ceil_mode", False),
                          ("return_indices", False)])
        x = self.tensor(self.resolve(a["input"]))
        v = {k: self.value(self.resolve(a[k])) for k in a if k != "input"}
        return self.maxpool(n, x, v["kernel_size"], v["stride"], v["padding"],
                            v["dilation"], v["ceil_mode"], v["return_indices"],
                            self._func_name(n, "maxpool"))

    def f_mean(self, n):
        a = self.bind(n, [("input", None), ("dim", None), ("keepdim", False),
                          ("dtype", None)])
        x = self.tensor(self.resolve(a["input"]))
        dim = self.value(self.resolve(a["dim"]))
        keep = self.value(self.resolve(a["keepdim"]))
        r = len(x.shape)
        dims = {d % r for d in ([dim] if isinstance(dim, int) else (dim or []))}
        if r != 4 or dims != {2, 3}:
            raise _Refuse(f"mean over dims {dim} of a rank-{r} tensor (only the spatial "
                          f"mean of NCHW, x.mean((2, 3)), maps to global_avgpool2d)")
        N, C = x.shape[0], x.shape[1]
        if keep:
            return self.emit(self._func_name(n, "mean"), "global_avgpool2d", [x], None,
                             (N, C, 1, 1))
        name = self._func_name(n, "mean")
        pooled = self.emit(self._reserve(name + "_pool"), "global_avgpool2d", [x], None,
                           (N, C, 1, 1))
        return self.emit(name, "flatten", [pooled], None, (N, C))

    def _pieces(self, n, x, dim):
        """Emit a slice per piece of a chunk/split, from the pieces' traced shapes."""
        res = self.meta.get(n)
        if not isinstance(res, (list, tuple)) or not all(isinstance(p, _TMeta) for p in res):
            raise _Refuse("does not give a tuple of tensors")
        ax = dim % len(x.shape)
        base = self._func_name(n, n.target if isinstance(n.target, str)
                               else n.target.__name__)
        items, start = [], 0
        for i, p in enumerate(res):
            L = p.shape[ax]
            if start == 0 and L == x.shape[ax]:
                items.append(x)
            else:
                attrs = {"start": start, "end": start + L}
                if ax != 1:
                    attrs = {"axis": ax, **attrs}
                items.append(self.emit(self._reserve(f"{base}.{i}"), "slice", [x], attrs,
                                       p.shape))
            start += L
        return Seq(items)

    def f_chunk(self, n):
        a = self.bind(n, [("input", None), ("chunks", None), ("dim", 0)])
        x = self.tensor(self.resolve(a["input"]))
        return self._pieces(n, x, self.value(self.resolve(a["dim"])))

    def f_split(self, n):
        a = self.bind(n, [("input", None), ("split_size_or_sections", None), ("dim", 0)])
        x = self.tensor(self.resolve(a["input"]))
        return self._pieces(n, x, self.value(self.resolve(a["dim"])))

    def _slice(self, n, x, ax, start, end, base):
        if start == 0 and end == x.shape[ax]:
            return x
        if end <= start:
            raise _Refuse("an empty slice")
        attrs = {"start": start, "end": end}
        if ax != 1:
            attrs = {"axis": ax, **attrs}
        return self.emit(self._func_name(n, base), "slice", [x], attrs, self.out_shape(n))

    def f_narrow(self, n):
        a = self.bind(n, [("input", None), ("dim", None), ("start", None),
                          ("length", None)])
        x = self.tensor(self.resolve(a["input"]))
        ax = self.value(self.resolve(a["dim"])) % len(x.shape)
        s = self.value(self.resolve(a["start"]))
        s = s % x.shape[ax] if s < 0 else s
        return self._slice(n, x, ax, s, s + self.value(self.resolve(a["length"])), "slice")

    def f_getitem(self, n):
        src = self.resolve(n.args[0])
        idx = self.resolve(n.args[1])
        if isinstance(src, Seq):
            i = self.value(idx)
            if not isinstance(i, int):
                raise _Refuse("a tuple of tensors indexed by a non-integer")
            return src.items[i]
        x = self.tensor(src)
        idx = self.value(idx)
        if not isinstance(idx, tuple):
            idx = (idx,)
        if any(i is Ellipsis for i in idx):
            k = idx.index(Ellipsis)
            fill = len(x.shape) - (len(idx) - 1)
            idx = idx[:k] + (slice(None),) * fill + idx[k + 1:]
        if len(idx) > len(x.shape) or not all(isinstance(i, slice) for i in idx):
            raise _Refuse(f"indexing with {idx!r} (only x[:, a:b]-style slices of one "
                          f"axis map to slice)")
        idx = idx + (slice(None),) * (len(x.shape) - len(idx))
        cut = []
        for ax, (s, L) in enumerate(zip(idx, x.shape)):
            a, b, st = s.indices(L)
            if st != 1:
                raise _Refuse(f"a slice with step {st}")
            if (a, b) != (0, L):
                cut.append((ax, a, b))
        if not cut:
            return x
        if len(cut) > 1:
            raise _Refuse("slicing more than one axis at once")
        ax, a, b = cut[0]
        return self._slice(n, x, ax, a, b, "slice")

    def _reshape(self, n, src):
        out = tuple(self.out_shape(n))
        if isinstance(src, Shuffle5):
            if out == tuple(src.src.shape):
                if not src.transposed:
                    return src.src
                return self.channel_shuffle(n, src.src, src.groups,
                                            self._func_name(n, "channel_shuffle"))
            raise _Refuse(f"reshapes a rank-5 view to {list(out)}")
        x = self.tensor(src)
        shp = tuple(x.shape)
        if out == shp:
            return x
        if len(out) == 2 and len(shp) >= 2 and out[0] == shp[0] and \
                out[1] == math.prod(shp[1:]):
            return self.emit(self._func_name(n, "flatten"), "flatten", [x], None, out)
        if len(shp) == 4 and len(out) == 5 and out[0] == shp[0] and out[3:] == shp[2:] \
                and out[1] * out[2] == shp[1]:
            return Shuffle5(x, out[1], False)
        hint = ""
        if len(shp) == 2 and out == shp + (1, 1):
            hint = ("; for a squeeze-excitation, compute the excitation with 1x1 "
                    "convolutions on the pooled [N, C, 1, 1] value, as "
                    "torchvision.ops.SqueezeExcitation does")
        raise _Refuse(f"reshapes {list(shp)} to {list(out)} (cnnc has no general "
                      f"reshape: only flatten to [N, -1] and the channel-shuffle "
                      f"view/transpose/view map{hint})")

    def f_view(self, n):
        return self._reshape(n, self.resolve(n.args[0]))

    def f_reshape(self, n):
        return self._reshape(n, self.resolve(n.args[0]))

    def _transpose(self, n, src, perm):
        if isinstance(src, Shuffle5) and perm == (0, 2, 1, 3, 4):
            return Shuffle5(src.src, src.groups, not src.transposed)
        x = self.tensor(src)
        if list(perm) == list(range(len(x.shape))):
            return x
        if sorted(perm) != list(range(len(x.shape))):
            raise _Refuse(f"{list(perm)} is not a permutation of the axes of "
                          f"{list(x.shape)}")
        return self.emit(self._func_name(n, "permute"), "permute", [x],
                         {"dims": [int(d) for d in perm]}, self.out_shape(n))

    def f_transpose(self, n):
        a = self.bind(n, [("input", None), ("dim0", None), ("dim1", None)])
        src = self.resolve(a["input"])
        d0, d1 = self.value(self.resolve(a["dim0"])), self.value(self.resolve(a["dim1"]))
        r = len(src.src.shape) + 1 if isinstance(src, Shuffle5) else \
            len(self.tensor(src).shape)
        perm = list(range(r))
        d0, d1 = d0 % r, d1 % r
        perm[d0], perm[d1] = perm[d1], perm[d0]
        return self._transpose(n, src, tuple(perm))

    def f_permute(self, n):
        src = self.resolve(n.args[0])
        dims = [self.value(self.resolve(d)) for d in n.args[1:]] or \
            list(self.value(self.resolve(n.kwargs.get("dims", ()))))
        if len(dims) == 1 and isinstance(dims[0], (list, tuple)):
            dims = list(dims[0])
        r = len(dims)
        return self._transpose(n, src, tuple(d % r for d in dims))

    def f_expand(self, n):
        x = self.tensor(self.resolve(n.args[0]))
        return Expanded(x)

    def f_channel_shuffle(self, n):
        a = self.bind(n, [("input", None), ("groups", None)])
        x = self.tensor(self.resolve(a["input"]))
        return self.channel_shuffle(n, x, self.value(self.resolve(a["groups"])),
                                    self._func_name(n, "channel_shuffle"))


def export(module, input_shapes, name="model", input_names=None):
    """Trace `module` and map it to a cnnc model.  input_shapes: a list of shapes, one
    per forward argument.  Returns (model dict, {tensor name: F32 tensor}) where the
    tensors are exactly the module's state_dict entries that the nodes read."""
    module.eval()
    gm = trace(module)
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(input_shapes) != len(placeholders):
        raise ExportError(f"the module's forward takes {len(placeholders)} tensor(s) "
                          f"({', '.join(p.target for p in placeholders)}); "
                          f"{len(input_shapes)} input shape(s) were given")
    if input_names is None:
        input_names = (["image"] if len(placeholders) == 1
                       else [str(p.target) for p in placeholders])
    if len(set(input_names)) != len(input_names) or len(input_names) != len(placeholders):
        raise ExportError("input names must be distinct, one per forward argument")
    gen = torch.Generator().manual_seed(0)
    xs = [torch.randn(list(s), generator=gen) for s in input_shapes]
    rec = _Recorder(gm)
    try:
        with torch.no_grad():
            rec.run(*xs)
    except Exception as e:
        raise ExportError(f"the traced module fails on inputs of shape(s) "
                          f"{[list(s) for s in input_shapes]}: {type(e).__name__}: "
                          f"{str(e).strip().splitlines()[0] if str(e).strip() else ''}") \
            from None
    ex = _Exporter(gm, rec.meta, list(input_names))
    inputs, outputs = ex.run()

    sd = module.state_dict()
    weights = {}
    missing = []
    live = {nd["name"] for nd in ex.nodes}
    for nm, keys in ex.param_src.items():
        if nm not in live:
            continue
        for key in keys.values():
            if key not in sd:
                missing.append(key)
                continue
            weights[key] = sd[key].detach().to(torch.float32).contiguous().clone()
    if missing:
        raise ExportError("the state_dict lacks " + ", ".join(missing))

    model = collections.OrderedDict()
    model["format"] = "cnnc-model"
    model["version"] = 1
    model["name"] = name
    model["inputs"] = inputs
    model["outputs"] = outputs
    model["nodes"] = ex.nodes
    return dict(model), weights


def dumps(model):
    """JSON with one node per line (key order: format, version, name, weights, inputs,
    outputs, nodes, then the rest)."""
    order = ["format", "version", "name", "weights", "inputs", "outputs", "nodes"]
    keys = [k for k in order if k in model] + [k for k in model if k not in order]
    lines = ["{"]
    for i, k in enumerate(keys):
        v = model[k]
        comma = "," if i + 1 < len(keys) else ""
        if k == "nodes":
            lines.append('  "nodes": [')
            for j, nd in enumerate(v):
                lines.append("    " + json.dumps(nd) + ("," if j + 1 < len(v) else ""))
            lines.append("  ]" + comma)
        else:
            lines.append(f"  {json.dumps(k)}: {json.dumps(v)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def save_weights(path, weights, metadata=None):
    from . import safetensors_io
    safetensors_io.save(path, weights, metadata)


def verify(model, weights, module, seed=0, batch=None, rtol=1e-5):
    """Run the exported model with tools/torch_reference.py and the module itself on
    the same random inputs; returns (max|diff|, tolerance)."""
    if not os.path.exists(os.path.join(TOOLS, "torch_reference.py")):
        raise ExportError("verify needs cnnc's source tree (tools/torch_reference.py)")
    sys.path.insert(0, TOOLS)
    import torch_reference as R
    m = R.load_model(json.loads(json.dumps(model)))
    gen = torch.Generator().manual_seed(seed)
    feed = {nm: torch.randn(shp, generator=gen) for nm, shp in m.input_shapes(batch).items()}
    with torch.no_grad():
        got = R.run_model(m, feed, weights, batch=batch)
        ref = module(*[feed[nm] for nm, _ in m.inputs])
    if isinstance(ref, torch.Tensor):
        ref = [ref]
    elif isinstance(ref, dict):
        ref = list(ref.values())
    worst, tol = 0.0, 0.0
    for nm, r in zip(m.outputs, ref):
        g = got[nm].double()
        r = r.double()
        if list(g.shape) != list(r.shape):
            return math.inf, 0.0
        t = rtol * max(1.0, r.abs().max().item())
        d = (g - r).abs().max().item()
        if tol == 0.0 or d / t > worst / tol:
            worst, tol = d, t
    return worst, tol


def _parse_shape(s):
    try:
        shp = [int(d) for d in s.replace("x", ",").split(",") if d.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad shape {s!r} (want e.g. 1,3,224,224)")
    if not shp or any(d <= 0 for d in shp):
        raise argparse.ArgumentTypeError(f"bad shape {s!r} (positive dimensions)")
    return shp


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Export a PyTorch nn.Module (torchvision models included) as a cnnc "
                    "model JSON + safetensors weights.",
        epilog="SPEC: torchvision:NAME | module:FILE.py:NAME | module:pkg.mod:NAME. "
               "See the module docstring (and docs/exporter.md) for what maps to what.")
    ap.add_argument("spec", help="torchvision:NAME or module:FILE.py:NAME")
    ap.add_argument("out", help="the model JSON to write")
    ap.add_argument("--weights", metavar="OUT.safetensors",
                    help="also write the weights (state_dict tensors the nodes use, F32); "
                         "the JSON then names them")
    ap.add_argument("--batch", type=int, help="batch (first) dimension of every input")
    ap.add_argument("--input-shape", type=_parse_shape, action="append", metavar="SHAPE",
                    help="input shape, e.g. 1,3,224,224 (once per forward argument; "
                         "default: the module's cnnc_input_shape or 1,3,224,224)")
    ap.add_argument("--input-name", action="append", metavar="NAME",
                    help="input name (default: image for one input, else the forward's "
                         "argument names)")
    ap.add_argument("--name", help="model name (default: the torchvision name or the "
                                   "class name in lower case)")
    ap.add_argument("--seed", type=int, default=0,
                    help="torch.manual_seed for the module's initialization (default 0)")
    pre = ap.add_mutually_exclusive_group()
    pre.add_argument("--pretrained", action="store_true",
                     help="torchvision's default pretrained weights (may download)")
    pre.add_argument("--pretrained-off", action="store_true",
                     help="seeded random initialization (the default)")
    ap.add_argument("--model-kwargs", default="{}", metavar="JSON",
                    help="keyword arguments for the constructor, a JSON object")
    ap.add_argument("--randomize-bn", action="store_true",
                    help="non-trivial batchnorm, layer norm and layer scale tensors "
                         "(for tests)")
    ap.add_argument("--verify", action="store_true",
                    help="check the exported model (tools/torch_reference.py) against "
                         "the module on random inputs")
    args = ap.parse_args(argv)
    if args.batch is not None and args.batch <= 0:
        ap.error("--batch must be positive")
    try:
        kwargs = json.loads(args.model_kwargs)
        if not isinstance(kwargs, dict):
            raise ValueError("not an object")
    except ValueError as e:
        ap.error(f"--model-kwargs: {e}")
    try:
        module, name, shape = build_module(args.spec, args.seed, args.pretrained, kwargs)
        if args.randomize_bn:
            randomize_batchnorm(module, args.seed)
        shapes = args.input_shape or [shape]
        if args.batch:
            shapes = [[args.batch] + list(s[1:]) for s in shapes]
        model, weights = export(module, shapes, args.name or name, args.input_name)
        if args.weights:
            rel = os.path.relpath(os.path.abspath(args.weights),
                                  os.path.dirname(os.path.abspath(args.out)))
            model = dict(model)
            model["weights"] = rel
        if args.verify:
            d, tol = verify(model, weights, module, seed=args.seed)
            ok = d <= tol
            print(f"verify: max|diff| {d:.3e} (tolerance {tol:.3e}) against the module: "
                  f"{'OK' if ok else 'FAILED'}", file=sys.stderr)
            if not ok:
                return 1
    except ExportError as e:
        print(f"cnnc_export: error: cannot export '{args.spec}': {e}", file=sys.stderr)
        return 1
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(dumps(model))
    n_par = sum(1 for nd in model["nodes"]
                if nd["op"] in ("conv2d", "dense", "batchnorm", "conv_transpose2d",
                                "layer_scale")
                or (nd["op"] in ("layer_norm", "layer_norm2d")
                    and nd.get("attrs", {}).get("elementwise_affine", True)))
    ins = ", ".join(f"{i['name']} {i['shape']}" for i in model["inputs"])
    print(f"wrote {args.out}: {len(model['nodes'])} nodes ({n_par} with parameters), "
          f"inputs {ins}, outputs {', '.join(model['outputs'])}", file=sys.stderr)
    if args.weights:
        save_weights(args.weights, weights, {"format": "pt", "source": args.spec})
        print(f"wrote {args.weights}: {len(weights)} tensors, "
              f"{sum(t.numel() for t in weights.values()):,} values", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
