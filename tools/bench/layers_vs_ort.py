#!/usr/bin/python3
"""Per-layer time of a cnnc library against ONNX Runtime's per-node time on the same model.

    /usr/bin/python3 tools/bench/layers_vs_ort.py resnet50 --batch 1 [--rounds 4] [--runs 20]

Uses the files `zoo_bench.py --keep` leaves in build/bench-work/MODEL/ (MODEL_bN.so,
MODEL_bN.onnx, inputs_bN.safetensors / .f32). cnnc: `cnnc-run --profile` (the fastest of
the rounds per layer); ONNX Runtime: its profiler (`ort_time.js --profile`), each node's
kernel time, the median over the timed runs, fastest of the rounds. The two engines run
alternately, 2 threads each. ONNX Runtime fuses a conv with its batchnorm, ReLU and residual
add into one node named after the conv; cnnc's conv layers include their fused epilogues
likewise, so conv layers compare one to one. Prints per layer and per stage (the name's
first component: conv1, layer1..4, fc).

Benchmark, not a test: the machine is noisy, so compare within one run.
"""
import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile

from ab_layers import profile as cnnc_profile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def onnx_layer_name(node):
    """'/layer4/layer4.0/conv1/Conv' -> 'layer4.0.conv1'; '/fc/Gemm' -> 'fc'."""
    parts = [p for p in node.split("/") if p]
    if len(parts) < 2:
        return node
    # Scopes nest by module path, and a scope that extends its parent's name
    # ('layer4' -> 'layer4.0', 'downsample' -> 'downsample.0') replaces it.
    names = []
    for s in parts[:-1]:
        if names and s.startswith(names[-1] + "."):
            names[-1] = s
        else:
            names.append(s)
    return ".".join(names)


def producing_layer(name, nodes):
    """ONNX Runtime names a fused conv (+ batchnorm, ReLU, residual add) after its last
    node; cnnc gives the fused tile's time to the conv. Walk back to the conv."""
    while name in nodes and nodes[name]["op"] in ("relu", "relu6", "batchnorm", "add"):
        name = nodes[name]["inputs"][0]
    return name


def ort_profile(model, f32, shape, runs, threads, workdir, nodes):
    env = dict(os.environ, NODE_PATH=os.path.join(ROOT, "build/bench-peers/node_modules"))
    prefix = os.path.join(workdir, "ort")
    out = subprocess.run(["node", os.path.join(ROOT, "tools/bench/ort_time.js"), model, f32,
                          ",".join(map(str, shape)), "--runs", str(runs), "--threads",
                          str(threads), "--warmup", "3", "--profile", prefix],
                         env=env, capture_output=True, text=True, check=True).stdout
    path = json.loads(out.strip().splitlines()[-1])["profile"]
    events = json.load(open(path))
    os.remove(path)
    per_node = collections.defaultdict(list)
    for e in events:
        if e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time"):
            per_node[e["name"][: -len("_kernel_time")]].append(e["dur"] / 1000.0)
    layers = {}
    for node, times in per_node.items():
        timed = times[-runs:] if len(times) >= runs else times
        name = producing_layer(onnx_layer_name(node), nodes)
        layers[name] = layers.get(name, 0.0) + statistics.median(timed)
    return layers


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workdir", default=os.path.join(ROOT, "build/bench-work"))
    a = p.parse_args()
    w = os.path.join(a.workdir, a.model)
    lib = os.path.join(w, f"{a.model}_b{a.batch}.so")
    onnx = os.path.join(w, f"{a.model}_b{a.batch}.onnx")
    st = os.path.join(w, f"inputs_b{a.batch}.safetensors")
    f32 = os.path.join(w, f"inputs_b{a.batch}.f32")
    for f in (lib, onnx, st, f32):
        if not os.path.exists(f):
            sys.exit(f"layers_vs_ort.py: error: {f} is missing (run zoo_bench.py --keep first)")
    shape = [a.batch, 3, 224, 224]
    nodes = {n["name"]: n for n in json.load(open(os.path.join(w, f"{a.model}.json")))["nodes"]}
    cnnc, ort = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(a.rounds):
            run = os.path.join(ROOT, "build/bin/cnnc-run")
            for k, v in cnnc_profile(run, lib, st, a.threads, a.runs).items():
                cnnc[k] = min(cnnc.get(k, v), v)
            for k, v in ort_profile(onnx, f32, shape, a.runs, a.threads, tmp, nodes).items():
                ort[k] = min(ort.get(k, v), v)
    print(f"{a.model} batch {a.batch}, {a.threads} threads, fastest of {a.rounds} rounds (ms)")
    print(f"{'layer':32s} {'cnnc':>8s} {'ORT':>8s} {'ratio':>6s}")
    stages = collections.OrderedDict()
    matched_c = matched_o = 0.0
    for name, ms in cnnc.items():
        if name not in ort or ms < 0.005:
            continue
        print(f"{name:32s} {ms:8.3f} {ort[name]:8.3f} {ms / ort[name]:6.2f}")
        s = stages.setdefault(name.split(".")[0], [0.0, 0.0])
        s[0] += ms
        s[1] += ort[name]
        matched_c += ms
        matched_o += ort[name]
    print("\nper stage (matched layers)")
    for st_name, (c, o) in stages.items():
        print(f"{st_name:32s} {c:8.3f} {o:8.3f} {c / o:6.2f}")
    print(f"{'matched layers':32s} {matched_c:8.3f} {matched_o:8.3f} {matched_c / matched_o:6.2f}")
    print(f"{'all layers':32s} {sum(cnnc.values()):8.3f} {sum(ort.values()):8.3f}")
    unmatched = sorted(set(ort) - set(cnnc))
    if unmatched:
        print(f"ONNX Runtime nodes without a cnnc layer: {sum(ort[n] for n in unmatched):.3f} ms "
              f"({', '.join(unmatched[:8])}{' ...' if len(unmatched) > 8 else ''})")


if __name__ == "__main__":
    main()
