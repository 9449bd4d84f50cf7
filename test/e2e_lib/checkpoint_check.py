"""Checkpoints (docs/training.md): a run of 2 + 2 training steps through
`cnnc-run --save-checkpoint` / `--resume` ends bit-identical to 4 steps in one
run (loss, every gradient, every parameter and running statistic), for SGD
with momentum and for Adam with a cosine schedule, both with dropout (the
seed and step index travel too) and batchnorm. Then the errors: a corrupt
checkpoint, one of another model, of another optimizer, and a weights file
that is not a checkpoint, each an error naming the file (exit 1)."""
import argparse
import json
import os
import subprocess
import sys

import torch

try:  # the built package (build/python on PYTHONPATH) before the source tree's
    import cnnc
except ImportError:
    cnnc = None
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "pyutil"))
import safetensors_io  # noqa: E402


def model(name, optimizer, **training):
    nodes = [
        {"name": "c", "op": "conv2d", "inputs": ["x"],
         "attrs": {"out_channels": 4, "kernel": 3, "padding": 1, "bias": False}},
        {"name": "bn", "op": "batchnorm", "inputs": ["c"]},
        {"name": "r", "op": "relu", "inputs": ["bn"]},
        {"name": "g", "op": "global_avgpool2d", "inputs": ["r"]},
        {"name": "f", "op": "flatten", "inputs": ["g"]},
        {"name": "drop", "op": "dropout", "inputs": ["f"], "attrs": {"p": 0.25}},
        {"name": "logits", "op": "dense", "inputs": ["drop"], "attrs": {"out_features": 3}},
    ]
    return {"format": "cnnc-model", "version": 1, "name": name,
            "inputs": [{"name": "x", "shape": [2, 3, 6, 6]}], "outputs": ["logits"],
            "nodes": nodes,
            "training": {"loss": "softmax_cross_entropy", "optimizer": optimizer, **training}}


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode, (r.stdout + r.stderr).strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cnnc", required=True)
    ap.add_argument("--cnnc-run", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--python-api", action="store_true",
                    help="also through the Python package (cnnc on PYTHONPATH)")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    w = lambda *p: os.path.join(a.workdir, *p)  # noqa: E731
    gen = torch.Generator().manual_seed(5)
    safetensors_io.save(w("batch.safetensors"), {"x": torch.randn(2, 3, 6, 6, generator=gen),
                                                "labels": torch.tensor([2, 0])})
    models = {
        "sgd": model("ck_sgd", {"type": "sgd", "learning_rate": 0.1, "momentum": 0.9,
                                "weight_decay": 0.01}),
        "adam": model("ck_adam", {"type": "adam", "learning_rate": 0.01},
                      lr_schedule={"type": "cosine", "t_max": 6}, clip_grad_norm=1.0),
        # The same graph and names as ck_adam, another optimizer.
        "adamw": model("ck_adam", {"type": "adamw", "learning_rate": 0.01}),
    }
    for key, m in models.items():
        json.dump(m, open(w(key + ".json"), "w"))
        rc, out = run([a.cnnc, w(key + ".json"), "--train", "-o", w(key + ".so")])
        if rc:
            print(f"FAIL compile {key}: {out}")
            return 1
    ok = True
    for key in ("sgd", "adam"):
        so = w(key + ".so")
        step = [a.cnnc_run, so, "--train-step", "--inputs", w("batch.safetensors")]
        runs = [step + ["--steps=4", "--seed=7", "--outputs", w(key + "_4.safetensors")],
                step + ["--steps=2", "--seed=7", "--save-checkpoint", w(key + "_ck.safetensors")],
                step + ["--steps=2", "--resume", w(key + "_ck.safetensors"),
                        "--outputs", w(key + "_2_2.safetensors")]]
        for cmd in runs:
            rc, out = run(cmd)
            if rc:
                print(f"FAIL {key}: {' '.join(cmd)}: {out}")
                return 1
        straight = open(w(key + "_4.safetensors"), "rb").read()
        resumed = open(w(key + "_2_2.safetensors"), "rb").read()
        tensors = len(safetensors_io.load(w(key + "_4.safetensors")))
        same = straight == resumed
        ok &= same
        print(f"{'PASS' if same else 'FAIL'} resume_{key}: 2 + 2 steps "
              f"{'bit-identical to' if same else 'differ from'} 4 steps ({tensors} tensors)")
        # A resumed run without the checkpoint differs (the test can fail).
        rc, _ = run(step + ["--steps=2", "--seed=7", "--outputs", w(key + "_2.safetensors")])
        differs = open(w(key + "_2.safetensors"), "rb").read() != straight
        ok &= differs
        print(f"{'PASS' if differs else 'FAIL'} fresh_{key}: 2 steps from the start differ "
              "from 4 steps")

    # The Python package: save after 2 steps, load into a fresh model, 2 more.
    if a.python_api:
        batch = safetensors_io.load(w("batch.safetensors"))
        feeds, labels = {"x": batch["x"]}, batch["labels"]
        first = cnnc.load(w("adam.so"))
        first.seed = 7
        for _ in range(2):
            first.train_step(feeds, labels)
        first.save_checkpoint(w("py_ck.safetensors"))
        for _ in range(2):
            first.train_step(feeds, labels)
        second = cnnc.load(w("adam.so"))
        second.load_checkpoint(w("py_ck.safetensors"))
        for _ in range(2):
            second.train_step(feeds, labels)
        p1, p2 = first.parameters(), second.parameters()
        same = all(torch.equal(torch.as_tensor(p1[k]), torch.as_tensor(p2[k])) for k in p1)
        ok &= same
        print(f"{'PASS' if same else 'FAIL'} python_resume_adam: {len(p1)} parameters "
              f"{'bit-identical' if same else 'differ'}")
        try:
            cnnc.load(w("sgd.so")).load_checkpoint(w("py_ck.safetensors"))
            print("FAIL python_other_model: no error")
            ok = False
        except Exception as e:  # noqa: BLE001
            print(f"PASS python_other_model: {type(e).__name__}: {e}")

    # Errors: each names the checkpoint file and exits 1.
    ck = w("adam_ck.safetensors")
    data = open(ck, "rb").read()
    open(w("corrupt.safetensors"), "wb").write(data[:len(data) // 2])
    step = lambda so, ckpt: [a.cnnc_run, w(so), "--train-step", "--inputs",  # noqa: E731
                             w("batch.safetensors"), "--resume", ckpt]
    cases = [("corrupt", step("adam.so", w("corrupt.safetensors"))),
             ("other_model", step("sgd.so", ck)),
             ("other_optimizer", step("adamw.so", ck)),
             ("not_a_checkpoint", step("adam.so", w("batch.safetensors")))]
    for name, cmd in cases:
        rc, out = run(cmd)
        good = rc == 1 and "safetensors" in out
        ok &= good
        print(f"{'PASS' if good else 'FAIL'} {name}: exit {rc}: {out.splitlines()[-1] if out else ''}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
