#!/usr/bin/env python3
"""Writes the generated part of the bad-input corpus (test/Robustness/).

    make_bad_inputs.py OUTDIR

Standard library only, so no binary file is committed and no PyTorch is needed.
Into OUTDIR go:

  Model files (JSON) that are hard to keep as text in git:
    non_utf8.json            a string holding bytes that are not UTF-8
    non_utf8_key.json        a key holding bytes that are not UTF-8
    deep_100k.json           100000 nested '[' (never closed)
    deep_balanced.json       100000 nested '[' ... ']' inside a valid model
  Tensor files (safetensors), each a copy of a good file with one lie:
    st_good.safetensors            the tensors of ../import/weighted.json
    st_header_too_long.safetensors header length past the end of the file
    st_offsets_out_of_range.safetensors, st_overlap.safetensors,
    st_size_mismatch.safetensors   (data size disagrees with shape x dtype)
    st_shape_overflow.safetensors  dims whose product overflows 64 bits
    st_negative_dim.safetensors
    st_non_utf8.safetensors        header JSON with non-UTF-8 bytes
    st_deep.safetensors            header JSON nested 100000 deep
    st_empty.safetensors           an empty file
  and for each st_<case> a model st_<case>.json: ../import/weighted.json
  with "weights" naming that file.
  Runtime inputs for models/lenet.json (image [1, 1, 28, 28]):
    in_good.safetensors, in_i64.safetensors (an I64 image), in_f16.safetensors,
    in_wrong_name.safetensors (picture), in_wrong_shape.safetensors ([1, 3, 28, 28])
  and for models/resnet18.json: in_resnet18.safetensors (image [1, 3, 224, 224]).
  The cases of ../import/make_safetensors.py (test/Import/error-safetensors.test
  and error-weights.test check their messages), one folder each:
    import_<case>/weighted.json + weights.safetensors
"""
import json
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# The cases of ../import/make_safetensors.py (all but "good" are refused).
IMPORT_CASES = ["good", "missing_tensor", "wrong_shape", "wrong_dtype", "header_too_long",
                "offsets_out_of_range", "overlap", "size_mismatch", "not_json", "not_object",
                "truncated", "huge_length", "unknown_dtype", "negative_offsets"]

# The tensors of ../import/weighted.json, in state_dict order.
WEIGHTED = [
    ("c1.weight", "F32", [4, 3, 3, 3]),
    ("c1.bias", "F32", [4]),
    ("bn1.weight", "F32", [4]),
    ("bn1.bias", "F32", [4]),
    ("bn1.running_mean", "F32", [4]),
    ("bn1.running_var", "F32", [4]),
    ("bn1.num_batches_tracked", "I64", []),
    ("head.w", "F32", [2, 4]),
    ("head.b", "F32", [2]),
]
SIZES = {"F32": 4, "I64": 8, "F16": 2, "I32": 4}


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


