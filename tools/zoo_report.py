#!/usr/bin/python3
"""The zoo's numbers from `cnnc --report`, checked against PyTorch or tabulated.

    zoo_report.py --check [--cnnc PATH] [--models a,b,...]
    zoo_report.py [--output docs/zoo.md] [--cnnc PATH] [--models a,b,...] [--seed S]

Run with Debian's Python (/usr/bin/python3, torch 1.13 + torchvision 0.14), from
anywhere; models are models/<name>.json for the names in models/definitions.py's ZOO.

--check (fast: `cnnc --report --emit=cnn`, nothing is compiled) checks, for every model,
that the report's learnable parameters equal sum(p.numel() for p in module.parameters())
of the PyTorch module the JSON was exported from (torchvision.models.NAME() or
models/definitions.py), and torchvision's published count (the weights' meta
num_params) where there is one; and that the MACs round to the published figures
(torchvision's model table: ResNet-50 4.09 G, ResNet-18 1.81 G, ...).  Exit status 1 on
any disagreement.

Without --check, a Markdown page is written (stdout or --output): for each model the
totals of `cnnc models/<name>.json --report` (parameters, MACs, FLOPs, activation memory
= the sum of all node outputs, peak live activations, the compiled plan's arena), and
the wall and CPU time of `cnnc MODEL.json -o MODEL.so` (batch 1, -O2) on the model
exported with seeded weights (tools/export/cnnc_export.py) into a temporary directory.
--jobs N compiles N models at a time; --max-compile-cpu S stops a compilation after S
seconds of CPU time (the table then says "> S").
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "export"))
sys.path.insert(0, os.path.join(HERE, "pyutil"))

# torchvision's published complexity of its models ("GFLOPS" in its model table, which
# counts multiply-accumulates), and the issue's figures; a model's MACs must round to it
PUBLISHED_GMACS = {
    "alexnet": "0.71", "vgg11": "7.61", "googlenet": "1.50", "resnet18": "1.81",
    "resnet50": "4.09", "densenet121": "2.83", "mobilenet_v2": "0.30",
    "shufflenet_v2_x1_0": "0.14",
}
ISSUE_GMACS = {"resnet50": "4.1", "resnet18": "1.8"}
# published parameter counts of the models torchvision does not have (D2L's LeNet;
# SE-ResNet-50 as in Hu et al., Table 2, 28.09 M, and timm's seresnet50)
PUBLISHED_PARAMS = {"lenet": 61706, "se_resnet50": 28088024}


def zoo():
    import importlib.util
    path = os.path.join(ROOT, "models", "definitions.py")
    spec = importlib.util.spec_from_file_location("cnnc_zoo_definitions", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.ZOO


def resolve_spec(spec):
    if spec.startswith("module:"):
        where, attr = spec[len("module:"):].rsplit(":", 1)
        if where.endswith(".py") and not os.path.isabs(where):
            return f"module:{os.path.join(ROOT, where)}:{attr}"
    return spec


def _num(s):
    return int(s.replace(",", ""))


def parse_report(text):
    """Totals of `cnnc --report` output."""
    out = {}
    pats = {
        "params": r"^parameters:\s+([\d,]+) learnable",
        "buffers": r"^parameters:.*\+ ([\d,]+) batchnorm",
        "macs": r"^MACs:\s+([\d,]+)",
        "flops": r"^FLOPs:\s+([\d,]+)",
        "activations": r"^activations:\s+([\d,]+) bytes",
        "peak_live": r"^peak live:\s+([\d,]+) bytes",
        "arena": r"^peak \(arena plan\):\s+([\d,]+) bytes",
    }
    for k, p in pats.items():
        m = re.search(p, text, re.M)
        if m:
            out[k] = _num(m.group(1))
    return out


def run_report(cnnc, json_path, compile_to=None):
    """(report totals, wall seconds, CPU seconds) of `cnnc --report`."""
    argv = [cnnc, json_path, "--report"]
    if compile_to is None:
        argv += ["--emit=cnn", "-o", os.devnull]
    elif compile_to:
        argv += ["-o", compile_to]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    proc = subprocess.run(argv, capture_output=True, text=True)
    dt = time.time() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr}")
    return parse_report(proc.stdout), dt, cpu


def rounds_to(value, published):
    """value (in G) rounds to the decimal string `published`."""
    dec = len(published.split(".")[1]) if "." in published else 0
    return abs(value - float(published)) <= 0.5 * 10 ** -dec + 1e-12


def check(args, models):
    import cnnc_export as X
    bad = 0
    print(f"{'model':<20} {'cnnc params':>13} {'PyTorch':>13} {'published':>13} "
          f"{'GMACs':>7} {'published':>9}  result")
    for name, spec, _ in models:
        rep, _, _ = run_report(args.cnnc, os.path.join(ROOT, "models", f"{name}.json"))
        module, _, _ = X.build_module(resolve_spec(spec), seed=0)
        n_torch = sum(p.numel() for p in module.parameters())
        published = PUBLISHED_PARAMS.get(name)
        if spec.startswith("torchvision:"):
            import torchvision
            try:
                published = torchvision.models.get_model_weights(
                    spec.split(":", 1)[1]).DEFAULT.meta.get("num_params")
            except (AttributeError, ValueError, KeyError):
                published = None
        problems = []
        if rep.get("params") != n_torch:
            problems.append(f"parameters {rep.get('params')} != PyTorch's {n_torch}")
        if published is not None and rep.get("params") != published:
            problems.append(f"parameters {rep.get('params')} != torchvision's published "
                            f"{published}")
        g = rep.get("macs", 0) / 1e9
        pub = PUBLISHED_GMACS.get(name)
        for ref in filter(None, (pub, ISSUE_GMACS.get(name))):
            if not rounds_to(g, ref):
                problems.append(f"{g:.3f} GMACs does not round to the published {ref} G")
        bad += bool(problems)
        print(f"{name:<20} {rep.get('params', 0):>13,} {n_torch:>13,} "
              f"{published if published is not None else '-':>13} {g:7.3f} "
              f"{pub or '-':>9}  {'OK' if not problems else 'FAIL: ' + '; '.join(problems)}")
        del module
    print(f"{len(models) - bad} of {len(models)} models agree")
    return 1 if bad else 0


def human(n, unit=""):
    for div, suf in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if n >= div:
            return f"{n / div:.2f}{suf}{unit}"
    return f"{n}{(' ' + unit) if unit else ''}"


def mib(n):
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.1f} KiB"


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def timed_compile(cnnc, json_path, so_path, max_cpu):
    """Compile with `cnnc JSON -o SO`; returns (wall s, CPU s of cnnc and its children,
    stopped: whether it hit the CPU-time limit)."""
    def limit():
        if max_cpu:
            resource.setrlimit(resource.RLIMIT_CPU, (int(max_cpu), int(max_cpu) + 10))
    t0 = time.time()
    proc = subprocess.Popen([cnnc, json_path, "-o", so_path], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, preexec_fn=limit)
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    dt = time.time() - t0
    cpu = ru.ru_utime + ru.ru_stime
    stopped = proc.returncode < 0 and -proc.returncode in (signal.SIGXCPU, signal.SIGKILL)
    if proc.returncode != 0 and not stopped:
        raise RuntimeError(f"cnnc {json_path} failed ({proc.returncode}):\n{err}")
    return dt, cpu, stopped


def table(args, models):
    import cnnc_export as X
    import safetensors_io
    import torch
    rows = {}
    with tempfile.TemporaryDirectory(prefix="cnnc-zoo-report-") as tmp:
        jobs = []
        for name, spec, title in models:
            path = os.path.join(ROOT, "models", f"{name}.json")
            with open(path) as f:
                model = json.load(f)
            # the totals and the plan's arena: `cnnc --report` without -o stops before
            # the LLVM translation, so this is quick
            rep, _, _ = run_report(args.cnnc, path, compile_to="")
            module, _, _ = X.build_module(resolve_spec(spec), seed=args.seed)
            X.randomize_batchnorm(module, args.seed)
            _, weights = X.export(module, [model["inputs"][0]["shape"]], name=model["name"])
            del module
            wpath = os.path.join(tmp, f"{name}.safetensors")
            safetensors_io.save(wpath, weights)
            del weights
            model["weights"] = os.path.basename(wpath)
            jpath = os.path.join(tmp, f"{name}.json")
            with open(jpath, "w") as f:
                json.dump(model, f)
            rows[name] = [name, title, rep]
            jobs.append((name, jpath, os.path.join(tmp, f"{name}.so")))

        def work(job):
            name, jpath, so = job
            dt, cpu, stopped = timed_compile(args.cnnc, jpath, so, args.max_compile_cpu)
            size = os.path.getsize(so) if os.path.exists(so) and not stopped else None
            for p in (so, jpath[:-5] + ".safetensors"):
                if os.path.exists(p):
                    os.remove(p)
            print(f"{name}: compiled in {dt:.1f} s ({cpu:.1f} s CPU)"
                  + (" -- stopped at the CPU-time limit" if stopped else ""),
                  file=sys.stderr, flush=True)
            return name, dt, cpu, stopped, size

        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for name, dt, cpu, stopped, size in pool.map(work, jobs):
                rows[name] += [dt, cpu, stopped, size]
    rows = [tuple(rows[m[0]]) for m in models]
    torch_v = torch.__version__
    try:
        import torchvision
        tv = torchvision.__version__
    except ImportError:
        tv = "-"
    cmd = "/usr/bin/python3 tools/zoo_report.py --output docs/zoo.md"
    if args.models:
        cmd += f" --models {args.models}"
    if args.jobs > 1:
        cmd += f" --jobs {args.jobs}"
    if args.max_compile_cpu:
        cmd += f" --max-compile-cpu {args.max_compile_cpu:g}"
    lines = [
        "# The model zoo",
        "",
        f"Generated by `{cmd}` (it compiles every model; "
        "do not edit by hand).",
        "",
        "Every model is `models/<model>.json`, written by the exporter "
        "(`models/make_zoo.sh`, see [exporter.md](exporter.md)) from torchvision or "
        "`models/definitions.py`, and checked against that PyTorch module at batch 1 and "
        "batch 8 by `test/Zoo/<model>.test`.  Parameter counts and MACs are checked "
        "against PyTorch and the published figures by `test/Zoo/report-totals.test` "
        "(`tools/zoo_report.py --check`).",
        "",
        "Columns: learnable parameters; multiply-accumulates of conv2d and dense; FLOPs "
        "(see [report.md](report.md)); activation memory, the sum of all node outputs "
        "(f32); peak live activations in graph order; the arena the compiled plan "
        "allocates (from `cnnc <model>.json --report`); and the time "
        "`cnnc <model>.json -o <model>.so` takes (batch 1, -O2, seeded weights "
        "embedded): wall clock, and the CPU time of the process and its linker "
        "(cnnc optimizes and code-generates LLVM partitions on every core, so the CPU "
        "time exceeds the wall time on an idle machine; the wall clock is larger when "
        "other work shares the cores"
        + (f", and compilations ran {args.jobs} at a time" if args.jobs > 1 else "")
        + ")."
        + (f"  A compilation is stopped after {args.max_compile_cpu:g} s of CPU time "
           "(\"> N s\" in the table)." if args.max_compile_cpu else ""),
        "",
        f"Machine: {cpu_name()}, {os.cpu_count()} cores; torch {torch_v}, "
        f"torchvision {tv}; {datetime.date.today().isoformat()}.",
        "",
        "| model | params | MACs | FLOPs | activations | peak live | arena peak | "
        "compile (wall) | compile (CPU) | .so size |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, title, rep, dt, cpu, stopped, size in rows:
        gt = "> " if stopped else ""
        lines.append(
            f"| {title} (`{name}`) | {rep.get('params', 0):,} | {human(rep.get('macs', 0))} "
            f"| {human(rep.get('flops', 0))} | {mib(rep.get('activations', 0))} "
            f"| {mib(rep.get('peak_live', 0))} | "
            f"{mib(rep['arena']) if 'arena' in rep else '-'} | {gt}{dt:.1f} s | "
            f"{gt}{cpu:.1f} s | {mib(size) if size is not None else '-'} |")
    by_name = {r[0]: r for r in rows}
    if "resnet50" in by_name:
        _, _, _, dt, cpu, _, _ = by_name["resnet50"]
        lines += [
            "",
            "## Compile time",
            "",
            f"Compiling ResNet-50 (batch 1, -O2, weights embedded) took {dt:.1f} s wall "
            f"clock and {cpu:.1f} s of CPU time here.  To reproduce it:",
            "",
            "```",
            "/usr/bin/python3 tools/export/cnnc_export.py torchvision:resnet50 "
            "/tmp/resnet50.json --weights /tmp/resnet50.safetensors",
            "time build/bin/cnnc /tmp/resnet50.json -o /tmp/resnet50.so",
            "```",
            "",
            "or `/usr/bin/python3 tools/zoo_report.py --models resnet50` for its row of "
            "the table.",
        ]
        lines += [
            "",
            "Where the time goes (measured on 2026-11-26 for DenseNet-121, the slowest: "
            "~80 s of CPU): the MLIR passes take ~18 s (`cnnc-opt --mlir-timing` on "
            "`cnnc --emit=linalg`'s output with the CPU pipeline; the LLVM-dialect "
            "conversions ~12 s of it), the rest is LLVM's -O2 and code generation on "
            "`forward`, which is one very large function: `perf` puts dominator-tree "
            "updates (`DomTreeNodeBase::UpdateLevel`, `updateDFSNumbers`) at the top, "
            "and they grow faster than linearly with the function.  Emitting one LLVM "
            "function per layer (or per group of layers) would make this linear; it is "
            "not done yet.",
        ]
    text = "\n".join(lines) + "\n"
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cnnc", default=os.path.join(ROOT, "build", "bin", "cnnc"))
    ap.add_argument("--models", help="comma-separated subset of the zoo")
    ap.add_argument("--check", action="store_true",
                    help="check parameters and MACs against PyTorch (no compilation)")
    ap.add_argument("--output", help="write the Markdown table here (default stdout)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1,
                    help="compile this many models at a time (default 1)")
    ap.add_argument("--max-compile-cpu", type=float, default=0, metavar="S",
                    help="stop a compilation after S seconds of CPU time (default: never)")
    args = ap.parse_args(argv)
    models = zoo()
    if args.models:
        want = args.models.split(",")
        names = [m[0] for m in models]
        unknown = [w for w in want if w not in names]
        if unknown:
            ap.error(f"unknown model(s) {', '.join(unknown)} (zoo: {', '.join(names)})")
        models = [m for m in models if m[0] in want]
    return check(args, models) if args.check else table(args, models)


if __name__ == "__main__":
    sys.exit(main())
