#!/usr/bin/env bash
# Benchmark (not a test): ResNet-18, batch 1, 224x224, fp32 on this CPU:
# cnnc (cnnc-run --bench) and PyTorch (2 threads, eval, torch.jit.freeze),
# side by side in one run, repeated; prints min/median and the ratio.
#   usage: tools/bench/resnet18_vs_pytorch.sh [RUNS] [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-20}; REPEATS=${2:-3}
B=build/bin
work=$(mktemp -d)
/usr/bin/python3 models/make_weights.py models/resnet18.json "$work/w.safetensors" --torchvision resnet18 >/dev/null
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); m["weights"]=sys.argv[2]; json.dump(m,open(sys.argv[3],"w"))' \
  models/resnet18.json "$work/w.safetensors" "$work/resnet18.json"
$B/cnnc "$work/resnet18.json" -o "$work/resnet18.so"
/usr/bin/python3 - "$work/img.safetensors" <<'PY'
import sys; sys.path.insert(0, "tools/pyutil")
import torch, safetensors_io as s
torch.manual_seed(0); s.save(sys.argv[1], {"image": torch.randn(1, 3, 224, 224)})
PY
cnnc_med=(); torch_med=()
for r in $(seq "$REPEATS"); do
  c=$($B/cnnc-run "$work/resnet18.so" --inputs "$work/img.safetensors" --bench="$RUNS")
  t=$(/usr/bin/python3 tools/bench/pytorch_resnet.py --model resnet18 --batch 1 --threads 2 --runs "$RUNS")
  echo "round $r: cnnc  $c"
  echo "round $r: $t"
  cnnc_med+=($(echo "$c" | sed -E 's/.*median ([0-9.]+) ms.*/\1/'))
  torch_med+=($(echo "$t" | sed -E 's/.*median ([0-9.]+) ms.*/\1/'))
done
python3 - "${cnnc_med[*]}" "${torch_med[*]}" <<'PY'
import sys, statistics
c = [float(x) for x in sys.argv[1].split()]; t = [float(x) for x in sys.argv[2].split()]
print(f"cnnc median-of-medians {statistics.median(c):.2f} ms (min {min(c):.2f}); "
      f"pytorch {statistics.median(t):.2f} ms (min {min(t):.2f})")
print(f"ratio cnnc/pytorch = {statistics.median(c)/statistics.median(t):.2f}x "
      f"(>1 means cnnc is slower)")
PY
rm -rf "$work"
