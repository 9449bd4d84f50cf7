// RUN: cnnc-opt %s --cnnc-grow-concats | FileCheck %s
// RUN: cnnc-opt %s --cnnc-grow-concats --eliminate-empty-tensors --one-shot-bufferize=bufferize-function-boundaries --cse --canonicalize --cse | FileCheck %s --check-prefix=BUF
// RUN: cnnc-opt %s --eliminate-empty-tensors --one-shot-bufferize=bufferize-function-boundaries --cse --canonicalize --cse | FileCheck %s --check-prefix=COPIES

// A dense block of three layers: concat(x0, f1), concat(x0, f1, f2) and the
// block's output concat(x0, f1, f2, f3), each layer (a reduction, then the
// feature's producer) reading the concat before it. One tensor of the
// widest shape is built before x0's producer, each source goes in right
// after its producer (x0 after its last reader, the first layer), and the
// narrower concats are its leading slices.
// CHECK-LABEL: func.func @dense_block
// CHECK: %[[GROWN:.*]] = tensor.empty() : tensor<1x4x4x32xf32>
// CHECK: %[[X0:.*]] = linalg.generic
// CHECK: %[[T1:.*]] = linalg.generic {{.*}} ins(%[[X0]] : tensor<1x4x4x8xf32>)
// CHECK: %[[G0:.*]] = tensor.insert_slice %[[X0]] into %[[GROWN]][0, 0, 0, 0] [1, 4, 4, 8]
// CHECK: %[[F1:.*]] = linalg.generic {{.*}} ins(%[[T1]] : tensor<1x4x4x8xf32>)
// CHECK: %[[G1:.*]] = tensor.insert_slice %[[F1]] into %[[G0]][0, 0, 0, 8] [1, 4, 4, 8]
// CHECK: %[[C1:.*]] = tensor.extract_slice %[[G1]][0, 0, 0, 0] [1, 4, 4, 16] [1, 1, 1, 1] : tensor<1x4x4x32xf32> to tensor<1x4x4x16xf32>
// CHECK: %[[T2:.*]] = linalg.generic {{.*}} ins(%[[C1]] : tensor<1x4x4x16xf32>)
// CHECK: %[[F2:.*]] = linalg.generic {{.*}} ins(%[[T2]] : tensor<1x4x4x8xf32>)
// CHECK: %[[G2:.*]] = tensor.insert_slice %[[F2]] into %[[G1]][0, 0, 0, 16] [1, 4, 4, 8]
// CHECK: %[[C2:.*]] = tensor.extract_slice %[[G2]][0, 0, 0, 0] [1, 4, 4, 24] [1, 1, 1, 1]
// CHECK: %[[T3:.*]] = linalg.generic {{.*}} ins(%[[C2]] : tensor<1x4x4x24xf32>)
// CHECK: %[[F3:.*]] = linalg.generic {{.*}} ins(%[[T3]] : tensor<1x4x4x8xf32>)
// CHECK: %[[G3:.*]] = tensor.insert_slice %[[F3]] into %[[G2]][0, 0, 0, 24] [1, 4, 4, 8]
// CHECK-NOT: tensor.insert_slice
// CHECK: return %[[G3]]
// Bufferized, each source's producer writes into its slice of one buffer.
// BUF-LABEL: func.func @dense_block
// BUF: %[[ALLOC:.*]] = memref.alloc() {{.*}} : memref<1x4x4x32xf32>
// BUF-NOT: memref.alloc() {{.*}} : memref<1x4x4x{{16|24|32}}xf32>
// BUF-NOT: memref.copy
// BUF: return %[[ALLOC]]
// Without the pass, each concat copies every source but the newest (its
// producer writes in place) into a buffer of its own: 1 + 2 + 3 copies.
// COPIES-LABEL: func.func @dense_block
// COPIES-COUNT-6: memref.copy
// COPIES-NOT: memref.copy
// COPIES: return
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#reduce = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#out = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
func.func @dense_block(%image: tensor<1x4x4x8xf32>) -> tensor<1x4x4x32xf32> {
  %x0e = tensor.empty() : tensor<1x4x4x8xf32>
  %x0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%image : tensor<1x4x4x8xf32>) outs(%x0e : tensor<1x4x4x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = math.exp %in : f32
    linalg.yield %r : f32
  } -> tensor<1x4x4x8xf32>
  %t1e = tensor.empty() : tensor<1x4x4x8xf32>
  %t1 = linalg.generic {indexing_maps = [#reduce, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%x0 : tensor<1x4x4x8xf32>) outs(%t1e : tensor<1x4x4x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = arith.addf %in, %o : f32
    linalg.yield %r : f32
  } -> tensor<1x4x4x8xf32>
  %f1e = tensor.empty() : tensor<1x4x4x8xf32>
  %f1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%t1 : tensor<1x4x4x8xf32>) outs(%f1e : tensor<1x4x4x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = math.exp %in : f32
    linalg.yield %r : f32
  } -> tensor<1x4x4x8xf32>
  %e16 = tensor.empty() : tensor<1x4x4x16xf32>
  %a0 = tensor.insert_slice %x0 into %e16[0, 0, 0, 0] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x16xf32>
  %c1 = tensor.insert_slice %f1 into %a0[0, 0, 0, 8] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x16xf32>
  %t2e = tensor.empty() : tensor<1x4x4x8xf32>
  %t2 = linalg.generic {indexing_maps = [#reduce, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%c1 : tensor<1x4x4x16xf32>) outs(%t2e : tensor<1x4x4x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = arith.addf %in, %o : f32
    linalg.yield %r : f32
  } -> tensor<1x4x4x8xf32>
  %f2e = tensor.empty() : tensor<1x4x4x8xf32>
  %f2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%t2 : tensor<1x4x4x8xf32>) outs(%f2e : tensor<1x4x4x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = math.exp %in : f32
    linalg.yield %r : f32
  } -> tensor<1x4x4x8xf32>
  %e24 = tensor.empty() : tensor<1x4x4x24xf32>
  %b0 = tensor.insert_slice %x0 into %e24[0, 0, 0, 0] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x24xf32>
  %b1 = tensor.insert_slice %f1 into %b0[0, 0, 0, 8] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x24xf32>
  %c2 = tensor.insert_slice %f2 into %b1[0, 0, 0, 16] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x24xf32>
  %t3e = tensor.empty() : tensor<1x4x4x8xf32>
  %t3 = linalg.generic {indexing_maps = [#reduce, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%c2 : tensor<1x4x4x24xf32>) outs(%t3e : tensor<1x4x4x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = arith.addf %in, %o : f32
    linalg.yield %r : f32
  } -> tensor<1x4x4x8xf32>
  %f3e = tensor.empty() : tensor<1x4x4x8xf32>
  %f3 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%t3 : tensor<1x4x4x8xf32>) outs(%f3e : tensor<1x4x4x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = math.exp %in : f32
    linalg.yield %r : f32
  } -> tensor<1x4x4x8xf32>
  %e32 = tensor.empty() : tensor<1x4x4x32xf32>
  %d0 = tensor.insert_slice %x0 into %e32[0, 0, 0, 0] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x32xf32>
  %d1 = tensor.insert_slice %f1 into %d0[0, 0, 0, 8] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x32xf32>
  %d2 = tensor.insert_slice %f2 into %d1[0, 0, 0, 16] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x32xf32>
  %d3 = tensor.insert_slice %f3 into %d2[0, 0, 0, 24] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x32xf32>
  return %d3 : tensor<1x4x4x32xf32>
}

