#!/usr/bin/python3
"""cnnc vs PyTorch vs ONNX Runtime on the model zoo (or any torchvision model), side by side in one run.

    /usr/bin/python3 tools/bench/zoo_bench.py [--models resnet18,resnet50,mobilenet_v2,densenet121]
        [--batches 1,8] [--runs 10] [--rounds 3] [--out docs/bench] [--workdir build/bench-work]
        [--engines cnnc,pytorch,ort] [--threads 2] [--profile-model resnet50] [--no-profile]
        [--cnnc-arg=ARG ...] [--keep]
    /usr/bin/python3 tools/bench/zoo_bench.py --replot docs/bench/results.json [--out DIR]

A benchmark, not a test.  For every model (models/MODEL.json, the zoo's graphs):

  1. the PyTorch module is built as the zoo tests build it (test/e2e_lib/zoo.py:
     torchvision.models.NAME() under torch.manual_seed(0), non-trivial batchnorm
     statistics), and exported by tools/export/cnnc_export.py: the graph must equal
     models/MODEL.json, and its state_dict becomes the cnnc weights file.  The same
     module is traced (TorchScript, for PyTorch) and exported with torch.onnx.export
     (for ONNX Runtime), so all three engines run the same weights;
  2. per batch: `cnnc MODEL.json --batch=N -o MODEL_bN.so` and `cnnc --report` (FLOPs);
  3. rounds: each round measures the FMA peak (build/bin/cnnc-fma-peak), then runs every
     (model, batch) on every engine in a fresh process (`cnnc-run --bench=RUNS`,
     tools/bench/torch_time.py, tools/bench/ort_time.js), the engine order rotating from
     round to round, so that a noisy period hits every engine alike; then
     `cnnc-run --profile` of the profile model;
  4. the outputs of the first round are compared with the eager PyTorch module's;
  5. writes OUT/table.md (markdown), OUT/results.json (every measurement),
     OUT/engines.svg (GFLOP/s per engine per model and batch, with ms) and
     OUT/PROFILEMODEL_layers_bN.svg (cnnc's per-layer GFLOP/s vs peak, bar width = time).

Times: per round, each engine's min and median over RUNS runs (after warm-up runs);
the table shows the min over rounds and the median of the round medians.  GFLOP/s are
`cnnc --report` FLOPs over the median time; % of peak is against the largest all-core
FMA peak measured in the run.  Ratios are cnnc's median over the peer's (> 1: cnnc is
slower).

Reduced precision (issue 25): engine cnnc-bf16 compiles with `--precision=bf16`
(MODEL_bN_cnnc-bf16.so), pytorch-bf16 runs the traced module under
torch.cpu.amp.autocast(dtype=torch.bfloat16) (not frozen: freezing drops autocast).
Their outputs are checked against the float32 module within 2e-2 instead of 1e-3, and
the table adds cnnc bf16's time over each peer's and over cnnc fp32's. Engine
cnnc-int8 compiles with `--precision=int8 --calibrate=calibration.safetensors` (16
images drawn as the inputs are, with seed + 1), pytorch-int8 is PyTorch's post-training
static quantization of the eager module (torch.ao.quantization FX mode, the backend
oneDNN: Debian's torch has no fbgemm) calibrated on the same images, traced and frozen;
int8 outputs are checked within 1e-1 (random weights: a measure of size, not accuracy,
which tools/precision/ measures on trained models).

--replot measures nothing: it redraws table.md and the plots from a run's results.json.

Setup: ONNX Runtime comes from the npm package onnxruntime-node, which
tools/bench/setup-peers.sh installs into build/bench-peers on first use.
"""

import argparse
import datetime
import html
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "pyutil"))
sys.path.insert(0, os.path.join(ROOT, "tools", "export"))

DEFAULT_MODELS = ["resnet18", "resnet50", "mobilenet_v2", "densenet121"]
ENGINES = {"cnnc": "cnnc", "pytorch": "PyTorch", "ort": "ONNX Runtime",
           "cnnc-bf16": "cnnc bf16", "pytorch-bf16": "PyTorch bf16",
           "cnnc-int8": "cnnc int8", "pytorch-int8": "PyTorch int8"}
ENGINE_COLORS = {"cnnc": "#d95f02", "pytorch": "#7570b3", "ort": "#1b9e77",
                 "cnnc-bf16": "#e6ab02", "pytorch-bf16": "#a6761d",
                 "cnnc-int8": "#e7298a", "pytorch-int8": "#666666"}
# cnnc's engines (compiled by it, timed by cnnc-run) and the flags each compiles with
# ({dir}: the model's work directory).
CNNC_ENGINES = {"cnnc": [], "cnnc-bf16": ["--precision=bf16"],
                "cnnc-int8": ["--precision=int8", "--calibrate={dir}/calibration.safetensors"]}
PYTORCH_ENGINES = ("pytorch", "pytorch-bf16", "pytorch-int8")
TITLES = {"resnet18": "ResNet-18", "resnet50": "ResNet-50", "mobilenet_v2": "MobileNetV2",
          "densenet121": "DenseNet-121"}
# Relative max|diff| beyond which an engine's output is flagged in the table.
CHECK_RTOL = 1e-3
# bf16 engines round every conv's operands (8-bit significands): ResNet-50 measured 5e-3.
BF16_CHECK_RTOL = 2e-2
# int8 engines (7/8-bit operands, random weights): see above.
INT8_CHECK_RTOL = 1e-1


def check_rtol(engine):
    return (BF16_CHECK_RTOL if engine.endswith("bf16") else
            INT8_CHECK_RTOL if engine.endswith("int8") else CHECK_RTOL)
COMPILE_TIMEOUT_S = 3600
RUN_TIMEOUT_S = 1800


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


