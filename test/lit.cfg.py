# -*- Python -*-
import os
import shutil

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "CNNC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.cnnc_obj_root, "test")
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "e2e_lib"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%models", os.path.join(config.cnnc_src_root, "models")))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))
# The PyTorch oracle is Debian's python3 (not a pyenv python on PATH).
config.substitutions.append(("%torchpy", "/usr/bin/python3"))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

tool_dirs = [config.cnnc_tools_dir, config.llvm_tools_dir]
tools = ["cnnc", "cnnc-opt", "cnnc-run", "cnnc-example-classify", "cnnc-example-train",
         "cnnrt-c-api-check", "cnnrt-stress"]
llvm_config.add_tool_substitutions(tools, tool_dirs)
llvm_config.with_environment("PATH", config.cnnc_tools_dir, append_path=True)
# `not`, FileCheck and friends live beside LLVM's tools, off the default PATH.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

if os.path.exists("/usr/bin/python3"):
    import subprocess
    if subprocess.run(["/usr/bin/python3", "-c", "import torch"],
                      capture_output=True).returncode == 0:
        config.available_features.add("torch")
ptxas = shutil.which("ptxas") or "/usr/local/cuda/bin/ptxas"
if os.path.exists(ptxas):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
# A machine with an NVIDIA driver runs the GPU tests; others check errors.
if any(os.path.exists(os.path.join(d, "libcuda.so.1"))
       for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/local/nvidia/lib64")):
    config.available_features.add("cuda")
config.substitutions.append(("%python", "/usr/bin/python3"))
# ONNX test models are written as protobuf text (test/Inputs/onnx/*.textproto)
# and encoded with protoc against Debian's onnx.proto.
config.substitutions.append(
    ("%onnx_encode",
     "protoc --encode=onnx.ModelProto -I/usr/include/onnx /usr/include/onnx/onnx.proto"))
# The cnnc Python package as built (build/python), and the source and build roots.
config.substitutions.append(("%pypath", os.path.join(config.cnnc_obj_root, "python")))
config.substitutions.append(("%cnnc_src", config.cnnc_src_root))
config.substitutions.append(("%clangxx", os.path.join(config.llvm_tools_dir, "clang++")))
config.substitutions.append(("%cnnc_obj", config.cnnc_obj_root))
config.substitutions.append(("%fake_cuda_dir", os.path.join(config.cnnc_obj_root, "test",
                                                            "fake-cuda")))
# Checks too heavy for every run (every zoo model's training step through
# ptxas: tens of minutes on 2 cores) say `REQUIRES: zoo-full`; run them with
# `lit --param zoo_full=1 ...` or CNNC_ZOO_FULL=1 in the environment.
if (lit_config.params.get("zoo_full", "0") not in ("", "0")
        or os.environ.get("CNNC_ZOO_FULL", "0") not in ("", "0")):
    config.available_features.add("zoo-full")
# A headless browser for the HTML report's tests (scripts/install-deps.sh).
if shutil.which("chromium"):
    config.available_features.add("chromium")
# Open MPI's launcher for data-parallel training (scripts/install-deps.sh).
# The tests run it as root (CI does) and with two processes on two cores.
if shutil.which("mpirun"):
    config.available_features.add("mpi")
    config.substitutions.append(("%mpirun2", "env OMPI_ALLOW_RUN_AS_ROOT=1 "
                                 "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 "
                                 "mpirun -np 2 --oversubscribe"))
# The host CPU's AVX512_BF16 runs --precision=bf16 libraries (test/Precision).
try:
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        flags = next((line.split() for line in cpuinfo if line.startswith("flags")), [])
    if "avx512_bf16" in flags:
        config.available_features.add("avx512bf16")
    if all(f in flags for f in ("amx_tile", "amx_bf16", "amx_int8")):
        config.available_features.add("amx")
except OSError:
    pass
if os.path.exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"):
    config.available_features.add("fashion-mnist")
