#!/usr/bin/env bash
# The main job: set up, build, compile ResNet-18 (torchvision's weights layout,
# seeded initialization) to a native library, run it on an image, check it
# against PyTorch and time it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
B=build/bin
work=${CNNC_DEMO_DIR:-$(mktemp -d)}
echo "== cnnc demo: ResNet-18 (work dir $work)"
/usr/bin/python3 models/make_weights.py models/resnet18.json "$work/resnet18.safetensors" --torchvision resnet18
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); m["weights"]="resnet18.safetensors"; json.dump(m,open(sys.argv[2],"w"))' \
  models/resnet18.json "$work/resnet18.json"
echo "== report"
$B/cnnc "$work/resnet18.json" --report --emit=cnn -o /dev/null | tail -6
echo "== compile"
start=$(date +%s%N)
$B/cnnc "$work/resnet18.json" -o "$work/resnet18.so"
end=$(date +%s%N)
echo "compiled $work/resnet18.so ($(du -h "$work/resnet18.so" | cut -f1)) in $(( (end - start) / 1000000 )) ms"
/usr/bin/python3 - "$work/image.safetensors" <<'PY'
import sys; sys.path.insert(0, "tools/pyutil")
import torch, safetensors_io as s
torch.manual_seed(1); s.save(sys.argv[1], {"image": torch.randn(1, 3, 224, 224)})
PY
echo "== run"
$B/cnnc-run "$work/resnet18.so" --inputs "$work/image.safetensors"
$B/cnnc-run "$work/resnet18.so" --inputs "$work/image.safetensors" --outputs "$work/out.safetensors" --bench=10
/usr/bin/python3 tools/torch_reference.py "$work/resnet18.json" --inputs "$work/image.safetensors" --outputs "$work/ref.safetensors" >/dev/null
/usr/bin/python3 - "$work" <<'PY'
import sys; sys.path.insert(0, "tools/pyutil")
import safetensors_io as s
w = sys.argv[1]
a = s.load(w + "/out.safetensors")["fc"]; r = s.load(w + "/ref.safetensors")["fc"]
print(f"== agreement with PyTorch: max|diff| = {(a - r).abs().max().item():.2e} "
      f"(max|ref| = {r.abs().max().item():.3f}); same top-1: {a.argmax().item() == r.argmax().item()}")
PY
echo "== the same from Python: torchvision's ResNet-18 module compiled with cnnc.compile"
(cd "$work" && PYTHONPATH="$OLDPWD/build/python" /usr/bin/python3 "$OLDPWD/tools/examples/classify_torchvision.py" --model resnet18)
