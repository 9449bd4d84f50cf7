#!/usr/bin/python3
"""Throughput (images/s) of one loaded model called by several threads: cnnc (one
cnnc.Model, the runtime's session pool) against ONNX Runtime (one InferenceSession,
concurrent run() calls), side by side in one run. A benchmark, not a test.

    /usr/bin/python3 tools/bench/throughput.py [--models resnet18,mobilenet_v2]
        [--batch 1] [--seconds 5] [--rounds 3] [--out docs/bench/throughput.md]

Per model: torchvision.models.NAME (random weights), compiled by cnnc.compile and
exported by torch.onnx.export. Configurations, each as callers x intra-op threads:
1 x 1, 2 x 1 (a server: one session per core) and 1 x all cores (one latency-bound
caller). Rounds alternate the engines; the table reports the median and best rounds.
Needs the build (build/python) and tools/bench/setup-peers.sh (onnxruntime-node).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "build", "python"))
import cnnc  # noqa: E402


def cnnc_throughput(model, x, callers, threads, seconds):
    m = model
    for _ in range(3):
        m(x, threads=threads)
    counts = [0] * callers
    deadline = time.perf_counter() + seconds

    def work(i):
        while time.perf_counter() < deadline:
            m(x, threads=threads)
            counts[i] += 1

    t0 = time.perf_counter()
    pool = [threading.Thread(target=work, args=(i,)) for i in range(callers)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    took = time.perf_counter() - t0
    return sum(counts) * x.shape[0] / took


def ort_throughput(onnx_path, input_path, shape, callers, threads, seconds, node_modules):
    env = dict(os.environ, NODE_PATH=node_modules)
    out = subprocess.run(["node", os.path.join(HERE, "ort_throughput.js"), onnx_path, input_path,
                          ",".join(map(str, shape)), "--callers", str(callers), "--threads",
                          str(threads), "--seconds", str(seconds)],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["images_per_s"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="resnet18,mobilenet_v2")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", help="also write the table (markdown) here")
    a = ap.parse_args()
    node_modules = os.path.join(ROOT, "build", "bench-peers", "node_modules")
    if not os.path.exists(os.path.join(node_modules, "onnxruntime-node")):
        sys.exit("run tools/bench/setup-peers.sh first")
    cores = os.cpu_count()
    configs = [(1, 1), (2, 1), (1, cores)]
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                if ln.startswith("model name")), "?")
    isa = "AVX-512" if "avx512f" in open("/proc/cpuinfo").read() else "AVX2"
    lines = [f"Throughput, images/s (higher is better), batch {a.batch}, {cpu} ({isa}), "
             f"{cores} cores, {a.seconds:g} s per measurement, {a.rounds} alternated rounds: "
             "median (best).", "",
             "| model | callers x threads | cnnc | ONNX Runtime | cnnc / ORT |",
             "| --- | --- | --- | --- | --- |"]
    with tempfile.TemporaryDirectory(prefix="cnnc-throughput-") as tmp:
        for name in a.models.split(","):
            torch.manual_seed(0)
            net = getattr(torchvision.models, name)().eval()
            x = torch.randn(a.batch, 3, 224, 224)
            lib = cnnc.compile(net, os.path.join(tmp, f"{name}.so"), example_input=x, name=name)
            onnx_path = os.path.join(tmp, f"{name}.onnx")
            torch.onnx.export(net, x, onnx_path, opset_version=13, input_names=["image"])
            input_path = os.path.join(tmp, f"{name}.f32")
            x.numpy().tofile(input_path)
            model = cnnc.load(lib)
            xs = x.numpy()
            for callers, threads in configs:
                ours, theirs = [], []
                for _ in range(a.rounds):
                    ours.append(cnnc_throughput(model, xs, callers, threads, a.seconds))
                    theirs.append(ort_throughput(onnx_path, input_path, list(x.shape), callers,
                                                 threads, a.seconds, node_modules))
                mo, mt = statistics.median(ours), statistics.median(theirs)
                row = (f"| {name} | {callers} x {threads} | {mo:.1f} ({max(ours):.1f}) | "
                       f"{mt:.1f} ({max(theirs):.1f}) | {mo / mt:.2f} |")
                print(row, flush=True)
                lines.append(row)
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