// The narrower concat is read again after f2 exists (as a training step's
// backward pass reads the forward's concats): as a view of the growing
// tensor it would be overwritten, so the run ends there and both concats
// stay as they are.
// CHECK-LABEL: func.func @concat_read_late
// CHECK: %[[C1:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, 8] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x16xf32>
// CHECK: %[[E24:.*]] = tensor.empty() : tensor<1x4x4x24xf32>
// CHECK: tensor.insert_slice %{{.*}} into %[[E24]][0, 0, 0, 0]
// CHECK-NOT: tensor.extract_slice
// CHECK: return %{{.*}}, %[[C1]]
func.func @concat_read_late(%x0: tensor<1x4x4x8xf32>, %f1: tensor<1x4x4x8xf32>) -> (tensor<1x4x4x24xf32>, tensor<1x4x4x16xf32>) {
  %e8 = tensor.empty() : tensor<1x4x4x8xf32>
  %e16 = tensor.empty() : tensor<1x4x4x16xf32>
  %a0 = tensor.insert_slice %x0 into %e16[0, 0, 0, 0] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x16xf32>
  %c1 = tensor.insert_slice %f1 into %a0[0, 0, 0, 8] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x16xf32>
  %f2 = linalg.generic {indexing_maps = [#reduce, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%c1 : tensor<1x4x4x16xf32>) outs(%e8 : tensor<1x4x4x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = arith.addf %in, %o : f32
    linalg.yield %r : f32
  } -> tensor<1x4x4x8xf32>
  %e24 = tensor.empty() : tensor<1x4x4x24xf32>
  %b0 = tensor.insert_slice %x0 into %e24[0, 0, 0, 0] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x24xf32>
  %b1 = tensor.insert_slice %f1 into %b0[0, 0, 0, 8] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x24xf32>
  %c2 = tensor.insert_slice %f2 into %b1[0, 0, 0, 16] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x24xf32>
  return %c2, %c1 : tensor<1x4x4x24xf32>, tensor<1x4x4x16xf32>
}

// Concats that share sources but not a prefix (ShuffleNet-like branches)
// are left alone.
// CHECK-LABEL: func.func @not_a_prefix
// CHECK-NOT: tensor.extract_slice
// CHECK: tensor.insert_slice %arg1 into %{{.*}}[0, 0, 0, 0]
// CHECK: return
func.func @not_a_prefix(%x: tensor<1x4x4x8xf32>, %y: tensor<1x4x4x8xf32>, %z: tensor<1x4x4x8xf32>) -> (tensor<1x4x4x16xf32>, tensor<1x4x4x24xf32>) {
  %e16 = tensor.empty() : tensor<1x4x4x16xf32>
  %a0 = tensor.insert_slice %x into %e16[0, 0, 0, 0] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x16xf32>
  %a1 = tensor.insert_slice %y into %a0[0, 0, 0, 8] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x16xf32>
  %e24 = tensor.empty() : tensor<1x4x4x24xf32>
  %b0 = tensor.insert_slice %y into %e24[0, 0, 0, 0] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x24xf32>
  %b1 = tensor.insert_slice %x into %b0[0, 0, 0, 8] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x24xf32>
  %b2 = tensor.insert_slice %z into %b1[0, 0, 0, 16] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x24xf32>
  return %a1, %b2 : tensor<1x4x4x16xf32>, tensor<1x4x4x24xf32>
}
