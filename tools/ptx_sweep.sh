#!/usr/bin/env bash
# The smallest member of every torchvision family and the two segmentation
# models (tools/export/torchvision_families.py, 64x64 inputs), compiled for
# nvptx and their PTX assembled by ptxas for sm_90 and sm_80
# (test/e2e_lib/ptx_check.py); with --train, their training steps instead.
# CI assembles the zoo and the modern families (test/GPU/ptxas-*.test); this
# covers the rest, by hand: about 30 minutes on 2 cores (forward).
#   tools/ptx_sweep.sh [WORKDIR] [--train]   one line per model and chip; exit 1 on any FAIL
set -uo pipefail
cd "$(dirname "$0")/.."
work="" train=()
for arg in "$@"; do
  if [ "$arg" = --train ]; then train=(--train); else work=$arg; fi
done
work=${work:-$(mktemp -d)}
mkdir -p "$work/models"
PYTHONPATH=build/python /usr/bin/python3 tools/export/torchvision_families.py "$work/models" \
  2>/dev/null || exit 1
/usr/bin/python3 test/e2e_lib/ptx_check.py --cnnc build/bin/cnnc \
  --ptxas "${PTXAS:-/usr/local/cuda/bin/ptxas}" --workdir "$work/ptx" --chip sm_90 --chip sm_80 \
  "${train[@]}" "$work"/models/*.json
