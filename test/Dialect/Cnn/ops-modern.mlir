// RUN: cnnc-opt %s | cnnc-opt | FileCheck %s

// The ops of spec section 5.2 (docs/ops.md) beyond the activations: they
// parse, verify, infer their result types and print back.

// CHECK-LABEL: func @conv_transpose2d(
// CHECK: cnn.conv_transpose2d %arg0, %arg1, %arg2 {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x16x7x7xf32>, tensor<16x8x3x3xf32>, tensor<8xf32>) -> tensor<1x8x14x14xf32>
func.func @conv_transpose2d(%x: tensor<1x16x7x7xf32>, %w: tensor<16x8x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x14x14xf32> {
  %y = cnn.conv_transpose2d %x, %w, %b {stride = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>,
         output_padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<1x16x7x7xf32>, tensor<16x8x3x3xf32>, tensor<8xf32>) -> tensor<1x8x14x14xf32>
  return %y : tensor<1x8x14x14xf32>
}

// CHECK-LABEL: func @conv_transpose2d_grouped(
// CHECK: cnn.conv_transpose2d %arg0, %arg1 {{.*}} -> tensor<2x6x10x9xf32>
func.func @conv_transpose2d_grouped(%x: tensor<2x4x4x4xf32>, %w: tensor<4x3x4x3xf32>) -> tensor<2x6x10x9xf32> {
  %y = cnn.conv_transpose2d %x, %w {stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>,
         output_padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 2 : i64}
       : (tensor<2x4x4x4xf32>, tensor<4x3x4x3xf32>) -> tensor<2x6x10x9xf32>
  return %y : tensor<2x6x10x9xf32>
}

// CHECK-LABEL: func @dense_last_axis(
// CHECK: cnn.dense %arg0, %arg1, %arg2 : (tensor<2x7x7x96xf32>, tensor<384x96xf32>, tensor<384xf32>) -> tensor<2x7x7x384xf32>
func.func @dense_last_axis(%x: tensor<2x7x7x96xf32>, %w: tensor<384x96xf32>, %b: tensor<384xf32>) -> tensor<2x7x7x384xf32> {
  %y = cnn.dense %x, %w, %b : (tensor<2x7x7x96xf32>, tensor<384x96xf32>, tensor<384xf32>) -> tensor<2x7x7x384xf32>
  return %y : tensor<2x7x7x384xf32>
}

// CHECK-LABEL: func @adaptive_avgpool2d(
// CHECK: cnn.adaptive_avgpool2d %arg0 {output_size = array<i64: 5, 3>} : tensor<1x8x13x17xf32> -> tensor<1x8x5x3xf32>
func.func @adaptive_avgpool2d(%x: tensor<1x8x13x17xf32>) -> tensor<1x8x5x3xf32> {
  %y = cnn.adaptive_avgpool2d %x {output_size = array<i64: 5, 3>} : tensor<1x8x13x17xf32> -> tensor<1x8x5x3xf32>
  return %y : tensor<1x8x5x3xf32>
}

// CHECK-LABEL: func @upsample(
// CHECK: cnn.upsample %arg0 {align_corners = false, mode = "bilinear", scale_factor = array<f64: 2.000000e+00, 2.000000e+00>, size = array<i64: 56, 56>}
// CHECK: cnn.upsample %{{.*}} {align_corners = false, mode = "nearest", size = array<i64: 9, 13>}
func.func @upsample(%x: tensor<1x21x28x28xf32>) -> tensor<1x21x9x13xf32> {
  %y = cnn.upsample %x {mode = "bilinear", align_corners = false, size = array<i64: 56, 56>,
         scale_factor = array<f64: 2.0, 2.0>} : tensor<1x21x28x28xf32> -> tensor<1x21x56x56xf32>
  %z = cnn.upsample %y {mode = "nearest", align_corners = false, size = array<i64: 9, 13>}
       : tensor<1x21x56x56xf32> -> tensor<1x21x9x13xf32>
  return %z : tensor<1x21x9x13xf32>
}

// CHECK-LABEL: func @layer_norm(
// CHECK: cnn.layer_norm %arg0, %arg1, %arg2 {axes = array<i64: 3>, epsilon = 9.9999999999999995E-7 : f64}
// CHECK: cnn.layer_norm %{{.*}} {axes = array<i64: 1>, epsilon = 1.000000e-05 : f64} : (tensor<1x56x56x96xf32>) -> tensor<1x56x56x96xf32>
func.func @layer_norm(%x: tensor<1x56x56x96xf32>, %w: tensor<96xf32>, %b: tensor<96xf32>) -> tensor<1x56x56x96xf32> {
  %y = cnn.layer_norm %x, %w, %b {axes = array<i64: 3>, epsilon = 1.0e-06 : f64}
       : (tensor<1x56x56x96xf32>, tensor<96xf32>, tensor<96xf32>) -> tensor<1x56x56x96xf32>
  %z = cnn.layer_norm %y {axes = array<i64: 1>, epsilon = 1.0e-05 : f64}
       : (tensor<1x56x56x96xf32>) -> tensor<1x56x56x96xf32>
  return %z : tensor<1x56x56x96xf32>
}

// CHECK-LABEL: func @stochastic_depth_permute(
// CHECK: cnn.stochastic_depth %arg0 {mode = "row", p = 1.000000e-01 : f64} : tensor<8x96x7x7xf32>
// CHECK: cnn.permute %{{.*}} {dims = array<i64: 0, 2, 3, 1>} : tensor<8x96x7x7xf32> -> tensor<8x7x7x96xf32>
func.func @stochastic_depth_permute(%x: tensor<8x96x7x7xf32>) -> tensor<8x7x7x96xf32> {
  %y = cnn.stochastic_depth %x {p = 1.0e-01 : f64, mode = "row"} : tensor<8x96x7x7xf32>
  %z = cnn.permute %y {dims = array<i64: 0, 2, 3, 1>} : tensor<8x96x7x7xf32> -> tensor<8x7x7x96xf32>
  return %z : tensor<8x7x7x96xf32>
}
