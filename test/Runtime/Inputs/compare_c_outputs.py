"""compare_c_outputs.py C_OUTPUT.txt OUT.safetensors NAME: the "outputs:" line the C
program printed (%.6f) equals cnnc-run's output NAME to print precision."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools", "pyutil"))
import safetensors_io  # noqa: E402

text, path, name = sys.argv[1:4]
line = next(ln for ln in open(text) if ln.startswith("outputs:"))
got = [float(v) for v in line.split()[1:]]
want = safetensors_io.load(path)[name].flatten().tolist()
assert len(got) == len(want), (len(got), len(want))
worst = max(abs(a - b) for a, b in zip(got, want))
assert worst <= 1e-6 + 1e-6 * max(abs(v) for v in want), worst
print(f"C API outputs equal cnnc-run's ({len(got)} values, max diff {worst:.2g})")
