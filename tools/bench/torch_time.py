#!/usr/bin/python3
"""Times one TorchScript model in PyTorch the way tools/bench/zoo_bench.py compares it.

    torch_time.py MODEL.pt INPUT.pt --runs N [--threads T] [--warmup W] [--output OUT.pt]

MODEL.pt is torch.jit.trace of the eval-mode module (saved by zoo_bench.py, so it
carries the same weights as the cnnc and ONNX models); INPUT.pt a tensor.  The model
is frozen (torch.jit.freeze) and optimized (torch.jit.optimize_for_inference: conv +
batchnorm folding, oneDNN convolutions), run W times untimed, then N times timed under
torch.no_grad() with T intra-op threads.  Prints one JSON line:
{"engine": "pytorch", "runs": N, "min_ms": ..., "median_ms": ..., "max_ms": ...}.
--output saves the optimized model's output (torch.save) for the correctness check.

--autocast-bf16 times PyTorch's own bf16 instead: the traced model (not frozen: freezing
drops autocast) under torch.cpu.amp.autocast(dtype=torch.bfloat16), oneDNN's bf16
convolutions and matmuls; the output is saved as float32.
"""
import argparse
import json
import statistics
import time

import torch

ap = argparse.ArgumentParser()
ap.add_argument("model")
ap.add_argument("input")
ap.add_argument("--runs", type=int, required=True)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--warmup", type=int, default=5)
ap.add_argument("--output")
ap.add_argument("--autocast-bf16", action="store_true")
a = ap.parse_args()

torch.set_num_threads(a.threads)
torch.set_num_interop_threads(1)
x = torch.load(a.input)
with torch.no_grad():
    model = torch.jit.load(a.model).eval()
    if not a.autocast_bf16:
        model = torch.jit.optimize_for_inference(torch.jit.freeze(model))
    precision = torch.cpu.amp.autocast(enabled=a.autocast_bf16, dtype=torch.bfloat16)
    out = None
    with precision:
        for _ in range(a.warmup):
            out = model(x)
        times = []
        for _ in range(a.runs):
            t0 = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - t0) * 1e3)
if a.output:
    torch.save(out.float(), a.output)
print(json.dumps({"engine": "pytorch-bf16" if a.autocast_bf16 else "pytorch",
                  "runs": a.runs, "min_ms": min(times),
                  "median_ms": statistics.median(times), "max_ms": max(times),
                  "torch": torch.__version__, "threads": torch.get_num_threads()}))
