// RUN: cnnc-opt %s | cnnc-opt | FileCheck %s

// Round trip of every cnn op in its custom assembly form; both runs verify
// the ops, including their inferred result types.

// CHECK-LABEL: func @conv2d_bias(
// CHECK: %{{.*}} = cnn.conv2d %arg0, %arg1, %arg2 {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 3, 3, 3, 3>, stride = array<i64: 2, 2>} : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<1x64x112x112xf32>
func.func @conv2d_bias(%x: tensor<1x3x224x224xf32>, %w: tensor<64x3x7x7xf32>, %b: tensor<64xf32>) -> tensor<1x64x112x112xf32> {
  %y = cnn.conv2d %x, %w, %b {stride = array<i64: 2, 2>, padding = array<i64: 3, 3, 3, 3>,
         dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<1x64x112x112xf32>
  return %y : tensor<1x64x112x112xf32>
}

// CHECK-LABEL: func @conv2d_no_bias(
// CHECK: %{{.*}} = cnn.conv2d %arg0, %arg1 {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<2x3x32x32xf32>, tensor<16x3x3x3xf32>) -> tensor<2x16x32x32xf32>
func.func @conv2d_no_bias(%x: tensor<2x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) -> tensor<2x16x32x32xf32> {
  %y = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>,
         dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<2x3x32x32xf32>, tensor<16x3x3x3xf32>) -> tensor<2x16x32x32xf32>
  return %y : tensor<2x16x32x32xf32>
}

// CHECK-LABEL: func @conv2d_grouped(
// CHECK: %{{.*}} = cnn.conv2d %arg0, %arg1, %arg2 {dilation = array<i64: 1, 1>, groups = 4 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x8x16x16xf32>, tensor<12x2x3x3xf32>, tensor<12xf32>) -> tensor<1x12x16x16xf32>
func.func @conv2d_grouped(%x: tensor<1x8x16x16xf32>, %w: tensor<12x2x3x3xf32>, %b: tensor<12xf32>) -> tensor<1x12x16x16xf32> {
  %y = cnn.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>,
         dilation = array<i64: 1, 1>, groups = 4 : i64}
       : (tensor<1x8x16x16xf32>, tensor<12x2x3x3xf32>, tensor<12xf32>) -> tensor<1x12x16x16xf32>
  return %y : tensor<1x12x16x16xf32>
}

// CHECK-LABEL: func @conv2d_depthwise(
// CHECK: %{{.*}} = cnn.conv2d %arg0, %arg1 {dilation = array<i64: 1, 1>, groups = 32 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x32x56x56xf32>, tensor<32x1x3x3xf32>) -> tensor<1x32x28x28xf32>
func.func @conv2d_depthwise(%x: tensor<1x32x56x56xf32>, %w: tensor<32x1x3x3xf32>) -> tensor<1x32x28x28xf32> {
  %y = cnn.conv2d %x, %w {stride = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>,
         dilation = array<i64: 1, 1>, groups = 32 : i64}
       : (tensor<1x32x56x56xf32>, tensor<32x1x3x3xf32>) -> tensor<1x32x28x28xf32>
  return %y : tensor<1x32x28x28xf32>
}

// CHECK-LABEL: func @conv2d_depthwise_multiplier(
// CHECK: %{{.*}} = cnn.conv2d %arg0, %arg1 {dilation = array<i64: 1, 1>, groups = 16 : i64, padding = array<i64: 2, 2, 2, 2>, stride = array<i64: 1, 1>} : (tensor<1x16x10x10xf32>, tensor<32x1x5x5xf32>) -> tensor<1x32x10x10xf32>
func.func @conv2d_depthwise_multiplier(%x: tensor<1x16x10x10xf32>, %w: tensor<32x1x5x5xf32>) -> tensor<1x32x10x10xf32> {
  %y = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 2, 2, 2, 2>,
         dilation = array<i64: 1, 1>, groups = 16 : i64}
       : (tensor<1x16x10x10xf32>, tensor<32x1x5x5xf32>) -> tensor<1x32x10x10xf32>
  return %y : tensor<1x32x10x10xf32>
}

