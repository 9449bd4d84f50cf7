// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-winograd-convs | FileCheck %s --check-prefix=AVX512
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=x86-64-v3 --cnnc-winograd-convs | FileCheck %s --check-prefix=AVX2
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-winograd-convs=output-tile=2 | FileCheck %s --check-prefix=F2
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-winograd-convs=output-tile=0 | FileCheck %s --check-prefix=OFF

// ResNet's 56x56x64 layer: the filter's F(4x4, 3x3) transform is a
// parallel generic over the nine taps and G's rows, marked for @prepare;
// the input's zero pad grows to 6 + 4 * 14 = 58 (already there).
// AVX512-LABEL: func.func @forward
// AVX512: %[[P:.*]] = tensor.pad %arg0 low[0, 1, 1, 0] high[0, 1, 1, 0]
// AVX512: %[[G:.*]] = arith.constant dense<{{\[\[}}2.500000e-01, 0.000000e+00, 0.000000e+00], [-0.166666672
// AVX512: %[[U:.*]] = linalg.generic {{.*}} ins(%arg1, %arg1, %arg1, %arg1, %arg1, %arg1, %arg1, %arg1, %arg1, %[[G]], %[[G]], %[[G]], %[[G]], %[[G]], %[[G]] : {{.*}}) outs(%{{.*}} : tensor<6x6x64x64xf32>) attrs =  {cnn.prepared_transform}
// AVX512: codegen.winograd_conv2d ins(%[[P]], %[[U]] : tensor<1x58x58x64xf32>, tensor<6x6x64x64xf32>) outs(%arg2 : tensor<1x56x56x64xf32>) {output_tile = 4 : i64}
// AVX512-NOT: linalg.conv_2d_nhwc_hwcf
// AVX2-LABEL: func.func @forward
// AVX2: codegen.winograd_conv2d {{.*}} {output_tile = 4 : i64}
// F2-LABEL: func.func @forward
// F2: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x4x64x64xf32>) attrs =  {cnn.prepared_transform}
// F2: codegen.winograd_conv2d ins({{.*}} : tensor<1x58x58x64xf32>, tensor<4x4x64x64xf32>) {{.*}} {output_tile = 2 : i64}
// OFF-LABEL: func.func @forward
// OFF: linalg.conv_2d_nhwc_hwcf
// OFF-NOT: codegen.winograd_conv2d
func.func @forward(%x: tensor<1x56x56x64xf32> {cnn.input = "x"}, %w: tensor<3x3x64x64xf32> {cnn.param = "w"},
                   %init: tensor<1x56x56x64xf32> {cnn.input = "init"}) -> tensor<1x56x56x64xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x56x56x64xf32> to tensor<1x58x58x64xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%p, %w : tensor<1x58x58x64xf32>, tensor<3x3x64x64xf32>) outs(%init : tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32>
  return %y : tensor<1x56x56x64xf32>
}

// -----

// 13x17 outputs end in partial tiles: the zero pad grows to cover 4 x 5
// whole tiles (18 x 22 inputs).
// AVX512-LABEL: func.func @forward
// AVX512: %[[P:.*]] = tensor.pad %arg0 low[0, 1, 1, 0] high[0, 4, 4, 0]
// AVX512: codegen.winograd_conv2d ins(%[[P]], %{{.*}} : tensor<2x18x22x32xf32>, tensor<6x6x32x32xf32>)
func.func @forward(%x: tensor<2x13x17x32xf32> {cnn.input = "x"}, %w: tensor<3x3x32x32xf32> {cnn.param = "w"},
                   %init: tensor<2x13x17x32xf32> {cnn.input = "init"}) -> tensor<2x13x17x32xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<2x13x17x32xf32> to tensor<2x15x19x32xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%p, %w : tensor<2x15x19x32xf32>, tensor<3x3x32x32xf32>) outs(%init : tensor<2x13x17x32xf32>) -> tensor<2x13x17x32xf32>
  return %y : tensor<2x13x17x32xf32>
}

// -----

