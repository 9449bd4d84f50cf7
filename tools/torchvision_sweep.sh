#!/usr/bin/env bash
# Every classifier of Debian's torchvision (less the transformers ViT, Swin,
# MaxViT) and the segmentation models FCN-ResNet50 and LRASPP-MobileNetV3,
# compiled from the nn.Module through the project's exporter and compared
# with it at batch 1 and 2 (test/e2e_lib/torchvision_check.py; CI checks the
# modern families' smallest members: test/Zoo/modern-torchvision.test, and
# the ONNX route: tools/onnx_sweep.sh).
#   tools/torchvision_sweep.sh [WORKDIR]   one line per model and batch; exit 1 on any FAIL
set -uo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d)}
mkdir -p "$work"
status=0
models=$(/usr/bin/python3 -c '
import torchvision
names = torchvision.models.list_models(module=torchvision.models)
print(" ".join(n for n in sorted(names) if not n.startswith(("vit_", "swin_", "maxvit"))))')
for batch in 1 2; do
  for m in $models fcn_resnet50 lraspp_mobilenet_v3_large; do
    size=224
    [ "$m" = inception_v3 ] && size=299
    start=$SECONDS
    line=$(PYTHONPATH=build/python /usr/bin/python3 test/e2e_lib/torchvision_check.py "$m" \
      --batch "$batch" --size "$size" --workdir "$work" 2>"$work/stderr" | tail -1)
    if [ $? != 0 ]; then  # pipefail: the check's own status
      status=1
      # A crash or a Python error prints no result line: show its last words.
      [ -n "$line" ] || line="$m b$batch: FAIL ($(grep -v '^[[:space:]]*$' "$work/stderr" | tail -1))"
    fi
    echo "$line ($((SECONDS - start)) s)"
    rm -f "$work"/*.so "$work"/*.json "$work"/*.safetensors "$work/stderr"
  done
done
exit $status
