// RUN: cnnc-opt %s --cnnc-instrument-layers | FileCheck %s

// The training step's ops are labelled "node op"; ops of one label (the
// slices a graph rewrite put before a conv) share its id.
// CHECK: module attributes {cnn.layers = ["conv"], cnn.train_layers = ["conv slice", "conv conv2d", "conv conv2d_grad_weight", "sgd_update"]}
// CHECK-LABEL: func.func @train_step
// CHECK: %[[C0:.*]] = arith.constant 0 : i64
// CHECK: call @cnnc_profile_mark(%[[C0]])
// CHECK: cnn.slice
// CHECK: %[[C0B:.*]] = arith.constant 0 : i64
// CHECK: call @cnnc_profile_mark(%[[C0B]])
// CHECK: cnn.slice
// CHECK: %[[C1:.*]] = arith.constant 1 : i64
// CHECK: call @cnnc_profile_mark(%[[C1]])
// CHECK: cnn.conv2d
// CHECK: arith.constant 2 : i64
// CHECK: cnn.conv2d_grad_weight
// CHECK: arith.constant 3 : i64
// CHECK: cnn.sgd_update
// CHECK: %[[END:.*]] = arith.constant 4 : i64
// CHECK: call @cnnc_profile_mark(%[[END]])
// CHECK-NEXT: return
func.func @forward(%x: tensor<2x1x1x1xf32>, %w: tensor<2x1x1x1xf32>) -> tensor<2x2x1x1xf32> {
  %c = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<2x1x1x1xf32>, tensor<2x1x1x1xf32>) -> tensor<2x2x1x1xf32> loc("conv")
  return %c : tensor<2x2x1x1xf32>
}
func.func @train_step(%x: tensor<2x1x1x1xf32>, %w: tensor<2x1x3x3xf32>, %g: tensor<2x2x1x1xf32>, %m: tensor<2x1x1x1xf32>, %lr: tensor<1xf32>) -> (tensor<2x2x1x1xf32>, tensor<2x1x1x1xf32>, tensor<2x1x1x1xf32>) {
  %s1 = cnn.slice %w {axis = 2 : i64, start = 1 : i64, end = 2 : i64} : tensor<2x1x3x3xf32> -> tensor<2x1x1x3xf32> loc("conv")
  %s2 = cnn.slice %s1 {axis = 3 : i64, start = 1 : i64, end = 2 : i64} : tensor<2x1x1x3xf32> -> tensor<2x1x1x1xf32> loc("conv")
  %c = cnn.conv2d %x, %s2 {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<2x1x1x1xf32>, tensor<2x1x1x1xf32>) -> tensor<2x2x1x1xf32> loc("conv")
  %dw = cnn.conv2d_grad_weight %g, %x {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<2x2x1x1xf32>, tensor<2x1x1x1xf32>) -> tensor<2x1x1x1xf32> loc("conv")
  %p, %b = cnn.sgd_update %s2, %dw, %m, %lr {momentum = 9.000000e-01 : f64, nesterov = false, weight_decay = 0.000000e+00 : f64} : (tensor<2x1x1x1xf32>, tensor<2x1x1x1xf32>, tensor<2x1x1x1xf32>, tensor<1xf32>) -> (tensor<2x1x1x1xf32>, tensor<2x1x1x1xf32>)
  return %c, %p, %b : tensor<2x2x1x1xf32>, tensor<2x1x1x1xf32>, tensor<2x1x1x1xf32>
}
