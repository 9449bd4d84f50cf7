#!/usr/bin/python3
"""End-to-end check of one zoo model against its PyTorch module.

    zoo.py MODEL --cnnc PATH --cnnc-run PATH --workdir DIR [--batch N ...] [--seed S]
           [--no-roundtrip] [--results FILE]

MODEL is a name from models/definitions.py's ZOO (resnet50, nin, ...).  Run with
Debian's Python (/usr/bin/python3, torch 1.13), as lit's %torchpy does.  In DIR/MODEL/:

  1. the PyTorch module is built from the zoo's exporter SPEC (torchvision.models.NAME()
     or models/definitions.py) under torch.manual_seed(S), and every batchnorm gets
     non-trivial parameters and running statistics (cnnc_export.randomize_batchnorm);
  2. tools/export/cnnc_export.py exports it: the graph must equal the committed
     models/MODEL.json (nodes, inputs, outputs, name; so models/make_zoo.sh is in sync),
     and its state_dict tensors become the weights file;
  3. round trip (unless --no-roundtrip): the exported JSON run by
     tools/torch_reference.py equals the module's output on the same input
     (max|diff| <= 1e-5 * max(1, max|ref|));
  4. for each --batch N (default: 1): `cnnc models/MODEL.json --batch=N` (with the
     weights) compiles it, `cnnc-run` runs it on torch.randn inputs, and the output must
     match the module's within max|diff| <= 1e-4 * max(1, max|ref|) (--rtol).

One line per check: max|diff|, tolerance, compile and run wall times, PASS/FAIL, and for
classifier outputs ([N, classes]) how many of the N images the top-1 class agrees on.
The exit status is non-zero if any check failed.  --results appends one JSON object per
check to FILE.  In a --cnnc-flag, "{calibration}" names 16 calibration images (torch.randn
with their own seed; e.g. --cnnc-flag=--precision=int8 --cnnc-flag=--calibrate={calibration}).
"""

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tools", "pyutil"))
sys.path.insert(0, os.path.join(ROOT, "tools", "export"))

import torch  # noqa: E402

import cnnc_export as X  # noqa: E402
import safetensors_io  # noqa: E402
import torch_reference as R  # noqa: E402

RTOL = 1e-4
ROUNDTRIP_RTOL = 1e-5
# DenseNet-121 takes cnnc over ten minutes to compile on a 2-core machine
TOOL_TIMEOUT_S = 3600
GRAPH_KEYS = ("format", "version", "name", "inputs", "outputs", "nodes")


