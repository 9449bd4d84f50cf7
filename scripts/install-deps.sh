#!/usr/bin/env bash
# Installs everything cnnc needs on a fresh Debian 12 machine (idempotent).
# libonnx-dev/libprotobuf-dev: the ONNX front end; protobuf-compiler (protoc):
# the tests write their ONNX models as protobuf text and encode them.
# chromium: the tests load `cnnc --report=html` pages in it, headless.
# libopenmpi-dev/openmpi-bin: data-parallel training (libcnnrt_mpi, mpirun).
set -euo pipefail
PKGS="cmake ninja-build ccache clang-22 llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  libomp-22-dev nlohmann-json3-dev python3-torch python3-torchvision python3-numpy
  dataset-fashion-mnist libopenblas0-openmp zlib1g-dev
  pybind11-dev python3-pybind11 python3-dev pkg-config libclang-rt-22-dev
  libonnx-dev libprotobuf-dev protobuf-compiler chromium libopenmpi-dev openmpi-bin"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
