#!/usr/bin/env python3
"""expect_exit.py CODE COMMAND [ARGS...]

Runs COMMAND, passing its stdout and stderr through, and succeeds only if it
exits with exactly CODE (lit's `not` accepts any non-zero status; the spec
wants 1 for a user error, and a crash is never acceptable).
"""
import subprocess
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: expect_exit.py CODE COMMAND [ARGS...]")
    want = int(sys.argv[1])
    proc = subprocess.run(sys.argv[2:])
    if proc.returncode != want:
        sys.stderr.write("expect_exit.py: %s exited with %d, expected %d\n"
                         % (sys.argv[2], proc.returncode, want))
        sys.exit(1)


if __name__ == "__main__":
    main()