def zoo():
    import importlib.util
    path = os.path.join(ROOT, "models", "definitions.py")
    spec = importlib.util.spec_from_file_location("cnnc_zoo_definitions", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return {name: (s, title) for name, s, title in mod.ZOO}


def resolve_spec(spec):
    """module:models/x.py:NAME is relative to the repository."""
    if spec.startswith("module:"):
        where, attr = spec[len("module:"):].rsplit(":", 1)
        if where.endswith(".py") and not os.path.isabs(where):
            return f"module:{os.path.join(ROOT, where)}:{attr}"
    return spec


class Failure(Exception):
    pass


def run_tool(what, argv, cwd):
    t0 = time.time()
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                              timeout=TOOL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise Failure(f"{what} timed out after {TOOL_TIMEOUT_S} s: {' '.join(argv)}") \
            from None
    dt = time.time() - t0
    if proc.returncode != 0:
        status = (f"exit status {proc.returncode}" if proc.returncode > 0
                  else f"killed by signal {-proc.returncode}")
        msg = proc.stderr.strip() or proc.stdout.strip() or "(no output)"
        raise Failure(f"{what} failed ({status}): {' '.join(argv)}\n"
                      + "\n".join("    | " + ln for ln in msg.splitlines()[-30:]))
    return dt


def compare(got, ref, rtol):
    """(max|diff|, tolerance, problem or None) for two tensors."""
    if list(got.shape) != list(ref.shape):
        return math.nan, math.nan, f"shape {list(got.shape)}, reference {list(ref.shape)}"
    g, r = got.double(), ref.double()
    tol = rtol * max(1.0, r.abs().max().item())
    if not torch.isfinite(g).all():
        return math.inf, tol, f"{(~torch.isfinite(g)).sum().item()} non-finite value(s)"
    delta = (g - r).abs()
    d = delta.max().item()
    if d > tol:
        idx = torch.nonzero(delta == d)[0].tolist()
        return d, tol, (f"max|diff| {d:.3e} at {idx}: got {g[tuple(idx)].item():.6g}, "
                        f"reference {r[tuple(idx)].item():.6g} ({(delta > tol).sum().item()}"
                        f" of {delta.numel()} values off)")
    return d, tol, None


def first_difference(a, b):
    for k in GRAPH_KEYS:
        if k == "nodes":
            continue
        if a.get(k) != b.get(k):
            return f"\"{k}\": committed {json.dumps(a.get(k))}, exported {json.dumps(b.get(k))}"
    na, nb = a.get("nodes", []), b.get("nodes", [])
    for i, (x, y) in enumerate(zip(na, nb)):
        if x != y:
            return f"node #{i}: committed {json.dumps(x)}, exported {json.dumps(y)}"
    if len(na) != len(nb):
        return f"committed {len(na)} nodes, exported {len(nb)}"
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="zoo model name (models/definitions.py ZOO)")
    ap.add_argument("--cnnc", required=True)
    ap.add_argument("--cnnc-run", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--batch", type=int, action="append", help="batch to check "
                    "(repeatable; default 1)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cnnc-flag", action="append", default=[],
                    help="extra cnnc argument (repeat), e.g. --cnnc-flag=-mcpu=x86-64-v3")
    ap.add_argument("--no-roundtrip", action="store_true")
    ap.add_argument("--rtol", type=float, default=RTOL,
                    help=f"max|diff| <= RTOL * max(1, max|ref|) (default {RTOL}; "
                         "--precision=bf16 builds take more, test/Precision)")
    ap.add_argument("--results", help="append one JSON object per check here")
    ap.add_argument("--bench", type=int, default=0, metavar="N",
                    help="also time N forward passes (cnnc-run --bench=N; median ms)")
    args = ap.parse_args(argv)
    table = zoo()
    if args.model not in table:
        ap.error(f"unknown zoo model {args.model!r} (one of {', '.join(table)})")
    spec, _ = table[args.model]
    batches = args.batch or [1]
    tools = [os.path.abspath(p) if os.sep in p else (shutil.which(p) or p)
             for p in (args.cnnc, args.cnnc_run)]
    cnnc, cnnc_run = tools
    d = os.path.join(os.path.abspath(args.workdir), args.model)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    committed_path = os.path.join(ROOT, "models", f"{args.model}.json")
    with open(committed_path, encoding="utf-8") as f:
        committed = json.load(f)
    results = []
    failed = []

    def report(check, ok, diff, tol, extra="", msg=None, **fields):
        line = (f"{args.model:<20} {check:<10} max|diff| {diff:10.3e}  tol {tol:9.3e}  "
                f"{'PASS' if ok else 'FAIL'}{extra}")
        print(line, flush=True)
        if msg:
            print("    " + msg.replace("\n", "\n    "), flush=True)
        if not ok:
            failed.append(check)
        results.append(dict(model=args.model, check=check, ok=ok, max_diff=diff, tol=tol,
                            **fields))

    t0 = time.time()
    torch.set_grad_enabled(False)
    module, _, _ = X.build_module(resolve_spec(spec), seed=args.seed)
    X.randomize_batchnorm(module, args.seed)
    shape = committed["inputs"][0]["shape"]
    try:
        exported, weights = X.export(module, [shape], name=committed.get("name"))
    except X.ExportError as e:
        print(f"{args.model}: the exporter refuses the module:\n{e}")
        return 1
    diff = first_difference({k: committed.get(k) for k in GRAPH_KEYS},
                            {k: exported.get(k) for k in GRAPH_KEYS})
    ok = diff is None
    print(f"{args.model:<20} export     {len(exported['nodes'])} nodes, "
          f"{sum(t.numel() for t in weights.values()):,} values in {len(weights)} tensors, "
          f"{'equals' if ok else 'DIFFERS from'} models/{args.model}.json  "
          f"({time.time() - t0:.1f} s)", flush=True)
    if not ok:
        print(f"    {diff}\n    (regenerate with models/make_zoo.sh)")
        failed.append("export")

    w_path = os.path.join(d, f"{args.model}.weights.safetensors")
    safetensors_io.save(w_path, weights)
    model = dict(committed)
    model["weights"] = os.path.basename(w_path)
    json_path = os.path.join(d, f"{args.model}.json")
    with open(json_path, "w", encoding="utf-8") as f:
        f.write(X.dumps(model))

    def inputs_for(batch):
        gen = torch.Generator().manual_seed(args.seed * 1000 + batch)
        return torch.randn([batch] + list(shape[1:]), generator=gen)

    if not args.no_roundtrip:
        t0 = time.time()
        x = inputs_for(batches[0])
        ref = module(x)
        exp = dict(exported)
        try:
            got = R.run_model(R.load_model(exp), {exp["inputs"][0]["name"]: x}, weights,
                              batch=batches[0])[exp["outputs"][0]]
            dd, tol, msg = compare(got, ref, ROUNDTRIP_RTOL)
        except R.ModelError as e:
            dd, tol, msg = math.nan, math.nan, f"the reference rejects the export: {e}"
        report("roundtrip", msg is None, dd, tol, f"  (torch_reference vs module, "
               f"batch {batches[0]}, {time.time() - t0:.1f} s)", msg, batch=batches[0])

    calibration = os.path.join(d, "calibration.safetensors")
    gen = torch.Generator().manual_seed(args.seed * 1000 + 999)
    safetensors_io.save(calibration, {committed["inputs"][0]["name"]:
                                      torch.randn([16] + list(shape[1:]), generator=gen)})
    flags = [f.replace("{calibration}", calibration) for f in args.cnnc_flag]

    for batch in batches:
        check = f"b{batch}"
        x = inputs_for(batch)
        in_path = os.path.join(d, f"inputs_b{batch}.safetensors")
        out_path = os.path.join(d, f"outputs_b{batch}.safetensors")
        so_path = os.path.join(d, f"{args.model}_b{batch}.so")
        safetensors_io.save(in_path, {committed["inputs"][0]["name"]: x})
        try:
            t_compile = run_tool("cnnc", [cnnc, json_path, "-o", so_path,
                                          f"--batch={batch}", *flags], d)
            t_run = run_tool("cnnc-run", [cnnc_run, so_path, "--inputs", in_path,
                                          "--outputs", out_path], d)
            got = safetensors_io.load(out_path)
            bench_ms = None
            if args.bench:
                proc = subprocess.run([cnnc_run, so_path, "--inputs", in_path,
                                       f"--bench={args.bench}"], capture_output=True,
                                      text=True, timeout=TOOL_TIMEOUT_S)
                m = re.search(r"median ([0-9.]+) ms", proc.stdout + proc.stderr)
                bench_ms = float(m.group(1)) if m else None
        except (Failure, OSError, ValueError) as e:
            report(check, False, math.nan, math.nan, "", str(e), batch=batch)
            continue
        t0 = time.time()
        ref = module(x)
        t_ref = time.time() - t0
        out_name = committed["outputs"][0]
        if out_name not in got:
            report(check, False, math.nan, math.nan, "",
                   f"cnnc-run wrote {sorted(got)}, not '{out_name}'", batch=batch)
            continue
        dd, tol, msg = compare(got[out_name], ref, args.rtol)
        bench = f"  forward {bench_ms:.1f} ms" if bench_ms is not None else ""
        agree = None
        if ref.dim() == 2 and list(got[out_name].shape) == list(ref.shape):
            agree = int((got[out_name].argmax(1) == ref.argmax(1)).sum().item())
            bench += f"  top-1 agrees on {agree}/{ref.shape[0]}"
        report(check, msg is None, dd, tol,
               f"  compile {t_compile:6.1f} s  run {t_run:5.2f} s{bench}  "
               f"(PyTorch {t_ref:.2f} s)",
               msg, batch=batch, compile_s=t_compile, run_s=t_run, torch_s=t_ref,
               forward_ms=bench_ms, top1_agreement=agree)
        for p in (so_path, out_path):
            if os.path.exists(p):
                os.remove(p)

    if args.results:
        with open(args.results, "a", encoding="utf-8") as f:
            for r in results:
                f.write(json.dumps(r) + "\n")
    if failed:
        print(f"{args.model}: FAILED: {', '.join(failed)}")
        return 1
    print(f"{args.model}: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
