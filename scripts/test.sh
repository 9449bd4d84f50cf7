#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine and runs the whole test suite.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh || { echo "build failed"; exit 1; }
# Brief fuzzing of the importer and the safetensors reader over their corpus
# (docs/robustness.md); its failure fails the run.
bash scripts/fuzz-smoke.sh; fuzz_rc=$?
log=$(mktemp)
/usr/lib/llvm-22/bin/lit -sv build/test 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
passed=$(grep -Eo 'Passed *: *[0-9]+' "$log" | grep -Eo '[0-9]+' | tail -1)
failed=$(grep -Eo 'Failed *: *[0-9]+' "$log" | grep -Eo '[0-9]+' | tail -1)
unsupported=$(grep -Eo 'Unsupported *: *[0-9]+' "$log" | grep -Eo '[0-9]+' | tail -1)
rm -f "$log"
echo "${passed:-0} passed, ${failed:-0} failed, ${unsupported:-0} skipped"
[ $fuzz_rc = 0 ] || { echo "fuzz smoke failed"; exit 1; }
exit $rc
