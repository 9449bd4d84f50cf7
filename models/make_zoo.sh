#!/usr/bin/env bash
# Regenerate the zoo's model JSONs (models/*.json) with the exporter, from torchvision
# and models/definitions.py.  No weights are written: tests and tools/zoo_report.py
# export seeded weights into temporary directories.  models/lenet.json is written by
# hand (it carries a "training" section); this checks that its graph still equals the
# exporter's LeNet.
#   usage: models/make_zoo.sh            (Debian's /usr/bin/python3, torch 1.13)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-/usr/bin/python3}
export_() { "$PY" tools/export/cnnc_export.py "$1" "models/$2.json"; }

export_ torchvision:alexnet                     alexnet
export_ torchvision:vgg11                       vgg11
export_ module:models/definitions.py:NiN        nin
export_ torchvision:googlenet                   googlenet
export_ torchvision:resnet18                    resnet18
export_ torchvision:resnet50                    resnet50
export_ torchvision:densenet121                 densenet121
export_ torchvision:mobilenet_v2                mobilenet_v2
export_ torchvision:shufflenet_v2_x1_0          shufflenet_v2_x1_0
export_ module:models/definitions.py:se_resnet50 se_resnet50

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" tools/export/cnnc_export.py module:models/definitions.py:LeNet "$tmp/lenet.json" --name lenet
"$PY" - "$tmp/lenet.json" models/lenet.json <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
keys = ("inputs", "outputs", "nodes")
if any(a[k] != b[k] for k in keys):
    sys.exit("models/lenet.json differs from the exporter's LeNet (models/definitions.py)")
print("models/lenet.json: its graph equals the exporter's LeNet", file=sys.stderr)
PY
