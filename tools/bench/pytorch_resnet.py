#!/usr/bin/python3
"""Times torchvision ResNet at batch N in PyTorch: eval, torch.jit.freeze, T threads.

Prints one line: "pytorch <model> batch <N>: min X ms median Y ms max Z ms".
"""
import argparse
import statistics
import time

import torch
import torchvision

p = argparse.ArgumentParser()
p.add_argument("--model", default="resnet18")
p.add_argument("--batch", type=int, default=1)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--runs", type=int, default=20)
a = p.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(0)
model = getattr(torchvision.models, a.model)().eval()
x = torch.randn(a.batch, 3, 224, 224)
with torch.no_grad():
    frozen = torch.jit.freeze(torch.jit.trace(model, x))
    try:
        frozen = torch.jit.optimize_for_inference(frozen)
    except Exception:
        pass
    for _ in range(3):
        frozen(x)
    times = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        frozen(x)
        times.append((time.perf_counter() - t0) * 1e3)
times.sort()
print(f"pytorch {a.model} batch {a.batch}: min {times[0]:.3f} ms  "
      f"median {statistics.median(times):.3f} ms  max {times[-1]:.3f} ms")