class Lcg:
    """A tiny deterministic generator (values in [-1, 1))."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFFFFFFFFFF

    def next(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        return ((self.state >> 40) / float(1 << 24)) * 2.0 - 1.0


def payload(dtype, shape, rng):
    n = numel(shape)
    if dtype == "F32":
        return struct.pack("<%df" % n, *[rng.next() for _ in range(n)])
    if dtype == "I64":
        return struct.pack("<%dq" % n, *range(n))
    return bytes(SIZES[dtype] * n)


def build(entries, seed=1):
    rng = Lcg(seed)
    header = {"__metadata__": {"format": "pt"}}
    data = b""
    for name, dtype, shape in entries:
        blob = payload(dtype, shape, rng)
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    return header, data


def encode(header):
    text = json.dumps(header).encode()
    return text + b" " * ((8 - (8 + len(text)) % 8) % 8)


def pack(header_bytes, data, length=None):
    if length is None:
        length = len(header_bytes)
    return struct.pack("<Q", length) + header_bytes + data


def write(path, content):
    with open(path, "wb") as f:
        f.write(content)


def safetensors_cases():
    cases = {}
    header, data = build(WEIGHTED)
    cases["good"] = pack(encode(header), data)

    header, data = build(WEIGHTED)
    cases["header_too_long"] = pack(encode(header), data, length=len(encode(header)) + len(data) + 1)

    header, data = build(WEIGHTED)
    header["head.b"]["data_offsets"] = [len(data) - 8, len(data) + 64]
    cases["offsets_out_of_range"] = pack(encode(header), data)

    header, data = build(WEIGHTED)
    begin = header["c1.bias"]["data_offsets"][0] + 8
    header["head.w"]["data_offsets"] = [begin, begin + 32]
    cases["overlap"] = pack(encode(header), data)

    header, data = build(WEIGHTED)
    b = header["c1.weight"]["data_offsets"][0]
    header["c1.weight"]["data_offsets"] = [b, b + 4 * 27 - 4]
    cases["size_mismatch"] = pack(encode(header), data)

    # 2^32 * 2^32 * 2 elements: the product overflows 64 bits.
    header, data = build(WEIGHTED)
    header["c1.bias"]["shape"] = [4294967296, 4294967296, 2]
    cases["shape_overflow"] = pack(encode(header), data)

    header, data = build(WEIGHTED)
    header["c1.bias"]["shape"] = [-4]
    cases["negative_dim"] = pack(encode(header), data)

    header, data = build(WEIGHTED)
    text = encode(header).replace(b'"format": "pt"', b'"format": "\xff\xfe"')
    cases["non_utf8"] = pack(text, data)

    deep = b'{"__metadata__": ' + b"[" * 100000 + b"]" * 100000 + b"}"
    cases["deep"] = pack(deep, b"")

    cases["empty"] = b""
    return cases


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_bad_inputs.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    # Model files.
    with open(os.path.join(HERE, "..", "import", "weighted.json")) as f:
        weighted = json.load(f)
    good = json.dumps(weighted, indent=1).encode()
    write(os.path.join(out, "non_utf8.json"),
          good.replace(b'"name": "weighted"', b'"name": "w\xc3\x28ighted \xff"'))
    write(os.path.join(out, "non_utf8_key.json"),
          good.replace(b'"name": "weighted"', b'"n\xe2\x82ame": "weighted"'))
    write(os.path.join(out, "deep_100k.json"), b"[" * 100000 + b"\n")
    write(os.path.join(out, "deep_balanced.json"),
          good.replace(b'"name": "weighted"',
                       b'"name": "weighted", "extra": ' + b"[" * 100000 + b"]" * 100000))

    # Tensor files and models that use them as weights.
    for case, content in safetensors_cases().items():
        name = "st_%s.safetensors" % case
        write(os.path.join(out, name), content)
        model = dict(weighted)
        model["weights"] = name
        write(os.path.join(out, "st_%s.json" % case), json.dumps(model, indent=1).encode())

    # Runtime inputs.
    def tensors(entries, seed=7):
        header, data = build(entries, seed)
        del header["__metadata__"]
        return pack(encode(header), data)

    write(os.path.join(out, "in_good.safetensors"), tensors([("image", "F32", [1, 1, 28, 28])]))
    write(os.path.join(out, "in_i64.safetensors"), tensors([("image", "I64", [1, 1, 28, 28])]))
    write(os.path.join(out, "in_f16.safetensors"), tensors([("image", "F16", [1, 1, 28, 28])]))
    write(os.path.join(out, "in_wrong_name.safetensors"),
          tensors([("picture", "F32", [1, 1, 28, 28])]))
    write(os.path.join(out, "in_wrong_shape.safetensors"),
          tensors([("image", "F32", [1, 3, 28, 28])]))
    write(os.path.join(out, "in_resnet18.safetensors"),
          tensors([("image", "F32", [1, 3, 224, 224])], seed=11))

    for case in IMPORT_CASES:
        subprocess.run([sys.executable, os.path.join(HERE, "..", "import", "make_safetensors.py"),
                        case, os.path.join(out, "import_" + case)], check=True)


if __name__ == "__main__":
    main()
