// RUN: cnnc-opt %s --split-input-file --cnnc-convert-cnn-to-linalg | FileCheck %s

// Plain conv: NHWC input, HWCF filter, bias-initialized accumulator, back to NCHW.
// Layout changes are generics so that elementwise fusion can absorb them.
// CHECK-LABEL: func @conv
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<1x3x8x8xf32>) outs(%{{.*}} : tensor<1x8x8x3xf32>)
// CHECK: tensor.pad {{.*}} low[0, 1, 2, 0] high[0, 3, 4, 0]
// CHECK: linalg.generic {{.*}} ins(%arg1 : tensor<4x3x3x3xf32>) outs(%{{.*}} : tensor<3x3x3x4xf32>)
// CHECK: linalg.generic {{.*}} ins(%arg2 : tensor<4xf32>)
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<[2, 1]> : tensor<2xi64>}
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x5x10x4xf32>) outs(%{{.*}} : tensor<1x4x5x10xf32>)
func.func @conv(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x5x10xf32> {
  %y = cnn.conv2d %x, %w, %b {dilation = array<i64: 1, 2>, groups = 1 : i64, padding = array<i64: 1, 2, 3, 4>, stride = array<i64: 2, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x5x10xf32>
  return %y : tensor<1x4x5x10xf32>
}

// -----

// CHECK-LABEL: func @depthwise
// CHECK: linalg.fill
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc
func.func @depthwise(%x: tensor<1x8x6x6xf32>, %w: tensor<8x1x3x3xf32>) -> tensor<1x8x4x4xf32> {
  %y = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 8 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x6x6xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// -----

// CHECK-LABEL: func @grouped
// CHECK: tensor.expand_shape %arg0 {{.*}} into tensor<1x2x4x6x6xf32>
// CHECK: linalg.conv_2d_nhwgc_gfhwc
// CHECK: tensor.collapse_shape {{.*}} into tensor<1x6x4x4xf32>
func.func @grouped(%x: tensor<1x8x6x6xf32>, %w: tensor<6x4x3x3xf32>) -> tensor<1x6x4x4xf32> {
  %y = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 2 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x6x6xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x4x4xf32>
  return %y : tensor<1x6x4x4xf32>
}

// -----

// A dense layer is a 1x1 conv over its rows: [2, 64] as the image [1, 1, 2, 64],
// the transposed weight as the filter [1, 1, 64, 10], the result collapsed back.
// CHECK-LABEL: func @dense
// CHECK: %[[IMAGE:.*]] = tensor.expand_shape %arg0 {{\[}}[0, 1, 2], [3]] output_shape [1, 1, 2, 64]
// CHECK: %[[WT:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<10x64xf32>) outs(%{{.*}} : tensor<64x10xf32>)
// CHECK: %[[FILTER:.*]] = tensor.expand_shape %[[WT]] {{\[}}[0, 1, 2], [3]] output_shape [1, 1, 64, 10]
// CHECK: %[[Y:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[IMAGE]], %[[FILTER]] : tensor<1x1x2x64xf32>, tensor<1x1x64x10xf32>)
// CHECK: tensor.collapse_shape %[[Y]] {{\[}}[0, 1, 2], [3]] : tensor<1x1x2x10xf32> into tensor<2x10xf32>
// CHECK-NOT: linalg.matmul
func.func @dense(%x: tensor<2x64xf32>, %w: tensor<10x64xf32>, %b: tensor<10xf32>) -> tensor<2x10xf32> {
  %y = cnn.dense %x, %w, %b : (tensor<2x64xf32>, tensor<10x64xf32>, tensor<10xf32>) -> tensor<2x10xf32>
  return %y : tensor<2x10xf32>
}

// -----

// Pooling runs in NHWC between two transposes; ceil mode pads one extra
// row/column of -inf for the last window.
// CHECK-LABEL: func @maxpool
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<1x2x6x6xf32>) outs(%{{.*}} : tensor<1x6x6x2xf32>)
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: tensor.pad {{.*}} low[0, 1, 1, 0] high[0, 2, 2, 0]
// CHECK: linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%{{.*}}, %{{.*}} : tensor<1x9x9x2xf32>, tensor<3x3xf32>) outs(%{{.*}} : tensor<1x4x4x2xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x4x4x2xf32>) outs(%{{.*}} : tensor<1x2x4x4xf32>)
func.func @maxpool(%x: tensor<1x2x6x6xf32>) -> tensor<1x2x4x4xf32> {
  %y = cnn.maxpool2d %x {ceil_mode = true, kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : tensor<1x2x6x6xf32> -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// The divisor is computed per output position from the indices.
// CHECK-LABEL: func @avgpool
// CHECK: linalg.pooling_nhwc_sum
// CHECK: linalg.generic
// CHECK: linalg.index 2
// CHECK: arith.minsi
// CHECK: arith.maxsi
// CHECK: arith.divf
func.func @avgpool(%x: tensor<1x2x5x5xf32>) -> tensor<1x2x3x3xf32> {
  %y = cnn.avgpool2d %x {ceil_mode = false, count_include_pad = false, kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : tensor<1x2x5x5xf32> -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// -----

// CHECK-LABEL: func @global_avgpool
// CHECK: iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// CHECK: tensor.expand_shape {{.*}} into tensor<1x4x1x1xf32>
func.func @global_avgpool(%x: tensor<1x4x3x5xf32>) -> tensor<1x4x1x1xf32> {
  %y = cnn.global_avgpool2d %x : tensor<1x4x3x5xf32> -> tensor<1x4x1x1xf32>
  return %y : tensor<1x4x1x1xf32>
}

// -----

// CHECK-LABEL: func @batchnorm
// CHECK: linalg.generic
// CHECK: math.rsqrt
func.func @batchnorm(%x: tensor<1x4x2x2xf32>, %p: tensor<4xf32>) -> tensor<1x4x2x2xf32> {
  %y = cnn.batchnorm %x, %p, %p, %p, %p {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64} : (tensor<1x4x2x2xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x2x2xf32>
  return %y : tensor<1x4x2x2xf32>
}

// -----

// CHECK-LABEL: func @activations
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: math.exp
// CHECK: math.tanh
func.func @activations(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %a = cnn.relu %x : tensor<2x3xf32>
  %b = cnn.relu6 %a : tensor<2x3xf32>
  %c = cnn.sigmoid %b : tensor<2x3xf32>
  %d = cnn.tanh %c : tensor<2x3xf32>
  %e = cnn.dropout %d {p = 5.0e-01 : f64} : tensor<2x3xf32>
  return %e : tensor<2x3xf32>
}

// -----

// Size-1 dimensions broadcast through constant-0 indexing.
// CHECK: #[[BCAST:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
// CHECK-LABEL: func @broadcast_mul
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[BCAST]], #{{.*}}]
// CHECK: arith.mulf
func.func @broadcast_mul(%x: tensor<1x4x3x3xf32>, %s: tensor<1x4x1x1xf32>) -> tensor<1x4x3x3xf32> {
  %y = cnn.mul %x, %s : (tensor<1x4x3x3xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x3x3xf32>
  return %y : tensor<1x4x3x3xf32>
}

// -----

// A channel concat of 4-D tensors is assembled in NHWC between transposes.
// CHECK-DAG: #[[SHUFMAP:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, (d1 mod 2) * 3 + d1 floordiv 2, d2, d3)>
// CHECK-LABEL: func @data_movement
// CHECK: %[[A:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<1x2x3x3xf32>) outs(%{{.*}} : tensor<1x3x3x2xf32>)
// CHECK: %[[B:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<1x4x3x3xf32>) outs(%{{.*}} : tensor<1x3x3x4xf32>)
// CHECK: tensor.insert_slice %[[A]] into {{.*}}[0, 0, 0, 0] [1, 3, 3, 2]
// CHECK: %[[C:.*]] = tensor.insert_slice %[[B]] into {{.*}}[0, 0, 0, 2] [1, 3, 3, 4]
// CHECK: %[[NCHW:.*]] = linalg.generic {{.*}} ins(%[[C]] : tensor<1x3x3x6xf32>) outs(%{{.*}} : tensor<1x6x3x3xf32>)
// The channel shuffle (groups 2 of 3 channels): one generic whose output
// channel c reads input channel (c mod 2) * 3 + c floordiv 2.
// CHECK: %[[SHUF:.*]] = linalg.generic {indexing_maps = [#[[SHUFMAP]], #{{.*}}]{{.*}} ins(%[[NCHW]] : tensor<1x6x3x3xf32>) outs(%{{.*}} : tensor<1x6x3x3xf32>)
// CHECK: tensor.extract_slice %[[SHUF]][0, 1, 0, 0] [1, 3, 3, 3]
// CHECK: tensor.collapse_shape {{.*}} into tensor<1x27xf32>
func.func @data_movement(%a: tensor<1x2x3x3xf32>, %b: tensor<1x4x3x3xf32>) -> tensor<1x27xf32> {
  %c = cnn.concat %a, %b {axis = 1 : i64} : (tensor<1x2x3x3xf32>, tensor<1x4x3x3xf32>) -> tensor<1x6x3x3xf32>
  %s = cnn.channel_shuffle %c {groups = 2 : i64} : tensor<1x6x3x3xf32>
  %l = cnn.slice %s {axis = 1 : i64, start = 1 : i64, end = 4 : i64} : tensor<1x6x3x3xf32> -> tensor<1x3x3x3xf32>
  %f = cnn.flatten %l : tensor<1x3x3x3xf32> -> tensor<1x27xf32>
  return %f : tensor<1x27xf32>
}

// -----

// CHECK-LABEL: func @softmax
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: arith.divf
func.func @softmax(%x: tensor<2x10xf32>) -> tensor<2x10xf32> {
  %y = cnn.softmax %x {axis = 1 : i64} : tensor<2x10xf32>
  return %y : tensor<2x10xf32>
}

// -----

// Dense over the last axis of [N, H, W, F]: a 1x1 NHWC conv (reshape
// propagation would fold a collapse into matmul rows into an untiled
// contraction); other ranks collapse into the matmul's rows.
// CHECK-LABEL: func @dense_last_axis
// CHECK: tensor.expand_shape {{.*}} into tensor<1x1x8x4xf32>
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%arg0, %{{.*}} : tensor<2x3x3x8xf32>, tensor<1x1x8x4xf32>)
func.func @dense_last_axis(%x: tensor<2x3x3x8xf32>, %w: tensor<4x8xf32>) -> tensor<2x3x3x4xf32> {
  %y = cnn.dense %x, %w : (tensor<2x3x3x8xf32>, tensor<4x8xf32>) -> tensor<2x3x3x4xf32>
  return %y : tensor<2x3x3x4xf32>
}

// CHECK-LABEL: func @dense_rank3
// CHECK: tensor.collapse_shape %arg0 {{\[}}[0, 1], [2]] : tensor<2x3x8xf32> into tensor<6x8xf32>
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} tensor<1x1x6x8xf32>, tensor<1x1x8x4xf32>
// CHECK: tensor.expand_shape {{.*}} into tensor<2x3x4xf32>
func.func @dense_rank3(%x: tensor<2x3x8xf32>, %w: tensor<4x8xf32>) -> tensor<2x3x4xf32> {
  %y = cnn.dense %x, %w : (tensor<2x3x8xf32>, tensor<4x8xf32>) -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// conv_transpose2d is conv2d's input gradient (flipped convs, one per
// phase of the stride: the outputs at even rows and columns take the
// centre tap, the odd ones taps 0 and 2) plus the bias.
// CHECK-LABEL: func @conv_transpose
// CHECK: tensor.extract_slice %arg1[0, 0, 1, 1] [4, 2, 1, 1] [1, 1, 2, 2]
// CHECK: linalg.conv_2d_nhwc_hwcf
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, 0] [1, 2, 3, 3] [1, 1, 2, 2]
// CHECK: tensor.extract_slice %arg1[0, 0, 0, 0] [4, 2, 2, 2] [1, 1, 2, 2]
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 1, 1] [1, 2, 3, 3] [1, 1, 2, 2]
// CHECK: arith.addf
func.func @conv_transpose(%x: tensor<1x4x3x3xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<2xf32>) -> tensor<1x2x6x6xf32> {
  %y = cnn.conv_transpose2d %x, %w, %b {stride = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>,
         output_padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<1x4x3x3xf32>, tensor<4x2x3x3xf32>, tensor<2xf32>) -> tensor<1x2x6x6xf32>
  return %y : tensor<1x2x6x6xf32>
}

// -----

// Unequal adaptive windows: two contractions with constant averaging
// matrices (W first); equal windows are an average pool.
// CHECK-LABEL: func @adaptive_uneven
// CHECK: arith.constant dense<{{.*}}> : tensor<3x17xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK: } -> tensor<1x8x13x3xf32>
// CHECK: arith.constant dense<{{.*}}> : tensor<5x13xf32>
// CHECK: linalg.generic
// CHECK: } -> tensor<1x8x5x3xf32>
func.func @adaptive_uneven(%x: tensor<1x8x13x17xf32>) -> tensor<1x8x5x3xf32> {
  %y = cnn.adaptive_avgpool2d %x {output_size = array<i64: 5, 3>} : tensor<1x8x13x17xf32> -> tensor<1x8x5x3xf32>
  return %y : tensor<1x8x5x3xf32>
}

// CHECK-LABEL: func @adaptive_even
// CHECK: linalg.pooling_nhwc_sum {{.*}}strides = dense<2>
func.func @adaptive_even(%x: tensor<1x8x14x14xf32>) -> tensor<1x8x7x7xf32> {
  %y = cnn.adaptive_avgpool2d %x {output_size = array<i64: 7, 7>} : tensor<1x8x14x14xf32> -> tensor<1x8x7x7xf32>
  return %y : tensor<1x8x7x7xf32>
}

// -----

// Bilinear upsampling by 2: PyTorch's weights (0.25, 0.75) in the
// interpolation matrix; the identity axis of a 1-row map is skipped.
// CHECK-LABEL: func @upsample_bilinear
// CHECK: arith.constant dense<{{\[}}[1.000000e+00, 0.000000e+00], [7.500000e-01, 2.500000e-01], [2.500000e-01, 7.500000e-01], [0.000000e+00, 1.000000e+00]]> : tensor<4x2xf32>
// CHECK: linalg.generic
// CHECK-NOT: linalg.generic
func.func @upsample_bilinear(%x: tensor<1x3x5x2xf32>) -> tensor<1x3x5x4xf32> {
  %y = cnn.upsample %x {mode = "bilinear", align_corners = false, size = array<i64: 5, 4>,
         scale_factor = array<f64: 1.0, 2.0>} : tensor<1x3x5x2xf32> -> tensor<1x3x5x4xf32>
  return %y : tensor<1x3x5x4xf32>
}

// -----

// Layer norm over the last axis: sum and centred square sum per group
// (reductions over dim 3), then one elementwise pass.
// CHECK-LABEL: func @layer_norm
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK: math.rsqrt
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]
func.func @layer_norm(%x: tensor<2x3x3x8xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x3x3x8xf32> {
  %y = cnn.layer_norm %x, %w, %b {axes = array<i64: 3>, epsilon = 1.0e-06 : f64}
       : (tensor<2x3x3x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x3x3x8xf32>
  return %y : tensor<2x3x3x8xf32>
}

// -----

// CHECK-LABEL: func @permute
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<2x8x3x5xf32>) outs(%{{.*}} : tensor<2x3x5x8xf32>)
func.func @permute(%x: tensor<2x8x3x5xf32>) -> tensor<2x3x5x8xf32> {
  %y = cnn.permute %x {dims = array<i64: 0, 2, 3, 1>} : tensor<2x8x3x5xf32> -> tensor<2x3x5x8xf32>
  return %y : tensor<2x3x5x8xf32>
}
