// RUN: cnnc-opt %s --cnnc-pad-in-place | FileCheck %s
// RUN: cnnc-opt %s --cnnc-pad-in-place --eliminate-empty-tensors --canonicalize | FileCheck %s --check-prefix=INPLACE

// A relu feeding a 3x3 conv's zero padding. The pad becomes a fill of the
// padded tensor and an insert_slice of the relu into it.
// CHECK-LABEL: func.func @relu_then_pad
// CHECK-NOT: tensor.pad
// CHECK: %[[FILL:.*]] = linalg.fill {{.*}} -> tensor<1x6x6x8xf32>
// CHECK: tensor.insert_slice %{{.*}} into %[[FILL]][0, 1, 1, 0] [1, 4, 4, 8] [1, 1, 1, 1]
// With eliminate-empty-tensors, the relu writes into the interior of the
// padded tensor (its init is a slice of the fill), so bufferization
// needs no copy.
// INPLACE-LABEL: func.func @relu_then_pad
// INPLACE: %[[FILL:.*]] = linalg.fill {{.*}} -> tensor<1x6x6x8xf32>
// INPLACE: %[[INTERIOR:.*]] = tensor.extract_slice %[[FILL]][0, 1, 1, 0] [1, 4, 4, 8] [1, 1, 1, 1]
// INPLACE: %[[RELU:.*]] = linalg.generic {{.*}} outs(%[[INTERIOR]] : tensor<1x4x4x8xf32>)
// INPLACE: tensor.insert_slice %[[RELU]] into %[[FILL]][0, 1, 1, 0]
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
