#!/usr/bin/python3
"""Per-layer A/B of compiled libraries on a noisy machine.

Runs `cnnc-run LIB --profile` on each library in turn, ROUNDS times, and
prints every layer's minimum over the rounds for each library, with the
ratio to the first. A descheduled thread or a neighbour's burst inflates one
layer of one run by up to 5x on this 2-vCPU machine (seen in 2026-11-26
profiles); the per-layer minimum filters that out, where a whole-model
median does not.

  tools/bench/ab_layers.py INPUTS.safetensors A.so B.so [...] [--rounds 5]
                           [--profile-runs 20] [--match REGEX] [--threads 2]
                           [--model M.json --batch N --peak GFLOPS]

A library's speed also depends on where the page cache put its file: two
byte-identical copies of one library ran a 1x1 conv at 1.82 and 2.21 ms
(AMD EPYC family 26 (Zen 5), AVX-512, 2 threads; docs/benchmarks.md, session 27). With --copies K, each library is copied
into K fresh files, the rounds cycle through them, and each layer's figure
is the median over the copies of its minimum within a copy.

With --model and --batch, each layer's FLOPs come from `cnnc --report` and
the table adds the first library's GFLOP/s (and % of --peak, the FMA peak
for the thread count used, from cnnc-fma-peak).
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def profile(run, lib, inputs, threads, runs=None, profile_runs=1):
    """Per-layer ms of `cnnc-run LIB --profile` (after `--bench=runs` when given; each
    layer's fastest of `profile_runs` profiled runs)."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    extra = [f"--bench={runs}"] if runs else []
    extra += [f"--profile-runs={profile_runs}"] if profile_runs > 1 else []
    out = subprocess.run([run, lib, "--inputs", inputs, "--profile"] + extra, env=env,
                         capture_output=True, text=True, check=True).stdout
    layers = {}
    for line in out.splitlines():
        m = re.match(r"\s+(\S+)\s+([0-9.]+)\s+[0-9.]+%$", line)
        if m:
            layers[m.group(1)] = float(m.group(2))
    if not layers:
        sys.exit(f"ab_layers: no profile from {lib}:\n{out}")
    return layers


def layer_flops(cnnc, model, batch):
    out = subprocess.run([cnnc, model, f"--batch={batch}", "--report"], capture_output=True,
                         text=True, check=True).stdout
    flops = {}
    for line in out.splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 7 and cols[5].replace(",", "").isdigit():
            flops[cols[0]] = int(cols[5].replace(",", ""))
    return flops


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs")
    ap.add_argument("libs", nargs="+")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--profile-runs", type=int, default=1,
                    help="profiled runs per round, each layer's fastest (cnnc-run --profile-runs)")
    ap.add_argument("--match", default="", help="only layers whose name matches this regex")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--copies", type=int, default=1,
                    help="profile K fresh copies of each library (page-cache placement)")
    ap.add_argument("--run", default=os.path.join(ROOT, "build", "bin", "cnnc-run"))
    ap.add_argument("--model", help="the model JSON, for per-layer FLOPs")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--peak", type=float, default=0.0, help="GFLOP/s, for the %% of peak column")
    a = ap.parse_args()
    flops = layer_flops(os.path.join(os.path.dirname(a.run), "cnnc"), a.model, a.batch) if a.model else {}
    copies = max(1, a.copies)
    scratch = tempfile.mkdtemp(prefix="ab_layers_") if copies > 1 else None
    files = [[lib] if copies == 1 else
             [shutil.copy(lib, os.path.join(scratch, f"{i}_{k}_{os.path.basename(lib)}"))
              for k in range(copies)] for i, lib in enumerate(a.libs)]
    # best[i][k][layer]: library i's copy k, the layer's minimum.
    per_copy = [[{} for _ in range(copies)] for _ in a.libs]
    for r in range(a.rounds):
        for i in range(len(a.libs)):
            k = r % copies
            for name, ms in profile(a.run, files[i][k], a.inputs, a.threads,
                                     profile_runs=a.profile_runs).items():
                per_copy[i][k][name] = min(ms, per_copy[i][k].get(name, ms))
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    best = [{name: statistics.median(c[name] for c in lib_copies if name in c)
             for name in lib_copies[0]} for lib_copies in per_copy]
    def rate(name, ms):
        if not flops or name not in flops or not ms:
            return ""
        g = flops[name] / ms / 1e6
        return f"{g:10.1f}" + (f"{100 * g / a.peak:7.0f}%" if a.peak else "")

    names = list(best[0])
    rx = re.compile(a.match)
    shown = [n for n in names if rx.search(n) and any(b.get(n, 0) >= 0.01 for b in best)]
    short = [os.path.basename(l) for l in a.libs]
    how = (f"median over {copies} copies of the per-copy minimum, {a.rounds} rounds"
           if copies > 1 else f"minimum over {a.rounds} rounds")
    print(f"per-layer {how} (ms); ratio = lib / {short[0]}")
    print(f"{'layer':34}" + "".join(f"{s[:14]:>16}" for s in short) + "".join(
        f"{'ratio ' + str(i + 1):>10}" for i in range(1, len(a.libs))) +
          (f"{'GFLOP/s':>10}" if flops else "") + (f"{'% peak':>8}" if flops and a.peak else ""))
    for n in shown:
        vals = [b.get(n, float('nan')) for b in best]
        print(f"{n:34}" + "".join(f"{v:16.3f}" for v in vals) +
              "".join(f"{v / vals[0] if vals[0] else float('nan'):10.2f}" for v in vals[1:]) +
              rate(n, vals[0]))
    totals = [sum(b.get(n, 0) for n in shown) for b in best]
    print(f"{'sum of minima':34}" + "".join(f"{t:16.3f}" for t in totals) +
          "".join(f"{t / totals[0] if totals[0] else float('nan'):10.2f}" for t in totals[1:]))


if __name__ == "__main__":
    main()
