#!/usr/bin/python3
"""Self-check of tools/torch_reference.py (the PyTorch oracle of cnnc).

    /usr/bin/python3 tools/pyutil/selfcheck_reference.py [-v]

Checks, on CPU, in well under a minute:
  a. resnet18.json == torchvision.models.resnet18 (same state_dict with randomized
     batchnorm statistics, eval mode), max abs diff < 1e-5; the same with the nodes
     listed in a shuffled order; and end to end through the command lines of
     make_weights.py --torchvision and torch_reference.py (random inputs saved,
     outputs written).
  b. lenet.json == an equivalent nn.Sequential (61,706 parameters).
  c. pool2d with symmetric padding == F.max_pool2d / F.avg_pool2d bit for bit, over
     kernels, strides, paddings, ceil_mode and count_include_pad, odd sizes (13x17 ...);
     pool2d with [t, l, b, r] padding == a brute-force loop over the spec's rule.
  d. the other ops (asymmetric conv padding, channel_shuffle, slice, concat, softmax,
     mul broadcasting, batchnorm on [N, F], --batch), model errors, safetensors I/O.
Exit status 0 when everything passes.
"""

import itertools
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
import safetensors_io  # noqa: E402
import torch_reference as R  # noqa: E402

MODELS = os.path.join(ROOT, "models")
REF = os.path.join(ROOT, "tools", "torch_reference.py")
PY = sys.executable

failures = []
VERBOSE = "-v" in sys.argv


def check(name, ok, detail=""):
    status = "ok  " if ok else "FAIL"
    if not ok or VERBOSE or detail:
        print(f"  [{status}] {name}" + (f": {detail}" if detail else ""), flush=True)
    if not ok:
        failures.append(name)


def maxdiff(a, b):
    return (a.double() - b.double()).abs().max().item()


