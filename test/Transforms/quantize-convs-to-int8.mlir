// RUN: cnnc-opt %s --split-input-file --cnnc-quantize-convs-to-int8 --canonicalize | FileCheck %s

// A padded conv whose input was calibrated to [0, 6.35]: the input is
// quantized (x * 127 / 6.35, round half to even, clamped to [0, 127]) before
// its pad (an i8 zero pad), the filter per output channel into quads
// [F/64, KH, KW, C/4, 64, 4] read back through a layout view, the conv
// accumulates in i32 from zero, and init + acc * s_x * s_w[f] replaces its
// f32 result.
// CHECK-LABEL: func.func @conv_padded
// CHECK-DAG: %[[INV:.*]] = arith.constant 2.000000e+01 : f32
// CHECK-DAG: %[[ZEROS:.*]] = arith.constant dense<0.000000e+00> : tensor<128xf32>
// CHECK: %[[X:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<1x8x8x64xf32>) outs({{.*}} : tensor<1x8x8x64xi8>)
// CHECK: arith.mulf %{{.*}}, %[[INV]]
// CHECK: math.roundeven
// CHECK: arith.fptosi %{{.*}} : f32 to i8
// CHECK: %[[P:.*]] = tensor.pad %[[X]] low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: tensor.yield %{{.*}} : i8
// CHECK: %[[ABSMAX:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction", "reduction", "parallel"]} ins(%arg1 : tensor<3x3x64x128xf32>) outs(%[[ZEROS]] : tensor<128xf32>)
// CHECK: math.absf
// CHECK: %[[WINV:.*]] = linalg.generic {{.*}} ins(%[[ABSMAX]] : tensor<128xf32>)
// CHECK: arith.divf
// CHECK: %[[DEQ:.*]] = linalg.generic {{.*}} ins(%[[ABSMAX]] : tensor<128xf32>)
// CHECK: %[[SPLIT:.*]] = tensor.expand_shape %arg1 {{\[}}[0], [1], [2, 3], [4, 5]] output_shape [3, 3, 16, 4, 2, 64]
// CHECK: %[[BLOCKED:.*]] = tensor.expand_shape %[[WINV]] {{\[}}[0, 1]] output_shape [2, 64]
// CHECK: %[[QUADS:.*]] = linalg.generic {{.*}} ins(%[[SPLIT]], %[[BLOCKED]] : tensor<3x3x16x4x2x64xf32>, tensor<2x64xf32>) outs({{.*}} : tensor<2x3x3x16x64x4xi8>)
// CHECK: %[[VIEW:.*]] = linalg.transpose ins(%[[QUADS]] : tensor<2x3x3x16x64x4xi8>) {{.*}} permutation = [1, 2, 3, 5, 0, 4] {cnn.layout_view}
// CHECK: %[[W:.*]] = tensor.collapse_shape %[[VIEW]] {{.*}} into tensor<3x3x64x128xi8>
// CHECK: %[[ACC0:.*]] = linalg.fill ins(%{{.*}} : i32) outs(%{{.*}} : tensor<1x8x8x128xi32>)
// CHECK: %[[ACC:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[P]], %[[W]] : tensor<1x10x10x64xi8>, tensor<3x3x64x128xi8>) outs(%[[ACC0]] : tensor<1x8x8x128xi32>)
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[ACC]], %[[DEQ]], %arg2 : tensor<1x8x8x128xi32>, tensor<128xf32>, tensor<1x8x8x128xf32>)
// CHECK: arith.sitofp
// CHECK: return %[[Y]]
module attributes {cnn.calibration = {conv = array<f32: 0.0, 6.35>}} {
func.func @conv_padded(%x: tensor<1x8x8x64xf32>, %w: tensor<3x3x64x128xf32>, %b: tensor<1x8x8x128xf32>) -> tensor<1x8x8x128xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x8x8x64xf32> to tensor<1x10x10x64xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%p, %w : tensor<1x10x10x64xf32>, tensor<3x3x64x128xf32>) outs(%b : tensor<1x8x8x128xf32>) -> tensor<1x8x8x128xf32> loc("conv")
  return %y : tensor<1x8x8x128xf32>
}
}

// -----

