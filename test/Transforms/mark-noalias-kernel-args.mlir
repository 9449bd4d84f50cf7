// RUN: cnnc-opt %s --cnnc-mark-noalias-kernel-args | FileCheck %s

// @disjoint reads arena bytes [0, 16) and writes [64, 80): noalias. @inplace
// reads and writes the same bytes: left alone.
// CHECK-LABEL: gpu.func @disjoint
// CHECK-SAME: %{{.*}}: memref<4xf32> {llvm.noalias}, %{{.*}}: memref<4xf32> {llvm.noalias}
// CHECK-LABEL: gpu.func @inplace
// CHECK-NOT: llvm.noalias
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @disjoint(%a: memref<4xf32>, %b: memref<4xf32>) kernel {
      gpu.return
    }
    gpu.func @inplace(%a: memref<4xf32>, %b: memref<4xf32>) kernel {
      gpu.return
    }
  }
  func.func @forward(%arena: memref<128xi8>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    %a = memref.view %arena[%c0][] : memref<128xi8> to memref<4xf32>
    %b = memref.view %arena[%c64][] : memref<128xi8> to memref<4xf32>
    gpu.launch_func @kernels::@disjoint blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>, %b : memref<4xf32>)
    gpu.launch_func @kernels::@inplace blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>, %a : memref<4xf32>)
    return
  }
}
