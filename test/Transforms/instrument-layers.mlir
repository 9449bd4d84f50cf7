// RUN: cnnc-opt %s --cnnc-instrument-layers | FileCheck %s

// CHECK: module attributes {cnn.layers = ["conv", "act"]}
// CHECK: func.func private @cnnc_profile_mark(i64)
// CHECK-LABEL: func.func @forward
// CHECK: %[[C0:.*]] = arith.constant 0 : i64
// CHECK: call @cnnc_profile_mark(%[[C0]])
// CHECK: cnn.conv2d
// CHECK: %[[C1:.*]] = arith.constant 1 : i64
// CHECK: call @cnnc_profile_mark(%[[C1]])
// CHECK: cnn.relu
// CHECK: %[[C2:.*]] = arith.constant 2 : i64
// CHECK: call @cnnc_profile_mark(%[[C2]])
// CHECK: return
func.func @forward(%x: tensor<1x1x4x4xf32>, %w: tensor<2x1x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %c = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x4x4xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x2x2xf32> loc("conv")
  %r = cnn.relu %c : tensor<1x2x2x2xf32> loc("act")
  return %r : tensor<1x2x2x2xf32>
}
