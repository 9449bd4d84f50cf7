// RUN: cnnc-opt %s --split-input-file --cnnc-collapse-contraction-reductions | FileCheck %s

// A flatten folded into a dense layer: the reductions C, H, W collapse.
// CHECK-LABEL: func.func @flattened_dense
// CHECK: tensor.collapse_shape %arg0 {{\[}}[0], [1, 2, 3]] : tensor<1x64x3x3xf32> into tensor<1x576xf32>
// CHECK: tensor.collapse_shape %arg1 {{\[}}[0, 1, 2], [3]] : tensor<64x3x3x256xf32> into tensor<576x256xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
#x = affine_map<(m, n, c, h, w) -> (m, c, h, w)>
#w = affine_map<(m, n, c, h, w) -> (c, h, w, n)>
#y = affine_map<(m, n, c, h, w) -> (m, n)>
func.func @flattened_dense(%x: tensor<1x64x3x3xf32>, %w: tensor<64x3x3x256xf32>, %b: tensor<1x256xf32>) -> tensor<1x256xf32> {
  %y = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x64x3x3xf32>, tensor<64x3x3x256xf32>) outs(%b : tensor<1x256xf32>) {
  ^bb0(%a: f32, %bb: f32, %acc: f32):
    %p = arith.mulf %a, %bb : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x256xf32>
  return %y : tensor<1x256xf32>
}

// -----

// Dense's input gradient with the flatten's gradient folded in: the N loops
// C, H, W of the result [N, C, H, W] collapse, a [256, 120] x [120, 400]
// matmul again, expanded back to the 4-D result.
// CHECK-LABEL: func.func @dense_grad_input
// CHECK: tensor.collapse_shape %arg1 {{\[}}[0], [1, 2, 3]] : tensor<120x16x5x5xf32> into tensor<120x400xf32>
// CHECK: tensor.collapse_shape %arg2 {{\[}}[0], [1, 2, 3]] : tensor<256x16x5x5xf32> into tensor<256x400xf32>
// CHECK: %[[MM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%arg0, %{{.*}} : tensor<256x120xf32>, tensor<120x400xf32>)
// CHECK: tensor.expand_shape %[[MM]] {{\[}}[0], [1, 2, 3]] {{.*}} : tensor<256x400xf32> into tensor<256x16x5x5xf32>
#g = affine_map<(n, c, h, w, j) -> (n, j)>
#wt = affine_map<(n, c, h, w, j) -> (j, c, h, w)>
#o = affine_map<(n, c, h, w, j) -> (n, c, h, w)>
func.func @dense_grad_input(%gy: tensor<256x120xf32>, %w: tensor<120x16x5x5xf32>, %acc: tensor<256x16x5x5xf32>) -> tensor<256x16x5x5xf32> {
  %r = linalg.generic {indexing_maps = [#g, #wt, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%gy, %w : tensor<256x120xf32>, tensor<120x16x5x5xf32>) outs(%acc : tensor<256x16x5x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<256x16x5x5xf32>
  return %r : tensor<256x16x5x5xf32>
}

// -----

// A batched contraction (loop b used by both inputs) and a result indexed
// out of loop order are not matmuls of this form: left alone.
// CHECK-LABEL: func.func @batched
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]
#ba = affine_map<(b, m, n, k1, k2) -> (b, m, k1, k2)>
#bb = affine_map<(b, m, n, k1, k2) -> (b, k1, k2, n)>
#bo = affine_map<(b, m, n, k1, k2) -> (b, m, n)>
func.func @batched(%a: tensor<2x4x3x3xf32>, %b: tensor<2x3x3x5xf32>, %c: tensor<2x4x5xf32>) -> tensor<2x4x5xf32> {
  %r = linalg.generic {indexing_maps = [#ba, #bb, #bo], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%a, %b : tensor<2x4x3x3xf32>, tensor<2x3x3x5xf32>) outs(%c : tensor<2x4x5xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x4x5xf32>
  return %r : tensor<2x4x5xf32>
}

// -----

// Dense's weight gradient through a flatten of NHWC activations: dW[o, c,
// h, w] = sum_n g[n, o] x[n, h, w, c]. Computed with its N loops in x's
// order (h, w, c) into a zero-filled temporary, a [120, 256] x [256, 400]
// matmul once collapsed, then transposed into the [O, C, H, W] result.
// CHECK-LABEL: func.func @dense_grad_weight_nhwc
// CHECK: %[[TEMP:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<120x5x5x16xf32>)
// CHECK: tensor.collapse_shape %arg1 {{\[}}[0], [1, 2, 3]] : tensor<256x5x5x16xf32> into tensor<256x400xf32>
// CHECK: %[[MM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]{{.*}} outs(%{{.*}} : tensor<120x400xf32>)
// CHECK: %[[T:.*]] = tensor.expand_shape %[[MM]] {{\[}}[0], [1, 2, 3]] {{.*}} into tensor<120x5x5x16xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[T]] : tensor<120x5x5x16xf32>) outs(%{{.*}} : tensor<120x16x5x5xf32>)
#g = affine_map<(o, c, h, w, n) -> (n, o)>
#xn = affine_map<(o, c, h, w, n) -> (n, h, w, c)>
#dw = affine_map<(o, c, h, w, n) -> (o, c, h, w)>
func.func @dense_grad_weight_nhwc(%g: tensor<256x120xf32>, %x: tensor<256x5x5x16xf32>) -> tensor<120x16x5x5xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<120x16x5x5xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<120x16x5x5xf32>) -> tensor<120x16x5x5xf32>
  %dw = linalg.generic {indexing_maps = [#g, #xn, #dw], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%g, %x : tensor<256x120xf32>, tensor<256x5x5x16xf32>) outs(%init : tensor<120x16x5x5xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<120x16x5x5xf32>
  return %dw : tensor<120x16x5x5xf32>
}