def randomize_bn_(module, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                C = m.num_features
                m.weight.copy_(torch.rand(C, generator=g) + 0.5)
                m.bias.copy_(torch.randn(C, generator=g) * 0.1)
                m.running_mean.copy_(torch.randn(C, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(C, generator=g) + 0.5)


# ----------------------------------------------------------------------------------

def check_resnet18():
    import torchvision
    print("a. resnet18.json vs torchvision.models.resnet18", flush=True)
    path = os.path.join(MODELS, "resnet18.json")
    torch.manual_seed(0)
    tv = torchvision.models.resnet18()
    randomize_bn_(tv, 1)
    tv.eval()
    sd = tv.state_dict()
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        want = tv(x)
    # the whole state_dict, num_batches_tracked (I64) included: unused tensors are ignored
    got = R.run_model(path, {"image": x}, sd, batch=2)["fc"]
    d = maxdiff(got, want)
    check("resnet18 batch 2, torchvision state_dict", d < 1e-5,
          f"max abs diff {d:.3g} (|logits| up to {want.abs().max().item():.3g})")

    spec = json.load(open(path))
    names = {n["name"] for n in spec["nodes"]}
    used = set(R.param_specs(path))
    expected = {k for k in sd if not k.endswith("num_batches_tracked")}
    check("resnet18 uses exactly torchvision's parameters", used == expected,
          f"{len(used)} tensors, {sum(sd[k].numel() for k in used)} values")
    check("resnet18 has 69 nodes", len(names) == 69 == len(spec["nodes"]))

    random.Random(3).shuffle(spec["nodes"])
    got2 = R.run_model(spec, {"image": x}, sd)["fc"]
    check("resnet18 with shuffled node order", torch.equal(got2, got))

    # end to end through the command lines
    with tempfile.TemporaryDirectory() as tmp:
        w = os.path.join(tmp, "w.safetensors")
        inp = os.path.join(tmp, "in.safetensors")
        out = os.path.join(tmp, "out.safetensors")
        r1 = subprocess.run([PY, os.path.join(MODELS, "make_weights.py"), path, w,
                             "--torchvision", "resnet18", "--seed", "5"],
                            capture_output=True, text=True)
        r2 = subprocess.run([PY, REF, path, "--weights", w, "--random-inputs", "7",
                             "--save-inputs", inp, "--batch", "3", "--outputs", out],
                            capture_output=True, text=True)
        ok = r1.returncode == 0 and r2.returncode == 0
        check("CLI make_weights --torchvision + torch_reference", ok,
              "" if ok else (r1.stderr + r2.stderr)[-2000:])
        if ok:
            torch.manual_seed(5)
            tv5 = torchvision.models.resnet18().eval()
            wts = safetensors_io.load(w)
            check("make_weights --torchvision == torchvision state_dict",
                  all(torch.equal(wts[k], v) for k, v in tv5.state_dict().items()
                      if k in wts) and set(wts) == expected)
            ins = safetensors_io.load(inp)
            xi = torch.randn(3, 3, 224, 224, generator=torch.Generator().manual_seed(7))
            check("--random-inputs 7 --batch 3 == torch.randn, saved",
                  list(ins) == ["image"] and torch.equal(ins["image"], xi))
            with torch.no_grad():
                want5 = tv5(xi)
            outs = safetensors_io.load(out)
            d = maxdiff(outs["fc"], want5)
            check("CLI outputs vs torchvision", list(outs) == ["fc"] and d < 1e-5,
                  f"max abs diff {d:.3g}")


def check_lenet():
    print("b. lenet.json vs nn.Sequential", flush=True)
    path = os.path.join(MODELS, "lenet.json")
    params = R.build_params(path, seed=3)
    n = sum(t.numel() for t in params.values())
    check("lenet has 61,706 parameters", n == 61706, str(n))
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    names = {"0": "conv1", "3": "conv2", "7": "fc1", "9": "fc2", "11": "fc3"}
    net.load_state_dict({f"{i}.{r}": params[f"{m}.{r}"]
                         for i, m in names.items() for r in ("weight", "bias")})
    net.eval()
    x = torch.randn(4, 1, 28, 28, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        want = net(x)
    got = R.run_model(path, {"image": x}, params)["fc3"]
    d = maxdiff(got, want)
    check("lenet batch 4", d < 1e-5 and list(got.shape) == [4, 10], f"max abs diff {d:.3g}")
    # default init statistics: nn.Conv2d/nn.Linear bounds
    b = 1 / math.sqrt(400)
    w = params["fc1.weight"]
    check("build_params uses nn.Linear init", w.abs().max().item() <= b
          and w.std().item() > 0.5 * b / math.sqrt(3))
    again = R.build_params(path, seed=3)
    other = R.build_params(path, seed=4)
    check("build_params is seeded", all(torch.equal(again[k], params[k]) for k in params)
          and not torch.equal(other["conv1.weight"], params["conv1.weight"]))


def naive_pool(x, kind, k, s, pad, ceil_mode, cip):
    """The spec's rule, element by element (float64)."""
    kh, kw = k
    sh, sw = s
    t, l, b, r = pad
    N, C, H, W = x.shape
    oh = R.pool_output_size(H, kh, sh, t, b, ceil_mode)
    ow = R.pool_output_size(W, kw, sw, l, r, ceil_mode)
    xd = x.double()
    out = torch.empty(N, C, oh, ow, dtype=torch.float64)
    for i in range(oh):
        for j in range(ow):
            # window in padded coordinates, clipped to the padded input
            r0, r1 = i * sh, min(i * sh + kh, H + t + b)
            c0, c1 = j * sw, min(j * sw + kw, W + l + r)
            rr0, rr1 = max(r0 - t, 0), min(r1 - t, H)  # real rows
            cc0, cc1 = max(c0 - l, 0), min(c1 - l, W)
            win = xd[:, :, rr0:rr1, cc0:cc1]
            real = (rr1 - rr0) * (cc1 - cc0)
            if kind == "max":
                v = win.amax(dim=(2, 3)) if real else torch.full((N, C), -math.inf)
                if real < (r1 - r0) * (c1 - c0):  # padding (-inf) in the window
                    v = torch.maximum(v, torch.tensor(-math.inf, dtype=torch.float64))
                out[:, :, i, j] = v
            else:
                div = (r1 - r0) * (c1 - c0) if cip else real
                out[:, :, i, j] = win.sum(dim=(2, 3)) / div
    return out


def check_pools():
    print("c. pool2d vs F.max_pool2d / F.avg_pool2d and the spec's rule", flush=True)
    g = torch.Generator().manual_seed(5)
    sizes = [(13, 17), (7, 7), (8, 9), (5, 3), (1, 1), (2, 6)]
    kernels = [(1, 1), (2, 2), (3, 3), (2, 3), (3, 2), (4, 5), (5, 4)]
    strides = [(1, 1), (2, 2), (3, 2), (1, 3), (4, 4)]
    n = bad = 0
    worst = ""
    for (H, W), (kh, kw), (sh, sw) in itertools.product(sizes, kernels, strides):
        x = torch.randn(2, 3, H, W, generator=g)
        for ph, pw in itertools.product(range(kh // 2 + 1), range(kw // 2 + 1)):
            for ceil in (False, True):
                try:
                    ref = F.max_pool2d(x, (kh, kw), (sh, sw), (ph, pw), ceil_mode=ceil)
                except RuntimeError:
                    ref = None
                try:
                    got = R.pool2d(x, "max", [kh, kw], [sh, sw], [ph, pw], ceil)
                except ValueError:
                    got = None
                n += 1
                if (ref is None) != (got is None) or (ref is not None and not torch.equal(ref, got)):
                    bad += 1
                    worst = worst or f"max {H}x{W} k{kh},{kw} s{sh},{sw} p{ph},{pw} ceil={ceil}"
                for cip in (False, True):
                    try:
                        ref = F.avg_pool2d(x, (kh, kw), (sh, sw), (ph, pw), ceil_mode=ceil,
                                           count_include_pad=cip)
                    except RuntimeError:
                        ref = None
                    try:
                        got = R.pool2d(x, "avg", [kh, kw], [sh, sw], [ph, pw], ceil, cip)
                    except ValueError:
                        got = None
                    n += 1
                    if (ref is None) != (got is None) or (ref is not None and not torch.equal(ref, got)):
                        bad += 1
                        worst = worst or (f"avg {H}x{W} k{kh},{kw} s{sh},{sw} p{ph},{pw} "
                                          f"ceil={ceil} cip={cip}")
    check("symmetric padding: bit-equal to PyTorch (incl. the same invalid cases)",
          bad == 0, f"{n - bad}/{n} cases" + (f", first mismatch {worst}" if worst else ""))

    # asymmetric [t, l, b, r] against the brute-force rule
    n = bad = 0
    worst = ""
    for (H, W), (kh, kw), (sh, sw) in itertools.product(
            [(13, 17), (6, 5), (3, 4)], [(2, 2), (3, 3), (2, 5), (4, 3)],
            [(1, 1), (2, 2), (3, 2)]):
        x = torch.randn(1, 2, H, W, generator=g)
        for t, b in itertools.product(range(kh // 2 + 1), repeat=2):
            for l, r in itertools.product(range(kw // 2 + 1), repeat=2):
                for ceil in (False, True):
                    try:
                        R.pool_output_size(H, kh, sh, t, b, ceil)
                        R.pool_output_size(W, kw, sw, l, r, ceil)
                    except ValueError:
                        continue
                    for kind, cip in (("max", True), ("avg", True), ("avg", False)):
                        got = R.pool2d(x, kind, [kh, kw], [sh, sw], [t, l, b, r], ceil, cip)
                        ref = naive_pool(x, kind, (kh, kw), (sh, sw), (t, l, b, r), ceil, cip)
                        n += 1
                        ok = got.shape == ref.shape and maxdiff(got, ref) < 1e-6
                        if not ok:
                            bad += 1
                            worst = worst or (f"{kind} {H}x{W} k{kh},{kw} s{sh},{sw} "
                                              f"p{t},{l},{b},{r} ceil={ceil} cip={cip}")
    check("[t, l, b, r] padding == brute-force spec rule", bad == 0,
          f"{n - bad}/{n} cases" + (f", first mismatch {worst}" if worst else ""))
    # spec example: a ceil_mode window starting in the bottom padding is dropped
    x = torch.randn(1, 1, 4, 4, generator=g)
    y = R.pool2d(x, "max", 2, 2, [0, 0, 1, 1], True)  # without the rule: 3x3
    check("ceil_mode drops a window starting in the end padding", list(y.shape) == [1, 1, 2, 2])
    try:
        R.pool2d(x, "max", 3, 1, [0, 0, 2, 0])
        check("padding larger than half the kernel is an error", False)
    except ValueError:
        check("padding larger than half the kernel is an error", True)


def tiny_model(nodes, inputs, outputs):
    return {"format": "cnnc-model", "version": 1, "name": "t",
            "inputs": [{"name": k, "shape": v} for k, v in inputs.items()],
            "outputs": outputs, "nodes": nodes}


def check_ops():
    print("d. other ops, errors, safetensors", flush=True)
    g = torch.Generator().manual_seed(6)
    x = torch.randn(2, 8, 9, 11, generator=g)
    w = torch.randn(6, 4, 3, 2, generator=g)
    bconv = torch.randn(6, generator=g)
    v = torch.randn(2, 8, 1, 1, generator=g)
    f = torch.randn(2, 5, generator=g)
    bn = {"bn.weight": torch.rand(5, generator=g) + .5, "bn.bias": torch.randn(5, generator=g),
          "bn.running_mean": torch.randn(5, generator=g), "bn.running_var": torch.rand(5, generator=g) + .5}
    m = tiny_model([
        {"name": "conv", "op": "conv2d", "inputs": ["x"], "params": {"weight": "W", "bias": "B"},
         "attrs": {"out_channels": 6, "kernel": [3, 2], "stride": [2, 1], "padding": [1, 0, 2, 1],
                   "dilation": [1, 2], "groups": 2}},
        {"name": "shuf", "op": "channel_shuffle", "inputs": ["x"], "attrs": {"groups": 4}},
        {"name": "sl", "op": "slice", "inputs": ["x"], "attrs": {"axis": -3, "start": -5, "end": 100}},
        {"name": "cat", "op": "concat", "inputs": ["x", "sl", "x"], "attrs": {"axis": -3}},
        {"name": "sm", "op": "softmax", "inputs": ["x"], "attrs": {"axis": -1}},
        {"name": "mul", "op": "mul", "inputs": ["x", "v"]},
        {"name": "bn", "op": "batchnorm", "inputs": ["f"], "attrs": {"epsilon": 1e-3}},
        {"name": "r6", "op": "relu6", "inputs": ["sc"]},
        {"name": "sc", "op": "mul", "inputs": ["x", "x"]},
        {"name": "drop", "op": "dropout", "inputs": ["x"], "attrs": {"p": 0.3}},
        {"name": "gap", "op": "global_avgpool2d", "inputs": ["x"]},
    ], {"x": [2, 8, 9, 11], "v": [2, 8, 1, 1], "f": [2, 5]},
        ["conv", "shuf", "sl", "cat", "sm", "mul", "bn", "r6", "drop", "gap"])
    wts = dict(bn, W=w, B=bconv)
    o = R.run_model(m, {"x": x, "v": v, "f": f}, wts)
    ref = F.conv2d(F.pad(x, (0, 1, 1, 2)), w, bconv, (2, 1), 0, (1, 2), 2)
    check("conv2d [t,l,b,r] padding, dilation, groups, params renaming",
          torch.allclose(o["conv"], ref, atol=1e-6, rtol=0))
    check("channel_shuffle == nn.ChannelShuffle", torch.equal(o["shuf"], nn.ChannelShuffle(4)(x)))
    check("slice clamps like Python", torch.equal(o["sl"], x[:, -5:100]))
    check("concat negative axis", torch.equal(o["cat"], torch.cat([x, x[:, 3:], x], 1)))
    check("softmax axis -1", torch.allclose(o["sm"], torch.softmax(x, -1)))
    check("mul broadcasting", torch.equal(o["mul"], x * v))
    refbn = F.batch_norm(f, bn["bn.running_mean"], bn["bn.running_var"], bn["bn.weight"],
                         bn["bn.bias"], False, 0.1, 1e-3)
    check("batchnorm on [N, F], epsilon", torch.allclose(o["bn"], refbn, atol=1e-6))
    check("relu6 (node listed before its input)", torch.equal(o["r6"], (x * x).clamp(0, 6)))
    check("dropout is the identity", torch.equal(o["drop"], x))
    check("global_avgpool2d", torch.allclose(o["gap"], x.mean((2, 3), keepdim=True), atol=1e-6))

    def err(spec, inputs=None, weights=None, frag=""):
        try:
            R.run_model(spec, inputs or {}, weights or {})
        except R.ModelError as e:
            return frag in str(e)
        return False

    base = lambda nodes, outs: tiny_model(nodes, {"x": [1, 2, 4, 4]}, outs)  # noqa: E731
    xi = {"x": torch.zeros(1, 2, 4, 4)}
    check("error: cycle", err(base([{"name": "a", "op": "relu", "inputs": ["b"]},
                                    {"name": "b", "op": "relu", "inputs": ["a"]}], ["a"]), xi,
                              frag="cycle"))
    check("error: unknown op and attribute, all at once",
          err(base([{"name": "a", "op": "gelu", "inputs": ["x"]},
                    {"name": "b", "op": "relu", "inputs": ["x"], "attrs": {"alpha": 1}}], ["b"]),
              xi, frag="'b' (relu): unknown attribute 'alpha'"))
    check("error: arity", err(base([{"name": "a", "op": "add", "inputs": ["x"]}], ["a"]),
                              xi, frag="node 'a'"))
    check("error: shape mismatch names the node",
          err(base([{"name": "d", "op": "dense", "inputs": ["x"],
                     "attrs": {"out_features": 3}}], ["d"]), xi, frag="node 'd'"))
    check("error: version", err(dict(base([], ["x"]), version=2), xi, frag="version"))
    check("error: missing parameter",
          err(base([{"name": "c", "op": "conv2d", "inputs": ["x"],
                     "attrs": {"out_channels": 3, "kernel": 1}}], ["c"]), xi, frag="c.weight"))
    check("error: empty slice",
          err(base([{"name": "s", "op": "slice", "inputs": ["x"],
                     "attrs": {"start": 5, "end": 9}}], ["s"]), xi, frag="empty"))

    # safetensors round trip and refusal of lying headers
    with tempfile.TemporaryDirectory() as tmp:
        p = os.path.join(tmp, "t.safetensors")
        data = {"a": torch.randn(3, 4, generator=g), "b": torch.arange(5, dtype=torch.int32),
                "c": torch.arange(6, dtype=torch.int64).reshape(2, 3), "e": torch.zeros(0, 2),
                "t": torch.randn(4, 3, generator=g).t()}
        safetensors_io.save(p, data, metadata={"k": "v"})
        raw = open(p, "rb").read()
        hl = int.from_bytes(raw[:8], "little")
        back, meta = safetensors_io.load_with_metadata(p)
        check("safetensors round trip (F32/I32/I64, non-contiguous, empty, metadata)",
              set(back) == set(data) and all(back[k].dtype == data[k].dtype
                                             and torch.equal(back[k], data[k]) for k in data)
              and meta == {"k": "v"} and (8 + hl) % 8 == 0)
        header = json.loads(raw[8:8 + hl])
        bad_cases = {
            "offsets out of range": dict(header, a=dict(header["a"], data_offsets=[0, 10 ** 6])),
            "size disagrees with shape": dict(header, a=dict(header["a"], shape=[3, 5])),
            "overlap": dict(header, b=dict(header["b"], data_offsets=[0, 20])),
        }
        refused = 0
        for hdr in bad_cases.values():
            hb = json.dumps(hdr).encode()
            open(p, "wb").write(len(hb).to_bytes(8, "little") + hb + raw[8 + hl:])
            try:
                safetensors_io.load(p)
            except ValueError:
                refused += 1
        open(p, "wb").write((10 ** 9).to_bytes(8, "little") + raw[8:])
        try:
            safetensors_io.load(p)
        except ValueError:
            refused += 1
        check("safetensors refuses lying headers", refused == len(bad_cases) + 1,
              f"{refused}/{len(bad_cases) + 1}")


def main():
    t0 = time.time()
    torch.set_num_threads(max(1, min(8, os.cpu_count() or 1)))
    check_resnet18()
    check_lenet()
    check_pools()
    check_ops()
    dt = time.time() - t0
    if failures:
        print(f"FAILED: {len(failures)} check(s): {', '.join(failures)} ({dt:.1f} s)")
        return 1
    print(f"all checks passed ({dt:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
