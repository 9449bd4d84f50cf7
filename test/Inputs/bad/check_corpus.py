#!/usr/bin/env python3
"""Runs a tool on every file of a bad-input corpus and checks how it fails.

    check_corpus.py [--arg=ARG ...] TOOL FILE_OR_GLOB...

For each file, runs `TOOL FILE ARG...` (or, if ARGs hold `{}`, `TOOL ARG...`
with the file in its place) and requires: exit status exactly 1,
a message on stderr that names the file, and no sign of a crash (a signal,
a stack dump, an assertion, a sanitizer report, an uncaught exception).
Prints one line per file, `ok FILE: <first error line>`, for FileCheck;
exits 1 if any file failed these checks. A glob written `?GLOB` may match
nothing (a folder of fuzzer findings that is still empty).
"""
import glob
import os
import subprocess
import sys

CRASH_SIGNS = ["Stack dump", "PLEASE submit a bug report", "Assertion", "AddressSanitizer",
               "LeakSanitizer", "UndefinedBehaviorSanitizer", "runtime error:",
               "terminate called", "Segmentation fault", "core dumped", "libc++abi"]


def main():
    args = sys.argv[1:]
    extra = []
    while args and args[0].startswith("--arg="):
        extra.append(args.pop(0)[len("--arg="):])
    if len(args) < 2:
        sys.exit("usage: check_corpus.py [--arg=ARG ...] TOOL FILE_OR_GLOB...")
    tool, patterns = args[0], args[1:]
    files = []
    for p in patterns:
        optional = p.startswith("?")
        if optional:
            p = p[1:]
        matched = sorted(glob.glob(p))
        if not matched and not optional:
            sys.exit("check_corpus.py: nothing matches %s" % p)
        files += [f for f in matched if os.path.isfile(f)]
    failed = 0
    for f in files:
        try:
            if any("{}" in a for a in extra):
                argv = [a.replace("{}", f) for a in extra]
            else:
                argv = [f] + extra
            proc = subprocess.run([tool] + argv, capture_output=True, timeout=120)
        except subprocess.TimeoutExpired:
            print("FAIL %s: timed out" % f)
            failed += 1
            continue
        err = proc.stderr.decode("utf-8", "replace")
        problems = []
        if proc.returncode != 1:
            problems.append("exit status %d, expected 1" % proc.returncode)
        if f not in err:
            problems.append("the message does not name the file")
        problems += ["'%s' in stderr" % s for s in CRASH_SIGNS if s in err]
        first = err.strip().splitlines()[0] if err.strip() else "(no message)"
        if problems:
            failed += 1
            print("FAIL %s: %s\n%s" % (f, "; ".join(problems), err))
        else:
            print("ok %s: %s" % (f, first))
    print("%d files, %d failed" % (len(files), failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
