#!/bin/bash
# Whole-model A/B of one optional pass: each model compiled with and without
# --disable-passes=PASS (the same build), then `cnnc-run --bench` on the two
# libraries alternately, ROUNDS times, 2 threads. Benchmark, not a test.
#
#   tools/bench/ab_disable_pass.sh PASS MODEL:BATCH [MODEL:BATCH ...] [--rounds N]
#   tools/bench/ab_disable_pass.sh cnnc-accumulate-into-residual resnet50:8 resnet18:8
#
# Models and inputs come from `zoo_bench.py --keep` (build/bench-work/MODEL/).
# Prints each run's min and median; compare within one run (the machine is noisy).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$root/build/bin work=$root/build/bench-work
pass=$1; shift
rounds=4 models=()
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    *) models+=("$1"); shift ;;
  esac
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for m in "${models[@]}"; do
  name=${m%%:*} batch=${m##*:}
  json=$work/$name/$name.json
  [ -f "$json" ] || { echo "no $json: run zoo_bench.py --models $name --keep first" >&2; exit 1; }
  "$bin/cnnc" "$json" --batch "$batch" -o "$out/${name}_b${batch}_with.so" 2>/dev/null
  "$bin/cnnc" "$json" --batch "$batch" --disable-passes="$pass" \
    -o "$out/${name}_b${batch}_without.so" 2>/dev/null
done
for r in $(seq "$rounds"); do
  for m in "${models[@]}"; do
    name=${m%%:*} batch=${m##*:}
    for v in with without; do
      t=$(OMP_NUM_THREADS=2 "$bin/cnnc-run" "$out/${name}_b${batch}_$v.so" \
            --inputs "$work/$name/inputs_b$batch.safetensors" --bench=10 2>&1 |
          grep -o "min.*median [0-9.]* ms")
      echo "round $r  $name b$batch  $v $pass: $t"
    done
  done
done