def run(argv, timeout, what, env=None, cwd=None):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env,
                           cwd=cwd)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{what}: timed out after {timeout} s") from None
    if p.returncode != 0:
        tail = "\n".join((p.stderr.strip() or p.stdout.strip()).splitlines()[-15:])
        raise BenchError(f"{what}: exit status {p.returncode}: {' '.join(argv)}\n{tail}")
    return p.stdout


def uptime_load():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def git_revision():
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return rev + (" + uncommitted changes" if dirty else "")
    except OSError:
        return "?"


# ----------------------------------------------------------------------------------
# preparation: same module, same weights, three formats


def zoo_specs():
    import importlib.util
    path = os.path.join(ROOT, "models", "definitions.py")
    spec = importlib.util.spec_from_file_location("cnnc_zoo_definitions", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = {}
    for name, s, title in mod.ZOO:
        if s.startswith("module:"):
            where, attr = s[len("module:"):].rsplit(":", 1)
            if where.endswith(".py") and not os.path.isabs(where):
                s = f"module:{os.path.join(ROOT, where)}:{attr}"
        out[name] = (s, title)
    return out


def input_for(shape, batch, seed=0):
    import torch
    gen = torch.Generator().manual_seed(seed * 1000 + batch)
    return torch.randn([batch] + list(shape[1:]), generator=gen)


def prepare_model(name, spec, batches, d, seed):
    """Writes, in d: NAME.json + NAME.weights.safetensors (cnnc), NAME.pt (TorchScript),
    NAME_bN.onnx, inputs_bN.{safetensors,pt,f32} and reference_bN.pt (eager output)."""
    import torch
    import cnnc_export as X
    import safetensors_io

    os.makedirs(d, exist_ok=True)
    zoo_json = os.path.join(ROOT, "models", f"{name}.json")
    committed = None
    if os.path.exists(zoo_json):
        with open(zoo_json, encoding="utf-8") as f:
            committed = json.load(f)
    torch.set_grad_enabled(False)
    module, _, _ = X.build_module(spec, seed=seed)
    X.randomize_batchnorm(module, seed)
    module.eval()
    shape = committed["inputs"][0]["shape"] if committed else [1, 3, 224, 224]
    exported, weights = X.export(module, [shape], name=committed.get("name") if committed
                                 else name)
    keys = ("name", "inputs", "outputs", "nodes")
    if committed is None:  # a torchvision model outside the zoo: its export is the graph
        committed = {k: exported[k] for k in ("format", "version", "name", "inputs",
                                              "outputs", "nodes")}
    elif any(exported.get(k) != committed.get(k) for k in keys):
        raise BenchError(f"{name}: the exporter's graph differs from models/{name}.json "
                         f"(regenerate with models/make_zoo.sh)")
    w_path = os.path.join(d, f"{name}.weights.safetensors")
    safetensors_io.save(w_path, weights)
    model = dict(committed)
    model["weights"] = os.path.basename(w_path)
    with open(os.path.join(d, f"{name}.json"), "w", encoding="utf-8") as f:
        f.write(X.dumps(model))

    in_name = committed["inputs"][0]["name"]
    for b in batches:
        x = input_for(shape, b, seed)
        safetensors_io.save(os.path.join(d, f"inputs_b{b}.safetensors"), {in_name: x})
        torch.save(x, os.path.join(d, f"inputs_b{b}.pt"))
        with open(os.path.join(d, f"inputs_b{b}.f32"), "wb") as f:
            f.write(x.contiguous().numpy().astype("<f4").tobytes())
        torch.save(module(x), os.path.join(d, f"reference_b{b}.pt"))
        torch.onnx.export(module, x, os.path.join(d, f"{name}_b{b}.onnx"),
                          input_names=[in_name], output_names=["output"], opset_version=13,
                          do_constant_folding=True)
    x = input_for(shape, batches[0], seed)
    torch.jit.save(torch.jit.trace(module, x), os.path.join(d, f"{name}.pt"))
    # For the int8 engines: calibration images, and the eager module to quantize.
    calibration = input_for(shape, 16, seed + 1)
    safetensors_io.save(os.path.join(d, "calibration.safetensors"), {in_name: calibration})
    torch.save(calibration, os.path.join(d, "calibration.pt"))
    torch.save(module, os.path.join(d, f"{name}.module.pt"))
    return committed


def parse_report(text):
    """(total FLOPs, {node: (op, FLOPs)}) from `cnnc --report`."""
    nodes = {}
    total = None
    for line in text.splitlines():
        m = re.match(r"FLOPs:\s+([\d,]+)", line)
        if m:
            total = int(m.group(1).replace(",", ""))
            continue
        cols = line.split()
        # node op output params MACs FLOPs act-bytes
        if len(cols) == 7 and re.fullmatch(r"[\d,]+", cols[5]) and cols[0] != "total":
            nodes[cols[0]] = (cols[1], int(cols[5].replace(",", "")))
    if total is None:
        raise BenchError("cnnc --report printed no 'FLOPs:' line")
    return total, nodes


# ----------------------------------------------------------------------------------
# engines


def cnnc_library(name, b, engine):
    return f"{name}_b{b}.so" if engine == "cnnc" else f"{name}_b{b}_{engine}.so"


class Engines:
    def __init__(self, args, node_modules):
        self.args = args
        self.bin = args.bin
        self.node_modules = node_modules
        # cnnc's runtime runs the model's parallel loops on libomp's pool
        self.cnnc_env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))

    def time_cnnc(self, d, name, b, runs, output, engine="cnnc"):
        argv = [os.path.join(self.bin, "cnnc-run"), os.path.join(d, cnnc_library(name, b, engine)),
                "--inputs", os.path.join(d, f"inputs_b{b}.safetensors"), f"--bench={runs}"]
        if output:
            argv += ["--outputs", output]
        out = run(argv, RUN_TIMEOUT_S, f"cnnc-run {name} batch {b}", env=self.cnnc_env)
        m = re.search(r"min ([0-9.]+) ms\s+median ([0-9.]+) ms\s+max ([0-9.]+) ms", out)
        if not m:
            raise BenchError(f"cnnc-run {name} batch {b}: no timing in its output: {out!r}")
        return {"min_ms": float(m.group(1)), "median_ms": float(m.group(2)),
                "max_ms": float(m.group(3)), "runs": runs}

    def time_pytorch(self, d, name, b, runs, output, engine="pytorch"):
        model = f"{name}.module.pt" if engine == "pytorch-int8" else f"{name}.pt"
        argv = [sys.executable, os.path.join(HERE, "torch_time.py"),
                os.path.join(d, model), os.path.join(d, f"inputs_b{b}.pt"),
                "--runs", str(runs), "--threads", str(self.args.threads)]
        if engine == "pytorch-bf16":
            argv.append("--autocast-bf16")
        if engine == "pytorch-int8":
            argv += ["--int8-calibration", os.path.join(d, "calibration.pt")]
        if output:
            argv += ["--output", output]
        out = run(argv, RUN_TIMEOUT_S, f"PyTorch {name} batch {b}")
        return json.loads(out.strip().splitlines()[-1])

    def time_ort(self, d, name, b, runs, output, shape):
        env = dict(os.environ, NODE_PATH=self.node_modules)
        env.pop("OMP_NUM_THREADS", None)
        argv = ["node", os.path.join(HERE, "ort_time.js"), os.path.join(d, f"{name}_b{b}.onnx"),
                os.path.join(d, f"inputs_b{b}.f32"), ",".join(str(s) for s in [b] + shape[1:]),
                "--runs", str(runs), "--threads", str(self.args.threads)]
        if output:
            argv += ["--output", output]
        out = run(argv, RUN_TIMEOUT_S, f"ONNX Runtime {name} batch {b}", env=env)
        return json.loads(out.strip().splitlines()[-1])


