// RUN: cnnc-opt %s --split-input-file --cnnc-split-strided-convs | FileCheck %s

// ResNet's downsampling conv (1x1, stride 2): one phase, a stride-1 conv
// over every second row and column of its input.
// CHECK-LABEL: func.func @pointwise_stride2
// CHECK: %[[S:.*]] = tensor.extract_slice %arg0[0, 0, 0, 0] [2, 7, 7, 64] [1, 2, 2, 1] : tensor<2x14x14x64xf32> to tensor<2x7x7x64xf32>
// CHECK-NEXT: linalg.conv_2d_nhwc_hwcf {cnn.keep = 1 : i64, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[S]], %arg1 : tensor<2x7x7x64xf32>, tensor<1x1x64x128xf32>) outs(%arg2 : tensor<2x7x7x128xf32>)
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
func.func @pointwise_stride2(%x: tensor<2x14x14x64xf32>, %w: tensor<1x1x64x128xf32>, %b: tensor<2x7x7x128xf32>) -> tensor<2x7x7x128xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {cnn.keep = 1 : i64, dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
     ins(%x, %w : tensor<2x14x14x64xf32>, tensor<1x1x64x128xf32>) outs(%b : tensor<2x7x7x128xf32>) -> tensor<2x7x7x128xf32>
  return %y : tensor<2x7x7x128xf32>
}

// -----

// A 3x3 stride-2 conv on a padded 16x16 input (ResNet-50's layer4.0.conv2
// shape, fewer channels): four phases, accumulated in turn. Phase (0, 0)
// has taps {0, 2} x {0, 2} over the even rows and columns (8 x 8), phase
// (0, 1) taps {0, 2} x {1} over even rows, odd columns (8 x 7), and so on.
// CHECK-LABEL: func.func @conv3x3_stride2
// CHECK: %[[V00:.*]] = tensor.extract_slice %arg0[0, 0, 0, 0] [1, 8, 8, 32] [1, 2, 2, 1]
// CHECK: %[[W00:.*]] = tensor.extract_slice %arg1[0, 0, 0, 0] [2, 2, 32, 32] [2, 2, 1, 1]
// CHECK: %[[Y00:.*]] = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[V00]], %[[W00]] : tensor<1x8x8x32xf32>, tensor<2x2x32x32xf32>) outs(%arg2 : tensor<1x7x7x32xf32>)
// CHECK: %[[V01:.*]] = tensor.extract_slice %arg0[0, 0, 1, 0] [1, 8, 7, 32] [1, 2, 2, 1]
// CHECK: %[[W01:.*]] = tensor.extract_slice %arg1[0, 1, 0, 0] [2, 1, 32, 32] [2, 2, 1, 1]
// CHECK: %[[Y01:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[V01]], %[[W01]] : tensor<1x8x7x32xf32>, tensor<2x1x32x32xf32>) outs(%[[Y00]] : tensor<1x7x7x32xf32>)
// CHECK: %[[V10:.*]] = tensor.extract_slice %arg0[0, 1, 0, 0] [1, 7, 8, 32] [1, 2, 2, 1]
// CHECK: %[[W10:.*]] = tensor.extract_slice %arg1[1, 0, 0, 0] [1, 2, 32, 32] [2, 2, 1, 1]
// CHECK: %[[Y10:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[V10]], %[[W10]] : tensor<1x7x8x32xf32>, tensor<1x2x32x32xf32>) outs(%[[Y01]] : tensor<1x7x7x32xf32>)
// CHECK: %[[V11:.*]] = tensor.extract_slice %arg0[0, 1, 1, 0] [1, 7, 7, 32] [1, 2, 2, 1]
// CHECK: %[[W11:.*]] = tensor.extract_slice %arg1[1, 1, 0, 0] [1, 1, 32, 32] [2, 2, 1, 1]
// CHECK: %[[Y11:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[V11]], %[[W11]] : tensor<1x7x7x32xf32>, tensor<1x1x32x32xf32>) outs(%[[Y10]] : tensor<1x7x7x32xf32>)
// CHECK: return %[[Y11]]
func.func @conv3x3_stride2(%x: tensor<1x16x16x32xf32>, %w: tensor<3x3x32x32xf32>, %b: tensor<1x7x7x32xf32>) -> tensor<1x7x7x32xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
     ins(%x, %w : tensor<1x16x16x32xf32>, tensor<3x3x32x32xf32>) outs(%b : tensor<1x7x7x32xf32>) -> tensor<1x7x7x32xf32>
  return %y : tensor<1x7x7x32xf32>
}

