// RUN: cnnc-opt %s -split-input-file -verify-diagnostics

// Verifier and shape errors of the ops of spec section 5.2 (docs/ops.md).

func.func @conv_transpose_channels(%x: tensor<1x4x4x4xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x2x6x6xf32> {
  // expected-error @+2 {{weight [3, 2, 3, 3] expects 3 input channels, but the input [1, 4, 4, 4] has 4}}
  // expected-error @+1 {{'cnn.conv_transpose2d' op failed to infer returned types}}
  %y = cnn.conv_transpose2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
         output_padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<1x4x4x4xf32>, tensor<3x2x3x3xf32>) -> tensor<1x2x6x6xf32>
  return %y : tensor<1x2x6x6xf32>
}

// -----

func.func @conv_transpose_output_padding(%x: tensor<1x4x4x4xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x2x7x7xf32> {
  // expected-error @+2 {{output_padding [1, 1] must be smaller than the stride [1, 1] or the dilation [1, 1]}}
  // expected-error @+1 {{'cnn.conv_transpose2d' op failed to infer returned types}}
  %y = cnn.conv_transpose2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
         output_padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<1x4x4x4xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x7x7xf32>
  return %y : tensor<1x2x7x7xf32>
}

// -----

func.func @dense_features(%x: tensor<2x7x7x96xf32>, %w: tensor<384x95xf32>) -> tensor<2x7x7x384xf32> {
  // expected-error @+2 {{weight [384, 95] expects 95 input features, but the input [2, 7, 7, 96] has 96}}
  // expected-error @+1 {{'cnn.dense' op failed to infer returned types}}
  %y = cnn.dense %x, %w : (tensor<2x7x7x96xf32>, tensor<384x95xf32>) -> tensor<2x7x7x384xf32>
  return %y : tensor<2x7x7x384xf32>
}

// -----

func.func @upsample_mode(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x8x8xf32> {
  // expected-error @+1 {{mode must be "nearest" or "bilinear", got 'bicubic'}}
  %y = cnn.upsample %x {mode = "bicubic", align_corners = false, size = array<i64: 8, 8>}
       : tensor<1x2x4x4xf32> -> tensor<1x2x8x8xf32>
  return %y : tensor<1x2x8x8xf32>
}

// -----

func.func @upsample_align_nearest(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x8x8xf32> {
  // expected-error @+1 {{align_corners applies to bilinear mode only}}
  %y = cnn.upsample %x {mode = "nearest", align_corners = true, size = array<i64: 8, 8>}
       : tensor<1x2x4x4xf32> -> tensor<1x2x8x8xf32>
  return %y : tensor<1x2x8x8xf32>
}

// -----

func.func @layer_norm_axes(%x: tensor<2x8x4x4xf32>) -> tensor<2x8x4x4xf32> {
  // expected-error @+1 {{normalized dimensions [0, 1] must be sorted, distinct, and not the batch of [2, 8, 4, 4]}}
  %y = cnn.layer_norm %x {axes = array<i64: 0, 1>, epsilon = 1.0e-05 : f64}
       : (tensor<2x8x4x4xf32>) -> tensor<2x8x4x4xf32>
  return %y : tensor<2x8x4x4xf32>
}

// -----

func.func @layer_norm_affine(%x: tensor<2x8x4x4xf32>, %w: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<2x8x4x4xf32> {
  // expected-error @+1 {{weight and bias must be [8], got [4]}}
  %y = cnn.layer_norm %x, %w, %b {axes = array<i64: 1>, epsilon = 1.0e-05 : f64}
       : (tensor<2x8x4x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x8x4x4xf32>
  return %y : tensor<2x8x4x4xf32>
}

// -----

func.func @stochastic_depth_mode(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{mode must be "row" or "batch", got 'element'}}
  %y = cnn.stochastic_depth %x {p = 0.5 : f64, mode = "element"} : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @permute_not_permutation(%x: tensor<2x3x4xf32>) -> tensor<2x3x3xf32> {
  // expected-error @+2 {{dims [0, 1, 1] is not a permutation of 0..2}}
  // expected-error @+1 {{'cnn.permute' op failed to infer returned types}}
  %y = cnn.permute %x {dims = array<i64: 0, 1, 1>} : tensor<2x3x4xf32> -> tensor<2x3x3xf32>
  return %y : tensor<2x3x3xf32>
}