def fma_peak(bin_dir, threads):
    out = run([os.path.join(bin_dir, "cnnc-fma-peak"), f"--threads={threads}"], 300,
              "cnnc-fma-peak")
    peaks = {}
    for m in re.finditer(r"fp32, (\d+) threads?: ([0-9.]+) GFLOP/s", out):
        peaks[int(m.group(1))] = float(m.group(2))
    if 1 not in peaks:
        raise BenchError(f"cnnc-fma-peak: unexpected output {out!r}")
    return peaks


def parse_profile(text):
    layers = []
    for line in text.splitlines():
        m = re.match(r"\s+(\S+)\s+([0-9.]+)\s+[0-9.]+%$", line)
        if m:
            layers.append((m.group(1), float(m.group(2))))
    if not layers:
        raise BenchError("cnnc-run --profile printed no layers")
    return layers


def compare_output(got, ref):
    """max|diff| / max(1, max|ref|) of two tensors, or inf if shapes differ."""
    got = got.reshape(-1).double()
    ref = ref.reshape(-1).double()
    if got.numel() != ref.numel():
        return math.inf
    return (got - ref).abs().max().item() / max(1.0, ref.abs().max().item())


def check_outputs(d, name, b, committed, engines):
    import torch
    import numpy as np
    import safetensors_io
    ref = torch.load(os.path.join(d, f"reference_b{b}.pt"))
    checks = {}
    for e in engines:
        path = os.path.join(d, f"out_{e}_b{b}")
        if not os.path.exists(path):
            continue
        if e in CNNC_ENGINES:
            got = safetensors_io.load(path)[committed["outputs"][0]]
        elif e in PYTORCH_ENGINES:
            got = torch.load(path)
        else:
            got = torch.from_numpy(np.fromfile(path, dtype="<f4"))
        checks[e] = compare_output(got, ref)
    return checks


# ----------------------------------------------------------------------------------
# SVG


def svg_text(x, y, s, size=12, anchor="start", weight="normal", color="#222", rotate=None):
    tr = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate is not None else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{color}"{tr}>{html.escape(s)}</text>')


def nice_ticks(top, n=6):
    raw = top / n
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    step = min((s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw), default=raw)
    ticks = []
    t = 0.0
    while t <= top * 1.0001:
        ticks.append(t)
        t += step
    return ticks