// An input calibrated to [-1.27, 2.54] (no ReLU before it): s_x = 3.81 / 127,
// zero point z = round(1.27 / s_x) = 42, which also pads; the dequantization
// subtracts z * sum w_q[.., f] (a per-channel i32 sum of the quantized weights).
// CHECK-LABEL: func.func @signed_input
// CHECK-DAG: %[[Z8:.*]] = arith.constant 42 : i8
// CHECK-DAG: %[[Z:.*]] = arith.constant 4.200000e+01 : f32
// CHECK-DAG: %[[Z32:.*]] = arith.constant 42 : i32
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<1x4x4x8xf32>) outs({{.*}} : tensor<1x4x4x8xi8>)
// CHECK: math.roundeven
// CHECK: arith.addf %{{.*}}, %[[Z]]
// CHECK: tensor.pad
// CHECK: tensor.yield %[[Z8]] : i8
// CHECK: %[[SUMS:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction", "reduction", "parallel"]} ins(%arg1, %{{.*}} : tensor<3x3x8x16xf32>, tensor<16xf32>) outs(%{{.*}} : tensor<16xi32>)
// CHECK: arith.muli %{{.*}}, %[[Z32]]
// CHECK: %[[ACC:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} -> tensor<1x4x4x16xi32>
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %{{.*}}, %arg2, %[[SUMS]] : tensor<1x4x4x16xi32>, tensor<16xf32>, tensor<1x4x4x16xf32>, tensor<16xi32>)
// CHECK: arith.subi
// CHECK: arith.sitofp
module attributes {cnn.calibration = {signed = array<f32: -1.27, 2.54>}} {
func.func @signed_input(%x: tensor<1x4x4x8xf32>, %w: tensor<3x3x8x16xf32>, %b: tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x4x4x8xf32> to tensor<1x6x6x8xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%p, %w : tensor<1x6x6x8xf32>, tensor<3x3x8x16xf32>) outs(%b : tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32> loc("signed")
  return %y : tensor<1x4x4x16xf32>
}
}

// -----

// Six input channels: the filter is padded with zero weights (hoisted with the
// rest of the filter's preparation) and the input with the zero point to two
// quads. A node without calibration stays f32.
// CHECK-LABEL: func.func @six_channels_and_uncalibrated
// CHECK: %[[X:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<1x4x4x6xf32>) outs({{.*}} : tensor<1x4x4x6xi8>)
// CHECK: %[[XP:.*]] = tensor.pad %[[X]] low[0, 0, 0, 0] high[0, 0, 0, 2]
// CHECK: %[[WP:.*]] = tensor.pad %arg3 low[0, 0, 0, 0] high[0, 0, 2, 0]
// CHECK: tensor.yield %{{.*}} : f32
// CHECK: } : tensor<1x1x6x16xf32> to tensor<1x1x8x16xf32>
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[XP]], %{{.*}} : tensor<1x4x4x8xi8>, tensor<1x1x8x16xi8>)
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%arg0, %arg2 : tensor<1x4x4x8xf32>, tensor<1x1x8x16xf32>) {{.*}} -> tensor<1x4x4x16xf32>
module attributes {cnn.calibration = {six = array<f32: 0.0, 2.0>}} {
func.func @six_channels_and_uncalibrated(%x: tensor<1x4x4x8xf32>, %x6: tensor<1x4x4x6xf32>, %w: tensor<1x1x8x16xf32>, %w6: tensor<1x1x6x16xf32>, %b: tensor<1x4x4x16xf32>) -> (tensor<1x4x4x16xf32>, tensor<1x4x4x16xf32>) {
  %y1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x6, %w6 : tensor<1x4x4x6xf32>, tensor<1x1x6x16xf32>) outs(%b : tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32> loc("six")
  %y2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x4x4x8xf32>, tensor<1x1x8x16xf32>) outs(%b : tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32> loc("uncalibrated")
  return %y1, %y2 : tensor<1x4x4x16xf32>, tensor<1x4x4x16xf32>
}
}

// -----

