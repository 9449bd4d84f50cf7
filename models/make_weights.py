#!/usr/bin/python3
"""Write a weights file (safetensors) for a cnnc model.

    make_weights.py MODEL.json OUT.safetensors [--seed N] [--randomize-bn]
                    [--torchvision NAME]

Without --torchvision: PyTorch-default-initialized parameters for every node
(torch_reference.build_params: nn.Conv2d / nn.Linear init, batchnorm 1/0/0/1), seeded
with --seed (default 0); --randomize-bn gives batchnorm non-trivial statistics
(weight ~ U(0.5, 1.5), bias ~ N(0, 0.1), running_mean ~ N(0, 0.1),
running_var ~ U(0.5, 1.5)), for tests.

With --torchvision NAME (e.g. resnet18): the state_dict of torchvision.models.NAME()
initialized by torchvision under torch.manual_seed(--seed) (nothing is downloaded),
keeping the tensors the model uses (num_batches_tracked and the like are dropped) under
the names the model reads them by; a missing tensor or a shape mismatch is an error.
--randomize-bn then replaces the batchnorm tensors as above.

Run with /usr/bin/python3 (Debian's torch 1.13).
"""

import argparse
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
sys.path.insert(0, os.path.join(HERE, "..", "tools", "pyutil"))
import safetensors_io  # noqa: E402
import torch_reference as R  # noqa: E402


def randomize_batchnorm(params, specs, seed):
    gen = torch.Generator().manual_seed(seed + 1)
    for tn, sp in specs.items():
        if sp.op != "batchnorm":
            continue
        C = sp.shape[0]
        if sp.role == "weight":
            params[tn] = torch.rand(C, generator=gen) + 0.5
        elif sp.role == "bias":
            params[tn] = torch.randn(C, generator=gen) * 0.1
        elif sp.role == "running_mean":
            params[tn] = torch.randn(C, generator=gen) * 0.1
        elif sp.role == "running_var":
            params[tn] = torch.rand(C, generator=gen) + 0.5
    return params


def torchvision_params(model_path, name, seed):
    import torchvision
    specs = R.param_specs(model_path)
    ctor = getattr(torchvision.models, name, None)
    if ctor is None or not callable(ctor):
        raise R.ModelError(f"torchvision.models has no model '{name}'")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        sd = ctor().state_dict()  # weights=None: torchvision's own seeded init
    out = {}
    errors = []
    for tn, sp in specs.items():
        # the model reads `tn`; torchvision has it under `tn` or under <node>.<role>
        src = tn if tn in sd else f"{sp.node}.{sp.role}"
        if src not in sd:
            errors.append(f"node '{sp.node}': torchvision {name} has no tensor '{tn}'")
            continue
        t = sd[src]
        if list(t.shape) != sp.shape:
            errors.append(f"node '{sp.node}': '{src}' has shape {list(t.shape)} in "
                          f"torchvision {name}, the model needs {sp.shape}")
            continue
        out[tn] = t.detach().to(torch.float32).contiguous().clone()
    if errors:
        raise R.ModelError("\n".join(errors))
    return out, specs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="cnnc model JSON")
    ap.add_argument("out", help="output safetensors file")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--randomize-bn", action="store_true",
                    help="non-trivial batchnorm parameters and statistics")
    ap.add_argument("--torchvision", metavar="NAME",
                    help="take the state_dict of torchvision.models.NAME()")
    args = ap.parse_args(argv)
    try:
        if args.torchvision:
            params, specs = torchvision_params(args.model, args.torchvision, args.seed)
            if args.randomize_bn:
                randomize_batchnorm(params, specs, args.seed)
        else:
            params = R.build_params(args.model, args.seed, randomize_bn=args.randomize_bn)
    except R.ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    safetensors_io.save(args.out, params)
    total = sum(t.numel() for t in params.values())
    print(f"wrote {args.out}: {len(params)} tensors, {total} values", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
