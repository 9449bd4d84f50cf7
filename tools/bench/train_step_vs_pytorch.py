#!/usr/bin/python3
"""Benchmark (not a test): one training step (forward, backward, SGD with
momentum), cnnc against PyTorch eager on the same machine, 2 threads each;
prints min and median ms per step.

    train_step_vs_pytorch.py [--model resnet18] [--batch 32] [--size 32]
                             [--classes 10] [--steps 10] [--rounds 3] [--threads 2]
                             [--profile]

With --profile, each engine then profiles its step in a process of its own
and the script prints ms per step by op: cnnc's `profile_train_step` (its
"node op" rows summed by op) and PyTorch's autograd profiler (self CPU time
of each aten op, averaged over 5 steps).

The torchvision model is exported (tools/export) with the same weights for
both, compiled with `cnnc --train --optimizer=sgd --lr=0.01 --momentum=0.9`
and stepped through the Python package; PyTorch runs nn.CrossEntropyLoss
and torch.optim.SGD with the same settings in train mode. Each round runs
each engine in a process of its own, one after the other: in one process
the two OpenMP runtimes (PyTorch's libgomp, cnnc's libomp) spin-wait on
the cores the other then needs. Run with PYTHONPATH=build/python.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def export_and_compile(cnnc, model, batch, size, classes, cnnc_flags=()):
    """torchvision's `model` exported at [batch, 3, size, size] with `classes`
    outputs and compiled by `cnnc --train` (SGD, lr 0.01, momentum 0.9):
    the paths of its weights and of the library, in a fresh folder."""
    work = tempfile.mkdtemp()
    js, ws, so = (os.path.join(work, n) for n in ("m.json", "m.safetensors", "m.so"))
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "export", "cnnc_export.py"),
                    f"torchvision:{model}", js, "--weights", ws, "--batch", str(batch),
                    "--input-shape", f"{batch},3,{size},{size}",
                    "--model-kwargs", '{"num_classes": %d}' % classes], check=True,
                   capture_output=True)
    subprocess.run([cnnc, js, "--train", "--optimizer=sgd", "--lr=0.01", "--momentum=0.9",
                    *cnnc_flags, "-o", so], check=True, capture_output=True)
    return ws, so


def step_times(a):
    """This process: `a.steps` timed steps of one engine (after 2 untimed)."""
    import torch
    torch.set_num_threads(a.threads)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(a.batch, 3, a.size, a.size, generator=gen)
    y = torch.randint(0, a.classes, (a.batch,), generator=gen)
    if a.engine == "cnnc":
        import cnnc
        net = cnnc.load(a.library)
        name = net.inputs[0][0]

        def step():
            return net.train_step({name: x}, y)
    else:
        import torchvision
        sys.path.insert(0, os.path.join(ROOT, "tools", "pyutil"))
        import safetensors_io
        model = getattr(torchvision.models, a.model)(num_classes=a.classes)
        weights = safetensors_io.load(a.weights)
        model.load_state_dict({k: torch.as_tensor(v) for k, v in weights.items()}, strict=False)
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss_fn = torch.nn.CrossEntropyLoss()

        def step():
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            return float(loss)
    for _ in range(2):
        step()
    if a.profile_engine:
        print(json.dumps(profile_by_op(a, step, net if a.engine == "cnnc" else None,
                                       {name: x} if a.engine == "cnnc" else None, y)))
        return
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    print(json.dumps(times))


def profile_by_op(a, step, net, feeds, labels):
    """{op: ms per step} of one engine's step."""
    by_op = {}
    if a.engine == "cnnc":
        _, ops = net.profile_train_step(feeds, labels)
        for label, ms in ops:
            op = label.rsplit(" ", 1)[-1]
            by_op[op] = by_op.get(op, 0.0) + ms
        return by_op
    import torch
    steps = 5
    with torch.autograd.profiler.profile() as prof:
        for _ in range(steps):
            step()
    for e in prof.key_averages():
        if e.key.startswith("aten::") and e.self_cpu_time_total > 0:
            by_op[e.key] = e.self_cpu_time_total / 1e3 / steps
    return by_op


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="resnet18")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cnnc", default=os.path.join(ROOT, "build", "bin", "cnnc"))
    # One engine's steps in this process (used by the rounds).
    ap.add_argument("--profile", action="store_true",
                    help="also print each engine's ms per step by op")
    ap.add_argument("--engine", choices=["cnnc", "pytorch"], help=argparse.SUPPRESS)
    ap.add_argument("--profile-engine", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--library", help=argparse.SUPPRESS)
    ap.add_argument("--weights", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.engine:
        return step_times(a)
    ws, so = export_and_compile(a.cnnc, a.model, a.batch, a.size, a.classes)
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    common = [sys.executable, os.path.abspath(__file__), "--model", a.model,
              "--batch", str(a.batch), "--size", str(a.size), "--classes", str(a.classes),
              "--steps", str(a.steps), "--threads", str(a.threads),
              "--library", so, "--weights", ws]
    times = {"cnnc": [], "pytorch": []}
    for _ in range(a.rounds):
        for engine in times:
            out = subprocess.run(common + ["--engine", engine], check=True, env=env,
                                 capture_output=True, text=True).stdout
            times[engine] += json.loads(out.strip().splitlines()[-1])
    import torch
    print(f"{a.model} {a.size}x{a.size} batch {a.batch}, SGD momentum, {a.threads} threads, "
          f"{a.rounds} rounds x {a.steps} steps, each engine in its own process; "
          f"torch {torch.__version__}")
    for key, t in times.items():
        print(f"  {key:8s} min {min(t):8.1f} ms  median {statistics.median(t):8.1f} ms")
    ratio = statistics.median(times["cnnc"]) / statistics.median(times["pytorch"])
    print(f"  cnnc / pytorch (median): {ratio:.2f}")
    if a.profile:
        for engine in times:
            out = subprocess.run(common + ["--engine", engine, "--profile-engine"], check=True,
                                 env=env, capture_output=True, text=True).stdout
            by_op = json.loads(out.strip().splitlines()[-1])
            print(f"{engine}: ms per step by op (total {sum(by_op.values()):.1f})")
            for op, ms in sorted(by_op.items(), key=lambda kv: -kv[1])[:12]:
                print(f"  {op:40s} {ms:8.2f}")


if __name__ == "__main__":
    main()
