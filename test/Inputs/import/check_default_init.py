"""Prints, per tensor of a safetensors file, max|value| / bound, with the
bound 1/sqrt(fan_in) of PyTorch's default initialization given per name on
the command line (NAME=FAN_IN)."""
import json
import math
import struct
import sys
from array import array

path, specs = sys.argv[1], dict(a.split("=") for a in sys.argv[2:])
with open(path, "rb") as f:
    (n,) = struct.unpack("<Q", f.read(8))
    header = json.loads(f.read(n))
    data = f.read()
for name in sorted(specs):
    info = header[name]
    begin, end = info["data_offsets"]
    values = array("f", data[begin:end])
    bound = 1 / math.sqrt(int(specs[name]))
    print(f"{name}: {len(values)} values, max|v|/bound {max(abs(v) for v in values) / bound:.2f}")
