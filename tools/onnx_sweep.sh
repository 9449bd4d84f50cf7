#!/usr/bin/env bash
# Every classifier of Debian's torchvision (less the transformers) and the two
# segmentation models the ONNX issue names, exported with torch.onnx.export
# (opset 13, dynamic batch), compiled by cnnc from the .onnx file and compared
# with the nn.Module at batch 1 and 2 (test/e2e_lib/onnx_check.py; CI checks
# the smallest member of each family: test/Zoo/onnx-torchvision.test).
#   tools/onnx_sweep.sh [WORKDIR]    one line per model and batch; exit 1 on any FAIL
# Takes about an hour on 2 cores (the largest models compile in a minute each).
set -uo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d)}
mkdir -p "$work"
status=0
for batch in 1 2; do
  PYTHONPATH=build/python /usr/bin/python3 test/e2e_lib/onnx_check.py --all \
    seg:fcn_resnet50 seg:lraspp_mobilenet_v3_large --batch "$batch" --workdir "$work" \
    2>/dev/null | grep " onnx b"
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
  rm -f "$work"/*.onnx "$work"/*.so
done
exit $status
