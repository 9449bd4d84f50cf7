"""Data-parallel training over MPI (docs/training.md): `mpirun -np 2 cnnc-run
--train-step --data-parallel`, each process training on its half of a batch,
ends with the parameters (and gradients, loss, running statistics) of one
process training on the whole batch, within rounding: for LeNet (SGD with
momentum and weight decay) and a small ResNet with batchnorm (synchronized
statistics; Adam with clipping), also with a share below the compiled batch
(padding rows). A control shows the check can fail: one process training on
half the batch ends elsewhere. Then the failures: a process that dies mid-run
makes the job exit with an error (no hang), and --data-parallel with a
library built without it is an error naming the file."""
import argparse
import json
import os
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "pyutil"))
import safetensors_io  # noqa: E402

# Rounding: the two halves sum their shares in another order than one pass,
# and Adam's m / sqrt(v) magnifies it where a gradient is near zero; so the
# error is measured against each tensor's largest magnitude.
RTOL, ATOL = 1e-4, 1e-6


def small_resnet(batch):
    """conv-bn-relu, a basic block, a downsampling block (1x1 conv + bn
    shortcut), global pool, dense: every batchnorm path of a ResNet."""
    def conv(name, src, out, k=3, stride=1):
        return {"name": name, "op": "conv2d", "inputs": [src],
                "attrs": {"out_channels": out, "kernel": k, "stride": stride,
                          "padding": k // 2, "bias": False}}

    def bn(name, src):
        return {"name": name, "op": "batchnorm", "inputs": [src]}

    def relu(name, src):
        return {"name": name, "op": "relu", "inputs": [src]}

    nodes = [conv("stem", "x", 8), bn("stem_bn", "stem"), relu("stem_r", "stem_bn"),
             conv("b1c1", "stem_r", 8), bn("b1n1", "b1c1"), relu("b1r1", "b1n1"),
             conv("b1c2", "b1r1", 8), bn("b1n2", "b1c2"),
             {"name": "b1add", "op": "add", "inputs": ["b1n2", "stem_r"]},
             relu("b1out", "b1add"),
             conv("b2c1", "b1out", 16, stride=2), bn("b2n1", "b2c1"), relu("b2r1", "b2n1"),
             conv("b2c2", "b2r1", 16), bn("b2n2", "b2c2"),
             conv("b2down", "b1out", 16, k=1, stride=2), bn("b2dn", "b2down"),
             {"name": "b2add", "op": "add", "inputs": ["b2n2", "b2dn"]},
             relu("b2out", "b2add"),
             {"name": "pool", "op": "global_avgpool2d", "inputs": ["b2out"]},
             {"name": "flat", "op": "flatten", "inputs": ["pool"]},
             {"name": "fc", "op": "dense", "inputs": ["flat"], "attrs": {"out_features": 5}}]
    return {"format": "cnnc-model", "version": 1, "name": "small_resnet",
            "inputs": [{"name": "x", "shape": [batch, 3, 12, 12]}], "outputs": ["fc"],
            "nodes": nodes,
            "training": {"loss": "softmax_cross_entropy",
                         "optimizer": {"type": "adam", "learning_rate": 0.01,
                                       "weight_decay": 0.001},
                         "clip_grad_norm": 1.0}}


def run(cmd, timeout=600):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return r.returncode, (r.stdout + r.stderr).strip()


def compare(ref, got):
    """(close, the worst max|got - ref| / (max|ref| + ATOL/RTOL) over the
    tensors, and which): close when that is below RTOL for every tensor."""
    worst, where = 0.0, ""
    if set(ref) != set(got):
        return False, float("inf"), "the tensors' names"
    for k in ref:
        a, b = torch.as_tensor(ref[k]), torch.as_tensor(got[k])
        err = ((a - b).abs().max() / (a.abs().max() + ATOL / RTOL)).item()
        err = float("inf") if err != err else err  # NaN counts as the worst
        if err > worst:
            worst, where = err, k
    return worst <= RTOL, worst, where


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cnnc", required=True)
    ap.add_argument("--cnnc-run", required=True)
    ap.add_argument("--models", required=True, help="the zoo's folder (lenet.json)")
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    w = lambda *p: os.path.join(a.workdir, *p)  # noqa: E731
    # Two processes on CI's two cores; mpirun refuses root unless told.
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", OMP_NUM_THREADS="1")
    mpirun = ["mpirun", "-np", "2", "--oversubscribe"]

    def mpi(cmd, timeout=600):
        r = subprocess.run(mpirun + cmd, capture_output=True, text=True, timeout=timeout,
                           env=env)
        return r.returncode, (r.stdout + r.stderr).strip()

    def compile_(src, batch, out, dp):
        cmd = [a.cnnc, src, "--train", f"--batch={batch}", "-o", out]
        rc, msg = run(cmd + (["--data-parallel"] if dp else []))
        if rc:
            raise SystemExit(f"FAIL compile {' '.join(cmd)}: {msg}")

    gen = torch.Generator().manual_seed(3)
    json.dump(small_resnet(4), open(w("resnet.json"), "w"))
    cases = [  # name, model, compiled share, rows in the combined batch, input
        ("lenet", os.path.join(a.models, "lenet.json"), 4, 8, ("image", (1, 28, 28), 10)),
        ("resnet_bn", w("resnet.json"), 4, 8, ("x", (3, 12, 12), 5)),
        ("resnet_bn_padded", w("resnet.json"), 4, 6, ("x", (3, 12, 12), 5)),
    ]
    ok = True
    for name, src, share, rows, (inp, shape, classes) in cases:
        batch = w(name + "_batch.safetensors")
        safetensors_io.save(batch, {inp: torch.randn(rows, *shape, generator=gen),
                                    "labels": torch.randint(0, classes, (rows,), generator=gen)})
        compile_(src, share, w(name + "_dp.so"), True)
        compile_(src, rows, w(name + "_one.so"), False)
        steps = ["--train-step", "--steps=3", "--seed=1", "--inputs", batch, "--outputs"]
        rc, msg = mpi([a.cnnc_run, w(name + "_dp.so"), "--data-parallel"] + steps +
                      [w(name + "_dp.safetensors")])
        if rc:
            print(f"FAIL {name}: mpirun: {msg}")
            ok = False
            continue
        rc, msg = run([a.cnnc_run, w(name + "_one.so")] + steps + [w(name + "_one.safetensors")])
        if rc:
            print(f"FAIL {name}: one process: {msg}")
            ok = False
            continue
        ref = safetensors_io.load(w(name + "_one.safetensors"))
        got = safetensors_io.load(w(name + "_dp.safetensors"))
        same, worst, where = compare(ref, got)
        ok &= same
        print(f"{'PASS' if same else 'FAIL'} {name}: 2 processes x {rows // 2} rows, 3 steps = "
              f"1 process x {rows} rows ({len(ref)} tensors, worst relative error "
              f"{worst:.1e} in {where})")

    # Control: one process on its half alone ends elsewhere.
    half = w("half.safetensors")
    full = safetensors_io.load(w("resnet_bn_batch.safetensors"))
    safetensors_io.save(half, {k: v[:4] for k, v in full.items()})
    rc, msg = run([a.cnnc_run, w("resnet_bn_dp.so"), "--train-step", "--steps=3", "--seed=1",
                   "--inputs", half, "--outputs", w("half_out.safetensors")])
    same, worst, _ = compare(safetensors_io.load(w("resnet_bn_one.safetensors")),
                             safetensors_io.load(w("half_out.safetensors")))
    ok &= not same and rc == 0
    print(f"{'PASS' if not same and rc == 0 else 'FAIL'} control: half the batch in one process "
          f"differs (worst relative error {worst:.1e})")

    # A process that dies mid-run (SIGKILL after 2 s of many steps): the
    # other must not wait for it forever; the job ends with an error.
    steps = [a.cnnc_run, w("lenet_dp.so"), "--data-parallel", "--train-step", "--steps=1000000",
             "--inputs", w("lenet_batch.safetensors")]
    script = ('if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then exec timeout -s KILL 2 "$@"; '
              'else exec "$@"; fi')
    t0 = time.time()
    try:
        rc, msg = mpi(["sh", "-c", script, "rank"] + steps, timeout=120)
    except subprocess.TimeoutExpired:
        rc, msg = None, "still running after 120 s"
    took = time.time() - t0
    died = rc not in (0, None)
    ok &= died
    # mpirun's own account of the death, else its last line.
    lines = msg.splitlines()
    tail = next((l.strip() for l in lines if "signal" in l or "exited" in l),
                lines[-1] if lines else "")
    print(f"{'PASS' if died else 'FAIL'} rank_death: exit {rc} after {took:.0f} s ({tail[:80]})")

    # --data-parallel needs a library built for it.
    rc, msg = mpi([a.cnnc_run, w("lenet_one.so"), "--data-parallel", "--train-step",
                   "--inputs", w("lenet_batch.safetensors")], timeout=120)
    line = next((l for l in msg.splitlines() if "cnnc-run: error" in l), msg[:200])
    good = rc != 0 and "recompile with cnnc --train --data-parallel" in line
    ok &= good
    print(f"{'PASS' if good else 'FAIL'} not_data_parallel: exit {rc}: {line}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
