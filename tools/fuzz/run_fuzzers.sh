#!/usr/bin/env bash
# Builds cnnc's libFuzzer targets (test/fuzz, -DCNNC_FUZZERS=ON) in build-fuzz/
# and runs them, seeded with the bad-input corpus (docs/robustness.md).
#
#   tools/fuzz/run_fuzzers.sh [SECONDS]    fuzz each target SECONDS (default 600),
#                                          growing build-fuzz/fuzz/corpus-<target>
#   tools/fuzz/run_fuzzers.sh --smoke      CI: replay every seed and every past
#                                          finding once, then fuzz each target 20 s
#   FUZZ_TARGETS="fuzz_safetensors" ...    only these targets
#
# A finding stops its target with a non-zero status: the input is left in
# build-fuzz/fuzz/artifacts-<target>/ (crash-*, leak-*, timeout-*, oom-*); fix
# it, then add it under test/Inputs/bad/fuzz/<target>/ so that the lit corpus
# test and every later run replay it. Exit status: 0 when no target found
# anything.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
targets=${FUZZ_TARGETS:-"fuzz_model_import fuzz_onnx_import fuzz_safetensors"}
smoke=0
seconds=600
case "${1:-}" in
  --smoke) smoke=1 ;;
  "") ;;
  *) seconds=$1 ;;
esac

# libFuzzer and the sanitizer runtimes of clang-22.
if ! ls /usr/lib/llvm-22/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    libclang-rt-22-dev || exit 1
fi

if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S . -B "$build" \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=/usr/lib/llvm-22/bin/clang \
    -DCMAKE_CXX_COMPILER=/usr/lib/llvm-22/bin/clang++ \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DCNNC_SANITIZE=ON -DCNNC_FUZZERS=ON >/dev/null || exit 1
fi
ninja -C "$build" -j2 $targets || exit 1

# Seeds: every model and tensor file of the test corpus (the bad ones and
# the good ones), regenerated from their scripts each time.
work=$build/fuzz
rm -rf "$work/seeds-fuzz_model_import" "$work/seeds-fuzz_safetensors" "$work/seeds-fuzz_onnx_import"
mkdir -p "$work/seeds-fuzz_model_import" "$work/seeds-fuzz_safetensors" "$work/seeds-fuzz_onnx_import"
# ONNX seeds: the test models, encoded from their protobuf text.
for f in test/Inputs/onnx/*.textproto; do
  protoc --encode=onnx.ModelProto -I/usr/include/onnx /usr/include/onnx/onnx.proto \
    < "$f" > "$work/seeds-fuzz_onnx_import/$(basename "$f" .textproto).onnx" || exit 1
done
cp test/Inputs/import/*.json test/Inputs/bad/*.json models/*.json \
  "$work/seeds-fuzz_model_import/"
rm -rf "$work/generated"
python3 test/Inputs/bad/make_bad_inputs.py "$work/generated" >/dev/null || exit 1
cp "$work"/generated/*.json "$work/seeds-fuzz_model_import/"
cp "$work"/generated/*.safetensors "$work/seeds-fuzz_safetensors/"
for d in "$work"/generated/import_*/; do
  cp "$d/weights.safetensors" "$work/seeds-fuzz_safetensors/$(basename "$d").safetensors"
done

status=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
for t in $targets; do
  dict=test/fuzz/${t#fuzz_}.dict
  findings=test/Inputs/bad/fuzz/$t
  mkdir -p "$work/corpus-$t" "$work/artifacts-$t"
  log=$work/$t.$(date +%Y%m%d-%H%M%S).log
  if [ $smoke = 1 ]; then
    # Replay: each seed and each past finding once (no mutation).
    files=$(find "$work/seeds-$t" "$findings" -type f 2>/dev/null | sort)
    echo "== $t: replaying $(echo "$files" | wc -l) inputs"
    # shellcheck disable=SC2086
    "$build/bin/$t" -runs=1 -timeout=25 -rss_limit_mb=4096 $files >"$log.replay" 2>&1 ||
      { echo "$t: replay FAILED (see $log.replay)"; tail -30 "$log.replay"; status=1; continue; }
    run_seconds=20
  else
    run_seconds=$seconds
  fi
  echo "== $t: fuzzing ${run_seconds}s (log: $log)"
  "$build/bin/$t" "$work/corpus-$t" "$work/seeds-$t" $( [ -d "$findings" ] && echo "$findings" ) \
    -dict="$dict" -max_total_time="$run_seconds" -timeout=25 -rss_limit_mb=4096 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/artifacts-$t/" \
    >"$log" 2>&1
  rc=$?
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^stat::new_units_added" "$log" |
    sed "s/^/  /"
  if [ $rc != 0 ]; then
    echo "$t: FINDING (exit $rc), input in $work/artifacts-$t/:"
    grep -E "ERROR: |SUMMARY: |runtime error" "$log" | head -5 | sed "s/^/  /"
    status=1
  fi
done
exit $status
