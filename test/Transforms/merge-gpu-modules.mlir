// RUN: cnnc-opt %s --split-input-file --verify-diagnostics --cnnc-merge-gpu-modules | FileCheck %s

// Outlining made one module per kernel, both kernels named @forward_kernel:
// they move into @cnnc_kernels under their modules' names, and the launches
// follow them.
// CHECK-LABEL: gpu.module @cnnc_kernels
// CHECK: gpu.func @forward_kernel(%{{.*}}: memref<4xf32>) kernel
// CHECK: gpu.func @forward_kernel_0(%{{.*}}: memref<4xf32>, %{{.*}}: f32) kernel
// CHECK-NOT: gpu.module
// CHECK-LABEL: func.func @forward
// CHECK: gpu.launch_func @cnnc_kernels::@forward_kernel blocks
// CHECK: gpu.launch_func @cnnc_kernels::@forward_kernel_0 blocks
module attributes {gpu.container_module} {
  gpu.module @forward_kernel {
    gpu.func @forward_kernel(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @forward_kernel_0 {
    gpu.func @forward_kernel(%a: memref<4xf32>, %x: f32) kernel {
      gpu.return
    }
  }
  func.func @forward(%a: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    %x = arith.constant 1.0 : f32
    gpu.launch_func @forward_kernel::@forward_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @forward_kernel_0::@forward_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>, %x : f32)
    return
  }
}

// -----

// A module holding more than its kernel is not one outlining made.
module attributes {gpu.container_module} {
  // expected-error @below {{cnnc-merge-gpu-modules expects one kernel per outlined module}}
  gpu.module @two {
    gpu.func @k(%a: memref<4xf32>) kernel {
      gpu.return
    }
    gpu.func @helper(%a: memref<4xf32>) {
      gpu.return
    }
  }
}
