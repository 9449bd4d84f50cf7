// RUN: cnnc-opt %s --split-input-file --cnnc-subsample-pointwise-convs | FileCheck %s

// ResNet's downsampling conv (1x1, stride 2): a stride-1 conv over every
// second row and column of its input.
// CHECK-LABEL: func.func @stride2
// CHECK: %[[S:.*]] = tensor.extract_slice %arg0[0, 0, 0, 0] [2, 7, 7, 64] [1, 2, 2, 1] : tensor<2x14x14x64xf32> to tensor<2x7x7x64xf32>
// CHECK: linalg.conv_2d_nhwc_hwcf {cnn.keep = 1 : i64, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[S]], %arg1 : tensor<2x7x7x64xf32>, tensor<1x1x64x128xf32>) outs(%arg2 : tensor<2x7x7x128xf32>)
func.func @stride2(%x: tensor<2x14x14x64xf32>, %w: tensor<1x1x64x128xf32>, %b: tensor<2x7x7x128xf32>) -> tensor<2x7x7x128xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {cnn.keep = 1 : i64, dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
     ins(%x, %w : tensor<2x14x14x64xf32>, tensor<1x1x64x128xf32>) outs(%b : tensor<2x7x7x128xf32>) -> tensor<2x7x7x128xf32>
  return %y : tensor<2x7x7x128xf32>
}

// -----

// Odd sizes, unequal strides and a dilation (meaningless for a 1x1 window):
// the slice covers rows 0, 3, 6 and columns 0, 2, 4, 6.
// CHECK-LABEL: func.func @uneven
// CHECK: %[[S:.*]] = tensor.extract_slice %arg0[0, 0, 0, 0] [1, 3, 4, 8] [1, 3, 2, 1] : tensor<1x7x7x8xf32> to tensor<1x3x4x8xf32>
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[S]], %arg1
func.func @uneven(%x: tensor<1x7x7x8xf32>, %w: tensor<1x1x8x16xf32>, %b: tensor<1x3x4x16xf32>) -> tensor<1x3x4x16xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<2> : tensor<2xi64>, strides = dense<[3, 2]> : tensor<2xi64>}
     ins(%x, %w : tensor<1x7x7x8xf32>, tensor<1x1x8x16xf32>) outs(%b : tensor<1x3x4x16xf32>) -> tensor<1x3x4x16xf32>
  return %y : tensor<1x3x4x16xf32>
}

// -----

// Left alone: a stride-1 1x1 conv, and a strided 3x3 conv (its windows
// overlap; a view would not remove the waste).
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: tensor.extract_slice
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%arg0, %arg1
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%arg0, %arg3
func.func @left_alone(%x: tensor<1x9x9x8xf32>, %w1: tensor<1x1x8x16xf32>, %b1: tensor<1x9x9x16xf32>,
                      %w3: tensor<3x3x8x16xf32>, %b3: tensor<1x4x4x16xf32>) -> (tensor<1x9x9x16xf32>, tensor<1x4x4x16xf32>) {
  %y1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w1 : tensor<1x9x9x8xf32>, tensor<1x1x8x16xf32>) outs(%b1 : tensor<1x9x9x16xf32>) -> tensor<1x9x9x16xf32>
  %y3 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
     ins(%x, %w3 : tensor<1x9x9x8xf32>, tensor<3x3x8x16xf32>) outs(%b3 : tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32>
  return %y1, %y3 : tensor<1x9x9x16xf32>, tensor<1x4x4x16xf32>
}
