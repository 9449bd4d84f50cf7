// RUN: cnnc-opt %s --split-input-file --cnnc-parallelize-elementwise | FileCheck %s
// RUN: cnnc-opt %s --split-input-file --cnnc-parallelize-elementwise="chunks=2 min-elements=1" | FileCheck %s --check-prefix=SMALL

// The stem's epilogue (NHWC -> NCHW with relu, 64x112x112): a forall of 4
// pieces along the channels, each the same generic on a quarter.
// CHECK-LABEL: func.func @epilogue
// CHECK: scf.forall (%{{.*}}) in (4)
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x112x112x16xf32>) outs(%{{.*}} : tensor<1x16x112x112xf32>)
// CHECK: arith.maximumf
// CHECK: tensor.parallel_insert_slice
#nhwc = affine_map<(n, c, h, w) -> (n, h, w, c)>
#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @epilogue(%x: tensor<1x112x112x64xf32>) -> tensor<1x64x112x112xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x64x112x112xf32>
  %y = linalg.generic {indexing_maps = [#nhwc, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x112x112x64xf32>) outs(%e : tensor<1x64x112x112xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<1x64x112x112xf32>
  return %y : tensor<1x64x112x112xf32>
}

// -----

// Small ops (below min-elements) stay as they are; with min-elements=1 both
// the elementwise op and the row reduction are split along their (parallel)
// rows, the reduction's column loop staying whole inside each piece.
// CHECK-LABEL: func.func @small_and_reduction
// CHECK-NOT: scf.forall (
// SMALL-LABEL: func.func @small_and_reduction
// SMALL: scf.forall (%{{.*}}) in (2)
// SMALL: arith.addf
// SMALL: scf.forall (%{{.*}}) in (2)
// SMALL: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<4x8xf32>) outs(%{{.*}} : tensor<4xf32>)
// SMALL: arith.mulf
// SMALL: return
#id2 = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
func.func @small_and_reduction(%x: tensor<8x8xf32>, %acc: tensor<8xf32>) -> (tensor<8x8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8x8xf32>
  %y = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %in : f32
    linalg.yield %r : f32
  } -> tensor<8x8xf32>
  %s = linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x8xf32>) outs(%acc : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.mulf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  return %y, %s : tensor<8x8xf32>, tensor<8xf32>
}

// -----