// Stays direct: ResNet's 7x7x512 layer at batch 1 (4 tiles, fewer than two
// register blocks' rows; its transformed filter, 36 x 512 x 512 floats,
// read for too few products); 24 input channels (no whole vectors on 16
// lanes); a stride-2 conv; a filter that is an input, not a parameter.
// AVX512-LABEL: func.func @forward
// AVX512-NOT: codegen.winograd_conv2d
// AVX512: return
func.func @forward(%x: tensor<1x9x9x512xf32> {cnn.input = "x"}, %w: tensor<3x3x512x512xf32> {cnn.param = "w"},
                   %init: tensor<1x7x7x512xf32> {cnn.input = "init"},
                   %x2: tensor<1x30x30x24xf32> {cnn.input = "x2"}, %w2: tensor<3x3x24x32xf32> {cnn.param = "w2"},
                   %init2: tensor<1x28x28x32xf32> {cnn.input = "init2"},
                   %x3: tensor<1x57x57x64xf32> {cnn.input = "x3"}, %w3: tensor<3x3x64x64xf32> {cnn.param = "w3"},
                   %init3: tensor<1x28x28x64xf32> {cnn.input = "init3"},
                   %w4: tensor<3x3x64x64xf32> {cnn.input = "w4"}, %init4: tensor<1x55x55x64xf32> {cnn.input = "init4"})
    -> (tensor<1x7x7x512xf32>, tensor<1x28x28x32xf32>, tensor<1x28x28x64xf32>, tensor<1x55x55x64xf32>) {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x9x9x512xf32>, tensor<3x3x512x512xf32>) outs(%init : tensor<1x7x7x512xf32>) -> tensor<1x7x7x512xf32>
  %y2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x2, %w2 : tensor<1x30x30x24xf32>, tensor<3x3x24x32xf32>) outs(%init2 : tensor<1x28x28x32xf32>) -> tensor<1x28x28x32xf32>
  %y3 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
     ins(%x3, %w3 : tensor<1x57x57x64xf32>, tensor<3x3x64x64xf32>) outs(%init3 : tensor<1x28x28x64xf32>) -> tensor<1x28x28x64xf32>
  %y4 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x3, %w4 : tensor<1x57x57x64xf32>, tensor<3x3x64x64xf32>) outs(%init4 : tensor<1x55x55x64xf32>) -> tensor<1x55x55x64xf32>
  return %y, %y2, %y3, %y4 : tensor<1x7x7x512xf32>, tensor<1x28x28x32xf32>, tensor<1x28x28x64xf32>, tensor<1x55x55x64xf32>
}

// -----

// DenseNet's 14x14x128 -> 32 layer at batch 1: F(4x4)'s transformed filter
// (590 KB) is past half of znver5's L2 and the direct conv's work per byte
// of it too little; F(2x2)'s (262 KB) is within: 7 x 7 tiles of 2x2.
// AVX512-LABEL: func.func @forward
// AVX512: codegen.winograd_conv2d ins({{.*}} : tensor<1x16x16x128xf32>, tensor<4x4x128x32xf32>) outs({{.*}}) {output_tile = 2 : i64}
func.func @forward(%x: tensor<1x16x16x128xf32> {cnn.input = "x"}, %w: tensor<3x3x128x32xf32> {cnn.param = "w"},
                   %init: tensor<1x14x14x32xf32> {cnn.input = "init"}) -> tensor<1x14x14x32xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x16x16x128xf32>, tensor<3x3x128x32xf32>) outs(%init : tensor<1x14x14x32xf32>) -> tensor<1x14x14x32xf32>
  return %y : tensor<1x14x14x32xf32>
}

// -----

// ResNet's 14x14x256 layer at batch 1: F(4x4)'s transformed filter (9.4
// MB) would come from memory on every call, F(2x2)'s (4.2 MB) too; the
// direct conv does 98 flops per byte of its own filter: the 3x3 filter
// stays, transformed in the loops (no prepared transform).
// AVX512-LABEL: func.func @forward
// AVX512-NOT: cnn.prepared_transform
// AVX512: codegen.winograd_conv2d ins(%{{.*}}, %arg1 : tensor<1x18x18x256xf32>, tensor<3x3x256x256xf32>) outs(%arg2 : tensor<1x14x14x256xf32>) {output_tile = 4 : i64}
func.func @forward(%x: tensor<1x16x16x256xf32> {cnn.input = "x"}, %w: tensor<3x3x256x256xf32> {cnn.param = "w"},
                   %init: tensor<1x14x14x256xf32> {cnn.input = "init"}) -> tensor<1x14x14x256xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x16x16x256xf32>, tensor<3x3x256x256xf32>) outs(%init : tensor<1x14x14x256xf32>) -> tensor<1x14x14x256xf32>
  return %y : tensor<1x14x14x256xf32>
}