def engines_svg(rows, engines, peak, subtitle):
    """Grouped bars: median GFLOP/s per engine for each (model, batch), median ms on
    each bar, the all-core FMA peak as a line."""
    groups = [r for r in rows if any(r["engines"].get(e) for e in engines)]
    bar_w = 22
    left, right, top, bottom = 70, 20, 84, 86
    plot_h = 320
    # at least 900 px wide (the title), groups spread over the width
    gap = max(26, (900 - left - right) / max(1, len(groups)) - bar_w * len(engines))
    group_w = bar_w * len(engines) + gap
    width = int(left + right + max(1, len(groups)) * group_w)
    height = top + plot_h + bottom
    ymax = max([peak * 1.08] + [r["engines"][e]["gflops"] * 1.1 for r in groups
                                for e in engines if r["engines"].get(e)])
    ticks = nice_ticks(ymax)
    ymax = max(ymax, ticks[-1])

    def y(v):
        return top + plot_h - v / ymax * plot_h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           svg_text(left, 22, "fp32 inference, 224x224: GFLOP/s per engine (higher is "
                    "faster); labels: median ms per forward pass", 14, weight="bold")]
    out += [svg_text(left, 40 + 14 * i, s, 11, color="#555") for i, s in enumerate(subtitle)]
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
                   f'stroke="#e5e5e5"/>')
        out.append(svg_text(left - 6, y(t) + 4, f"{t:g}", 11, "end", color="#555"))
    out.append(svg_text(16, top + plot_h / 2, "GFLOP/s", 12, "middle", rotate=-90))
    for gi, r in enumerate(groups):
        x0 = left + gap / 2 + gi * group_w
        for ei, e in enumerate(engines):
            v = r["engines"].get(e)
            x = x0 + ei * bar_w
            if not v:
                out.append(svg_text(x + bar_w / 2, y(0) - 4, "n/a", 9, "middle", color="#999"))
                continue
            out.append(f'<rect x="{x:.1f}" y="{y(v["gflops"]):.1f}" width="{bar_w - 2}" '
                       f'height="{y(0) - y(v["gflops"]):.1f}" fill="{ENGINE_COLORS[e]}">'
                       f'<title>{html.escape(ENGINES[e])} {r["model"]} batch {r["batch"]}: '
                       f'{v["median_ms"]:.2f} ms median, {v["gflops"]:.1f} GFLOP/s</title></rect>')
            ms = v["median_ms"]
            label = (f"{ms / 1e3:.2f}s" if ms >= 1000 else f"{ms:.0f}" if ms >= 100
                     else f"{ms:.1f}")
            out.append(svg_text(x + bar_w / 2 - 1, y(v["gflops"]) - 4, label, 9, "middle",
                                color="#333"))
        cx = x0 + len(engines) * bar_w / 2
        out.append(svg_text(cx, top + plot_h + 16, TITLES.get(r["model"], r["model"]), 11,
                            "middle"))
        out.append(svg_text(cx, top + plot_h + 30, f"batch {r['batch']}", 11, "middle",
                            color="#555"))
        # cnnc (fp32) against the faster fp32 peer, the number the CPU issue is about
        c = r["engines"].get("cnnc")
        peer_ms = [r["engines"][e]["median_ms"] for e in engines
                   if e in ("pytorch", "ort") and r["engines"].get(e)]
        if c and peer_ms:
            ratio = c["median_ms"] / min(peer_ms)
            text = f"{ratio:.1f}x slower" if ratio >= 1 else f"{1 / ratio:.1f}x faster"
            out.append(svg_text(cx, top + plot_h + 46, text, 11, "middle",
                                weight="bold", color="#b2182b" if ratio >= 1 else "#1a9850"))
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(peak):.1f}" y2="{y(peak):.1f}" '
               f'stroke="#c00" stroke-dasharray="6 4"/>')
    out.append(svg_text(width - right - 4, y(peak) - 5,
                        f"FMA peak, all cores: {peak:.0f} GFLOP/s", 11, "end", color="#c00"))
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#888"/>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" '
               f'y2="{top + plot_h}" stroke="#888"/>')
    lx = left
    for e in engines:
        out.append(f'<rect x="{lx}" y="{height - 22}" width="12" height="12" '
                   f'fill="{ENGINE_COLORS[e]}"/>')
        out.append(svg_text(lx + 16, height - 12, ENGINES[e], 12))
        lx += 30 + 8 * len(ENGINES[e])
    out.append(svg_text(lx + 10, height - 12, "labels: median ms; below the bars: cnnc "
                        "vs the faster peer (medians)", 11, color="#555"))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def layer_kind(node, op):
    if op != "conv2d" or node is None:
        return "other"
    attrs = node.get("attrs", {})
    k = attrs.get("kernel", 1)
    k = max(k) if isinstance(k, list) else k
    if attrs.get("groups", 1) not in (1, None) and attrs.get("groups") == attrs.get(
            "out_channels"):
        return "depthwise"
    if k == 1:
        return "conv 1x1"
    if k == 3:
        return "conv 3x3"
    return f"conv {k}x{k}"


KIND_COLORS = {"conv 1x1": "#1f78b4", "conv 3x3": "#33a02c", "conv 7x7": "#6a3d9a",
               "depthwise": "#b15928", "other": "#bbbbbb"}