// CHECK-LABEL: func @conv2d_dilation(
// CHECK: %{{.*}} = cnn.conv2d %arg0, %arg1 {dilation = array<i64: 2, 3>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x16x32x32xf32>, tensor<8x16x3x3xf32>) -> tensor<1x8x28x26xf32>
func.func @conv2d_dilation(%x: tensor<1x16x32x32xf32>, %w: tensor<8x16x3x3xf32>) -> tensor<1x8x28x26xf32> {
  %y = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
         dilation = array<i64: 2, 3>, groups = 1 : i64}
       : (tensor<1x16x32x32xf32>, tensor<8x16x3x3xf32>) -> tensor<1x8x28x26xf32>
  return %y : tensor<1x8x28x26xf32>
}

// padding is [top, left, bottom, right]: H is padded to 13, W to 11.
// CHECK-LABEL: func @conv2d_asymmetric_padding(
// CHECK: %{{.*}} = cnn.conv2d %arg0, %arg1 {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 0, 2, 1>, stride = array<i64: 2, 2>} : (tensor<1x3x10x10xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x5xf32>
func.func @conv2d_asymmetric_padding(%x: tensor<1x3x10x10xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x5xf32> {
  %y = cnn.conv2d %x, %w {stride = array<i64: 2, 2>, padding = array<i64: 1, 0, 2, 1>,
         dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<1x3x10x10xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x5xf32>
  return %y : tensor<1x4x6x5xf32>
}

// CHECK-LABEL: func @conv2d_rectangular(
// CHECK: %{{.*}} = cnn.conv2d %arg0, %arg1 {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 3, 3>} : (tensor<1x4x9x20xf32>, tensor<6x4x1x7xf32>) -> tensor<1x6x3x5xf32>
func.func @conv2d_rectangular(%x: tensor<1x4x9x20xf32>, %w: tensor<6x4x1x7xf32>) -> tensor<1x6x3x5xf32> {
  %y = cnn.conv2d %x, %w {stride = array<i64: 3, 3>, padding = array<i64: 0, 0, 0, 0>,
         dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<1x4x9x20xf32>, tensor<6x4x1x7xf32>) -> tensor<1x6x3x5xf32>
  return %y : tensor<1x6x3x5xf32>
}

// CHECK-LABEL: func @dense_bias(
// CHECK: %{{.*}} = cnn.dense %arg0, %arg1, %arg2 : (tensor<1x512xf32>, tensor<10x512xf32>, tensor<10xf32>) -> tensor<1x10xf32>
func.func @dense_bias(%x: tensor<1x512xf32>, %w: tensor<10x512xf32>, %b: tensor<10xf32>) -> tensor<1x10xf32> {
  %y = cnn.dense %x, %w, %b : (tensor<1x512xf32>, tensor<10x512xf32>, tensor<10xf32>) -> tensor<1x10xf32>
  return %y : tensor<1x10xf32>
}

// CHECK-LABEL: func @dense_no_bias(
// CHECK: %{{.*}} = cnn.dense %arg0, %arg1 : (tensor<4x84xf32>, tensor<10x84xf32>) -> tensor<4x10xf32>
func.func @dense_no_bias(%x: tensor<4x84xf32>, %w: tensor<10x84xf32>) -> tensor<4x10xf32> {
  %y = cnn.dense %x, %w : (tensor<4x84xf32>, tensor<10x84xf32>) -> tensor<4x10xf32>
  return %y : tensor<4x10xf32>
}

// CHECK-LABEL: func @maxpool2d(
// CHECK: %{{.*}} = cnn.maxpool2d %arg0 {ceil_mode = false, kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : tensor<1x64x112x112xf32> -> tensor<1x64x56x56xf32>
func.func @maxpool2d(%x: tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32> {
  %y = cnn.maxpool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>,
         padding = array<i64: 1, 1, 1, 1>, ceil_mode = false}
       : tensor<1x64x112x112xf32> -> tensor<1x64x56x56xf32>
  return %y : tensor<1x64x56x56xf32>
}

// floor((112 - 3) / 2) + 1 = 55, but ceil mode rounds up to 56.
// CHECK-LABEL: func @maxpool2d_ceil_mode(
// CHECK: %{{.*}} = cnn.maxpool2d %arg0 {ceil_mode = true, kernel = array<i64: 3, 3>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : tensor<1x64x112x112xf32> -> tensor<1x64x56x56xf32>
func.func @maxpool2d_ceil_mode(%x: tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32> {
  %y = cnn.maxpool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>,
         padding = array<i64: 0, 0, 0, 0>, ceil_mode = true}
       : tensor<1x64x112x112xf32> -> tensor<1x64x56x56xf32>
  return %y : tensor<1x64x56x56xf32>
}

// Ceil mode would give 3, but the third window would start in the trailing
// padding, so it is dropped (as in PyTorch).
// CHECK-LABEL: func @maxpool2d_ceil_mode_drop_last(
// CHECK: %{{.*}} = cnn.maxpool2d %arg0 {ceil_mode = true, kernel = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 3, 3>} : tensor<1x2x5x5xf32> -> tensor<1x2x2x2xf32>
func.func @maxpool2d_ceil_mode_drop_last(%x: tensor<1x2x5x5xf32>) -> tensor<1x2x2x2xf32> {
  %y = cnn.maxpool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 3, 3>,
         padding = array<i64: 1, 1, 1, 1>, ceil_mode = true}
       : tensor<1x2x5x5xf32> -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// CHECK-LABEL: func @maxpool2d_asymmetric(
// CHECK: %{{.*}} = cnn.maxpool2d %arg0 {ceil_mode = false, kernel = array<i64: 2, 3>, padding = array<i64: 0, 1, 1, 0>, stride = array<i64: 2, 3>} : tensor<1x3x8x9xf32> -> tensor<1x3x4x3xf32>
func.func @maxpool2d_asymmetric(%x: tensor<1x3x8x9xf32>) -> tensor<1x3x4x3xf32> {
  %y = cnn.maxpool2d %x {kernel = array<i64: 2, 3>, stride = array<i64: 2, 3>,
         padding = array<i64: 0, 1, 1, 0>, ceil_mode = false}
       : tensor<1x3x8x9xf32> -> tensor<1x3x4x3xf32>
  return %y : tensor<1x3x4x3xf32>
}

// CHECK-LABEL: func @avgpool2d(
// CHECK: %{{.*}} = cnn.avgpool2d %arg0 {ceil_mode = false, count_include_pad = true, kernel = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : tensor<1x6x28x28xf32> -> tensor<1x6x14x14xf32>
func.func @avgpool2d(%x: tensor<1x6x28x28xf32>) -> tensor<1x6x14x14xf32> {
  %y = cnn.avgpool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>,
         padding = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = true}
       : tensor<1x6x28x28xf32> -> tensor<1x6x14x14xf32>
  return %y : tensor<1x6x14x14xf32>
}

// CHECK-LABEL: func @avgpool2d_ceil_mode(
// CHECK: %{{.*}} = cnn.avgpool2d %arg0 {ceil_mode = true, count_include_pad = false, kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : tensor<1x8x8x8xf32> -> tensor<1x8x5x5xf32>
func.func @avgpool2d_ceil_mode(%x: tensor<1x8x8x8xf32>) -> tensor<1x8x5x5xf32> {
  %y = cnn.avgpool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>,
         padding = array<i64: 1, 1, 1, 1>, ceil_mode = true, count_include_pad = false}
       : tensor<1x8x8x8xf32> -> tensor<1x8x5x5xf32>
  return %y : tensor<1x8x5x5xf32>
}

