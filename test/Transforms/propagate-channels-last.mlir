// RUN: cnnc-opt %s --split-input-file --cnnc-propagate-channels-last | FileCheck %s

// conv -> relu with two users (the next conv's NCHW -> NHWC input transpose
// and a residual add whose result the function returns). The relu now
// writes NHWC, iterating in that order; the transpose in front of the conv
// cancels, and the add reads the relu in NHWC. The add keeps its NCHW
// result: its only user (the function's result) needs NCHW.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[NHWC:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
// CHECK-LABEL: func.func @residual
// CHECK: %[[RELU:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]]]{{.*}} ins(%arg0 : tensor<1x4x4x8xf32>) outs(%{{.*}} : tensor<1x4x4x8xf32>)
// CHECK: arith.maximumf
// CHECK: %[[ADD:.*]] = linalg.generic {indexing_maps = [#[[NHWC]], #[[NHWC]], #[[ID]]]{{.*}} ins(%arg1, %[[RELU]] : tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) outs(%{{.*}} : tensor<1x8x4x4xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return %[[RELU]], %[[ADD]]
#nchw = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#nhwc = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
#tonhwc = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>


// add) -> add. Lowering leaves the relu writing NCHW and a transpose back
func.func @residual(%y: tensor<1x4x4x8xf32>, %y2: tensor<1x4x4x8xf32>) -> (tensor<1x4x4x8xf32>, tensor<1x8x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %relu = linalg.generic {indexing_maps = [#nhwc, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y : tensor<1x4x4x8xf32>) outs(%e : tensor<1x8x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x8x4x4xf32>
  %e2 = tensor.empty() : tensor<1x4x4x8xf32>
  %t = linalg.generic {indexing_maps = [#nchw, #tonhwc], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%relu : tensor<1x8x4x4xf32>) outs(%e2 : tensor<1x4x4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x4x4x8xf32>
  %add = linalg.generic {indexing_maps = [#nhwc, #nchw, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y2, %relu : tensor<1x4x4x8xf32>, tensor<1x8x4x4xf32>) outs(%e : tensor<1x8x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x8x4x4xf32>
  return %t, %add : tensor<1x4x4x8xf32>, tensor<1x8x4x4xf32>
}

// -----

// A relu read only by a flatten (a non-elementwise user that needs NCHW)
// keeps its NCHW result: nothing would absorb the transpose back. The
// generic is still interchanged to iterate in its result's order.
// CHECK-LABEL: func.func @flatten_user
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}]{{.*}} ins(%arg0 : tensor<1x4x4x8xf32>) outs(%{{.*}} : tensor<1x8x4x4xf32>)
// CHECK: tensor.collapse_shape
#nchw = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#nhwc = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
func.func @flatten_user(%y: tensor<1x4x4x8xf32>) -> tensor<1x128xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %relu = linalg.generic {indexing_maps = [#nhwc, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y : tensor<1x4x4x8xf32>) outs(%e : tensor<1x8x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x8x4x4xf32>
  %f = tensor.collapse_shape %relu [[0], [1, 2, 3]] : tensor<1x8x4x4xf32> into tensor<1x128xf32>
  return %f : tensor<1x128xf32>
}

// -----

// Interchange: a transpose written as an NCHW-order iteration with a
// permuted result map now iterates in the result's (NHWC) order.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d1, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @result_order
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]]
// CHECK-SAME: ins(%arg0 : tensor<1x8x4x4xf32>) outs(%{{.*}} : tensor<1x4x4x8xf32>)
#nchw = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#nhwc = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
func.func @result_order(%x: tensor<1x8x4x4xf32>) -> tensor<1x4x4x8xf32> {
  %e = tensor.empty() : tensor<1x4x4x8xf32>
  %t = linalg.generic {indexing_maps = [#nchw, #nhwc], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x8x4x4xf32>) outs(%e : tensor<1x4x4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x4x4x8xf32>
  return %t : tensor<1x4x4x8xf32>
}

// -----

// An SE block's squeeze: a global average pool's reduction, expanded to
// [N, C, 1, 1, H, W] by elementwise fusion's reshape propagation, reads the
// NCHW tensor through an expand_shape that only adds unit dims; the ReLU
// before it also feeds the excitation's multiply. The ReLU now writes NHWC;
// the multiply folds its transpose back, and the reduction reads the NHWC
// tensor in place (x[n, h, w, c] at loops (n, c, 1, 1, h, w)), with no
// transposed copy.
// CHECK-DAG: #[[POOLREAD:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d4, d5, d1)>
// CHECK-LABEL: func.func @squeeze
// CHECK: %[[RELU:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<2x8x8x16xf32>) outs(%{{.*}} : tensor<2x8x8x16xf32>)
// CHECK-NOT: tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2, 3], [4], [5]]
// CHECK: linalg.generic {indexing_maps = [#[[POOLREAD]], {{.*}} ins(%[[RELU]] : tensor<2x8x8x16xf32>) outs(%{{.*}} : tensor<2x16x1x1xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[RELU]], %arg1 : tensor<2x8x8x16xf32>, tensor<2x16x8x8xf32>)
#nhwc = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#in6 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
#out6 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
func.func @squeeze(%x: tensor<2x8x8x16xf32>, %y: tensor<2x16x8x8xf32>) -> (tensor<2x16x1x1xf32>, tensor<2x16x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x16x8x8xf32>
  %t = linalg.generic {indexing_maps = [#nhwc, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%x : tensor<2x8x8x16xf32>) outs(%e : tensor<2x16x8x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<2x16x8x8xf32>
  %ex = tensor.expand_shape %t [[0], [1, 2, 3], [4], [5]] output_shape [2, 16, 1, 1, 8, 8] : tensor<2x16x8x8xf32> into tensor<2x16x1x1x8x8xf32>
  %a = tensor.empty() : tensor<2x16x1x1xf32>
  %f = linalg.fill ins(%zero : f32) outs(%a : tensor<2x16x1x1xf32>) -> tensor<2x16x1x1xf32>
  %s = linalg.generic {indexing_maps = [#in6, #out6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
     ins(%ex : tensor<2x16x1x1x8x8xf32>) outs(%f : tensor<2x16x1x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<2x16x1x1xf32>
  %m2 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%t, %y : tensor<2x16x8x8xf32>, tensor<2x16x8x8xf32>) outs(%e : tensor<2x16x8x8xf32>) {
  ^bb0(%a0: f32, %b0: f32, %out: f32):
    %r = arith.mulf %a0, %b0 : f32
    linalg.yield %r : f32
  } -> tensor<2x16x8x8xf32>
  return %s, %m2 : tensor<2x16x1x1xf32>, tensor<2x16x8x8xf32>
}

// -----

// A ShuffleNet unit's channel shuffle of an NHWC concat (as lowered: reading
// the NHWC tensor at channel (c mod 2) * 4 + c floordiv 2 of the pixel) and
// the two channel slices that follow, one returned, one transposed back to
// NHWC for a conv. The shuffle now writes NHWC (a permutation inside each
// pixel), the slices are taken of it in NHWC, and the conv's input
// transpose cancels: the conv reads its slice in place.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[SHUF:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, (d3 mod 2) * 4 + d3 floordiv 2)>
// CHECK-LABEL: func.func @shuffle_then_split
// CHECK: %[[S:.*]] = linalg.generic {indexing_maps = [#[[SHUF]], #[[ID]]]{{.*}} ins(%arg0 : tensor<1x3x3x8xf32>) outs(%{{.*}} : tensor<1x3x3x8xf32>)
// CHECK: %[[LEFT:.*]] = tensor.extract_slice %[[S]][0, 0, 0, 0] [1, 3, 3, 4] [1, 1, 1, 1] : tensor<1x3x3x8xf32> to tensor<1x3x3x4xf32>
// CHECK: %[[LEFTNCHW:.*]] = linalg.generic {{.*}} ins(%[[LEFT]] : tensor<1x3x3x4xf32>) outs(%{{.*}} : tensor<1x4x3x3xf32>)
// CHECK: %[[RIGHT:.*]] = tensor.extract_slice %[[S]][0, 0, 0, 4] [1, 3, 3, 4] [1, 1, 1, 1] : tensor<1x3x3x8xf32> to tensor<1x3x3x4xf32>
// CHECK-NOT: linalg.generic
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[RIGHT]], %arg1 :
// CHECK: return %[[LEFTNCHW]]
#nchw = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#shuffle_nhwc = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, (d1 mod 2) * 4 + d1 floordiv 2)>
#tonhwc = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
func.func @shuffle_then_split(%cat: tensor<1x3x3x8xf32>, %w: tensor<1x1x4x4xf32>) -> (tensor<1x4x3x3xf32>, tensor<1x3x3x4xf32>) {
  %e = tensor.empty() : tensor<1x8x3x3xf32>
  %s = linalg.generic {indexing_maps = [#shuffle_nhwc, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%cat : tensor<1x3x3x8xf32>) outs(%e : tensor<1x8x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x8x3x3xf32>
  %left = tensor.extract_slice %s[0, 0, 0, 0] [1, 4, 3, 3] [1, 1, 1, 1] : tensor<1x8x3x3xf32> to tensor<1x4x3x3xf32>
  %right = tensor.extract_slice %s[0, 4, 0, 0] [1, 4, 3, 3] [1, 1, 1, 1] : tensor<1x8x3x3xf32> to tensor<1x4x3x3xf32>
  %e2 = tensor.empty() : tensor<1x3x3x4xf32>
  %t = linalg.generic {indexing_maps = [#nchw, #tonhwc], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%right : tensor<1x4x3x3xf32>) outs(%e2 : tensor<1x3x3x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x3x3x4xf32>
  %zero = arith.constant 0.0 : f32
  %acc = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%t, %w : tensor<1x3x3x4xf32>, tensor<1x1x4x4xf32>) outs(%acc : tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32>
  return %left, %y : tensor<1x4x3x3xf32>, tensor<1x3x3x4xf32>
}