def layers_svg(model, batch, layers, nodes, peak, subtitle):
    """x: cumulative time of cnnc's layers (bar width = the layer's ms), y: its GFLOP/s
    (its node's FLOPs over its time).  The area of a bar is the layer's FLOPs, so the
    white space between the bars and the peak line is time lost to the peak."""
    total_ms = sum(ms for _, ms in layers)
    left, right, top, bottom = 70, 30, 92, 80
    plot_w, plot_h = 1000, 340
    width, height = left + plot_w + right, top + plot_h + bottom
    data = []
    for nm, ms in layers:
        op, flops, kind = nodes.get(nm, ("?", 0, "other"))
        g = flops / (ms * 1e6) if ms > 0 else 0.0
        data.append((nm, ms, flops, g, kind))
    ymax = max([peak * 1.1] + [g * 1.05 for _, _, _, g, _ in data])
    ticks = nice_ticks(ymax)
    ymax = max(ymax, ticks[-1])

    def y(v):
        return top + plot_h - v / ymax * plot_h

    def x(ms):
        return left + ms / total_ms * plot_w

    conv = [(ms, f) for _, ms, f, _, k in data if k != "other"]
    conv_ms = sum(ms for ms, _ in conv)
    conv_flops = sum(f for _, f in conv)
    conv_g = conv_flops / (conv_ms * 1e6) if conv_ms else 0
    all_flops = sum(f for _, _, f, _, _ in data)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           svg_text(left, 22, f"cnnc {TITLES.get(model, model)}, batch {batch}: where the "
                    f"{total_ms:.1f} ms go (bar width = time) and how fast each layer runs "
                    f"(height = GFLOP/s)", 14, weight="bold"),
           svg_text(left, 40, f"convolutions: {conv_ms:.1f} ms ({100 * conv_ms / total_ms:.0f}%"
                    f" of the time) at {conv_g:.0f} GFLOP/s = {100 * conv_g / peak:.0f}% of "
                    f"peak; whole model {all_flops / (total_ms * 1e6):.0f} GFLOP/s = "
                    f"{100 * all_flops / (total_ms * 1e6) / peak:.0f}% of peak", 12)]
    out += [svg_text(left, 56 + 14 * i, s, 11, color="#555") for i, s in enumerate(subtitle)]
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
                   f'stroke="#ececec"/>')
        out.append(svg_text(left - 6, y(t) + 4, f"{t:g}", 11, "end", color="#555"))
    t_ms = 0.0
    for nm, ms, flops, g, kind in data:
        x0, x1 = x(t_ms), x(t_ms + ms)
        h = max(y(0) - y(g), 1.5 if ms > 0 else 0)
        out.append(f'<rect x="{x0:.2f}" y="{y(0) - h:.2f}" width="{max(x1 - x0, 0.3):.2f}" '
                   f'height="{h:.2f}" fill="{KIND_COLORS.get(kind, "#888")}" stroke="white" '
                   f'stroke-width="0.3"><title>{html.escape(nm)} ({kind}): {ms:.3f} ms, '
                   f'{flops / 1e6:.1f} MFLOP, {g:.1f} GFLOP/s = {100 * g / peak:.0f}% of '
                   f'peak</title></rect>')
        if ms >= 0.04 * total_ms:  # name the layers that take the most time
            out.append(svg_text((x0 + x1) / 2 + 4, y(0) - h - 6, nm, 10, "start",
                                color="#333", rotate=-90))
        t_ms += ms
    for frac, label, dash in ((1.0, f"FMA peak, all cores: {peak:.0f} GFLOP/s", "6 4"),
                              (0.7, "70% of peak", "2 3")):
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(peak * frac):.1f}" '
                   f'y2="{y(peak * frac):.1f}" stroke="#c00" stroke-dasharray="{dash}"/>')
        out.append(svg_text(left + plot_w - 4, y(peak * frac) - 5, label, 11, "end",
                            color="#c00"))
    # time axis
    for t in nice_ticks(total_ms, 10):
        out.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top + plot_h}" '
                   f'y2="{top + plot_h + 5}" stroke="#888"/>')
        out.append(svg_text(x(t), top + plot_h + 18, f"{t:g}", 11, "middle", color="#555"))
    out.append(svg_text(left + plot_w / 2, top + plot_h + 36, "time into the forward pass "
                        "(ms, cnnc-run --profile, fastest of the rounds per layer)", 12,
                        "middle"))
    out.append(svg_text(16, top + plot_h / 2, "GFLOP/s", 12, "middle", rotate=-90))
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#888"/>')
    out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" '
               f'y2="{top + plot_h}" stroke="#888"/>')
    lx = left
    kinds = [k for k in KIND_COLORS if any(d[4] == k for d in data)]
    kinds += sorted({d[4] for d in data} - set(kinds))
    for k in kinds:
        label = "other layers" if k == "other" else k
        out.append(f'<rect x="{lx}" y="{height - 22}" width="12" height="12" '
                   f'fill="{KIND_COLORS.get(k, "#888")}"/>')
        out.append(svg_text(lx + 16, height - 12, label, 12))
        lx += 36 + 7 * len(label)
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------
# main