// CHECK-LABEL: func @avgpool2d_floor_mode(
// CHECK: %{{.*}} = cnn.avgpool2d %arg0 {ceil_mode = false, count_include_pad = true, kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : tensor<1x8x8x8xf32> -> tensor<1x8x4x4xf32>
func.func @avgpool2d_floor_mode(%x: tensor<1x8x8x8xf32>) -> tensor<1x8x4x4xf32> {
  %y = cnn.avgpool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>,
         padding = array<i64: 1, 1, 1, 1>, ceil_mode = false, count_include_pad = true}
       : tensor<1x8x8x8xf32> -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// CHECK-LABEL: func @global_avgpool2d(
// CHECK: %{{.*}} = cnn.global_avgpool2d %arg0 : tensor<1x512x7x7xf32> -> tensor<1x512x1x1xf32>
func.func @global_avgpool2d(%x: tensor<1x512x7x7xf32>) -> tensor<1x512x1x1xf32> {
  %y = cnn.global_avgpool2d %x : tensor<1x512x7x7xf32> -> tensor<1x512x1x1xf32>
  return %y : tensor<1x512x1x1xf32>
}

// CHECK-LABEL: func @batchnorm_4d(
// CHECK: %{{.*}} = cnn.batchnorm %arg0, %arg1, %arg2, %arg3, %arg4 {epsilon = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64} : (tensor<1x64x56x56xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<1x64x56x56xf32>
func.func @batchnorm_4d(%x: tensor<1x64x56x56xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>, %m: tensor<64xf32>, %v: tensor<64xf32>) -> tensor<1x64x56x56xf32> {
  %y = cnn.batchnorm %x, %g, %b, %m, %v {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64}
       : (tensor<1x64x56x56xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>)
       -> tensor<1x64x56x56xf32>
  return %y : tensor<1x64x56x56xf32>
}

