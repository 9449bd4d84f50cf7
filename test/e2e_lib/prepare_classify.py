#!/usr/bin/python3
"""Prepare a classification check for cnnc-example-classify.

    prepare_classify.py MODEL.json --workdir DIR [--seed S]

Writes, in DIR: model.json (MODEL.json with "weights" set), weights.safetensors
(torch_reference.build_params(..., randomize_bn=True) with the seed), image.safetensors
(torch.randn under the model's single input name, seeded) and expected.check, a
FileCheck file that expects "predicted class K (p = ...)" for the class K that the
PyTorch reference predicts (it fails if the top two logits are too close to call).
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import e2e  # noqa: E402
from e2e import R, safetensors_io, torch  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    os.makedirs(args.workdir, exist_ok=True)
    with open(args.model, encoding="utf-8") as f:
        spec = json.load(f)
    spec["weights"] = "weights.safetensors"
    path = os.path.join(args.workdir, "model.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(spec, f, indent=1)
    model = R.load_model(path)
    params = R.build_params(model, args.seed, randomize_bn=True)
    safetensors_io.save(os.path.join(args.workdir, "weights.safetensors"), params)
    inputs = e2e.make_inputs(model, args.seed)
    if len(inputs) != 1 or len(model.outputs) != 1:
        sys.exit("prepare_classify.py: the model needs one input and one output")
    safetensors_io.save(os.path.join(args.workdir, "image.safetensors"), inputs)
    logits = R.run_model(model, inputs, params)[model.outputs[0]]
    if logits.dim() != 2 or logits.shape[0] != 1:
        sys.exit(f"prepare_classify.py: expected a [1, K] output, got {list(logits.shape)}")
    top2 = torch.topk(logits[0], 2)
    if (top2.values[0] - top2.values[1]).item() < 1e-3:
        sys.exit("prepare_classify.py: the top two classes are too close; pick another seed")
    k = top2.indices[0].item()
    p = torch.softmax(logits[0], 0)[k].item()
    with open(os.path.join(args.workdir, "expected.check"), "w") as f:
        f.write(f"CHECK: predicted class {k} (p = {{{{[0-9.]+}}}})\n")
    print(f"reference: class {k}, p = {p:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