// -----

// Unequal strides and a dilation on a 1x1 window (meaningless there): the
// view covers rows 0, 3, 6 and columns 0, 2, 4, 6.
// CHECK-LABEL: func.func @uneven
// CHECK: %[[S:.*]] = tensor.extract_slice %arg0[0, 0, 0, 0] [1, 3, 4, 32] [1, 3, 2, 1] : tensor<1x7x7x32xf32> to tensor<1x3x4x32xf32>
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[S]], %arg1
func.func @uneven(%x: tensor<1x7x7x32xf32>, %w: tensor<1x1x32x16xf32>, %b: tensor<1x3x4x16xf32>) -> tensor<1x3x4x16xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<2> : tensor<2xi64>, strides = dense<[3, 2]> : tensor<2xi64>}
     ins(%x, %w : tensor<1x7x7x32xf32>, tensor<1x1x32x16xf32>) outs(%b : tensor<1x3x4x16xf32>) -> tensor<1x3x4x16xf32>
  return %y : tensor<1x3x4x16xf32>
}

// -----

// Left alone: stride-1 convs, a strided conv with a dilation (the taps of
// a phase would not be evenly spaced in its view), an RGB stem (fewer than
// min-channels input channels, and rows wider than max-windowed-width),
// and a 3x3 conv with 14-wide rows.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: tensor.extract_slice
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%arg0, %arg1
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<2> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%arg0, %arg3
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%arg5, %arg6
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%arg8, %arg3
func.func @left_alone(%x: tensor<1x9x9x16xf32>, %w1: tensor<1x1x16x16xf32>, %b1: tensor<1x9x9x16xf32>,
                      %w3: tensor<3x3x16x16xf32>, %b3: tensor<1x3x3x16xf32>,
                      %rgb: tensor<1x230x230x3xf32>, %w7: tensor<7x7x3x64xf32>, %b7: tensor<1x112x112x64xf32>,
                      %x28: tensor<1x29x29x16xf32>, %b28: tensor<1x14x14x16xf32>)
    -> (tensor<1x9x9x16xf32>, tensor<1x3x3x16xf32>, tensor<1x112x112x64xf32>, tensor<1x14x14x16xf32>) {
  %y1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w1 : tensor<1x9x9x16xf32>, tensor<1x1x16x16xf32>) outs(%b1 : tensor<1x9x9x16xf32>) -> tensor<1x9x9x16xf32>
  %y3 = linalg.conv_2d_nhwc_hwcf {dilations = dense<2> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
     ins(%x, %w3 : tensor<1x9x9x16xf32>, tensor<3x3x16x16xf32>) outs(%b3 : tensor<1x3x3x16xf32>) -> tensor<1x3x3x16xf32>
  %y7 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
     ins(%rgb, %w7 : tensor<1x230x230x3xf32>, tensor<7x7x3x64xf32>) outs(%b7 : tensor<1x112x112x64xf32>) -> tensor<1x112x112x64xf32>
  %y28 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
     ins(%x28, %w3 : tensor<1x29x29x16xf32>, tensor<3x3x16x16xf32>) outs(%b28 : tensor<1x14x14x16xf32>) -> tensor<1x14x14x16xf32>
  return %y1, %y3, %y7, %y28 : tensor<1x9x9x16xf32>, tensor<1x3x3x16xf32>, tensor<1x112x112x64xf32>, tensor<1x14x14x16xf32>
}

// -----