// CHECK-LABEL: func @batchnorm_2d(
// CHECK: %{{.*}} = cnn.batchnorm %arg0, %arg1, %arg2, %arg3, %arg4 {epsilon = 1.000000e-03 : f64, momentum = 0.000000e+00 : f64} : (tensor<8x120xf32>, tensor<120xf32>, tensor<120xf32>, tensor<120xf32>, tensor<120xf32>) -> tensor<8x120xf32>
func.func @batchnorm_2d(%x: tensor<8x120xf32>, %g: tensor<120xf32>, %b: tensor<120xf32>, %m: tensor<120xf32>, %v: tensor<120xf32>) -> tensor<8x120xf32> {
  %y = cnn.batchnorm %x, %g, %b, %m, %v {epsilon = 1.0e-03 : f64, momentum = 0.0 : f64}
       : (tensor<8x120xf32>, tensor<120xf32>, tensor<120xf32>, tensor<120xf32>, tensor<120xf32>)
       -> tensor<8x120xf32>
  return %y : tensor<8x120xf32>
}

// CHECK-LABEL: func @relu(
// CHECK: %{{.*}} = cnn.relu %arg0 : tensor<1x64x56x56xf32>
func.func @relu(%x: tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32> {
  %y = cnn.relu %x : tensor<1x64x56x56xf32>
  return %y : tensor<1x64x56x56xf32>
}

// CHECK-LABEL: func @relu6(
// CHECK: %{{.*}} = cnn.relu6 %arg0 : tensor<1x32x112x112xf32>
func.func @relu6(%x: tensor<1x32x112x112xf32>) -> tensor<1x32x112x112xf32> {
  %y = cnn.relu6 %x : tensor<1x32x112x112xf32>
  return %y : tensor<1x32x112x112xf32>
}

// CHECK-LABEL: func @sigmoid(
// CHECK: %{{.*}} = cnn.sigmoid %arg0 : tensor<1x64x1x1xf32>
func.func @sigmoid(%x: tensor<1x64x1x1xf32>) -> tensor<1x64x1x1xf32> {
  %y = cnn.sigmoid %x : tensor<1x64x1x1xf32>
  return %y : tensor<1x64x1x1xf32>
}

// CHECK-LABEL: func @tanh(
// CHECK: %{{.*}} = cnn.tanh %arg0 : tensor<4x100xf32>
func.func @tanh(%x: tensor<4x100xf32>) -> tensor<4x100xf32> {
  %y = cnn.tanh %x : tensor<4x100xf32>
  return %y : tensor<4x100xf32>
}

// CHECK-LABEL: func @modern_activations(
// CHECK: cnn.silu %arg0 : tensor<4x100xf32>
// CHECK: cnn.hardswish %{{.*}} : tensor<4x100xf32>
// CHECK: cnn.hardsigmoid %{{.*}} : tensor<4x100xf32>
// CHECK: cnn.leaky_relu %{{.*}} {negative_slope = 2.000000e-01 : f64} : tensor<4x100xf32>
// CHECK: cnn.gelu %{{.*}} {approximate = "none"} : tensor<4x100xf32>
// CHECK: cnn.gelu %{{.*}} {approximate = "tanh"} : tensor<4x100xf32>
func.func @modern_activations(%x: tensor<4x100xf32>) -> tensor<4x100xf32> {
  %a = cnn.silu %x : tensor<4x100xf32>
  %b = cnn.hardswish %a : tensor<4x100xf32>
  %c = cnn.hardsigmoid %b : tensor<4x100xf32>
  %d = cnn.leaky_relu %c {negative_slope = 0.2 : f64} : tensor<4x100xf32>
  %e = cnn.gelu %d {approximate = "none"} : tensor<4x100xf32>
  %f = cnn.gelu %e {approximate = "tanh"} : tensor<4x100xf32>
  return %f : tensor<4x100xf32>
}

// CHECK-LABEL: func @add(
// CHECK: %{{.*}} = cnn.add %arg0, %arg1 : (tensor<1x64x56x56xf32>, tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
func.func @add(%a: tensor<1x64x56x56xf32>, %b: tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32> {
  %y = cnn.add %a, %b : (tensor<1x64x56x56xf32>, tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
  return %y : tensor<1x64x56x56xf32>
}

// CHECK-LABEL: func @add_broadcast_channels(
// CHECK: %{{.*}} = cnn.add %arg0, %arg1 : (tensor<1x64x7x7xf32>, tensor<1x64x1x1xf32>) -> tensor<1x64x7x7xf32>
func.func @add_broadcast_channels(%a: tensor<1x64x7x7xf32>, %b: tensor<1x64x1x1xf32>) -> tensor<1x64x7x7xf32> {
  %y = cnn.add %a, %b : (tensor<1x64x7x7xf32>, tensor<1x64x1x1xf32>) -> tensor<1x64x7x7xf32>
  return %y : tensor<1x64x7x7xf32>
}

// CHECK-LABEL: func @add_broadcast_rank(
// CHECK: %{{.*}} = cnn.add %arg0, %arg1 : (tensor<4x10xf32>, tensor<10xf32>) -> tensor<4x10xf32>
func.func @add_broadcast_rank(%a: tensor<4x10xf32>, %b: tensor<10xf32>) -> tensor<4x10xf32> {
  %y = cnn.add %a, %b : (tensor<4x10xf32>, tensor<10xf32>) -> tensor<4x10xf32>
  return %y : tensor<4x10xf32>
}

// CHECK-LABEL: func @mul_broadcast_channels(
// CHECK: %{{.*}} = cnn.mul %arg0, %arg1 : (tensor<1x64x1x1xf32>, tensor<1x64x7x7xf32>) -> tensor<1x64x7x7xf32>
func.func @mul_broadcast_channels(%a: tensor<1x64x1x1xf32>, %b: tensor<1x64x7x7xf32>) -> tensor<1x64x7x7xf32> {
  %y = cnn.mul %a, %b : (tensor<1x64x1x1xf32>, tensor<1x64x7x7xf32>) -> tensor<1x64x7x7xf32>
  return %y : tensor<1x64x7x7xf32>
}

// CHECK-LABEL: func @mul_broadcast_rank(
// CHECK: %{{.*}} = cnn.mul %arg0, %arg1 : (tensor<64x1x1xf32>, tensor<2x64x7x7xf32>) -> tensor<2x64x7x7xf32>
func.func @mul_broadcast_rank(%a: tensor<64x1x1xf32>, %b: tensor<2x64x7x7xf32>) -> tensor<2x64x7x7xf32> {
  %y = cnn.mul %a, %b : (tensor<64x1x1xf32>, tensor<2x64x7x7xf32>) -> tensor<2x64x7x7xf32>
  return %y : tensor<2x64x7x7xf32>
}

// Both operands are broadcast: [2, 1, 5] x [3, 1] -> [2, 3, 5].
// CHECK-LABEL: func @mul_broadcast_both(
// CHECK: %{{.*}} = cnn.mul %arg0, %arg1 : (tensor<2x1x5xf32>, tensor<3x1xf32>) -> tensor<2x3x5xf32>
func.func @mul_broadcast_both(%a: tensor<2x1x5xf32>, %b: tensor<3x1xf32>) -> tensor<2x3x5xf32> {
  %y = cnn.mul %a, %b : (tensor<2x1x5xf32>, tensor<3x1xf32>) -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}

// CHECK-LABEL: func @dropout(
// CHECK: %{{.*}} = cnn.dropout %arg0 {p = 5.000000e-01 : f64} : tensor<1x4096xf32>
func.func @dropout(%x: tensor<1x4096xf32>) -> tensor<1x4096xf32> {
  %y = cnn.dropout %x {p = 5.0e-01 : f64} : tensor<1x4096xf32>
  return %y : tensor<1x4096xf32>
}

// CHECK-LABEL: func @dropout_zero(
// CHECK: %{{.*}} = cnn.dropout %arg0 {p = 0.000000e+00 : f64} : tensor<1x16x8x8xf32>
func.func @dropout_zero(%x: tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32> {
  %y = cnn.dropout %x {p = 0.0 : f64} : tensor<1x16x8x8xf32>
  return %y : tensor<1x16x8x8xf32>
}

// CHECK-LABEL: func @concat3(
// CHECK: %{{.*}} = cnn.concat %arg0, %arg1, %arg2 {axis = 1 : i64} : (tensor<1x64x28x28xf32>, tensor<1x32x28x28xf32>, tensor<1x16x28x28xf32>) -> tensor<1x112x28x28xf32>
func.func @concat3(%a: tensor<1x64x28x28xf32>, %b: tensor<1x32x28x28xf32>, %c: tensor<1x16x28x28xf32>) -> tensor<1x112x28x28xf32> {
  %y = cnn.concat %a, %b, %c {axis = 1 : i64}
       : (tensor<1x64x28x28xf32>, tensor<1x32x28x28xf32>, tensor<1x16x28x28xf32>) -> tensor<1x112x28x28xf32>
  return %y : tensor<1x112x28x28xf32>
}

// CHECK-LABEL: func @concat_axis0(
// CHECK: %{{.*}} = cnn.concat %arg0, %arg1 {axis = 0 : i64} : (tensor<2x10xf32>, tensor<3x10xf32>) -> tensor<5x10xf32>
func.func @concat_axis0(%a: tensor<2x10xf32>, %b: tensor<3x10xf32>) -> tensor<5x10xf32> {
  %y = cnn.concat %a, %b {axis = 0 : i64} : (tensor<2x10xf32>, tensor<3x10xf32>) -> tensor<5x10xf32>
  return %y : tensor<5x10xf32>
}

// CHECK-LABEL: func @concat_single(
// CHECK: %{{.*}} = cnn.concat %arg0 {axis = 3 : i64} : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
func.func @concat_single(%a: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %y = cnn.concat %a {axis = 3 : i64} : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// CHECK-LABEL: func @flatten(
// CHECK: %{{.*}} = cnn.flatten %arg0 : tensor<1x512x7x7xf32> -> tensor<1x25088xf32>
func.func @flatten(%x: tensor<1x512x7x7xf32>) -> tensor<1x25088xf32> {
  %y = cnn.flatten %x : tensor<1x512x7x7xf32> -> tensor<1x25088xf32>
  return %y : tensor<1x25088xf32>
}

// CHECK-LABEL: func @flatten_2d(
// CHECK: %{{.*}} = cnn.flatten %arg0 : tensor<3x10xf32> -> tensor<3x10xf32>
func.func @flatten_2d(%x: tensor<3x10xf32>) -> tensor<3x10xf32> {
  %y = cnn.flatten %x : tensor<3x10xf32> -> tensor<3x10xf32>
  return %y : tensor<3x10xf32>
}

// CHECK-LABEL: func @softmax(
// CHECK: %{{.*}} = cnn.softmax %arg0 {axis = 1 : i64} : tensor<1x10xf32>
func.func @softmax(%x: tensor<1x10xf32>) -> tensor<1x10xf32> {
  %y = cnn.softmax %x {axis = 1 : i64} : tensor<1x10xf32>
  return %y : tensor<1x10xf32>
}

// CHECK-LABEL: func @softmax_axis0(
// CHECK: %{{.*}} = cnn.softmax %arg0 {axis = 0 : i64} : tensor<5x3x2xf32>
func.func @softmax_axis0(%x: tensor<5x3x2xf32>) -> tensor<5x3x2xf32> {
  %y = cnn.softmax %x {axis = 0 : i64} : tensor<5x3x2xf32>
  return %y : tensor<5x3x2xf32>
}

// CHECK-LABEL: func @channel_shuffle(
// CHECK: %{{.*}} = cnn.channel_shuffle %arg0 {groups = 2 : i64} : tensor<1x116x28x28xf32>
func.func @channel_shuffle(%x: tensor<1x116x28x28xf32>) -> tensor<1x116x28x28xf32> {
  %y = cnn.channel_shuffle %x {groups = 2 : i64} : tensor<1x116x28x28xf32>
  return %y : tensor<1x116x28x28xf32>
}

// CHECK-LABEL: func @slice(
// CHECK: %{{.*}} = cnn.slice %arg0 {axis = 1 : i64, end = 58 : i64, start = 0 : i64} : tensor<1x116x28x28xf32> -> tensor<1x58x28x28xf32>
func.func @slice(%x: tensor<1x116x28x28xf32>) -> tensor<1x58x28x28xf32> {
  %y = cnn.slice %x {axis = 1 : i64, start = 0 : i64, end = 58 : i64}
       : tensor<1x116x28x28xf32> -> tensor<1x58x28x28xf32>
  return %y : tensor<1x58x28x28xf32>
}

// CHECK-LABEL: func @slice_tail(
// CHECK: %{{.*}} = cnn.slice %arg0 {axis = 1 : i64, end = 10 : i64, start = 7 : i64} : tensor<2x10xf32> -> tensor<2x3xf32>
func.func @slice_tail(%x: tensor<2x10xf32>) -> tensor<2x3xf32> {
  %y = cnn.slice %x {axis = 1 : i64, start = 7 : i64, end = 10 : i64}
       : tensor<2x10xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// A small network: the ops chain through SSA values.
// CHECK-LABEL: func @chain(
// CHECK: %[[V0:.*]] = cnn.conv2d %arg0, %arg1 {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x32x32xf32>
// CHECK-NEXT: %[[V1:.*]] = cnn.relu %[[V0]] : tensor<1x8x32x32xf32>
// CHECK-NEXT: %[[V2:.*]] = cnn.maxpool2d %[[V1]] {ceil_mode = false, kernel = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : tensor<1x8x32x32xf32> -> tensor<1x8x16x16xf32>
// CHECK-NEXT: %[[V3:.*]] = cnn.flatten %[[V2]] : tensor<1x8x16x16xf32> -> tensor<1x2048xf32>
// CHECK-NEXT: %[[V4:.*]] = cnn.dense %[[V3]], %arg2 : (tensor<1x2048xf32>, tensor<10x2048xf32>) -> tensor<1x10xf32>
// CHECK-NEXT: %[[V5:.*]] = cnn.softmax %[[V4]] {axis = 1 : i64} : tensor<1x10xf32>
// CHECK-NEXT: return %[[V5]] : tensor<1x10xf32>
func.func @chain(%x: tensor<1x3x32x32xf32>, %w: tensor<8x3x3x3xf32>, %fw: tensor<10x2048xf32>) -> tensor<1x10xf32> {
  %c = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>,
         dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x32x32xf32>
  %r = cnn.relu %c : tensor<1x8x32x32xf32>
  %p = cnn.maxpool2d %r {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>,
         padding = array<i64: 0, 0, 0, 0>, ceil_mode = false}
       : tensor<1x8x32x32xf32> -> tensor<1x8x16x16xf32>
  %f = cnn.flatten %p : tensor<1x8x16x16xf32> -> tensor<1x2048xf32>
  %d = cnn.dense %f, %fw : (tensor<1x2048xf32>, tensor<10x2048xf32>) -> tensor<1x10xf32>
  %s = cnn.softmax %d {axis = 1 : i64} : tensor<1x10xf32>
  return %s : tensor<1x10xf32>
}

// The generic form parses too and is printed back in the custom form.
// CHECK-LABEL: func @generic_form(
// CHECK: %{{.*}} = cnn.maxpool2d %arg0 {ceil_mode = false, kernel = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : tensor<1x4x6x6xf32> -> tensor<1x4x3x3xf32>
// CHECK: %{{.*}} = cnn.dropout %{{.*}} {p = 1.000000e-01 : f64} : tensor<1x4x3x3xf32>
func.func @generic_form(%x: tensor<1x4x6x6xf32>) -> tensor<1x4x3x3xf32> {
  %p = "cnn.maxpool2d"(%x) <{kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>,
         padding = array<i64: 0, 0, 0, 0>, ceil_mode = false}>
       : (tensor<1x4x6x6xf32>) -> tensor<1x4x3x3xf32>
  %y = "cnn.dropout"(%p) {p = 1.0e-01 : f64} : (tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  return %y : tensor<1x4x3x3xf32>
}
