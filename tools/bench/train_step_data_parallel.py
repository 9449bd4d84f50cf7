#!/usr/bin/python3
"""A data-parallel training step against the same work without the sums.

    tools/bench/train_step_data_parallel.py [--model resnet18] [--rows 16] [--size 32]
                                            [--steps 30] [--rounds 3] [--cnnc PATH]

Exports the torchvision model (10 classes), compiles it with `cnnc --train
--data-parallel` (SGD, momentum 0.9), then per round times the step of
`mpirun -np 2` (one thread each, `--rows` rows each: a batch of 2 x rows)
and of two independent processes running the same library on their rows
with no communicator, at the same time. Prints the medians of each round:
the gap is what summing over the replicas costs. The processes re-run this
file with --worker (Python package `cnnc`, `Model.use_mpi`).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMP_NUM_THREADS": "1"}


def worker(a):
    import torch
    sys.path.insert(0, os.path.join(ROOT, "build", "python"))
    import cnnc
    net = cnnc.load(a.library)
    rank = net.use_mpi()[0] if a.mpi else 0
    gen = torch.Generator().manual_seed(rank)
    x = torch.randn(a.rows, 3, a.size, a.size, generator=gen)
    y = torch.randint(0, 10, (a.rows,), generator=gen)
    name = net.inputs[0][0]
    for _ in range(3):
        net.train_step({name: x}, y)
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        net.train_step({name: x}, y)
        times.append((time.perf_counter() - t0) * 1e3)
    if rank == 0:
        print(f"{statistics.median(times):.2f}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="resnet18")
    ap.add_argument("--rows", type=int, default=16)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cnnc", default=os.path.join(ROOT, "build", "bin", "cnnc"))
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--mpi", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--library", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        return worker(a)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from train_step_vs_pytorch import export_and_compile
    _, so = export_and_compile(a.cnnc, a.model, a.rows, a.size, 10, ["--data-parallel"])
    env = dict(os.environ, **MPI_ENV)
    me = [os.path.abspath(__file__), "--worker", "--library", so, "--rows", str(a.rows),
          "--size", str(a.size), "--steps", str(a.steps)]
    print(f"{a.model} {a.size}x{a.size}, 2 processes x {a.rows} rows, one thread each, "
          f"SGD momentum; median ms per step of {a.steps}")
    for r in range(a.rounds):
        dp = subprocess.run(["mpirun", "--oversubscribe", "-np", "2", "-x", "OMP_NUM_THREADS",
                             sys.executable] + me + ["--mpi"], env=env, check=True,
                            capture_output=True, text=True).stdout.split()[-1]
        solo = [subprocess.Popen([sys.executable] + me, env=env, stdout=subprocess.PIPE, text=True)
                for _ in range(2)]
        alone = [p.communicate()[0].split()[-1] for p in solo]
        print(f"  round {r + 1}: data-parallel {dp}  |  two independent processes "
              f"{' '.join(alone)}")


if __name__ == "__main__":
    main()
