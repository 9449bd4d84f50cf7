// RUN: cnnc-opt %s --cnnc-pad-in-place | FileCheck %s
// RUN: cnnc-opt %s --cnnc-pad-in-place --eliminate-empty-tensors --canonicalize | FileCheck %s --check-prefix=INPLACE
// RUN: cnnc-opt %s --cnnc-pad-in-place=border-only=false | FileCheck %s --check-prefix=WHOLE
// RUN: cnnc-opt %s --cnnc-pad-in-place --eliminate-empty-tensors --one-shot-bufferize=bufferize-function-boundaries --cse --canonicalize --cse | FileCheck %s --check-prefix=BUF

// A relu feeding a 3x3 conv's zero padding. The pad becomes an empty
// padded tensor whose border only is filled, one slab per side (top and
// bottom rows in full, then the left and right columns of the interior
// rows), and an insert_slice of the relu into its interior. The border is
// built before the relu, so that the relu can be handed the interior.
// CHECK-LABEL: func.func @relu_then_pad
// CHECK-NOT: tensor.pad
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x6x6x8xf32>
// CHECK: %[[TOP:.*]] = tensor.extract_slice %[[E]][0, 0, 0, 0] [1, 1, 6, 8]
// CHECK: %[[FTOP:.*]] = linalg.fill {{.*}} outs(%[[TOP]] : tensor<1x1x6x8xf32>)
// CHECK: %[[P1:.*]] = tensor.insert_slice %[[FTOP]] into %[[E]][0, 0, 0, 0] [1, 1, 6, 8]
// CHECK: tensor.extract_slice %[[P1]][0, 5, 0, 0] [1, 1, 6, 8]
// CHECK: %[[P2:.*]] = tensor.insert_slice %{{.*}} into %[[P1]][0, 5, 0, 0] [1, 1, 6, 8]
// CHECK: tensor.extract_slice %[[P2]][0, 1, 0, 0] [1, 4, 1, 8]
// CHECK: %[[P3:.*]] = tensor.insert_slice %{{.*}} into %[[P2]][0, 1, 0, 0] [1, 4, 1, 8]
// CHECK: tensor.extract_slice %[[P3]][0, 1, 5, 0] [1, 4, 1, 8]
// CHECK: %[[P4:.*]] = tensor.insert_slice %{{.*}} into %[[P3]][0, 1, 5, 0] [1, 4, 1, 8]
// CHECK: %[[RELU:.*]] = linalg.generic
// CHECK: tensor.insert_slice %[[RELU]] into %[[P4]][0, 1, 1, 0] [1, 4, 4, 8] [1, 1, 1, 1]
// CHECK-NOT: linalg.fill
// With eliminate-empty-tensors, the relu writes into the interior of the
// padded tensor (its init is a slice of it), so bufferization needs no
// copy; after bufferization only the border is filled.
// INPLACE-LABEL: func.func @relu_then_pad
// INPLACE: %[[P4:.*]] = tensor.insert_slice %{{.*}}[0, 1, 5, 0] [1, 4, 1, 8]
// INPLACE: %[[INTERIOR:.*]] = tensor.extract_slice %[[P4]][0, 1, 1, 0] [1, 4, 4, 8] [1, 1, 1, 1]
// INPLACE: %[[RELU:.*]] = linalg.generic {{.*}} outs(%[[INTERIOR]] : tensor<1x4x4x8xf32>)
// INPLACE: tensor.insert_slice %[[RELU]] into %[[P4]][0, 1, 1, 0]
// BUF-LABEL: func.func @relu_then_pad
// BUF: %[[ALLOC:.*]] = memref.alloc() {{.*}} : memref<1x6x6x8xf32>
// BUF-COUNT-4: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : memref<1x{{1x6|4x1}}x8xf32
// BUF-NOT: memref.copy
// BUF-NOT: linalg.fill
// BUF: return %[[ALLOC]]
// With border-only=false (the GPU pipeline's choice: one fill kernel per
// pad) the whole padded tensor is filled, then the source inserted.
// WHOLE-LABEL: func.func @relu_then_pad
// WHOLE: %[[FILL:.*]] = linalg.fill {{.*}} -> tensor<1x6x6x8xf32>
// WHOLE: tensor.insert_slice %{{.*}} into %[[FILL]][0, 1, 1, 0] [1, 4, 4, 8] [1, 1, 1, 1]
func.func @relu_then_pad(%x: tensor<1x4x4x8xf32>) -> tensor<1x6x6x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x4x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x4x4x8xf32>) outs(%e : tensor<1x4x4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x4x4x8xf32>
  %p = tensor.pad %r low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x4x4x8xf32> to tensor<1x6x6x8xf32>
  return %p : tensor<1x6x6x8xf32>
}

// A max pool's padding: the fill takes the pad's value (-inf), and a side
// without padding gets no slab (here only the low sides are padded).
// CHECK-LABEL: func.func @neg_inf_low_only
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: tensor.empty() : tensor<1x5x5x8xf32>
// CHECK: linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<1x1x5x8xf32>)
// CHECK: linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<1x4x1x8xf32>)
// CHECK-NOT: linalg.fill
// CHECK: tensor.insert_slice %{{.*}}[0, 1, 1, 0] [1, 4, 4, 8] [1, 1, 1, 1]
func.func @neg_inf_low_only(%x: tensor<1x4x4x8xf32>) -> tensor<1x5x5x8xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 0, 0, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %ninf : f32
  } : tensor<1x4x4x8xf32> to tensor<1x5x5x8xf32>
  return %p : tensor<1x5x5x8xf32>
}

// A border of three quarters of the tensor or more (a 1x1 filter's gradient
// padded back to its 3x3 taps): one fill of the whole tensor, whose slabs
// would be runs of 3 floats every 9, then the source inserted.
// CHECK-LABEL: func.func @taps_around_center
// CHECK: %[[E:.*]] = tensor.empty() : tensor<8x4x3x3xf32>
// CHECK: %[[FILL:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<8x4x3x3xf32>)
// CHECK-NOT: linalg.fill
// CHECK: tensor.insert_slice %{{.*}} into %[[FILL]][0, 0, 1, 1] [8, 4, 1, 1] [1, 1, 1, 1]
func.func @taps_around_center(%g: tensor<8x4x1x1xf32>) -> tensor<8x4x3x3xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %g low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<8x4x1x1xf32> to tensor<8x4x3x3xf32>
  return %p : tensor<8x4x3x3xf32>
}
