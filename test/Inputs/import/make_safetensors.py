#!/usr/bin/env python3
"""Writes good and deliberately corrupt safetensors files for the importer tests.

    make_safetensors.py CASE OUTDIR

creates OUTDIR with a copy of weighted.json (from this script's directory) and
OUTDIR/weights.safetensors, the file that model names, built as CASE says
(good, missing_tensor, wrong_shape, wrong_dtype, header_too_long, ...).

The tensors match weighted.json (x [1, 3, 6, 6] -> conv c1 -> batchnorm bn1 ->
relu -> global_avgpool2d -> flatten -> dense fc whose parameters are renamed
to head.w / head.b). Standard library only, so no binary file is committed.
"""
import json
import os
import shutil
import struct
import sys


def f32(n, start=0.0):
    return struct.pack("<%df" % n, *[start + 0.01 * i for i in range(n)])


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


# name -> (dtype, shape); the tensors of weighted.json, in state_dict order,
# plus two that no node uses and that must be ignored.
GOOD = [
    ("c1.weight", "F32", [4, 3, 3, 3]),
    ("c1.bias", "F32", [4]),
    ("bn1.weight", "F32", [4]),
    ("bn1.bias", "F32", [4]),
    ("bn1.running_mean", "F32", [4]),
    ("bn1.running_var", "F32", [4]),
    ("bn1.num_batches_tracked", "I64", []),
    ("head.w", "F32", [2, 4]),
    ("head.b", "F32", [2]),
    ("unused.half", "F16", [3]),
]

SIZES = {"F32": 4, "I64": 8, "F16": 2, "I32": 4}


def payload(dtype, shape):
    n = numel(shape)
    if dtype == "F32":
        return f32(n)
    if dtype == "I64":
        return struct.pack("<%dq" % n, *range(n))
    return bytes(SIZES[dtype] * n)


def build(entries):
    """entries: (name, dtype, shape) -> (header dict, data bytes)."""
    header = {"__metadata__": {"format": "pt"}}
    data = b""
    for name, dtype, shape in entries:
        blob = payload(dtype, shape)
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    return header, data


def pack(header_bytes, data, length=None):
    if length is None:
        length = len(header_bytes)
    return struct.pack("<Q", length) + header_bytes + data


def encode(header):
    text = json.dumps(header).encode()
    return text + b" " * ((8 - (8 + len(text)) % 8) % 8)


def replace(entries, name, dtype=None, shape=None):
    out = []
    for n, d, s in entries:
        if n == name:
            out.append((n, dtype or d, shape if shape is not None else s))
        else:
            out.append((n, d, s))
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: make_safetensors.py CASE OUTDIR")
    case, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    shutil.copyfile(os.path.join(here, "weighted.json"), os.path.join(outdir, "weighted.json"))
    out = os.path.join(outdir, "weights.safetensors")
    entries = list(GOOD)
    header_bytes = None
    length = None

    if case == "good":
        header, data = build(entries)
    elif case == "missing_tensor":
        header, data = build([e for e in entries if e[0] != "head.b"])
    elif case == "wrong_shape":
        header, data = build(replace(entries, "c1.weight", shape=[4, 3, 5, 5]))
    elif case == "wrong_dtype":
        # An I64 tensor where a parameter (batchnorm running mean) is expected.
        header, data = build(replace(entries, "bn1.running_mean", dtype="I64"))
    elif case == "header_too_long":
        header, data = build(entries)
        length = 1 << 20
    elif case == "offsets_out_of_range":
        header, data = build(entries)
        header["head.b"]["data_offsets"] = [len(data) - 8, len(data) + 64]
    elif case == "overlap":
        header, data = build(entries)
        # head.w (32 bytes) moved onto c1.bias + bn1.weight: same size, overlapping.
        begin = header["c1.bias"]["data_offsets"][0] + 8
        header["head.w"]["data_offsets"] = [begin, begin + 32]
    elif case == "size_mismatch":
        header, data = build(entries)
        # c1.bias is [4] F32 (16 bytes) but is said to hold 12.
        b = header["c1.bias"]["data_offsets"][0]
        header["c1.bias"]["data_offsets"] = [b, b + 12]
    elif case == "not_json":
        header_bytes = b"{this is not json"
        data = b""
    elif case == "not_object":
        header_bytes = b"[1, 2, 3]"
        data = b""
    elif case == "truncated":
        # Shorter than the 8-byte length field.
        with open(out, "wb") as f:
            f.write(b"\x10\x00\x00")
        return
    elif case == "huge_length":
        # A header length near 2^64: must not wrap around.
        header, data = build(entries)
        length = (1 << 64) - 1
    elif case == "unknown_dtype":
        header, data = build(entries)
        header["c1.bias"]["dtype"] = "Q7"
    elif case == "negative_offsets":
        header, data = build(entries)
        header["c1.bias"]["data_offsets"] = [-16, 0]
    else:
        sys.exit("make_safetensors.py: unknown case '%s'" % case)

    if header_bytes is None:
        header_bytes = encode(header)
    with open(out, "wb") as f:
        f.write(pack(header_bytes, data, length))


if __name__ == "__main__":
    main()
