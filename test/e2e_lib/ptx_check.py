#!/usr/bin/python3
"""Compiles models with cnnc -target=nvptx --emit=ptx and assembles every kernel
module with ptxas, for each requested chip.

    ptx_check.py --cnnc PATH --ptxas PATH --workdir DIR [--chip sm_90 ...]
                 [--op-cases] [--train] [--train-cases] [MODEL.json ...]

--op-cases adds the first three cases of every family of op_cases.py (every
spec op appears among them). --train compiles the training step instead of
the forward graph (cnnc --train; a model without a "training" object gets
LeNet's SGD recipe); --train-cases adds every case of train_check.py. Prints one line per (model, chip) and exits
non-zero if cnnc or ptxas fails anywhere.
"""

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


TRAINING = {"loss": "softmax_cross_entropy",
            "optimizer": {"type": "sgd", "learning_rate": 0.05, "momentum": 0.9,
                          "weight_decay": 0.0005}}


def with_training(workdir, name, model_path):
    """A copy of the model with a training object (weights path kept absolute)."""
    spec = json.load(open(model_path))
    if "training" in spec:
        return model_path
    spec["training"] = TRAINING
    if "weights" in spec:
        spec["weights"] = os.path.join(os.path.dirname(os.path.abspath(model_path)),
                                       spec["weights"])
    os.makedirs(workdir, exist_ok=True)
    p = os.path.join(workdir, name + ".train.json")
    json.dump(spec, open(p, "w"))
    return p


def check(cnnc, ptxas, workdir, name, model_path, chip, train=False):
    d = os.path.join(workdir, name, chip)
    os.makedirs(d, exist_ok=True)
    argv = [cnnc, model_path, "-target=nvptx", f"-mcpu={chip}", "--emit=ptx"]
    if train:
        argv.append("--train")
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode:
        return False, f"{name} {chip}: cnnc failed: {r.stderr.strip()[:400]}"
    # `--emit=ptx` writes one module, assembled as it is.
    kernels = r.stdout.count(".entry ")
    if not kernels:
        return False, f"{name} {chip}: no kernels in the PTX"
    p = os.path.join(d, "kernels.ptx")
    open(p, "w").write(r.stdout)
    a = subprocess.run([ptxas, f"-arch={chip}", p, "-o", os.devnull],
                       capture_output=True, text=True)
    if a.returncode:
        return False, f"{name} {chip}: ptxas rejects the PTX: {a.stderr[:400]}"
    return True, f"{name} {chip}: {kernels} kernels assemble"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cnnc", required=True)
    ap.add_argument("--ptxas", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--chip", action="append")
    ap.add_argument("--op-cases", action="store_true")
    ap.add_argument("--train", action="store_true")
    ap.add_argument("--train-cases", action="store_true")
    ap.add_argument("models", nargs="*")
    a = ap.parse_args()
    chips = a.chip or ["sm_90", "sm_80"]
    jobs = []
    if a.op_cases:
        import op_cases
        for fam in op_cases.FAMILIES:
            for case in op_cases.CASES[fam][:3]:
                p = os.path.join(a.workdir, case.name + ".json")
                os.makedirs(a.workdir, exist_ok=True)
                json.dump(case.model, open(p, "w"))
                jobs.append((case.name, p, False))
    if a.train_cases:
        import train_check
        os.makedirs(a.workdir, exist_ok=True)
        for fam in sorted(train_check.CASES):
            for case in train_check.CASES[fam]:
                p = os.path.join(a.workdir, case["name"] + ".json")
                json.dump(case["model"], open(p, "w"))
                jobs.append((case["name"], p, True))
    for m in a.models:
        name = os.path.splitext(os.path.basename(m))[0]
        jobs.append((name, with_training(a.workdir, name, m) if a.train else m, a.train))
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futs = [pool.submit(check, a.cnnc, a.ptxas, a.workdir, n, p, c, t)
                for n, p, t in jobs for c in chips]
        for f in futs:
            ok, msg = f.result()
            print(("PASS " if ok else "FAIL ") + msg)
            failed += not ok
    print(f"{len(futs) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
