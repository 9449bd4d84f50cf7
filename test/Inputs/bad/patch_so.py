#!/usr/bin/env python3
"""Makes a broken cnnc library out of a good one (test/Robustness/).

    patch_so.py IN.so OUT.so CASE

CASE is one of
  abi=N          cnnc_abi_version (4 bytes) set to N: a library of another ABI version
  arch=NAME      the metadata's target arch (and triple) set to NAME: a library for
                 another target
  no-symbols     cnnc_abi_version and cnnc_metadata renamed xnnc_*: an ELF shared
                 object that is not a cnnc library
  bad-metadata   the metadata JSON cut short: a corrupt cnnc library
  truncate=N     only the first N bytes: a damaged ELF file
  machine=N      the ELF header's e_machine set to N (183: aarch64): a library
                 built for another machine
  rename=SYMBOL  SYMBOL's first letter changed to x: an entry point missing
  dp-arena       the data-parallel step's arena size set to -1 (a library
                 from cnnc --train --data-parallel)
  dp-halves      the data-parallel metadata as an older cnnc wrote it (two
                 halves, "gradients" and "update", no "step")

The symbols are found through the ELF .dynsym/.dynstr sections (standard
library only), and the file offset of a symbol's bytes from the section that
holds it, so the patch does not depend on the layout of one build.
"""
import json
import struct
import sys


class Elf:
    def __init__(self, data):
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            sys.exit("patch_so.py: not a little-endian ELF64 file")
        self.data = data
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
        self.sections = []
        for i in range(shnum):
            (name, stype, flags, addr, offset, size, link, info, align,
             entsize) = struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
            self.sections.append(dict(name=name, type=stype, addr=addr, offset=offset,
                                      size=size, link=link, entsize=entsize))
        strtab = self.sections[shstrndx]
        for s in self.sections:
            s["sname"] = self.cstr(strtab["offset"] + s["name"])

    def cstr(self, offset):
        end = self.data.index(b"\0", offset)
        return self.data[offset:end].decode("latin-1")

    def section(self, name):
        for s in self.sections:
            if s["sname"] == name:
                return s
        sys.exit("patch_so.py: no %s section" % name)

    def symbols(self):
        """(name, file offset of the name in .dynstr, file offset of the value)."""
        dynsym, dynstr = self.section(".dynsym"), self.section(".dynstr")
        for i in range(dynsym["size"] // dynsym["entsize"]):
            off = dynsym["offset"] + i * dynsym["entsize"]
            st_name, info, other, shndx, value, size = struct.unpack_from("<IBBHQQ", self.data, off)
            name_off = dynstr["offset"] + st_name
            name = self.cstr(name_off)
            if 0 < shndx < len(self.sections):
                sec = self.sections[shndx]
                yield name, name_off, value - sec["addr"] + sec["offset"], size
            else:
                yield name, name_off, None, size

    def symbol(self, name):
        for n, name_off, off, size in self.symbols():
            if n == name and off is not None:
                return off, size
        sys.exit("patch_so.py: no defined symbol %s" % name)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: patch_so.py IN.so OUT.so CASE")
    src, dst, case = sys.argv[1:]
    data = bytearray(open(src, "rb").read())
    elf = Elf(bytes(data))
    kind, _, arg = case.partition("=")
    if kind == "abi":
        off, _ = elf.symbol("cnnc_abi_version")
        struct.pack_into("<I", data, off, int(arg))
    elif kind in ("arch", "bad-metadata", "dp-arena", "dp-halves"):
        off, _ = elf.symbol("cnnc_metadata")
        end = data.index(b"\0", off)
        old = bytes(data[off:end])
        if kind == "bad-metadata":
            new = old[: len(old) // 2]
        elif kind in ("dp-arena", "dp-halves"):
            meta = json.loads(old)
            dp = meta["train_step"]["data_parallel"]
            if kind == "dp-arena":
                dp["step"]["arena_bytes"] = -1
            else:  # as cnnc wrote it before session 30: two halves (args left out to fit)
                step = dp.pop("step")
                dp["gradients"] = {k: v for k, v in step.items() if k != "args"}
            new = json.dumps(meta, separators=(",", ":")).encode()
            if len(new) > len(old):
                sys.exit("patch_so.py: the patched metadata does not fit")
        else:
            meta = json.loads(old)
            meta["target"]["arch"] = arg
            meta["target"]["triple"] = arg + "-unknown-linux-gnu"
            meta["target"]["cpu"] = "generic"
            meta["target"]["required_features"] = []
            new = json.dumps(meta, separators=(",", ":")).encode()
            if len(new) > len(old):
                meta.pop("entry_points", None)  # not read by the runtime
                new = json.dumps(meta, separators=(",", ":")).encode()
            if len(new) > len(old):
                sys.exit("patch_so.py: the patched metadata does not fit")
        # Same length: padded with spaces (JSON whitespace) before the NUL.
        data[off:end] = new + b" " * (len(old) - len(new))
    elif kind == "no-symbols":
        renamed = 0
        # Only the two the runtime looks for first: the others are referenced
        # by relocations, and renaming them would make dlopen fail instead.
        for name, name_off, _, _ in elf.symbols():
            if name in ("cnnc_abi_version", "cnnc_metadata"):
                data[name_off] = ord("x")
                renamed += 1
        if not renamed:
            sys.exit("patch_so.py: no cnnc_ symbols")
    elif kind == "rename":
        for name, name_off, _, _ in elf.symbols():
            if name == arg:
                data[name_off] = ord("x")
                break
        else:
            sys.exit("patch_so.py: no symbol %s" % arg)
    elif kind == "machine":
        struct.pack_into("<H", data, 18, int(arg))
    elif kind == "truncate":
        data = data[: int(arg)]
    else:
        sys.exit("patch_so.py: unknown case '%s'" % case)
    with open(dst, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
