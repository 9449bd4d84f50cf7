// RUN: cnnc-opt %s --split-input-file --cnnc-hoist-parameter-transforms | FileCheck %s

// The weight transpose depends on a parameter only: it moves to @prepare and
// @forward receives its result, read-only (sessions share it). The bias broadcast grows its input, and the
// input transpose depends on an input: both stay.
// CHECK-LABEL: func.func @prepare
// CHECK-SAME: (%[[W:[a-z0-9_]+]]: tensor<4x3xf32> {cnn.param = "fc.weight"}, %{{.*}}: tensor<4xf32> {cnn.param = "fc.bias"}) -> tensor<3x4xf32>
// CHECK-SAME: cnn.prepared_shapes = [array<i64: 3, 4>]
// CHECK: %[[T:[a-z0-9_]+]] = linalg.transpose ins(%[[W]] : tensor<4x3xf32>)
// CHECK: return %[[T]]
// CHECK-LABEL: func.func @forward
// CHECK-SAME: %[[P:[a-z0-9_]+]]: tensor<3x4xf32> {bufferization.writable = false, cnn.prepared = 0 : i64}
// CHECK-NOT: linalg.transpose ins(%arg1
// CHECK: linalg.generic
// CHECK: linalg.matmul ins(%arg0, %[[P]] : tensor<2x3xf32>, tensor<3x4xf32>)
#map = affine_map<(d0, d1) -> (d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @forward(%x: tensor<2x3xf32> {cnn.input = "x"}, %w: tensor<4x3xf32> {cnn.param = "fc.weight"},
                   %b: tensor<4xf32> {cnn.param = "fc.bias"}) -> tensor<2x4xf32> {
  %e = tensor.empty() : tensor<3x4xf32>
  %wt = linalg.transpose ins(%w : tensor<4x3xf32>) outs(%e : tensor<3x4xf32>) permutation = [1, 0]
  %e2 = tensor.empty() : tensor<2x4xf32>
  %acc = linalg.generic {indexing_maps = [#map, #id], iterator_types = ["parallel", "parallel"]}
      ins(%b : tensor<4xf32>) outs(%e2 : tensor<2x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %wt : tensor<2x3xf32>, tensor<3x4xf32>) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Pads of parameters (int8 filters padded to whole channel quads) move to
// @prepare while they grow their operand at most 4x: 3 -> 4 channels does,
// 1 -> 8 does not.
// CHECK-LABEL: func.func @prepare
// CHECK-SAME: -> tensor<1x1x4x8xf32>
// CHECK: tensor.pad %{{.*}} low[0, 0, 0, 0] high[0, 0, 1, 0]
// CHECK-LABEL: func.func @forward
// CHECK: tensor.pad %{{.*}} low[0, 0, 0, 0] high[0, 0, 7, 0]
func.func @forward(%x: tensor<1x2x2x4xf32> {cnn.input = "x"}, %w3: tensor<1x1x3x8xf32> {cnn.param = "w3"},
                   %w1: tensor<1x1x1x8xf32> {cnn.param = "w1"}) -> (tensor<1x1x4x8xf32>, tensor<1x1x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %p3 = tensor.pad %w3 low[0, 0, 0, 0] high[0, 0, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x1x3x8xf32> to tensor<1x1x4x8xf32>
  %p1 = tensor.pad %w1 low[0, 0, 0, 0] high[0, 0, 7, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x1x1x8xf32> to tensor<1x1x8x8xf32>
  return %p3, %p1 : tensor<1x1x4x8xf32>, tensor<1x1x8x8xf32>
}

// -----

// A batch-1 dense layer as two filter blocks (cnnc-block-conv-filters): the
// bias broadcast (no growth at batch 1) and the first block's slice of it
// are the convs' accumulators, so they stay in @forward with the chain
// (prepared, they would be copied on every call, and the first block would
// differ from the second); the filter transpose and its blocks move.
// CHECK-LABEL: func.func @prepare
// CHECK-SAME: -> (tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return
// CHECK-LABEL: func.func @forward
// CHECK: %[[ACC:[a-z0-9_]+]] = linalg.generic
// CHECK: %[[S0:[a-z0-9_]+]] = tensor.extract_slice %[[ACC]][0, 0, 0, 0] [1, 1, 1, 4]
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} outs(%[[S0]] :
// CHECK: tensor.insert_slice %{{.*}} into %[[ACC]]
#bias = affine_map<(d0, d1, d2, d3) -> (d3)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @forward(%x: tensor<1x1x1x8xf32> {cnn.input = "x"}, %w: tensor<8x8xf32> {cnn.param = "fc.weight"},
                   %b: tensor<8xf32> {cnn.param = "fc.bias"}) -> tensor<1x1x1x8xf32> {
  %e = tensor.empty() : tensor<8x8xf32>
  %wt = linalg.transpose ins(%w : tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) permutation = [1, 0]
  %w4 = tensor.expand_shape %wt [[0, 1, 2], [3]] output_shape [1, 1, 8, 8] : tensor<8x8xf32> into tensor<1x1x8x8xf32>
  %w0 = tensor.extract_slice %w4[0, 0, 0, 0] [1, 1, 8, 4] [1, 1, 1, 1] : tensor<1x1x8x8xf32> to tensor<1x1x8x4xf32>
  %w1 = tensor.extract_slice %w4[0, 0, 0, 4] [1, 1, 8, 4] [1, 1, 1, 1] : tensor<1x1x8x8xf32> to tensor<1x1x8x4xf32>
  %e2 = tensor.empty() : tensor<1x1x1x8xf32>
  %acc = linalg.generic {indexing_maps = [#bias, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : tensor<8xf32>) outs(%e2 : tensor<1x1x1x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x1x1x8xf32>
  %a0 = tensor.extract_slice %acc[0, 0, 0, 0] [1, 1, 1, 4] [1, 1, 1, 1] : tensor<1x1x1x8xf32> to tensor<1x1x1x4xf32>
  %c0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w0 : tensor<1x1x1x8xf32>, tensor<1x1x8x4xf32>) outs(%a0 : tensor<1x1x1x4xf32>) -> tensor<1x1x1x4xf32>
  %r0 = tensor.insert_slice %c0 into %acc[0, 0, 0, 0] [1, 1, 1, 4] [1, 1, 1, 1] : tensor<1x1x1x4xf32> into tensor<1x1x1x8xf32>
  %a1 = tensor.extract_slice %r0[0, 0, 0, 4] [1, 1, 1, 4] [1, 1, 1, 1] : tensor<1x1x1x8xf32> to tensor<1x1x1x4xf32>
  %c1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w1 : tensor<1x1x1x8xf32>, tensor<1x1x8x4xf32>) outs(%a1 : tensor<1x1x1x4xf32>) -> tensor<1x1x1x4xf32>
  %r1 = tensor.insert_slice %c1 into %r0[0, 0, 0, 4] [1, 1, 1, 4] [1, 1, 1, 1] : tensor<1x1x1x4xf32> into tensor<1x1x1x8xf32>
  return %r1 : tensor<1x1x1x8xf32>
}

// -----

// A transform marked `cnn.prepared_transform` (a Winograd filter's, 4 x 4
// points from a 1 x 3 filter here) moves to @prepare although it grows
// its operand; the same broadcast unmarked stays.
// CHECK-LABEL: func.func @prepare
// CHECK-SAME: -> tensor<4x4xf32>
// CHECK: linalg.generic {{.*}} attrs =  {cnn.prepared_transform}
// CHECK-LABEL: func.func @forward
// CHECK-SAME: %[[P:[a-z0-9_]+]]: tensor<4x4xf32> {bufferization.writable = false, cnn.prepared = 0 : i64}
// CHECK: %[[B:.*]] = linalg.generic
// CHECK-NOT: cnn.prepared_transform
// CHECK: return %[[P]], %[[B]]
#col = affine_map<(d0, d1) -> (d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @forward(%w: tensor<4xf32> {cnn.param = "w"}) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %e = tensor.empty() : tensor<4x4xf32>
  %u = linalg.generic {indexing_maps = [#col, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<4xf32>) outs(%e : tensor<4x4xf32>) attrs = {cnn.prepared_transform} {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x4xf32>
  %b = linalg.generic {indexing_maps = [#col, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x4xf32>
  return %u, %b : tensor<4x4xf32>, tensor<4x4xf32>
}
