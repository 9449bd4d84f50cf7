#!/bin/bash
# What an optional pass is worth: each model is compiled with every pass and
# once without each named pass, then the libraries run in turn, round after
# round (a noisy machine slows the variants alike). Models and inputs come
# from the zoo benchmark's work folder (run tools/bench/zoo_bench.py --keep
# once, or any run: it leaves build/bench-work/<model>/).
#
#   tools/bench/ab_passes.sh PASS[,PASS...] MODEL[,MODEL...] [ROUNDS] [RUNS] [BATCH]
#   tools/bench/ab_passes.sh cnnc-propagate-channels-last,cnnc-pad-in-place resnet18,mobilenet_v2
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$root/build/bin work=${CNNC_BENCH_WORK:-$root/build/bench-work}
passes=${1:?usage: ab_passes.sh PASSES MODELS [ROUNDS] [RUNS] [BATCH]}
models=${2:?usage: ab_passes.sh PASSES MODELS [ROUNDS] [RUNS] [BATCH]}
rounds=${3:-3} runs=${4:-15} batch=${5:-1}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
IFS=, read -ra P <<<"$passes"
IFS=, read -ra M <<<"$models"
for m in "${M[@]}"; do
  [[ -f $work/$m/$m.json && -f $work/$m/inputs_b$batch.safetensors ]] ||
    { echo "ab_passes: no $work/$m/{$m.json,inputs_b$batch.safetensors}: run tools/bench/zoo_bench.py --models $m --batches $batch first" >&2; exit 1; }
  "$bin/cnnc" "$work/$m/$m.json" --batch="$batch" -o "$out/${m}_all.so" 2>/dev/null
  for p in "${P[@]}"; do
    "$bin/cnnc" "$work/$m/$m.json" --batch="$batch" --disable-passes="$p" -o "$out/${m}_without_$p.so" 2>/dev/null
  done
done
echo "round model variant: median ms (min)"
for r in $(seq "$rounds"); do
  for m in "${M[@]}"; do
    for v in all "${P[@]/#/without_}"; do
      line=$("$bin/cnnc-run" "$out/${m}_$v.so" --inputs "$work/$m/inputs_b$batch.safetensors" --bench="$runs" | tail -1)
      med=$(sed -E 's/.*median ([0-9.]+).*/\1/' <<<"$line") min=$(sed -E 's/.*min ([0-9.]+).*/\1/' <<<"$line")
      echo "$r $m $v: $med ($min)"
    done
  done
done
