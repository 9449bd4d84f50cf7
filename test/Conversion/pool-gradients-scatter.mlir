// RUN: cnnc-opt %s --cnnc-convert-cnn-to-linalg=scatter-pool-gradients=true | FileCheck %s
// RUN: cnnc-opt %s --cnnc-convert-cnn-to-linalg | FileCheck %s --check-prefix=GATHER

// Overlapping max-pool windows on the CPU: the first maximum of each window
// (a flat index into the padded plane), then an scf.forall over the (n, c)
// planes, each adding its windows' gradients at their winners in order.
// CHECK-LABEL: func @maxpool_grad
// CHECK: arith.cmpf ogt
// CHECK: scf.forall (%[[N:.*]], %[[C:.*]]) in (1, 2) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<1x2x4x4xf32>)
// CHECK: %[[PLANE:.*]] = tensor.extract_slice %[[OUT]][%[[N]], %[[C]], 0, 0] [1, 1, 4, 4] [1, 1, 1, 1]
// CHECK: scf.for
// CHECK: scf.for
// CHECK: tensor.extract %{{.*}}[%[[N]], %[[C]], %{{.*}}, %{{.*}}] : tensor<1x2x2x2xindex>
// CHECK: arith.addf
// CHECK: tensor.insert
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice
// GATHER-LABEL: func @maxpool_grad
// GATHER-NOT: scf.forall
// GATHER: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
func.func @maxpool_grad(%gy: tensor<1x2x2x2xf32>, %x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %gx = cnn.maxpool2d_grad %gy, %x {ceil_mode = false, kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %gx : tensor<1x2x4x4xf32>
}
