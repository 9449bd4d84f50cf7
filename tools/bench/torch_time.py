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

--int8-calibration IMAGES.pt times PyTorch's own int8: MODEL.pt is then the eager
module (torch.save), quantized post-training by torch.ao.quantization in FX mode
(prepare_fx with the default qconfig mapping of the oneDNN backend, Debian's torch
having no fbgemm; calibrated on IMAGES; convert_fx), then traced and frozen.
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
ap.add_argument("--int8-calibration", metavar="IMAGES.pt")
a = ap.parse_args()


def quantized_int8(module, calibration):
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    torch.backends.quantized.engine = "onednn"
    prepared = prepare_fx(module.eval(), get_default_qconfig_mapping("onednn"),
                          (calibration[:1],))
    prepared(calibration)
    converted = convert_fx(prepared)
    return torch.jit.freeze(torch.jit.trace(converted, calibration[:1]).eval())


torch.set_num_threads(a.threads)
torch.set_num_interop_threads(1)
x = torch.load(a.input)
with torch.no_grad():
    if a.int8_calibration:
        model = quantized_int8(torch.load(a.model), torch.load(a.int8_calibration))
    else:
        model = torch.jit.load(a.model).eval()
    if not a.autocast_bf16 and not a.int8_calibration:
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
engine = "pytorch-bf16" if a.autocast_bf16 else "pytorch-int8" if a.int8_calibration else \
    "pytorch"
print(json.dumps({"engine": engine,
                  "runs": a.runs, "min_ms": min(times),
                  "median_ms": statistics.median(times), "max_ms": max(times),
                  "torch": torch.__version__, "threads": torch.get_num_threads()}))
