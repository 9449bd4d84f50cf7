// RUN: cnnc-opt %s --cnnc-convert-cnn-to-linalg=channels-last-pool-gradients=true | FileCheck %s
// RUN: cnnc-opt %s --cnnc-convert-cnn-to-linalg | FileCheck %s --check-prefix=NCHW

// Overlapping max-pool windows on the CPU, in NHWC: the input transposed and
// padded with -inf, one strided view per window tap, the first maximum of
// each window an elementwise op over the 9 views (a flat index into the
// padded plane), then every input sums, over the 2 x 2 windows that may
// cover it, the gradients of those it won (loops n, h, w, jh, jw, c: the
// channels innermost); the result transposed back to NCHW.
// CHECK-LABEL: func @maxpool_grad
// CHECK: %[[X:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<1x2x4x4xf32>) outs(%{{.*}} : tensor<1x4x4x2xf32>)
// CHECK: %[[P:.*]] = tensor.pad %[[X]] low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: tensor.extract_slice %[[P]][0, 0, 0, 0] [1, 2, 2, 2] [1, 2, 2, 1] : tensor<1x6x6x2xf32> to tensor<1x2x2x2xf32>
// CHECK: tensor.extract_slice %[[P]][0, 2, 2, 0] [1, 2, 2, 2] [1, 2, 2, 1] : tensor<1x6x6x2xf32> to tensor<1x2x2x2xf32>
// CHECK: %[[IDX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} {{.*}} outs(%{{.*}} : tensor<1x2x2x2xindex>)
// CHECK-COUNT-9: arith.cmpf ogt
// CHECK: %[[GY:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<1x2x2x2xf32>) outs(%{{.*}} : tensor<1x2x2x2xf32>)
// CHECK: %[[GX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]} {{.*}} outs(%{{.*}} : tensor<1x4x4x2xf32>)
// CHECK: tensor.extract %[[IDX]]
// CHECK: tensor.extract %[[GY]]
// CHECK: linalg.generic {{.*}} ins(%[[GX]] : tensor<1x4x4x2xf32>) outs(%{{.*}} : tensor<1x2x4x4xf32>)
// Without the option (the GPU): NCHW, the argmax a reduction over the window
// and the gather with each input's windows innermost.
// NCHW-LABEL: func @maxpool_grad
// NCHW-NOT: scf.forall
// NCHW: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} {{.*}} outs(%{{.*}}, %{{.*}} : tensor<1x2x2x2xf32>, tensor<1x2x2x2xindex>)
// NCHW: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} {{.*}} outs(%{{.*}} : tensor<1x2x4x4xf32>)
func.func @maxpool_grad(%gy: tensor<1x2x2x2xf32>, %x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %gx = cnn.maxpool2d_grad %gy, %x {ceil_mode = false, kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %gx : tensor<1x2x4x4xf32>
}
