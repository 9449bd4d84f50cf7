#!/usr/bin/python3
"""The GPU check of cnnc's nvptx target, in two halves.

prepare (on the compiling machine, no GPU needed):
    gpu_suite.py prepare --out DIR --cnnc build/bin/cnnc [--chip sm_90]
  compiles every end-to-end op case (test/e2e_lib/op_cases.py) and LeNet for
  -target=nvptx with --weights=external, and stores beside each .so its
  weights, inputs and PyTorch reference outputs; compiles ResNet-18/50 at
  batch 1 and 32 for the benchmark (weights are made on the GPU machine).

run (on the GPU machine, which has PyTorch but no compiler):
    gpu_suite.py run --dir DIR --cnnc-run build/bin/cnnc-run [--report FILE]
  runs each case with cnnc-run --device=cuda and compares with the reference
  (max|diff| <= 1e-4 * max(1, max|ref|)), then times cnnc against PyTorch
  (cuDNN, eval, same weights) on the same GPU and checks they agree; runs
  the training steps with cnnc-run --device=cuda --train-step and compares
  (1e-3 relative, as test/Training does on the CPU), and times LeNet's step.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tools", "pyutil"))
sys.path.insert(0, os.path.join(ROOT, "test", "e2e_lib"))
sys.dont_write_bytecode = True

import safetensors_io  # noqa: E402

RTOL = 1e-4
BENCH = [("resnet18", 1), ("resnet18", 32), ("resnet50", 1), ("resnet50", 32)]
# Besides each benchmark library, the variants that measure one step each
# where it matters: a wait after every kernel at batch 1 (launch-bound), no
# register tiles or FMAs at batch 32 (compute-bound).
VARIANTS = {1: [("_sync", ["--disable-passes=cnnc-enqueue-gpu-launches"])],
            32: [("_untiled",
                  ["--disable-passes=cnnc-tile-gpu-loop-nests,cnnc-contract-multiply-adds"])]}


def sh(argv, timeout=180, **kw):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, 124, "", f"timed out after {timeout} s")


def prepare(args):
    import torch
    import torch_reference as R
    import op_cases
    import e2e
    os.makedirs(args.out, exist_ok=True)
    cases = [c for fam in op_cases.FAMILIES for c in op_cases.CASES[fam]]
    lenet = e2e.Case("lenet", os.path.join(ROOT, "models", "lenet.json"), seed=7)
    manifest = []
    for case in cases + [lenet]:
        d = os.path.join(args.out, case.name)
        os.makedirs(d, exist_ok=True)
        spec = e2e._load_spec(case.model)
        spec = dict(spec)
        spec.pop("weights", None)
        mpath = os.path.join(d, "model.json")
        json.dump(spec, open(mpath, "w"))
        model = R.load_model(mpath)
        params = R.build_params(model, case.seed, randomize_bn=True)
        safetensors_io.save(os.path.join(d, "weights.safetensors"), params)
        inputs = e2e.make_inputs(model, case.seed, case.batch, case.scale, case.shift)
        safetensors_io.save(os.path.join(d, "inputs.safetensors"), inputs)
        ref = R.run_model(model, inputs, params, batch=case.batch)
        safetensors_io.save(os.path.join(d, "ref.safetensors"), ref)
        argv = [args.cnnc, mpath, "-target=nvptx", "-mcpu=" + args.chip,
                "--weights=external", "-o", os.path.join(d, "model.so")]
        if case.batch:
            argv.append(f"--batch={case.batch}")
        r = sh(argv)
        if r.returncode != 0:
            print(f"{case.name}: cnnc failed\n{r.stderr}")
            return 1
        os.remove(os.path.join(d, "model.so.weights.safetensors"))
        manifest.append(case.name)
    bench = os.path.join(args.out, "bench")
    os.makedirs(bench, exist_ok=True)
    for model, batch in BENCH:
        mjson = os.path.join(bench, model + ".json")
        if not os.path.exists(mjson):
            r = sh([sys.executable, os.path.join(ROOT, "models", "make_resnet.py"), model,
                    "-o", mjson])
            if r.returncode:
                print(r.stdout, r.stderr)
                return 1
        for suffix, extra in [("", [])] + VARIANTS.get(batch, []):
            out = os.path.join(bench, f"{model}_b{batch}{suffix}.so")
            t0 = time.time()
            r = sh([args.cnnc, mjson, "-target=nvptx", "-mcpu=" + args.chip,
                    "--weights=external", f"--batch={batch}", "-o", out] + extra)
            if r.returncode:
                print(r.stderr)
                return 1
            print(f"compiled {model}{suffix} batch {batch} for {args.chip} "
                  f"in {time.time() - t0:.1f} s")
            os.remove(out + ".weights.safetensors")
    train = prepare_training(args)
    if train is None:
        return 1
    json.dump({"cases": manifest, "bench": BENCH, "train": train},
              open(os.path.join(args.out, "manifest.json"), "w"))
    print(f"prepared {len(manifest)} cases and {len(train)} training cases in {args.out}")
    return 0


TRAIN_STEPS = 2
# A case carries its weights about four times (the file, the library, the
# reference gradients and parameters); cases over this are left out so that
# the whole check fits the GPU machine's 64 MiB carry (the two CPU-schedule
# cases with 15 MB and 3.5 MB of weights made it 131 MB).
TRAIN_CARRY_BYTES = 4 << 20


def prepare_training(args):
    """Training-step cases for nvptx with PyTorch's results after 2 steps."""
    import torch
    import zlib
    import torch_reference as R
    import train_check as T
    names = []
    cases = [c for fam in sorted(T.CASES) for c in T.CASES[fam]]
    lenet = json.load(open(os.path.join(ROOT, "models", "lenet.json")))
    lenet.pop("weights", None)
    cases.append({"name": "lenet_b256", "batch": 256, "model": lenet})
    for c in cases:
        d = os.path.join(args.out, "train", c["name"])
        os.makedirs(d, exist_ok=True)
        data_seed = zlib.crc32(c["name"].encode()) % 10007
        mpath = os.path.join(d, "model.json")
        spec = dict(c["model"])
        spec["weights"] = "weights.safetensors"
        if c.get("batch"):
            spec["inputs"] = [dict(spec["inputs"][0])]
            spec["inputs"][0]["shape"] = [c["batch"]] + spec["inputs"][0]["shape"][1:]
        json.dump(spec, open(mpath, "w"))
        params = R.build_params(R.load_model(mpath), data_seed, randomize_bn=True)
        carried = 4 * sum(v.numel() * 4 for v in params.values())
        if carried > TRAIN_CARRY_BYTES:
            print(f"train {c['name']}: left out ({carried >> 20} MiB to carry)")
            shutil.rmtree(d)
            continue
        safetensors_io.save(os.path.join(d, "weights.safetensors"), params)
        gen = torch.Generator().manual_seed(data_seed)
        inp = spec["inputs"][0]
        x = torch.randn(inp["shape"], generator=gen)
        classes = [n for n in spec["nodes"] if n["name"] == spec["outputs"][0]][0]
        k = classes["attrs"]["out_features"]
        labels = torch.randint(0, k, (inp["shape"][0],), generator=gen)
        safetensors_io.save(os.path.join(d, "batch.safetensors"), {inp["name"]: x, "labels": labels})
        seed = c.get("seed") or 0  # dropout's masks: cnnc's generator, rebuilt in PyTorch
        loss, grads, new = T.torch_steps(mpath, params, {inp["name"]: x}, labels, TRAIN_STEPS,
                                         seed=seed)
        ref = {"loss": loss.reshape(1)}
        ref.update({"grad." + k: v for k, v in grads.items()})
        ref.update({"param." + k: v for k, v in new.items()})
        safetensors_io.save(os.path.join(d, "ref.safetensors"), ref)
        r = sh([args.cnnc, mpath, "--train", "-target=nvptx", "-mcpu=" + args.chip,
                "-o", os.path.join(d, "model.so")])
        if r.returncode != 0:
            print(f"train {c['name']}: cnnc failed\n{r.stderr}")
            return None
        json.dump({"seed": seed}, open(os.path.join(d, "run.json"), "w"))
        names.append(c["name"])
    return names