// A 3x3 stride-2 conv over 16 input channels (one group of RegNetX's grouped
// convs) on rows of 7 stays whole: under min-channels, each phase would pass
// over the accumulators for a few FMAs each.
// CHECK-LABEL: func.func @sixteen_channels
// CHECK-NOT: tensor.extract_slice
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}}strides = dense<2> : tensor<2xi64>} ins(%arg0, %arg1
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
func.func @sixteen_channels(%x: tensor<1x16x16x16xf32>, %w: tensor<3x3x16x16xf32>, %b: tensor<1x7x7x16xf32>) -> tensor<1x7x7x16xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
     ins(%x, %w : tensor<1x16x16x16xf32>, tensor<3x3x16x16xf32>) outs(%b : tensor<1x7x7x16xf32>) -> tensor<1x7x7x16xf32>
  return %y : tensor<1x7x7x16xf32>
}

// -----

// Rows of 28 are too wide to split in float32, but a bf16 conv that the target
// runs on AMX tiles (sapphirerapids) is split whatever its width: the tiles need
// unit stride. Without AMX (znver4), or without a target, it stays whole.
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=sapphirerapids --cnnc-split-strided-convs | FileCheck %s --check-prefix=AMX
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver4 --cnnc-split-strided-convs | FileCheck %s --check-prefix=NOAMX
// CHECK-LABEL: func.func @wide_bf16
// CHECK-COUNT-1: linalg.conv_2d_nhwc_hwcf
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
// AMX-LABEL: func.func @wide_bf16
// AMX-COUNT-4: linalg.conv_2d_nhwc_hwcf {{.*}}strides = dense<1>
// NOAMX-LABEL: func.func @wide_bf16
// NOAMX: linalg.conv_2d_nhwc_hwcf {{.*}}strides = dense<2>
// NOAMX-NOT: linalg.conv_2d_nhwc_hwcf
func.func @wide_bf16(%x: tensor<1x57x57x64xbf16>, %w: tensor<3x3x64x64xbf16>, %b: tensor<1x28x28x64xf32>) -> tensor<1x28x28x64xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
     ins(%x, %w : tensor<1x57x57x64xbf16>, tensor<3x3x64x64xbf16>) outs(%b : tensor<1x28x28x64xf32>) -> tensor<1x28x28x64xf32>
  return %y : tensor<1x28x28x64xf32>
}

// -----

// One group of a grouped conv (ResNeXt-50's layer4.0.conv2: 32 channels of
// 1024) reads a channel slice of its input: it stays whole, its rows walked
// with the other groups' (cnnc-walk-rows-outside-blocks).
// CHECK-LABEL: func.func @grouped_conv3x3_stride2
// CHECK: %[[G:.*]] = tensor.extract_slice %arg0[0, 0, 0, 32] [1, 16, 16, 32] [1, 1, 1, 1]
// CHECK-NEXT: linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%[[G]], %arg1 : tensor<1x16x16x32xf32>, tensor<3x3x32x32xf32>)
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
// AMX-LABEL: func.func @grouped_conv3x3_stride2
// AMX-COUNT-1: linalg.conv_2d_nhwc_hwcf {{.*}}strides = dense<2>
// AMX-NOT: linalg.conv_2d_nhwc_hwcf
// NOAMX-LABEL: func.func @grouped_conv3x3_stride2
func.func @grouped_conv3x3_stride2(%x: tensor<1x16x16x64xf32>, %w: tensor<3x3x32x32xf32>, %b: tensor<1x7x7x32xf32>) -> tensor<1x7x7x32xf32> {
  %g = tensor.extract_slice %x[0, 0, 0, 32] [1, 16, 16, 32] [1, 1, 1, 1] : tensor<1x16x16x64xf32> to tensor<1x16x16x32xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
     ins(%g, %w : tensor<1x16x16x32xf32>, tensor<3x3x32x32xf32>) outs(%b : tensor<1x7x7x32xf32>) -> tensor<1x7x7x32xf32>
  return %y : tensor<1x7x7x32xf32>
}
