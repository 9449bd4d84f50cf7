// RUN: cnnc-opt %s --split-input-file --cnnc-demote-convs-to-bf16 --canonicalize | FileCheck %s

// A padded conv: the input is rounded before its pad (a bf16 zero pad), the
// filter becomes bf16 pairs [F/64, KH, KW, C/2, 64, 2] read back through a
// layout view, and the accumulator and result stay f32.
// CHECK-LABEL: func.func @conv_padded
// CHECK: %[[X:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<1x8x8x64xf32>) outs({{.*}} : tensor<1x8x8x64xbf16>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: %[[P:.*]] = tensor.pad %[[X]] low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: tensor.yield %{{.*}} : bf16
// CHECK: %[[SPLIT:.*]] = tensor.expand_shape %arg1 {{\[}}[0], [1], [2, 3], [4, 5]] output_shape [3, 3, 32, 2, 2, 64]
// CHECK: %[[PAIRS:.*]] = linalg.generic {{.*}} ins(%[[SPLIT]] : tensor<3x3x32x2x2x64xf32>) outs({{.*}} : tensor<2x3x3x32x64x2xbf16>)
// CHECK: arith.truncf
// CHECK: %[[VIEW:.*]] = linalg.transpose ins(%[[PAIRS]] : tensor<2x3x3x32x64x2xbf16>) {{.*}} permutation = [1, 2, 3, 5, 0, 4] {cnn.layout_view}
// CHECK: %[[W:.*]] = tensor.collapse_shape %[[VIEW]] {{.*}} into tensor<3x3x64x128xbf16>
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[P]], %[[W]] : tensor<1x10x10x64xbf16>, tensor<3x3x64x128xbf16>) outs(%arg2 : tensor<1x8x8x128xf32>)
func.func @conv_padded(%x: tensor<1x8x8x64xf32>, %w: tensor<3x3x64x128xf32>, %b: tensor<1x8x8x128xf32>) -> tensor<1x8x8x128xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x8x8x64xf32> to tensor<1x10x10x64xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%p, %w : tensor<1x10x10x64xf32>, tensor<3x3x64x128xf32>) outs(%b : tensor<1x8x8x128xf32>) -> tensor<1x8x8x128xf32>
  return %y : tensor<1x8x8x128xf32>
}

// -----

// Output channels no multiple of 64: one block of all 24.
// CHECK-LABEL: func.func @conv_24_outputs
// CHECK: tensor<1x1x1x4x24x2xbf16>
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} tensor<1x4x4x8xbf16>, tensor<1x1x8x24xbf16>) outs(%arg2 : tensor<1x4x4x24xf32>)
func.func @conv_24_outputs(%x: tensor<1x4x4x8xf32>, %w: tensor<1x1x8x24xf32>, %b: tensor<1x4x4x24xf32>) -> tensor<1x4x4x24xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x4x4x8xf32>, tensor<1x1x8x24xf32>) outs(%b : tensor<1x4x4x24xf32>) -> tensor<1x4x4x24xf32>
  return %y : tensor<1x4x4x24xf32>
}

// -----

// An odd number of input channels (an RGB stem) stays f32.
// CHECK-LABEL: func.func @conv_odd_channels
// CHECK-NOT: bf16
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%arg0, %arg1 : tensor<1x8x8x3xf32>, tensor<1x1x3x16xf32>)
func.func @conv_odd_channels(%x: tensor<1x8x8x3xf32>, %w: tensor<1x1x3x16xf32>, %b: tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x8x8x3xf32>, tensor<1x1x3x16xf32>) outs(%b : tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32>
  return %y : tensor<1x8x8x16xf32>
}