def run_training(args, man, say):
    passed = failed = 0
    for name in man.get("train", []):
        d = os.path.join(args.dir, "train", name)
        outp = os.path.join(d, "step.safetensors")
        seed = json.load(open(os.path.join(d, "run.json")))["seed"]
        r = sh([args.cnnc_run, os.path.join(d, "model.so"), "--device=cuda", "--train-step",
                f"--steps={TRAIN_STEPS}", f"--seed={seed}", "--inputs",
                os.path.join(d, "batch.safetensors"), "--outputs", outp])
        if r.returncode:
            failed += 1
            say(f"FAIL train {name}: cnnc-run exit {r.returncode}: {r.stderr.strip()[:300]}")
            continue
        got = safetensors_io.load(outp)
        ref = safetensors_io.load(os.path.join(d, "ref.safetensors"))
        worst, where = 0.0, ""
        for key, v in ref.items():
            if key not in got or tuple(got[key].shape) != tuple(v.shape):
                worst, where = float("inf"), key + " (missing)"
                break
            tol = 1e-3 * max(1.0, v.abs().max().item())
            q = (got[key] - v).abs().max().item() / tol if v.numel() else 0.0
            if q > worst:
                worst, where = q, key
        ok = worst <= 1.0
        passed += ok
        failed += not ok
        say(f"{'PASS' if ok else 'FAIL'} train {name}: worst {where} {worst:.3f} x tolerance")
    say(f"training steps on the GPU: {passed} passed, {failed} failed")
    lenet = os.path.join(args.dir, "train", "lenet_b256")
    if "lenet_b256" in man.get("train", []):
        def timed(steps):
            t0 = time.perf_counter()
            sh([args.cnnc_run, os.path.join(lenet, "model.so"), "--device=cuda", "--train-step",
                f"--steps={steps}", "--inputs", os.path.join(lenet, "batch.safetensors")])
            return time.perf_counter() - t0
        base = min(timed(1) for _ in range(3))
        many = min(timed(101) for _ in range(3))
        say(f"LeNet batch 256 training step on the GPU: {(many - base) * 1e3 / 100:.3f} ms "
            f"(min over 3 of (time of 101 steps - time of 1) / 100)")
    return failed


