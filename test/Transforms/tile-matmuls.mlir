// The application of matmul schedules (selected for an AVX-512 target; what
// each target gets is checked in select-cpu-schedules.mlir).
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-collapse-contraction-reductions --cnnc-select-cpu-schedules --cnnc-tile-matmuls | FileCheck %s

// A batch-1 dense layer (4096 -> 4096): a forall over 32 blocks of 128
// columns, K in steps of 16, one contraction on contiguous weight rows with
// the accumulator carried in registers.
// CHECK-LABEL: func.func @dense
// CHECK: scf.forall (%{{.*}}) in (32)
// CHECK: vector.transfer_read {{.*}} vector<1x128xf32>
// CHECK: scf.for {{.*}} step %c16 {{.*}} -> ({{.*}}vector<1x128xf32>)
// CHECK: vector.transfer_read %arg0{{.*}} vector<1x16xf32>
// CHECK: vector.transfer_read %arg1{{.*}} vector<16x128xf32>
// CHECK: vector.contract {{.*}} vector<1x16xf32>, vector<16x128xf32> into vector<1x128xf32>
// CHECK-NOT: linalg.matmul
func.func @dense(%x: tensor<1x4096xf32>, %w: tensor<4096x4096xf32>, %b: tensor<1x4096xf32>) -> tensor<1x4096xf32> {
  %y = linalg.matmul ins(%x, %w : tensor<1x4096xf32>, tensor<4096x4096xf32>) outs(%b : tensor<1x4096xf32>) -> tensor<1x4096xf32>
  return %y : tensor<1x4096xf32>
}

// -----

// Batch 8: 8 x 24 register blocks (120 has no divisor that is a multiple of 16).
// CHECK-LABEL: func.func @dense_batch8
// CHECK: scf.forall (%{{.*}}) in (5)
// CHECK: vector.contract {{.*}} vector<8x16xf32>, vector<16x24xf32> into vector<8x24xf32>
func.func @dense_batch8(%x: tensor<8x400xf32>, %w: tensor<400x120xf32>, %b: tensor<8x120xf32>) -> tensor<8x120xf32> {
  %y = linalg.matmul ins(%x, %w : tensor<8x400xf32>, tensor<400x120xf32>) outs(%b : tensor<8x120xf32>) -> tensor<8x120xf32>
  return %y : tensor<8x120xf32>
}

// -----

// A flatten folded into the dense layer by elementwise fusion: three
// reduction loops (C, H, W) that both operands store contiguously collapse
// into one K = 64 * 3 * 3 before tiling.
// CHECK-LABEL: func.func @flattened
// CHECK: tensor.collapse_shape %arg0 {{\[}}[0], [1, 2, 3]] : tensor<1x64x3x3xf32> into tensor<1x576xf32>
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: vector.contract {{.*}} vector<1x16xf32>, vector<16x128xf32> into vector<1x128xf32>
#x = affine_map<(m, n, c, h, w) -> (m, c, h, w)>
#w = affine_map<(m, n, c, h, w) -> (c, h, w, n)>
#y = affine_map<(m, n, c, h, w) -> (m, n)>
func.func @flattened(%x: tensor<1x64x3x3xf32>, %w: tensor<64x3x3x256xf32>, %b: tensor<1x256xf32>) -> tensor<1x256xf32> {
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

// Not matmul-like (an elementwise generic): left alone.
// CHECK-LABEL: func.func @elementwise
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @elementwise(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%y : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}
