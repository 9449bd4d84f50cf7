#!/usr/bin/env bash
# check_install.sh BUILD_DIR SOURCE_DIR WORK_DIR: `cmake --install` into WORK_DIR/prefix,
# then use only the installed files: build tools/examples/classify.cpp out of tree with
# find_package(cnnrt CONFIG), build the C API check with pkg-config, compile a model
# with the installed cnnc and run both on it, and import the installed Python package.
set -euo pipefail
build=$1 src=$2 work=$3
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
echo "installed: $(cd "$prefix" && ls bin | tr '\n' ' ')"
test -f "$prefix/lib/cmake/cnnrt/cnnrtConfig.cmake"
test -f "$prefix/lib/pkgconfig/cnnrt.pc"
test -f "$prefix/include/cnnrt/cnnrt.h"
# The runtime links no LLVM or MLIR.
if ldd "$prefix/lib/libcnnrt.so" | grep -Ei 'libLLVM|libMLIR'; then
  echo "libcnnrt links LLVM/MLIR"; exit 1
fi

cmake -S "$src/test/Install/Inputs/consumer" -B "$work/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" -DCLASSIFY_SOURCE="$src/tools/examples/classify.cpp" \
  -DCMAKE_CXX_COMPILER=/usr/lib/llvm-22/bin/clang++ > "$work/consumer.log"
cmake --build "$work/consumer" >> "$work/consumer.log"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
/usr/lib/llvm-22/bin/clang -std=c11 -Wall -Werror "$src/test/Runtime/Inputs/c_api_check.c" \
  $(pkg-config --cflags --libs cnnrt) -o "$work/c_api_check"

"$prefix/bin/cnnc" "$src/models/lenet.json" -o "$work/lenet.so" 2>/dev/null
/usr/bin/python3 "$src/test/e2e_lib/make_tensors.py" "$work/image.safetensors" image=1x1x28x28
/usr/bin/python3 -c "import sys; sys.path.insert(0, '$src/tools/pyutil'); import safetensors_io as s; s.load('$work/image.safetensors')['image'].numpy().tofile('$work/image.f32')"
"$work/consumer/classify" "$work/lenet.so" "$work/image.safetensors"
"$work/c_api_check" "$work/lenet.so" "$work/image.f32" | tail -1
"$prefix/bin/cnnc-run" "$work/lenet.so" --inputs "$work/image.safetensors" | head -1

# The installed Python package, with nothing of the build tree on its path.
cd "$work"
PYTHONPATH="$prefix/lib/python3.11/dist-packages" /usr/bin/python3 - "$work" "$src" <<'PY'
import sys
import numpy as np
import cnnc
work, src = sys.argv[1:3]
assert "/prefix/" in cnnc.__file__, cnnc.__file__
# The installed package compiles with the installed cnnc.
cnnc.compile(f"{src}/models/lenet.json", f"{work}/py.so")
m = cnnc.load(f"{work}/py.so")
y = m(np.zeros((1, 1, 28, 28), np.float32))
print("python from the install:", cnnc.__file__.split("/prefix/")[1], m.inputs, y.shape)
PY
