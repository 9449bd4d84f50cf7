#!/bin/bash
# Exports every zoo model again with the Python at hand (PYTHON, default
# python3: run it under another torch, e.g. a newer one than Debian's 1.13)
# and checks (1) --verify: the exported JSON + weights, run by
# tools/torch_reference.py, match the module itself; (2) the exported graph
# equals the committed models/<name>.json. Prints one line per model and
# "N passed, N failed".
#   usage: PYTHON=python3 tools/export/check_zoo_export.sh [OUTDIR]
set -u
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
out=${1:-$(mktemp -d)}
mkdir -p "$out"
"$PY" -c 'import torch, torchvision; print("torch", torch.__version__, "torchvision", torchvision.__version__)'
passed=0 failed=0
while read -r spec name; do
  [ -z "$spec" ] && continue
  log="$out/$name.log"
  if "$PY" tools/export/cnnc_export.py "$spec" "$out/$name.json" --weights "$out/$name.safetensors" \
       --seed 1 --randomize-bn --verify --name "$name" > "$log" 2>&1 &&
     "$PY" - "$out/$name.json" "models/$name.json" >> "$log" 2>&1 <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
diff = [k for k in ("inputs", "outputs", "nodes") if a.get(k) != b.get(k)]
sys.exit(f"differs from {sys.argv[2]} in {diff}" if diff else 0)
PY
  then
    passed=$((passed + 1)); echo "PASS $name: $(grep -o 'max|diff| [^ ]*' "$log" | head -1), graph equals models/$name.json"
  else
    failed=$((failed + 1)); echo "FAIL $name: $(tail -n 3 "$log" | tr '\n' ' ')"
  fi
  rm -f "$out/$name.safetensors"
done <<'LIST'
torchvision:alexnet alexnet
torchvision:vgg11 vgg11
module:models/definitions.py:NiN nin
torchvision:googlenet googlenet
torchvision:resnet18 resnet18
torchvision:resnet50 resnet50
torchvision:densenet121 densenet121
torchvision:mobilenet_v2 mobilenet_v2
torchvision:shufflenet_v2_x1_0 shufflenet_v2_x1_0
module:models/definitions.py:se_resnet50 se_resnet50
LIST
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
