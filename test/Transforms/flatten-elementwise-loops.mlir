// RUN: cnnc-opt %s -cnnc-flatten-elementwise-loops | FileCheck %s

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#scalar = affine_map<(d0, d1, d2, d3) -> (0)>
#tr = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3, d2)>

// An optimizer-style update of a 3x3 filter: identity-mapped buffers become
// one loop over collapse_shape views; the learning rate stays a read at 0.
// CHECK-DAG: #[[ID1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[AT0:.*]] = affine_map<(d0) -> (0)>
// CHECK-LABEL: func @filter_update(
// CHECK-DAG: %[[P:.*]] = memref.collapse_shape %arg0 {{\[\[}}0, 1, 2, 3]] : memref<8x4x3x3xf32> into memref<288xf32>
// CHECK-DAG: %[[G:.*]] = memref.collapse_shape %arg1 {{\[\[}}0, 1, 2, 3]] : memref<8x4x3x3xf32> into memref<288xf32>
// CHECK-DAG: %[[O:.*]] = memref.collapse_shape %arg3 {{\[\[}}0, 1, 2, 3]] : memref<8x4x3x3xf32> into memref<288xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID1]], #[[ID1]], #[[AT0]], #[[ID1]]], iterator_types = ["parallel"]} ins(%[[P]], %[[G]], %arg2 : memref<288xf32>, memref<288xf32>, memref<1xf32>) outs(%[[O]] : memref<288xf32>)
// CHECK: arith.mulf
// CHECK: arith.subf
func.func @filter_update(%p: memref<8x4x3x3xf32>, %g: memref<8x4x3x3xf32>, %lr: memref<1xf32>, %out: memref<8x4x3x3xf32>) {
  linalg.generic {indexing_maps = [#id, #id, #scalar, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%p, %g, %lr : memref<8x4x3x3xf32>, memref<8x4x3x3xf32>, memref<1xf32>) outs(%out : memref<8x4x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %r: f32, %o: f32):
    %m = arith.mulf %b, %r : f32
    %s = arith.subf %a, %m : f32
    linalg.yield %s : f32
  }
  return
}

// A piece of a parallel split (a row block of a contiguous buffer) is
// contiguous too.
// CHECK-LABEL: func @row_block(
// CHECK: memref.collapse_shape %{{.*}} {{\[\[}}0, 1, 2, 3]] : memref<2x4x3x3xf32, strided<[36, 9, 3, 1], offset: 72>> into memref<72xf32, strided<[1], offset: 72>>
// CHECK: iterator_types = ["parallel"]
func.func @row_block(%p: memref<8x4x3x3xf32>, %out: memref<8x4x3x3xf32>) {
  %a = memref.subview %p[2, 0, 0, 0] [2, 4, 3, 3] [1, 1, 1, 1] : memref<8x4x3x3xf32> to memref<2x4x3x3xf32, strided<[36, 9, 3, 1], offset: 72>>
  %b = memref.subview %out[2, 0, 0, 0] [2, 4, 3, 3] [1, 1, 1, 1] : memref<8x4x3x3xf32> to memref<2x4x3x3xf32, strided<[36, 9, 3, 1], offset: 72>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%a : memref<2x4x3x3xf32, strided<[36, 9, 3, 1], offset: 72>>) outs(%b : memref<2x4x3x3xf32, strided<[36, 9, 3, 1], offset: 72>>) {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  }
  return
}

// Not flattened: a transposed read, a window of a larger buffer (its rows
// are not contiguous), and a reduction.
// CHECK-LABEL: func @stays(
// CHECK-NOT: memref.collapse_shape
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "reduction"]
func.func @stays(%p: memref<8x4x3x3xf32>, %out: memref<8x4x3x3xf32>, %big: memref<8x4x5x5xf32>, %sum: memref<8x4x3xf32>) {
  linalg.generic {indexing_maps = [#tr, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%p : memref<8x4x3x3xf32>) outs(%out : memref<8x4x3x3xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  %w = memref.subview %big[0, 0, 1, 1] [8, 4, 3, 3] [1, 1, 1, 1] : memref<8x4x5x5xf32> to memref<8x4x3x3xf32, strided<[100, 25, 5, 1], offset: 6>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%w : memref<8x4x3x3xf32, strided<[100, 25, 5, 1], offset: 6>>) outs(%out : memref<8x4x3x3xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  linalg.generic {indexing_maps = [#id, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%p : memref<8x4x3x3xf32>) outs(%sum : memref<8x4x3xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %o : f32
    linalg.yield %s : f32
  }
  return
}

// A fill of a contiguous buffer is one loop over a collapse_shape view (a
// memset for LLVM); a fill of a window of a larger buffer stays as it is.
// CHECK-LABEL: func @fills(
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %arg0 {{\[\[}}0, 1, 2, 3]] : memref<8x4x3x3xf32> into memref<288xf32>
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[FLAT]] : memref<288xf32>)
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : memref<8x4x1x3xf32, strided<[36, 9, 3, 1], offset: 6>>)
func.func @fills(%a: memref<8x4x3x3xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%a : memref<8x4x3x3xf32>)
  %w = memref.subview %a[0, 0, 2, 0] [8, 4, 1, 3] [1, 1, 1, 1] : memref<8x4x3x3xf32> to memref<8x4x1x3xf32, strided<[36, 9, 3, 1], offset: 6>>
  linalg.fill ins(%zero : f32) outs(%w : memref<8x4x1x3xf32, strided<[36, 9, 3, 1], offset: 6>>)
  return
}
