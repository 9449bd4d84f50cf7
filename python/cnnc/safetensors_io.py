"""Minimal safetensors reader/writer (no dependency on the `safetensors` package).

File layout: an 8-byte little-endian unsigned header length n, then n bytes of a
UTF-8 JSON header {name: {"dtype", "shape", "data_offsets": [begin, end]},
"__metadata__"?: {str: str}}, then the raw little-endian data; offsets are relative
to the first byte after the header.

    load(path) -> dict[str, torch.Tensor]
    save(path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None)
    load_with_metadata(path) -> (dict[str, torch.Tensor], dict[str, str])

The reader refuses files whose header lies (offsets out of range, overlapping, sizes
that disagree with shape and dtype, a header longer than the file).
"""

import json
import os
import struct

import numpy as np
import torch

__all__ = ["load", "save", "load_with_metadata", "SafetensorsError"]

# dtype name -> (numpy little-endian dtype, torch dtype, element size)
_DTYPES = {
    "F64": ("<f8", torch.float64, 8),
    "F32": ("<f4", torch.float32, 4),
    "F16": ("<f2", torch.float16, 2),
    "I64": ("<i8", torch.int64, 8),
    "I32": ("<i4", torch.int32, 4),
    "I16": ("<i2", torch.int16, 2),
    "I8": ("i1", torch.int8, 1),
    "U8": ("u1", torch.uint8, 1),
    "BOOL": ("?", torch.bool, 1),
}
_TORCH_TO_NAME = {v[1]: k for k, v in _DTYPES.items()}

# dtypes save() accepts (the contract's version 1 uses F32, I32 and I64).
_WRITABLE = {torch.float32: "F32", torch.int32: "I32", torch.int64: "I64"}


class SafetensorsError(ValueError):
    pass


def load_with_metadata(path):
    path = os.fspath(path)
    with open(path, "rb") as f:
        blob = f.read()
    size = len(blob)
    if size < 8:
        raise SafetensorsError(f"{path}: file too short for a safetensors header")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > size - 8:
        raise SafetensorsError(
            f"{path}: header length {n} is longer than the file ({size} bytes)")
    try:
        header = json.loads(blob[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"{path}: malformed JSON header: {e}") from None
    if not isinstance(header, dict):
        raise SafetensorsError(f"{path}: header is not a JSON object")
    data = memoryview(blob)[8 + n:]
    data_len = len(data)
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict):
        raise SafetensorsError(f"{path}: __metadata__ is not an object")

    spans = []
    out = {}
    for name, info in header.items():
        if not isinstance(info, dict):
            raise SafetensorsError(f"{path}: tensor '{name}': entry is not an object")
        dt = info.get("dtype")
        shape = info.get("shape")
        offs = info.get("data_offsets")
        if dt not in _DTYPES:
            raise SafetensorsError(f"{path}: tensor '{name}': unsupported dtype {dt!r}")
        if (not isinstance(shape, list)
                or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                           for d in shape)):
            raise SafetensorsError(f"{path}: tensor '{name}': bad shape {shape!r}")
        if (not isinstance(offs, list) or len(offs) != 2
                or not all(isinstance(o, int) and not isinstance(o, bool) for o in offs)):
            raise SafetensorsError(f"{path}: tensor '{name}': bad data_offsets {offs!r}")
        begin, end = offs
        if not (0 <= begin <= end <= data_len):
            raise SafetensorsError(
                f"{path}: tensor '{name}': data_offsets [{begin}, {end}] out of range "
                f"(data section is {data_len} bytes)")
        npdt, _, esz = _DTYPES[dt]
        count = 1
        for d in shape:
            count *= d
        if count * esz != end - begin:
            raise SafetensorsError(
                f"{path}: tensor '{name}': {end - begin} bytes disagree with "
                f"dtype {dt} and shape {shape} ({count * esz} bytes)")
        spans.append((begin, end, name))
        arr = np.frombuffer(data[begin:end], dtype=npdt, count=count).reshape(shape)
        # astype copies: detaches from the file buffer, converts to native byte order
        out[name] = torch.from_numpy(arr.astype(arr.dtype.newbyteorder("="), copy=True))
    spans.sort()
    for (b0, e0, n0), (b1, e1, n1) in zip(spans, spans[1:]):
        if b1 < e0:
            raise SafetensorsError(f"{path}: tensors '{n0}' and '{n1}' overlap")
    return out, metadata


def load(path):
    """Read a safetensors file into {name: torch.Tensor} (CPU, contiguous)."""
    return load_with_metadata(path)[0]


def save(path, tensors, metadata=None):
    """Write {name: torch.Tensor} (F32/I32/I64) as a safetensors file.

    Tensors are stored in name order, contiguous, little-endian; the JSON header is
    padded with spaces so that the data section starts at an 8-byte aligned offset."""
    path = os.fspath(path)
    header = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        if name == "__metadata__":
            raise SafetensorsError("'__metadata__' is not a valid tensor name")
        t = tensors[name]
        if not isinstance(t, torch.Tensor):
            t = torch.as_tensor(t)
        t = t.detach().cpu()
        if t.dtype not in _WRITABLE:
            raise SafetensorsError(
                f"tensor '{name}': dtype {t.dtype} is not writable (F32/I32/I64 only)")
        dt = _WRITABLE[t.dtype]
        arr = np.ascontiguousarray(t.contiguous().numpy().astype(_DTYPES[dt][0]))
        raw = arr.tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * ((-(8 + len(hbytes))) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for c in chunks:
            f.write(c)
    os.replace(tmp, path)
