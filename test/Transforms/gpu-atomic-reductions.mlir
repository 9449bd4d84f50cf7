// RUN: cnnc-opt %s -cnnc-gpu-atomic-reductions | FileCheck %s

// A bias gradient: 4 outputs, each the sum of 8x16x16 terms. Every dimension
// but the innermost reduction one becomes parallel; the innermost is summed in
// a register and added to the output atomically.
// CHECK-LABEL: func.func @bias_grad
// CHECK: scf.parallel (%[[N:.*]], %[[C:.*]], %[[H:.*]]) =
// CHECK: %[[S:.*]] = scf.for %[[W:.*]] = {{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (f32)
// CHECK: %[[X:.*]] = memref.load %{{.*}}[%[[N]], %[[C]], %[[H]], %[[W]]]
// CHECK: %[[NEXT:.*]] = arith.addf %[[ACC]], %[[X]]
// CHECK: scf.yield %[[NEXT]]
// CHECK: memref.atomic_rmw addf %[[S]], %{{.*}}[%[[C]]]
// CHECK-NOT: linalg.generic
func.func @bias_grad(%g: memref<8x4x16x16xf32>, %out: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>,
                                   affine_map<(n, c, h, w) -> (c)>],
                  iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%g : memref<8x4x16x16xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// A named matmul with few outputs is generalized first; the multiply stays
// in the loop body.
// CHECK-LABEL: func.func @narrow_matmul
// CHECK: scf.parallel
// CHECK: scf.for
// CHECK: arith.mulf
// CHECK: memref.atomic_rmw addf
func.func @narrow_matmul(%a: memref<2x1024xf32>, %b: memref<1024x3xf32>, %c: memref<2x3xf32>) {
  linalg.matmul ins(%a, %b : memref<2x1024xf32>, memref<1024x3xf32>) outs(%c : memref<2x3xf32>)
  return
}

// Many outputs (a forward convolution's shape): left alone.
// CHECK-LABEL: func.func @wide
// CHECK: linalg.matmul
// CHECK-NOT: atomic_rmw
func.func @wide(%a: memref<256x1024xf32>, %b: memref<1024x64xf32>, %c: memref<256x64xf32>) {
  linalg.matmul ins(%a, %b : memref<256x1024xf32>, memref<1024x64xf32>) outs(%c : memref<256x64xf32>)
  return
}

// A max reduction is not a sum: left alone.
// CHECK-LABEL: func.func @max
// CHECK: linalg.generic
// CHECK-NOT: atomic_rmw
func.func @max(%g: memref<8x4x64xf32>, %out: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, c, w) -> (n, c, w)>,
                                   affine_map<(n, c, w) -> (c)>],
                  iterator_types = ["reduction", "parallel", "reduction"]}
      ins(%g : memref<8x4x64xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.maximumf %x, %acc : f32
    linalg.yield %s : f32
  }
  return
}