// Global average pooling over NHWC, the last residual add + ReLU fused in
// (ResNet-50's tail): iterated (n, c, h, w) it would read 2048 floats apart
// in its innermost loop; it is interchanged to the input's memory order
// (n, h, w, c) and split over the channels.
// CHECK-LABEL: func.func @global_pool
// CHECK: scf.forall (%{{.*}}) in (4)
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "reduction", "reduction", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<1x7x7x512xf32>, tensor<1x7x7x512xf32>) outs(%{{.*}} : tensor<1x512xf32>)
// CHECK: arith.maximumf
#nhwc4 = affine_map<(n, c, h, w) -> (n, h, w, c)>
#nc = affine_map<(n, c, h, w) -> (n, c)>
func.func @global_pool(%x: tensor<1x7x7x2048xf32>, %r: tensor<1x7x7x2048xf32>, %acc: tensor<1x2048xf32>) -> tensor<1x2048xf32> {
  %zero = arith.constant 0.0 : f32
  %s = linalg.generic {indexing_maps = [#nhwc4, #nhwc4, #nc], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %r : tensor<1x7x7x2048xf32>, tensor<1x7x7x2048xf32>) outs(%acc : tensor<1x2048xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %sum = arith.addf %a, %b : f32
    %relu = arith.maximumf %sum, %zero : f32
    %acc2 = arith.addf %relu, %out : f32
    linalg.yield %acc2 : f32
  } -> tensor<1x2048xf32>
  return %s : tensor<1x2048xf32>
}

// -----

// A transpose copy whose result's innermost loop (n) reads its input a page
// or more apart (C*H*W = 64*10*10 floats): the loops are interchanged so that
// the input's innermost (w) runs innermost and n next to it, then split.
// A transpose with a short stride (the second) keeps the result's order.
// CHECK-DAG: #[[IN:map[0-9]*]] = affine_map<(d0, d1, d2, d3) -> (d2, d0, d1, d3)>
// CHECK-DAG: #[[OUT:map[0-9]*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3, d2)>
// CHECK-DAG: #[[SHORTIN:map[0-9]*]] = affine_map<(d0, d1, d2, d3) -> (d3, d0, d1, d2)>
// CHECK-DAG: #[[ID:map[0-9]*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @weight_grad_transpose
// CHECK: scf.forall
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]]
// CHECK-SAME: ins(%{{.*}} : tensor<32x16x10x10xf32>) outs(%{{.*}} : tensor<16x10x10x32xf32>)
// CHECK-LABEL: func.func @short_transpose
// CHECK: linalg.generic {indexing_maps = [#[[SHORTIN]], #[[ID]]]
// CHECK-SAME: ins(%{{.*}} : tensor<32x4x2x2xf32>)
#nchw_to_chwn = affine_map<(c, h, w, n) -> (n, c, h, w)>
#id4 = affine_map<(c, h, w, n) -> (c, h, w, n)>
func.func @weight_grad_transpose(%x: tensor<32x64x10x10xf32>) -> tensor<64x10x10x32xf32> {
  %e = tensor.empty() : tensor<64x10x10x32xf32>
  %t = linalg.generic {indexing_maps = [#nchw_to_chwn, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<32x64x10x10xf32>) outs(%e : tensor<64x10x10x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<64x10x10x32xf32>
  return %t : tensor<64x10x10x32xf32>
}
func.func @short_transpose(%x: tensor<32x4x2x2xf32>) -> tensor<4x2x2x32xf32> {
  %e = tensor.empty() : tensor<4x2x2x32xf32>
  %t = linalg.generic {indexing_maps = [#nchw_to_chwn, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<32x4x2x2xf32>) outs(%e : tensor<4x2x2x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x2x2x32xf32>
  return %t : tensor<4x2x2x32xf32>
}

// -----

// A conv's bias gradient, 6 sums over 256 x 28 x 28 elements each, the 6
// channels innermost: the W loop joins them as 28 x 6 parallel partial
// sums (an innermost loop of 168 independent elements), split over the
// batch into 4 pieces (a forall, each reading a quarter of the input), then
// the pieces' sum and the sum over W into the output.
// CHECK-LABEL: func.func @bias_grad
// CHECK: tensor.collapse_shape %arg0 {{\[}}[0], [1], [2, 3]] : tensor<256x28x28x6xf32> into tensor<256x28x168xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2], [3]] output_shape [4, 64, 28, 168]
// CHECK: %[[P:.*]] = scf.forall (%{{.*}}) in (4)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "reduction", "parallel"]} ins(%{{.*}} : tensor<1x64x28x168xf32>) outs(%{{.*}} : tensor<1x168xf32>)
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[P]] : tensor<4x168xf32>) outs(%{{.*}} : tensor<168xf32>)
// CHECK: %[[W:.*]] = tensor.expand_shape %[[Q]] {{\[}}[0, 1]] output_shape [28, 6]
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[W]] : tensor<28x6xf32>) outs(%{{.*}} : tensor<6xf32>)
#nhwc_red = affine_map<(n, c, h, w) -> (n, h, w, c)>
#c_out = affine_map<(n, c, h, w) -> (c)>
func.func @bias_grad(%g: tensor<256x28x28x6xf32>) -> tensor<6xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<6xf32>) -> tensor<6xf32>
  %s = linalg.generic {indexing_maps = [#nhwc_red, #c_out], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%g : tensor<256x28x28x6xf32>) outs(%acc : tensor<6xf32>) {
  ^bb0(%a: f32, %out: f32):
    %sum = arith.addf %a, %out : f32
    linalg.yield %sum : f32
  } -> tensor<6xf32>
  return %s : tensor<6xf32>
}

// -----