def fmt_ms(v):
    return f"{v:.2f}" if v < 100 else f"{v:.1f}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(DEFAULT_MODELS),
                    help="comma-separated zoo models or torchvision.models names, e.g. "
                    "resnext50_32x4d,regnet_x_400mf (default: %(default)s)")
    ap.add_argument("--batches", default="1,8", help="comma-separated (default: %(default)s)")
    ap.add_argument("--runs", type=int, default=10,
                    help="timed runs per engine per round (default: %(default)s)")
    ap.add_argument("--rounds", type=int, default=3, help="(default: %(default)s)")
    ap.add_argument("--engines", default="cnnc,pytorch,ort", help="(default: %(default)s)")
    ap.add_argument("--threads", type=int, default=2,
                    help="threads of every engine (cnnc: OMP_NUM_THREADS of its OpenMP "
                    "pool) and of the all-core peak (default: %(default)s)")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "bench"),
                    help="table.md, results.json, *.svg go here (default: docs/bench)")
    ap.add_argument("--workdir", default=os.path.join(ROOT, "build", "bench-work"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--profile-model", default="resnet50",
                    help="per-layer plot of this model's cnnc profile (default: %(default)s)")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--cnnc-arg", action="append", default=[], metavar="ARG",
                    help="extra cnnc argument, e.g. --cnnc-arg=--disable-passes=X (repeatable)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--replot", metavar="RESULTS.json",
                    help="measure nothing: write table.md and the plots into --out from an "
                    "earlier run's results.json")
    ap.add_argument("--keep", action="store_true",
                    help="keep the work folder's libraries, ONNX and TorchScript files")
    args = ap.parse_args(argv)
    if args.replot:
        with open(args.replot, encoding="utf-8") as f:
            results = json.load(f)
        os.makedirs(args.out, exist_ok=True)
        table, svg_files = render(results, args.out)
        print(table)
        log(f"wrote {os.path.join(args.out, 'table.md')}, {', '.join(svg_files)}")
        return 0

    models = [m for m in args.models.split(",") if m]
    batches = [int(b) for b in args.batches.split(",") if b]
    engines = [e for e in args.engines.split(",") if e]
    bad = [e for e in engines if e not in ENGINES]
    if bad or not engines:
        ap.error(f"--engines: unknown {bad} (choose from {', '.join(ENGINES)})")
    if args.runs < 1 or args.rounds < 1 or not batches or min(batches) < 1:
        ap.error("--runs, --rounds and --batches must be positive")
    specs = zoo_specs()
    import torchvision
    for m in models:  # any torchvision model by name, beyond the zoo
        if m not in specs and callable(getattr(torchvision.models, m, None)):
            specs[m] = (f"torchvision:{m}", m)
    unknown = [m for m in models if m not in specs]
    if unknown:
        ap.error(f"unknown model(s) {unknown} (zoo: {', '.join(specs)}, or a "
                 f"torchvision.models name)")
    for tool in ("cnnc", "cnnc-run", "cnnc-fma-peak"):
        if not os.access(os.path.join(args.bin, tool), os.X_OK):
            sys.exit(f"zoo_bench.py: {os.path.join(args.bin, tool)} is missing: build first "
                     f"(ninja -C build)")
    profile_model = None if args.no_profile else args.profile_model
    if profile_model and profile_model not in models:
        profile_model = None
    if "cnnc" not in engines:
        profile_model = None

    started = datetime.datetime.now(datetime.timezone.utc)
    t_start = time.time()
    env = {"date": started.strftime("%Y-%m-%d %H:%M UTC"), "load_before": uptime_load(),
           "cpu": cpu_name(), "cpus": os.cpu_count(), "cnnc": git_revision(),
           "command": "/usr/bin/python3 tools/bench/zoo_bench.py " + " ".join(
               a for a in (argv if argv is not None else sys.argv[1:]))}
    import torch
    env["torch"] = torch.__version__
    node_modules = None
    if "ort" in engines:
        log("setting up ONNX Runtime (tools/bench/setup-peers.sh)")
        out = run(["bash", os.path.join(HERE, "setup-peers.sh")], 1800, "setup-peers.sh")
        node_modules = out.strip().splitlines()[-1]
        with open(os.path.join(node_modules, "onnxruntime-node", "package.json")) as f:
            env["onnxruntime_node"] = json.load(f)["version"]
    eng = Engines(args, node_modules)

    work = os.path.abspath(args.workdir)
    os.makedirs(work, exist_ok=True)
    prepared = {}
    errors = {}
    for m in models:
        d = os.path.join(work, m)
        t0 = time.time()
        log(f"{m}: PyTorch module, exported weights, TorchScript, ONNX")
        try:
            prepared[m] = {"dir": d, "json": prepare_model(m, specs[m][0], batches, d,
                                                           args.seed)}
        except (BenchError, Exception) as e:  # noqa: B014 - a model that fails is skipped
            errors[(m, None, "prepare")] = f"{type(e).__name__}: {e}"
            log(f"{m}: preparation failed: {e}")
            continue
        log(f"{m}: prepared in {time.time() - t0:.1f} s")

    compiled = {}
    for m in prepared:
        d = prepared[m]["dir"]
        for b in batches:
            base = [os.path.join(args.bin, "cnnc"), os.path.join(d, f"{m}.json"),
                    f"--batch={b}"]
            try:
                # the FLOPs of every engine's GFLOP/s: a property of the model
                rep = run(base + ["--report", "--emit=cnn", "-o", os.devnull], 600,
                          f"cnnc --report {m}")
                flops, nodes = parse_report(rep)
            except BenchError as e:
                errors[(m, b, "report")] = str(e)
                log(f"{m} batch {b}: {e}")
                continue
            compiled[(m, b)] = {"flops": flops, "nodes": nodes, "compile_s": None}
            for ce in [e for e in engines if e in CNNC_ENGINES]:
                t0 = time.time()
                log(f"{m} batch {b}: {ENGINES[ce]} compiling")
                try:
                    flags = [f.replace("{dir}", d) for f in CNNC_ENGINES[ce]]
                    run(base + args.cnnc_arg + flags +
                        ["-o", os.path.join(d, cnnc_library(m, b, ce))],
                        COMPILE_TIMEOUT_S, f"{ENGINES[ce]} {m} batch {b}")
                except BenchError as e:
                    errors[(m, b, ce)] = str(e)
                    log(f"{m} batch {b}: {e}")
                    continue
                if ce == "cnnc":
                    compiled[(m, b)]["compile_s"] = time.time() - t0
                log(f"{m} batch {b}: {flops / 1e9:.2f} GFLOP, compiled in "
                    f"{time.time() - t0:.1f} s")

    pairs = [(m, b) for m in prepared for b in batches if (m, b) in compiled]
    samples = {}      # (m, b, engine) -> [per-round dict]
    peaks = []        # per round {threads: GFLOP/s}
    profiles = {}     # batch -> [per-round [(layer, ms)]]
    for r in range(args.rounds):
        log(f"round {r + 1}/{args.rounds} (load {uptime_load()})")
        try:
            peaks.append(fma_peak(args.bin, args.threads))
            log(f"  FMA peak {peaks[-1]}")
        except BenchError as e:
            log(f"  {e}")
        order = engines[r % len(engines):] + engines[:r % len(engines)]
        for m, b in pairs:
            d = prepared[m]["dir"]
            for e in order:
                if (m, b, e) in errors:
                    continue
                output = os.path.join(d, f"out_{e}_b{b}") if r == 0 else None
                try:
                    if e in CNNC_ENGINES:
                        res = eng.time_cnnc(d, m, b, args.runs, output, e)
                    elif e in PYTORCH_ENGINES:
                        res = eng.time_pytorch(d, m, b, args.runs, output, e)
                    else:
                        res = eng.time_ort(d, m, b, args.runs, output,
                                           prepared[m]["json"]["inputs"][0]["shape"])
                except (BenchError, ValueError) as ex:
                    errors[(m, b, e)] = str(ex)
                    log(f"  {m} batch {b} {e}: {ex}")
                    continue
                res["round"] = r + 1
                samples.setdefault((m, b, e), []).append(res)
                log(f"  {m:<13} b{b:<3} {e:<8} min {res['min_ms']:8.2f}  median "
                    f"{res['median_ms']:8.2f} ms")
        if profile_model:
            for b in batches:
                if (profile_model, b) not in compiled or (profile_model, b, "cnnc") in errors:
                    continue
                d = prepared[profile_model]["dir"]
                try:
                    out = run([os.path.join(args.bin, "cnnc-run"),
                               os.path.join(d, f"{profile_model}_b{b}.so"), "--inputs",
                               os.path.join(d, f"inputs_b{b}.safetensors"), "--profile"],
                              RUN_TIMEOUT_S, f"cnnc-run --profile {profile_model}",
                              env=eng.cnnc_env)
                    profiles.setdefault(b, []).append(parse_profile(out))
                except BenchError as ex:
                    log(f"  profile: {ex}")

    checks = {}
    for m, b in pairs:
        try:
            checks[(m, b)] = check_outputs(prepared[m]["dir"], m, b, prepared[m]["json"],
                                           engines)
        except Exception as ex:  # noqa: BLE001 - reported, not fatal
            log(f"{m} batch {b}: output check failed: {ex}")

    env["load_after"] = uptime_load()
    env["minutes"] = round((time.time() - t_start) / 60, 1)
    all_core = [p.get(args.threads, max(p.values())) for p in peaks]
    peak = max(all_core) if all_core else float("nan")
    peak1 = max(p[1] for p in peaks) if peaks else float("nan")

    # ---------------------------------------------------------------- aggregate
    rows = []
    for m, b in pairs:
        flops = compiled[(m, b)]["flops"]
        row = {"model": m, "batch": b, "gflop": flops / 1e9, "engines": {},
               "check": checks.get((m, b), {}), "compile_s": compiled[(m, b)]["compile_s"]}
        for e in engines:
            s = samples.get((m, b, e))
            if not s:
                continue
            med = statistics.median(x["median_ms"] for x in s)
            row["engines"][e] = {
                "min_ms": min(x["min_ms"] for x in s), "median_ms": med,
                "round_medians_ms": [x["median_ms"] for x in s]}
        rows.append(row)
    profile = {}
    if profile_model and profiles:
        nodes_json = {n["name"]: n for n in prepared[profile_model]["json"]["nodes"]}
        for b, per_round in sorted(profiles.items()):
            # per layer, the fastest of the rounds (the same layers every round)
            names = [nm for nm, _ in per_round[0]]
            same = [rr for rr in per_round if [nm for nm, _ in rr] == names]
            best = [[nm, min(rr[i][1] for rr in same)] for i, nm in enumerate(names)]
            nodes = compiled[(profile_model, b)]["nodes"]
            profile[str(b)] = {
                "rounds": len(same), "layers": best,
                # per profiled layer: op, FLOPs of the node of that name, kind for the plot
                "nodes": {nm: [nodes.get(nm, ("?", 0))[0], nodes.get(nm, ("?", 0))[1],
                               layer_kind(nodes_json.get(nm), nodes.get(nm, ("?", 0))[0])]
                          for nm in names}}
    env.update(threads=args.threads, rounds=args.rounds, runs=args.runs, engines=engines,
               profile_model=profile_model)
    results = {"env": env, "peak_gflops": peak, "peak_1thread_gflops": peak1,
               "peaks": [{str(k): v for k, v in p.items()} for p in peaks], "rows": rows,
               "profile": profile,
               "samples": {f"{m}/b{b}/{e}": s for (m, b, e), s in samples.items()},
               "profile_rounds": {f"b{b}": p for b, p in profiles.items()},
               "errors": [[m, b, w, msg] for (m, b, w), msg in errors.items()]}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    table, svg_files = render(results, args.out)
    print(table)
    if not args.keep:
        for m in prepared:
            shutil.rmtree(prepared[m]["dir"], ignore_errors=True)
    log(f"wrote {', '.join(['table.md', 'results.json'] + svg_files)} into {args.out} in "
        f"{env['minutes']} min")
    return 1 if errors else 0