def compare(out, ref):
    worst = 0.0
    ok = True
    for k, r in ref.items():
        o = out.get(k)
        if o is None or tuple(o.shape) != tuple(r.shape):
            return False, float("inf"), 0.0
        tol = RTOL * max(1.0, r.abs().max().item())
        diff = (o - r).abs().max().item() if r.numel() else 0.0
        worst = max(worst, diff / tol)
        ok &= diff <= tol
    return ok, worst, 0.0


def run(args):
    import torch
    import torchvision
    man = json.load(open(os.path.join(args.dir, "manifest.json")))
    lines = []

    def say(s):
        print(s, flush=True)
        lines.append(s)

    say(f"GPU: {torch.cuda.get_device_name(0)}; torch {torch.__version__}")
    passed = failed = 0
    for name in man["cases"]:
        d = os.path.join(args.dir, name)
        outp = os.path.join(d, "out.safetensors")
        r = sh([args.cnnc_run, os.path.join(d, "model.so"), "--device=cuda",
                "--inputs", os.path.join(d, "inputs.safetensors"),
                "--weights", os.path.join(d, "weights.safetensors"), "--outputs", outp])
        if r.returncode:
            failed += 1
            say(f"FAIL {name}: cnnc-run exit {r.returncode}: {r.stderr.strip()[:300]}")
            continue
        ok, worst, _ = compare(safetensors_io.load(outp), safetensors_io.load(
            os.path.join(d, "ref.safetensors")))
        passed += ok
        failed += not ok
        if not ok:
            say(f"FAIL {name}: max|diff| = {worst:.2f} x tolerance")
    say(f"op cases on the GPU: {passed} passed, {failed} failed")
    failed += run_training(args, man, say)

    bench = os.path.join(args.dir, "bench")
    torch.backends.cudnn.benchmark = True
    for model, batch in man["bench"]:
        so = os.path.join(bench, f"{model}_b{batch}.so")
        mjson = os.path.join(bench, model + ".json")
        w = os.path.join(bench, model + ".safetensors")
        if not os.path.exists(w):
            r = sh([sys.executable, os.path.join(ROOT, "models", "make_weights.py"), mjson, w,
                    "--torchvision", model])
            if r.returncode:
                say(f"{model}: make_weights failed: {r.stderr[-300:]}")
                continue
        torch.manual_seed(batch)
        x = torch.randn(batch, 3, 224, 224)
        inp = os.path.join(bench, f"in_{batch}.safetensors")
        safetensors_io.save(inp, {"image": x})
        outp = os.path.join(bench, f"out_{model}_{batch}.safetensors")
        r = sh([args.cnnc_run, so, "--device=cuda", "--weights", w, "--inputs", inp,
                "--outputs", outp])
        if r.returncode:
            say(f"{model} b{batch}: cnnc-run failed: {r.stderr.strip()[:300]}")
            continue
        def bench_ms(lib, env=None):
            """(median, min) of cnnc-run --bench over args.runs runs."""
            r = sh([args.cnnc_run, lib, "--device=cuda", "--weights", w, "--inputs", inp,
                    f"--bench={args.runs}"], env=env)
            if "median" not in r.stdout:
                return float("nan"), float("nan")
            return (float(r.stdout.split("median")[1].split("ms")[0]),
                    float(r.stdout.split("min")[1].split("ms")[0]))
        cn = bench_ms(so)
        # What the CUDA graph and the enqueued launches save: the same
        # library run without graphs, and the library that waits per kernel.
        nograph = bench_ms(so, dict(os.environ, CNNRT_CUDA_GRAPHS="0"))
        variants = {suffix: bench_ms(so.replace(".so", suffix + ".so"))
                    for suffix, _ in VARIANTS.get(batch, [])}
        cmin = cn[1]
        net = getattr(torchvision.models, model)()
        net.load_state_dict({k: v for k, v in safetensors_io.load(w).items()}, strict=False)
        net = net.eval().cuda()
        xg = x.cuda()

        def torch_ms(tf32):
            """PyTorch's times, its cuDNN convs with TF32 (its default) or in fp32."""
            torch.backends.cudnn.allow_tf32 = tf32
            with torch.no_grad():
                for _ in range(5):
                    net(xg)
                torch.cuda.synchronize()
                times = []
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    net(xg)
                    torch.cuda.synchronize()
                    times.append((time.perf_counter() - t0) * 1e3)
            return times
        # Like with like: cnnc computes in fp32.
        ts32 = torch_ms(False)
        with torch.no_grad():
            ref = net(xg).float().cpu()
        ts = torch_ms(True)
        ours = safetensors_io.load(outp)["fc"]
        diff = (ours - ref).abs().max().item()
        tmed = statistics.median(ts)
        say(f"{model} batch {batch}: cnnc median {cn[0]:.3f} ms (min {cmin:.3f}), "
            f"pytorch+cuDNN median {tmed:.3f} ms (min {min(ts):.3f}); "
            f"cnnc/pytorch = {cn[0] / tmed:.2f}x; max|diff| vs pytorch = {diff:.2e} "
            f"(max|ref| {ref.abs().max().item():.2f})")
        say(f"  pytorch+cuDNN with fp32 convs (TF32 off) median {statistics.median(ts32):.3f} ms "
            f"(min {min(ts32):.3f}); cnnc/pytorch-fp32 = {cn[0] / statistics.median(ts32):.2f}x")
        meaning = {"_sync": "waiting after every kernel",
                   "_untiled": "without register tiles and FMAs"}
        say(f"  cnnc without CUDA graphs median {nograph[0]:.3f} ms (min {nograph[1]:.3f})" +
            "".join(f"; {meaning[k]} median {v[0]:.3f} ms (min {v[1]:.3f})"
                    for k, v in variants.items()))
        r = sh([args.cnnc_run, so, "--device=cuda", "--weights", w, "--inputs", inp,
                "--profile"])
        prof = sorted((l for l in r.stdout.splitlines()[2:] if l.strip()),
                      key=lambda l: -float(l.split()[1]))[:5]
        say("  top layers: " + "; ".join(" ".join(l.split()[:2]) + " ms" for l in prof))
    if args.report:
        open(args.report, "w").write("\n".join(lines) + "\n")
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--out", required=True)
    p.add_argument("--cnnc", required=True)
    p.add_argument("--chip", default="sm_90")
    r = sub.add_parser("run")
    r.add_argument("--dir", required=True)
    r.add_argument("--cnnc-run", required=True)
    r.add_argument("--report")
    r.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    return prepare(args) if args.cmd == "prepare" else run(args)


if __name__ == "__main__":
    sys.exit(main())
