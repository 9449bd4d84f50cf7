#!/usr/bin/python3
"""End-to-end numerical checks of cnnc against the PyTorch reference interpreter.

Run with Debian's Python (/usr/bin/python3, torch 1.13), as lit's %torchpy does.

A case is a model (a cnnc model JSON as a dict, or the path of one), a batch (None: the
model's own) and a seed.  For each case, in WORKDIR/<case name>/:

  1. the model JSON is written there with "weights" set to a weights file that holds
     tools/torch_reference.build_params(model, seed, randomize_bn=True);
  2. the inputs are drawn with torch.randn (a torch.Generator seeded with the seed, in
     the order the model lists its inputs), times the case's `scale`, plus its `shift`;
  3. `cnnc MODEL.json -o M.so [--batch=N] [flags]` compiles it and
     `cnnc-run M.so --inputs IN --outputs OUT [--weights W]` runs it (see
     WEIGHTS_MODES below);
  4. tools/torch_reference.run_model computes the reference, and every output must
     have the reference's shape and max|out - ref| <= 1e-4 * max(1, max|ref|).

One line per case is printed: name, max|diff|, tolerance, PASS/FAIL (a failing tool is
reported with its exit status and stderr).  The exit status is non-zero if any case
failed.

Command line (one case per model file):

    e2e.py MODEL.json [MODEL.json ...] --cnnc PATH --cnnc-run PATH --workdir DIR
           [--batch N] [--seed S] [--scale X] [--name NAME]
           [--weights-mode embed|external|external-explicit] [--cnnc-flag FLAG ...]

Python API:

    Case(name, model, batch=None, seed=0, scale=1.0, shift=0.0, weights_mode="embed",
         cnnc_flags=())
    run_cases(cases, cnnc, cnnc_run, workdir) -> number of failed cases
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tools", "pyutil"))

import torch  # noqa: E402

import safetensors_io  # noqa: E402
import torch_reference as R  # noqa: E402

RTOL = 1e-4
TOOL_TIMEOUT_S = 600

# weights_mode:
#   embed              the default: the .so holds the parameters
#   external           cnnc --weights=external; cnnc-run finds M.so.weights.safetensors
#   external-explicit  cnnc --weights=external; cnnc-run --weights OTHER, where OTHER holds
#                      different parameters (seed + 1), which the reference uses too
WEIGHTS_MODES = ("embed", "external", "external-explicit")


class Case:
    def __init__(self, name, model, batch=None, seed=0, scale=1.0, shift=0.0,
                 weights_mode="embed", cnnc_flags=()):
        if weights_mode not in WEIGHTS_MODES:
            raise ValueError(f"case {name}: unknown weights_mode {weights_mode!r}")
        self.name = name
        self.model = model
        self.batch = batch
        self.seed = seed
        self.scale = scale
        self.shift = shift
        self.weights_mode = weights_mode
        self.cnnc_flags = list(cnnc_flags)

    def __repr__(self):
        return f"Case({self.name!r}, batch={self.batch}, seed={self.seed})"


class CaseFailure(Exception):
    pass


def _load_spec(model):
    if isinstance(model, dict):
        return json.loads(json.dumps(model))  # deep copy
    with open(model, encoding="utf-8") as f:
        return json.load(f)


def _run_tool(what, argv, cwd):
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                              timeout=TOOL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise CaseFailure(f"{what} timed out after {TOOL_TIMEOUT_S} s: "
                          f"{' '.join(argv)}") from None
    except OSError as e:
        raise CaseFailure(f"{what} could not be started: {e}") from None
    if proc.returncode != 0:
        status = (f"exit status {proc.returncode}" if proc.returncode > 0
                  else f"killed by signal {-proc.returncode}")
        msg = proc.stderr.strip() or proc.stdout.strip() or "(no output)"
        raise CaseFailure(f"{what} failed ({status}): {' '.join(argv)}\n"
                          + "\n".join("    | " + ln for ln in msg.splitlines()))
    return proc


def make_inputs(model, seed, batch=None, scale=1.0, shift=0.0):
    """torch.randn inputs in the order the model lists them, seeded with `seed`,
    times `scale` plus `shift`."""
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for nm, shp in model.input_shapes(batch).items():
        out[nm] = torch.randn(shp, generator=gen) * scale + shift
    return out


def run_case(case, cnnc, cnnc_run, workdir):
    """Returns (ok, max_diff, tolerance, message)."""
    d = os.path.join(workdir, case.name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    spec = _load_spec(case.model)
    weights_name = f"{case.name}.weights.safetensors"
    spec["weights"] = weights_name
    json_path = os.path.join(d, f"{case.name}.json")
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(spec, f, indent=1)
        f.write("\n")

    try:
        model = R.load_model(json_path)
        params = R.build_params(model, case.seed, randomize_bn=True)
    except R.ModelError as e:
        raise CaseFailure(f"the reference rejects the model: {e}") from None
    w_path = os.path.join(d, weights_name)
    safetensors_io.save(w_path, params)

    inputs = make_inputs(model, case.seed, case.batch, case.scale, case.shift)
    in_path = os.path.join(d, "inputs.safetensors")
    safetensors_io.save(in_path, inputs)

    so_path = os.path.join(d, f"{case.name}.so")
    argv = [cnnc, json_path, "-o", so_path]
    if case.batch is not None:
        argv.append(f"--batch={case.batch}")
    if case.weights_mode != "embed":
        argv.append("--weights=external")
    # "{inputs}" in a flag names the case's input file (--calibrate={inputs}).
    argv += [flag.replace("{inputs}", in_path) for flag in case.cnnc_flags]
    _run_tool("cnnc", argv, d)
    if case.weights_mode != "embed" and not os.path.exists(so_path + ".weights.safetensors"):
        raise CaseFailure(f"cnnc --weights=external wrote no {so_path}.weights.safetensors")

    out_path = os.path.join(d, "outputs.safetensors")
    argv = [cnnc_run, so_path, "--inputs", in_path, "--outputs", out_path]
    if case.weights_mode == "external-explicit":
        # parameters other than the compiled ones: cnnc-run must use these
        params = R.build_params(model, case.seed + 1, randomize_bn=True)
        other = os.path.join(d, "other.weights.safetensors")
        safetensors_io.save(other, params)
        argv += ["--weights", other]
    _run_tool("cnnc-run", argv, d)

    try:
        ref = R.run_model(model, inputs, params, batch=case.batch)
    except R.ModelError as e:
        raise CaseFailure(f"the reference failed: {e}") from None
    try:
        got = safetensors_io.load(out_path)
    except (OSError, ValueError) as e:
        raise CaseFailure(f"cannot read cnnc-run's outputs: {e}") from None

    problems = []
    worst_diff, worst_tol, ok = 0.0, 0.0, True
    for name, r in ref.items():
        if name not in got:
            problems.append(f"output '{name}' is missing from {out_path} "
                            f"(it has {sorted(got)})")
            ok = False
            continue
        g = got[name]
        if list(g.shape) != list(r.shape):
            problems.append(f"output '{name}': shape {list(g.shape)}, reference "
                            f"{list(r.shape)}")
            ok = False
            continue
        r = r.to(torch.float64)
        g = g.to(torch.float64)
        tol = RTOL * max(1.0, r.abs().max().item())
        if not torch.isfinite(g).all():
            bad = (~torch.isfinite(g)).sum().item()
            problems.append(f"output '{name}': {bad} non-finite value(s)")
            diff = math.inf
        else:
            delta = (g - r).abs()
            diff = delta.max().item()
            if diff > tol:
                idx = torch.nonzero(delta == diff)[0].tolist()
                problems.append(f"output '{name}' {list(r.shape)}: max|diff| {diff:.3e} "
                                f"at {idx}: got {g[tuple(idx)].item():.6g}, reference "
                                f"{r[tuple(idx)].item():.6g} "
                                f"({(delta > tol).sum().item()} of {delta.numel()} "
                                f"values off)")
        if diff > tol:
            ok = False
        # report the output that is worst relative to its tolerance
        if worst_tol == 0.0 or diff / tol > worst_diff / worst_tol:
            worst_diff, worst_tol = diff, tol
    extra = sorted(set(got) - set(ref))
    if extra:
        problems.append(f"unexpected output(s) {extra}")
        ok = False
    return ok, worst_diff, worst_tol, "\n".join("    " + p for p in problems)


def _tool_path(p):
    """Tools run in the case's directory: make a path with a slash absolute."""
    return os.path.abspath(p) if os.sep in p else (shutil.which(p) or p)