def render(results, out_dir):
    """table.md and the SVGs in out_dir, from a run's results (results.json)."""
    env = results["env"]
    engines, threads = env["engines"], env["threads"]
    peak, peak1 = results["peak_gflops"], results["peak_1thread_gflops"]
    rows = results["rows"]
    for r in rows:
        for e, v in r["engines"].items():
            flops = r["gflop"] * 1e9
            v["gflops"] = flops / (v["median_ms"] * 1e6)
            v["pct_peak"] = 100 * v["gflops"] / peak
    subtitle = [f"{env['date']}, {env['cpu']}, {env['cpus']} cores, load average "
                f"{env['load_before']} before / {env['load_after']} after",
                f"{env['rounds']} rounds x {env['runs']} runs, {threads} threads; cnnc "
                f"{env['cnnc']}; tools/bench/zoo_bench.py"]
    lines = []
    lines.append(f"Generated by `{env['command'].strip()}` on {env['date']} "
                 f"({env['minutes']} min).")
    lines.append("")
    lines.append(f"Machine: {env['cpu']}, {env['cpus']} cores; load average (1/5/15 min) "
                 f"{env['load_before']} before, {env['load_after']} after.  cnnc {env['cnnc']}; "
                 f"PyTorch {env['torch']} (TorchScript frozen + optimize_for_inference, "
                 f"{threads} threads); ONNX Runtime "
                 f"{env.get('onnxruntime_node', '-')} (onnxruntime-node, {threads} "
                 f"intra-op threads).  {env['rounds']} rounds x {env['runs']} timed runs per "
                 f"engine; ms: min over all runs / median of the round medians.")
    lines.append("")
    per_round = ", ".join(f"{p.get(str(threads), 0):.0f}" for p in results["peaks"])
    lines.append(f"FMA peak (cnnc-fma-peak, best of the rounds): {peak1:.1f} GFLOP/s on 1 "
                 f"thread, **{peak:.1f} GFLOP/s on {threads} threads** (= 100% below); "
                 f"per round: {per_round}.")
    lines.append("")
    head = ["model", "batch", "GFLOP"]
    for e in engines:
        head.append(f"{ENGINES[e]} ms (min / med)")
    for e in engines:
        head.append(f"{ENGINES[e]} GFLOP/s (% peak)")
    # cnnc's time over each peer's (and over cnnc fp32's, for cnnc bf16 and int8).
    ratios = [(c, p) for c in engines if c in CNNC_ENGINES for p in engines
              if p not in CNNC_ENGINES or (c != "cnnc" and p == "cnnc")]
    for c, e in ratios:
        head.append(f"{ENGINES[c]} / {ENGINES[e]}")
    lines.append("| " + " | ".join(head) + " |")
    lines.append("| --- | ---: | " + " | ".join("---:" for _ in head[2:]) + " |")
    flagged = []
    for r in rows:
        cells = [TITLES.get(r["model"], r["model"]), str(r["batch"]), f"{r['gflop']:.2f}"]
        for e in engines:
            v = r["engines"].get(e)
            mark = ""
            c = r["check"].get(e)
            if c is not None and not c <= check_rtol(e):
                mark = " (!)"
                flagged.append(f"{ENGINES[e]} {r['model']} batch {r['batch']}: output differs "
                               f"from eager PyTorch by {c:.2e} (relative)")
            cells.append(f"{fmt_ms(v['min_ms'])} / {fmt_ms(v['median_ms'])}{mark}" if v
                         else "n/a")
        for e in engines:
            v = r["engines"].get(e)
            cells.append(f"{v['gflops']:.1f} ({v['pct_peak']:.0f}%)" if v else "n/a")
        for ce, e in ratios:
            c, p = r["engines"].get(ce), r["engines"].get(e)
            if c and p:
                ratio = c["median_ms"] / p["median_ms"]
                cells.append(f"**{ratio:.2f}x**" if ratio < 1 else f"{ratio:.2f}x")
            else:
                cells.append("n/a")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Ratios: cnnc's median time over the peer's; below 1 (bold) cnnc is faster.")
    worst = {e: max(r["check"][e] for r in rows if e in r["check"]) for e in engines
             if any(e in r["check"] for r in rows)}
    if worst:
        lines.append("Outputs (first round) vs the eager PyTorch module, max|diff| / max(1, "
                     "max|ref|): " + ", ".join(f"{ENGINES[e]} {v:.1e}" for e, v in
                                              worst.items())
                     + f" (flagged (!) above {CHECK_RTOL:g}, bf16 engines above "
                       f"{BF16_CHECK_RTOL:g}, int8 engines above {INT8_CHECK_RTOL:g}).")
    for f in flagged:
        lines.append(f"- {f}")
    if results["errors"]:
        lines.append("")
        lines.append("Failures:")
        for m, b, what, msg in results["errors"]:
            parts = msg.strip().splitlines() or [""]
            text = parts[0] + (f" ... {parts[-1].strip()}" if len(parts) > 1 else "")
            lines.append(f"- {m}{f' batch {b}' if b else ''} ({what}): `{text}`")
    lines.append("")
    svg_files = []
    if any(r["engines"] for r in rows):
        with open(os.path.join(out_dir, "engines.svg"), "w") as f:
            f.write(engines_svg(rows, engines, peak, subtitle))
        svg_files.append("engines.svg")
        lines.append("![GFLOP/s per engine](engines.svg)")
        lines.append("")
    model = env.get("profile_model")
    for b, prof in sorted(results["profile"].items(), key=lambda kv: int(kv[0])):
        best, nodes = prof["layers"], prof["nodes"]
        fname = f"{model}_layers_b{b}.svg"
        with open(os.path.join(out_dir, fname), "w") as f:
            f.write(layers_svg(model, b, best, nodes, peak, subtitle))
        svg_files.append(fname)
        convs = [(ms, nodes[nm][1]) for nm, ms in best if nodes[nm][0] == "conv2d"]
        c_ms = sum(ms for ms, _ in convs)
        c_g = sum(fl for _, fl in convs) / (c_ms * 1e6) if c_ms else 0
        at70 = sum(1 for ms, fl in convs if ms > 0 and fl / (ms * 1e6) >= 0.7 * peak)
        total = sum(ms for _, ms in best)
        lines.append(f"![cnnc {model} batch {b} per layer]({fname})")
        lines.append("")
        lines.append(f"cnnc {TITLES.get(model, model)} batch {b}, `cnnc-run --profile` "
                     f"(fastest of {prof['rounds']} rounds per layer): {total:.1f} ms in all, "
                     f"convolutions {c_ms:.1f} ms at {c_g:.0f} GFLOP/s "
                     f"({100 * c_g / peak:.0f}% of peak); {at70} of {len(convs)} convolution "
                     f"layers at >= 70% of peak.")
        lines.append("")
    table = "\n".join(lines)
    with open(os.path.join(out_dir, "table.md"), "w") as f:
        f.write(table)
    return table, svg_files


if __name__ == "__main__":
    sys.exit(main())