// A residual: %r is read by the conv, quantized, and by the add. The add
// reads the quantized copy, dequantized (s_x * q, s_x = 6.35 / 127 = 0.05),
// so that %r ends up read by its quantization alone.
// CHECK-LABEL: func.func @residual_read_quantized
// CHECK-DAG: %[[SCALE:.*]] = arith.constant 5.000000e-02 : f32
// CHECK: %[[R:.*]] = linalg.generic
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} ins(%[[R]] : tensor<1x8x8x64xf32>) outs({{.*}} : tensor<1x8x8x64xi8>)
// CHECK: %[[D:.*]] = linalg.generic {{.*}} ins(%[[Q]] : tensor<1x8x8x64xi8>) outs({{.*}} : tensor<1x8x8x64xf32>)
// CHECK: arith.sitofp
// CHECK: arith.mulf %{{.*}}, %[[SCALE]]
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[Q]],
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[D]] : tensor<1x8x8x64xf32>, tensor<1x8x8x64xf32>)
// CHECK: return %[[Y]]
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
module attributes {cnn.calibration = {conv = array<f32: 0.0, 6.35>}} {
func.func @residual_read_quantized(%x: tensor<1x8x8x64xf32>, %w: tensor<1x1x64x64xf32>, %b: tensor<1x8x8x64xf32>) -> tensor<1x8x8x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x8x64xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%x : tensor<1x8x8x64xf32>) outs(%e : tensor<1x8x8x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x8x8x64xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%r, %w : tensor<1x8x8x64xf32>, tensor<1x1x64x64xf32>) outs(%b : tensor<1x8x8x64xf32>) -> tensor<1x8x8x64xf32> loc("conv")
  %y = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%c, %r : tensor<1x8x8x64xf32>, tensor<1x8x8x64xf32>) outs(%e : tensor<1x8x8x64xf32>) {
  ^bb0(%a: f32, %s: f32, %out: f32):
    %sum = arith.addf %a, %s : f32
    linalg.yield %sum : f32
  } -> tensor<1x8x8x64xf32>
  return %y : tensor<1x8x8x64xf32>
}
}

// -----

// As lowering leaves it: the residual in NCHW, transposed to NHWC for the
// conv. The NCHW add reads the dequantized copy transposed back to NCHW.
// CHECK-LABEL: func.func @residual_read_quantized_nchw
// CHECK: %[[T:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<1x64x8x8xf32>) outs({{.*}} : tensor<1x8x8x64xf32>)
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} ins(%[[T]] : tensor<1x8x8x64xf32>) outs({{.*}} : tensor<1x8x8x64xi8>)
// CHECK: %[[D:.*]] = linalg.generic {{.*}} ins(%[[Q]] : tensor<1x8x8x64xi8>) outs({{.*}} : tensor<1x8x8x64xf32>)
// CHECK: %[[BACK:.*]] = linalg.generic {{.*}} ins(%[[D]] : tensor<1x8x8x64xf32>) outs({{.*}} : tensor<1x64x8x8xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[BACK]] : tensor<1x64x8x8xf32>, tensor<1x64x8x8xf32>)
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#to_nhwc = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
#from_nhwc = affine_map<(d0, d1, d2, d3) -> (d0, d3, d1, d2)>
module attributes {cnn.calibration = {conv = array<f32: 0.0, 6.35>}} {
func.func @residual_read_quantized_nchw(%x: tensor<1x64x8x8xf32>, %w: tensor<1x1x64x64xf32>, %b: tensor<1x8x8x64xf32>) -> tensor<1x64x8x8xf32> {
  %et = tensor.empty() : tensor<1x8x8x64xf32>
  %t = linalg.generic {indexing_maps = [#id, #to_nhwc], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%x : tensor<1x64x8x8xf32>) outs(%et : tensor<1x8x8x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x8x8x64xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%t, %w : tensor<1x8x8x64xf32>, tensor<1x1x64x64xf32>) outs(%b : tensor<1x8x8x64xf32>) -> tensor<1x8x8x64xf32> loc("conv")
  %e = tensor.empty() : tensor<1x64x8x8xf32>
  %cn = linalg.generic {indexing_maps = [#id, #from_nhwc], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%c : tensor<1x8x8x64xf32>) outs(%e : tensor<1x64x8x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x64x8x8xf32>
  %y = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%cn, %x : tensor<1x64x8x8xf32>, tensor<1x64x8x8xf32>) outs(%e : tensor<1x64x8x8xf32>) {
  ^bb0(%a: f32, %s: f32, %out: f32):
    %sum = arith.addf %a, %s : f32
    linalg.yield %sum : f32
  } -> tensor<1x64x8x8xf32>
  return %y : tensor<1x64x8x8xf32>
}
}
