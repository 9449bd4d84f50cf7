#!/usr/bin/env bash
# CI's brief fuzzing run (docs/robustness.md): builds the libFuzzer targets in
# build-fuzz/ (ASan + UBSan), replays every seed of the bad-input corpus and
# every past finding through each target once, then fuzzes each for 20 s.
# About 3 minutes on 2 cores. Exit status 0 when nothing was found.
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/fuzz/run_fuzzers.sh --smoke
rc=$?
if [ $rc = 0 ]; then echo "fuzz smoke: no findings"; else echo "fuzz smoke: FAILED"; fi
exit $rc
