#!/usr/bin/python3
"""Training-step checks of cnnc against PyTorch autograd + torch.optim.SGD.

    train_check.py --cnnc PATH --cnnc-run PATH --workdir DIR [--family F] [--steps K]

For each case (a small model ending in logits [N, K]): random weights
(batchnorm statistics randomized) and inputs, random labels; `cnnc --train`
compiles it, `cnnc-run --train-step --steps=K` runs K SGD steps on the batch,
and PyTorch does the same: F.cross_entropy, backward, torch.optim.SGD with the
model's settings, batchnorm in training mode (running statistics updated).
The loss, every gradient (of the last step) and every parameter and running
statistic afterwards must agree within 1e-3 * max(1, max|ref|).
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


def case(name, shape, nodes, optimizer=None, batch=None):
    return {"name": name, "batch": batch,
            "model": {"format": "cnnc-model", "version": 1, "name": name,
                      "inputs": [{"name": "x", "shape": shape}], "outputs": ["logits"],
                      "nodes": nodes,
                      "training": {"loss": "softmax_cross_entropy",
                                   "optimizer": optimizer or SGD}}}


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
    ],
    "pooling": [
        case("maxpool", [2, 3, 8, 8], [N("p", "maxpool2d", ["x"], kernel=2)] + head("p")),
        case("maxpool_ceil_pad", [2, 3, 9, 7], [N("p", "maxpool2d", ["x"], kernel=3, stride=2,
                                                  padding=1, ceil_mode=True)] + head("p")),
        case("maxpool_relu_ties", [2, 3, 8, 8], [N("r", "relu", ["x"]),
                                                 N("p", "maxpool2d", ["r"], kernel=2)]
             + head("p")),
        case("avgpool", [2, 3, 8, 8], [N("p", "avgpool2d", ["x"], kernel=2)] + head("p")),
        case("avgpool_ceil_nopad", [2, 3, 9, 7], [N("p", "avgpool2d", ["x"], kernel=3, stride=2,
                                                    padding=1, ceil_mode=True,
                                                    count_include_pad=False)] + head("p")),
        case("global_avgpool", [2, 3, 5, 6], [N("c", "conv2d", ["x"], out_channels=4, kernel=1),
                                              N("p", "global_avgpool2d", ["c"])] + head("p")),
    ],
    "batchnorm": [
        case("bn4d", [3, 3, 5, 5], [N("c", "conv2d", ["x"], out_channels=4, kernel=3),
                                    N("bn", "batchnorm", ["c"]), N("r", "relu", ["bn"])]
             + head("r")),
        case("bn2d", [4, 6], [N("d", "dense", ["x"], out_features=5),
                              N("bn", "batchnorm", ["d"]),
                              N("logits", "dense", ["bn"], out_features=3)]),
    ],
    "elementwise": [
        case("activations", [2, 3, 6, 6], [N("a", "relu6", ["x"]), N("b", "sigmoid", ["a"]),
                                           N("c", "conv2d", ["b"], out_channels=3, kernel=1),
                                           N("t", "tanh", ["c"])] + head("t")),
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
    ],
}


def torch_steps(model_json, params, inputs, labels, steps):
    """K SGD steps in PyTorch; returns (loss, grads, params) of/after the last."""
    model = R.load_model(model_json)
    spec = json.load(open(model_json))
    opt = spec["training"]["optimizer"]
    bn_stats = set()
    for n in spec["nodes"]:
        if n["op"] == "batchnorm":
            bn_stats.update({f"{n['name']}.running_mean", f"{n['name']}.running_var"})
    tensors = {k: v.clone().requires_grad_(k not in bn_stats) for k, v in params.items()}
    learn = [v for k, v in tensors.items() if k not in bn_stats]
    sgd = torch.optim.SGD(learn, lr=opt["learning_rate"], momentum=opt.get("momentum", 0.0),
                          weight_decay=opt.get("weight_decay", 0.0),
                          nesterov=opt.get("nesterov", False))
    original = R.F.batch_norm

    def train_bn(x, rm, rv, w, b, training, momentum, eps):
        return original(x, rm, rv, w, b, True, momentum, eps)

    R.F.batch_norm = train_bn
    try:
        for _ in range(steps):
            sgd.zero_grad()
            out = model.execute(dict(inputs), lambda node, role, shape:
                                tensors[node.tensor_name(role)], keep=["logits"])
            loss = F.cross_entropy(out["logits"], labels)
            loss.backward()
            grads = {k: v.grad.clone() for k, v in tensors.items() if v.grad is not None}
            sgd.step()
    finally:
        R.F.batch_norm = original
    return loss.detach(), grads, {k: v.detach() for k, v in tensors.items()}


def run_case(c, args, steps):
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
    shape = spec["inputs"][0]["shape"]
    x = torch.randn(shape, generator=gen)
    k = None
    for n in spec["nodes"]:
        if n["name"] == "logits":
            k = n["attrs"]["out_features"]
    labels = torch.randint(0, k, (shape[0],), generator=gen)
    safetensors_io.save(os.path.join(d, "batch.safetensors"), {"x": x, "labels": labels})
    so = os.path.join(d, "model.so")
    r = subprocess.run([args.cnnc, mpath, "--train", "-o", so], capture_output=True, text=True)
    if r.returncode:
        return False, f"cnnc --train failed: {r.stderr.strip()[:500]}"
    out = os.path.join(d, "step.safetensors")
    r = subprocess.run([args.cnnc_run, so, "--train-step", f"--steps={steps}", "--inputs",
                        os.path.join(d, "batch.safetensors"), "--outputs", out],
                       capture_output=True, text=True)
    if r.returncode:
        return False, f"cnnc-run --train-step failed: {r.stderr.strip()[:500]}"
    got = safetensors_io.load(out)
    loss, grads, new = torch_steps(mpath, params, {"x": x}, labels, steps)
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
    return worst <= 1.0, f"worst {where}: {worst:.3f} x tolerance ({len(refs)} tensors)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cnnc", required=True)
    ap.add_argument("--cnnc-run", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--family", choices=sorted(CASES))
    ap.add_argument("--steps", type=int, default=2)
    a = ap.parse_args()
    fams = [a.family] if a.family else sorted(CASES)
    failed = passed = 0
    for f in fams:
        for c in CASES[f]:
            ok, msg = run_case(c, a, a.steps)
            print(f"{'PASS' if ok else 'FAIL'} {c['name']}: {msg}", flush=True)
            passed += ok
            failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