// An SE block's squeeze: a global pool whose reduction kept the unit dims
// of its [N, C, 1, 1] result (loops n, c, 1, 1, h, w) and reads NHWC. It is
// interchanged into its input's memory order with the unit loops outermost
// (1, 1, n, h, w, c: the channels innermost, contiguous) and split over
// the batch.
// CHECK-DAG: #[[READ:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d2, d3, d4, d5)>
// CHECK-DAG: #[[WRITE:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d2, d5, d0, d1)>
// CHECK-LABEL: func.func @squeeze_pool
// CHECK: scf.forall (%{{.*}}) in (4)
// CHECK: linalg.generic {indexing_maps = [#[[READ]], #[[WRITE]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
#read = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d4, d5, d1)>
#out6 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
func.func @squeeze_pool(%x: tensor<8x56x56x96xf32>) -> tensor<8x96x1x1xf32> {
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<8x96x1x1xf32>
  %f = linalg.fill ins(%zero : f32) outs(%a : tensor<8x96x1x1xf32>) -> tensor<8x96x1x1xf32>
  %s = linalg.generic {indexing_maps = [#read, #out6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
     ins(%x : tensor<8x56x56x96xf32>) outs(%f : tensor<8x96x1x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<8x96x1x1xf32>
  return %s : tensor<8x96x1x1xf32>
}

// -----

// The data gradient's flipped filter ([KH, KW, O, C] from OIHW, each
// training step): its taps are read backwards, which linalg's tiling cannot
// slice, so it is split by hand along the first loop read forwards that
// each operand indexes as a dimension of its own: the output channels O,
// four slices of 64 rows of the weight and of the result.
// CHECK-DAG: #[[FLIP:.*]] = affine_map<(d0, d1, d2, d3) -> (d2, d3, -d0 + 2, -d1 + 2)>
// CHECK-LABEL: func.func @flipped_filter
// CHECK: scf.forall (%[[I:.*]]) in (4)
// CHECK: %[[AT:.*]] = arith.muli %[[I]], %{{.*}} : index
// CHECK: %[[W:.*]] = tensor.extract_slice %arg0[%[[AT]], 0, 0, 0] [64, 128, 3, 3] [1, 1, 1, 1]
// CHECK: %[[OUT:.*]] = tensor.extract_slice %{{.*}}[0, 0, %[[AT]], 0] [3, 3, 64, 128] [1, 1, 1, 1]
// CHECK: %[[PIECE:.*]] = linalg.generic {indexing_maps = [#[[FLIP]], #{{.*}}], {{.*}} ins(%[[W]] : tensor<64x128x3x3xf32>) outs(%[[OUT]] : tensor<3x3x64x128xf32>)
// CHECK: tensor.parallel_insert_slice %[[PIECE]] into %{{.*}}[0, 0, %[[AT]], 0] [3, 3, 64, 128] [1, 1, 1, 1]
#flip = affine_map<(d0, d1, d2, d3) -> (d2, d3, -d0 + 2, -d1 + 2)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @flipped_filter(%w: tensor<256x128x3x3xf32>) -> tensor<3x3x256x128xf32> {
  %e = tensor.empty() : tensor<3x3x256x128xf32>
  %f = linalg.generic {indexing_maps = [#flip, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%w : tensor<256x128x3x3xf32>) outs(%e : tensor<3x3x256x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<3x3x256x128xf32>
  return %f : tensor<3x3x256x128xf32>
}

// -----

// A transposed conv's input read backwards along the one loop both operands
// index (a combined index, not a dimension of its own): it stays whole.
// CHECK-LABEL: func.func @backwards_everywhere
// CHECK-NOT: scf.forall
#rev = affine_map<(d0, d1) -> (-d0 - d1 + 255)>
#out2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @backwards_everywhere(%x: tensor<256xf32>) -> tensor<128x128xf32> {
  %e = tensor.empty() : tensor<128x128xf32>
  %f = linalg.generic {indexing_maps = [#rev, #out2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<256xf32>) outs(%e : tensor<128x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<128x128xf32>
  return %f : tensor<128x128xf32>
}

// -----

// A 3x3 weight gradient's [C, KH, KW, O] -> OIHW: the result's innermost
// loop reads the input 128 floats apart (a line per element, under a page).
// Each parallel piece is walked in blocks of 16 output channels (a line of
// the input's rows) by 2 input channels (18 floats: a line of the result's
// rows), the taps whole.
// CHECK-LABEL: func.func @weight_grad_to_oihw
// CHECK: scf.forall (%{{.*}}) in (4)
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C16:.*]] iter_args
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C2:.*]] iter_args
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<2x3x3x16xf32>) outs(%{{.*}} : tensor<16x2x3x3xf32>)
// CHECK-NOT: cnn.transpose_tiles
#cf = affine_map<(o, c, h, w) -> (c, h, w, o)>
#oihw = affine_map<(o, c, h, w) -> (o, c, h, w)>
func.func @weight_grad_to_oihw(%g: tensor<64x3x3x128xf32>) -> tensor<128x64x3x3xf32> {
  %e = tensor.empty() : tensor<128x64x3x3xf32>
  %t = linalg.generic {indexing_maps = [#cf, #oihw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%g : tensor<64x3x3x128xf32>) outs(%e : tensor<128x64x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<128x64x3x3xf32>
  return %t : tensor<128x64x3x3xf32>
}