def run_cases(cases, cnnc, cnnc_run, workdir, out=sys.stdout):
    cnnc, cnnc_run = _tool_path(cnnc), _tool_path(cnnc_run)
    workdir = os.path.abspath(workdir)
    os.makedirs(workdir, exist_ok=True)
    names = [c.name for c in cases]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise ValueError(f"duplicate case names: {dups}")
    width = max([len(n) for n in names] + [10])
    failed = []
    for c in cases:
        t0 = time.time()
        try:
            ok, diff, tol, msg = run_case(c, cnnc, cnnc_run, workdir)
        except CaseFailure as e:
            ok, diff, tol, msg = False, math.nan, math.nan, "    " + str(e)
        except Exception as e:  # a bug in the harness must not hide the other cases
            ok, diff, tol, msg = False, math.nan, math.nan, f"    harness error: {e!r}"
        dt = time.time() - t0
        print(f"{c.name:<{width}}  max|diff| {diff:10.3e}  tol {tol:9.3e}  "
              f"{'PASS' if ok else 'FAIL'}  ({dt:.1f} s)", file=out)
        if msg:
            print(msg, file=out)
        out.flush()
        if not ok:
            failed.append(c.name)
    print(f"{len(cases) - len(failed)} of {len(cases)} cases passed"
          + (f"; FAILED: {', '.join(failed)}" if failed else ""), file=out)
    return len(failed)


def add_tool_args(ap):
    ap.add_argument("--cnnc", required=True, help="the cnnc compiler")
    ap.add_argument("--cnnc-run", required=True, help="the cnnc-run tool")
    ap.add_argument("--workdir", required=True, help="scratch directory (lit's %%t)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+", help="model JSON files, one case each")
    add_tool_args(ap)
    ap.add_argument("--batch", type=int, help="compile and run with this batch")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scale", type=float, default=1.0, help="input scale")
    ap.add_argument("--name", help="case name (one model only; default: file stem)")
    ap.add_argument("--weights-mode", choices=WEIGHTS_MODES, default="embed")
    ap.add_argument("--cnnc-flag", action="append", default=[],
                    help="extra cnnc argument (repeatable)")
    args = ap.parse_args(argv)
    if args.name and len(args.models) > 1:
        ap.error("--name needs exactly one model")
    cases = []
    for m in args.models:
        name = args.name or os.path.splitext(os.path.basename(m))[0]
        if args.batch is not None:
            name += f"_b{args.batch}"
        cases.append(Case(name, os.path.abspath(m), batch=args.batch, seed=args.seed,
                          scale=args.scale, weights_mode=args.weights_mode,
                          cnnc_flags=args.cnnc_flag))
    return 1 if run_cases(cases, args.cnnc, args.cnnc_run, args.workdir) else 0


if __name__ == "__main__":
    sys.exit(main())
