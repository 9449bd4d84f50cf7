"""runtime_batch_check.py --workdir DIR: a library compiled for batch N runs a batch
B < N with the outputs (and, for --train, the loss, gradients and parameters after
the steps) of a library compiled for batch B (spec 5.4), and refuses B > N naming the
input. Compiles with cnnc and runs with cnnc-run, both from PATH.

Checked: LeNet (forward, N = 8, B = 1, 3, 8), a conv + batchnorm net (forward, and two
training steps with B = 3 and 5 of N = 8: batchnorm's statistics and the loss count
the B real rows only), and ResNet-18 (forward, N = 4, B = 1, 3). The results are
compared at max|diff| <= 1e-5 * max(1, max|ref|); the line printed says whether they
were bit-identical.
"""
import argparse
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "pyutil"))
import safetensors_io  # noqa: E402


def cnnc(*args):
    subprocess.run(["cnnc", *args], check=True, stderr=subprocess.DEVNULL)


def cnnc_run(*args):
    return subprocess.run(["cnnc-run", *args], capture_output=True, text=True)


def compare(what, got, want):
    worst, exact = 0.0, True
    for k in want:
        g, w = np.asarray(got[k]), np.asarray(want[k])
        if g.shape != w.shape:
            sys.exit(f"FAIL {what}: {k} has shape {g.shape}, expected {w.shape}")
        d = float(np.abs(g - w).max()) if w.size else 0.0
        tol = 1e-5 * max(1.0, float(np.abs(w).max()) if w.size else 0.0)
        if d > tol:
            sys.exit(f"FAIL {what}: {k} differs by {d:.3g} (tolerance {tol:.3g})")
        exact &= d == 0.0
        worst = max(worst, d)
    print(f"ok {what}: {len(want)} tensors, max diff {worst:.3g}"
          f"{' (bit-identical)' if exact else ''}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    w = a.workdir
    os.makedirs(w, exist_ok=True)
    rng = np.random.default_rng(0)

    def forward_case(model, name, n, batches, shape):
        big = os.path.join(w, f"{name}-b{n}.so")
        cnnc(model, f"--batch={n}", "-o", big)
        for b in batches:
            small = os.path.join(w, f"{name}-b{b}.so")
            if b != n:
                cnnc(model, f"--batch={b}", "-o", small)
            x = rng.standard_normal((b, *shape)).astype(np.float32)
            inp = os.path.join(w, f"{name}-in{b}.safetensors")
            safetensors_io.save(inp, {"image": x})
            outs = []
            for lib in (big, small):
                out = lib + f".out{b}.safetensors"
                r = cnnc_run(lib, "--inputs", inp, "--outputs", out)
                if r.returncode:
                    sys.exit(f"FAIL {lib} at batch {b}: {r.stderr}")
                outs.append(safetensors_io.load(out))
            compare(f"{name} forward, batch {b} in a batch-{n} library", outs[0], outs[1])
        # Above N: an error naming the input.
        x = rng.standard_normal((n + 1, *shape)).astype(np.float32)
        inp = os.path.join(w, f"{name}-too-big.safetensors")
        safetensors_io.save(inp, {"image": x})
        r = cnnc_run(big, "--inputs", inp)
        if r.returncode != 1 or "'image'" not in r.stderr:
            sys.exit(f"FAIL batch {n + 1} on a batch-{n} library: {r.returncode} {r.stderr}")
        print(f"ok {name}: batch {n + 1} refused: {r.stderr.strip()}")

    forward_case(os.path.join(ROOT, "models", "lenet.json"), "lenet", 8, [1, 3, 8], (1, 28, 28))
    bn = os.path.join(ROOT, "test", "Runtime", "Inputs", "bn_net.json")
    forward_case(bn, "bn_net", 8, [3], (3, 8, 8))

    # Training: two steps on one batch of B rows.
    big = os.path.join(w, "bn_net-train-b8.so")
    cnnc(bn, "--train", "--batch=8", "-o", big)
    for b in (3, 5):
        small = os.path.join(w, f"bn_net-train-b{b}.so")
        cnnc(bn, "--train", f"--batch={b}", "-o", small)
        x = rng.standard_normal((b, 3, 8, 8)).astype(np.float32)
        labels = rng.integers(0, 5, size=b).astype(np.int64)
        inp = os.path.join(w, f"train-in{b}.safetensors")
        safetensors_io.save(inp, {"image": x, "labels": labels})
        outs = []
        for lib in (big, small):
            out = lib + f".step{b}.safetensors"
            r = cnnc_run(lib, "--train-step", "--steps=2", "--inputs", inp, "--outputs", out)
            if r.returncode:
                sys.exit(f"FAIL {lib} training at batch {b}: {r.stderr}")
            outs.append(safetensors_io.load(out))
        compare(f"bn_net 2 training steps, batch {b} in a batch-8 library", outs[0], outs[1])

    forward_case(os.path.join(ROOT, "models", "resnet18.json"), "resnet18", 4, [1, 3],
                 (3, 224, 224))


if __name__ == "__main__":
    main()
