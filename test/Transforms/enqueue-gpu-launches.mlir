// RUN: cnnc-opt %s --cnnc-enqueue-gpu-launches | FileCheck %s

// The launches of @forward chain on one token from the function's entry and
// nothing waits for them; the host code between them (a profiling mark)
// stays where it was.
// CHECK-LABEL: func.func @forward
// CHECK: %[[T0:.*]] = gpu.wait async
// CHECK: %[[T1:.*]] = gpu.launch_func async [%[[T0]]] @kernels::@first
// CHECK: call @mark
// CHECK: %{{.*}} = gpu.launch_func async [%[[T1]]] @kernels::@second
// CHECK-NOT: gpu.wait
// CHECK: return

// A launch inside a loop keeps its function synchronous.
// CHECK-LABEL: func.func @in_loop
// CHECK-NOT: async
// CHECK: gpu.launch_func @kernels::@first
// CHECK-NOT: async
// CHECK: return
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @first(%a: memref<4xf32>) kernel {
      gpu.return
    }
    gpu.func @second(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
  func.func private @mark(i64)
  func.func @forward(%a: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    %m = arith.constant 0 : i64
    gpu.launch_func @kernels::@first blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    call @mark(%m) : (i64) -> ()
    gpu.launch_func @kernels::@second blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    return
  }
  func.func @in_loop(%a: memref<4xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    scf.for %i = %c0 to %c2 step %c1 {
      gpu.launch_func @kernels::@first blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    }
    return
  }
}
