// RUN: cnnc-opt %s --split-input-file --cnnc-convert-cnn-to-linalg | FileCheck %s

// groups = 1: both gradients are NHWC convolutions (stride and dilation
// swapped for dL/dW). A strided dL/dx goes phase by phase: the inputs at
// one residue of the stride (rows and columns 0, 2, 4, 6 first) receive the
// taps of that residue (0 and 2), a stride-1 conv each, inserted with the
// stride; 3x3 at stride 2 makes phases of 2x2, 2x1, 1x2 and 1x1 taps.
// CHECK-LABEL: func @conv_grads
// CHECK: tensor.extract_slice %arg1[0, 0, 0, 0] [4, 3, 2, 2] [1, 1, 2, 2]
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} {{.*}} -> tensor<2x4x4x3xf32>
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, 0] [2, 3, 4, 4] [1, 1, 2, 2]
// CHECK: tensor.extract_slice %arg1[0, 0, 0, 1] [4, 3, 2, 1] [1, 1, 2, 2]
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, 1] [2, 3, 4, 3] [1, 1, 2, 2]
// CHECK: tensor.extract_slice %arg1[0, 0, 1, 0] [4, 3, 1, 2] [1, 1, 2, 2]
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 1, 0] [2, 3, 3, 4] [1, 1, 2, 2]
// CHECK: tensor.extract_slice %arg1[0, 0, 1, 1] [4, 3, 1, 1] [1, 1, 2, 2]
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 1, 1] [2, 3, 3, 3] [1, 1, 2, 2]
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
func.func @conv_grads(%gy: tensor<2x4x3x3xf32>, %w: tensor<4x3x3x3xf32>, %x: tensor<2x3x7x7xf32>) -> (tensor<2x3x7x7xf32>, tensor<4x3x3x3xf32>) {
  %gx = cnn.conv2d_grad_input %gy, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<2x4x3x3xf32>, tensor<4x3x3x3xf32>) -> tensor<2x3x7x7xf32>
  %gw = cnn.conv2d_grad_weight %gy, %x {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<2x4x3x3xf32>, tensor<2x3x7x7xf32>) -> tensor<4x3x3x3xf32>
  return %gx, %gw : tensor<2x3x7x7xf32>, tensor<4x3x3x3xf32>
}

// -----

// Stride 1: dL/dy is transposed to NHWC first and padded there, row by row
// and column by column (kernel - 1 - padding on each side), so that the transpose cancels against an NHWC
// producer's; the result is transposed back to NCHW.
// CHECK-LABEL: func @conv_grad_input_padded_in_nhwc
// CHECK: %[[T:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<2x4x5x5xf32>) outs(%{{.*}} : tensor<2x5x5x4xf32>)
// CHECK: %[[P:.*]] = tensor.pad %[[T]] low[0, 1, 0, 0] high[0, 1, 0, 0]
// CHECK: tensor.pad %[[P]] low[0, 0, 1, 0] high[0, 0, 1, 0]
// CHECK: tensor<2x7x5x4xf32> to tensor<2x7x7x4xf32>
// CHECK: %[[Y:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} -> tensor<2x5x5x3xf32>
// CHECK: linalg.generic {{.*}} ins(%[[Y]] : tensor<2x5x5x3xf32>) outs(%{{.*}} : tensor<2x3x5x5xf32>)
func.func @conv_grad_input_padded_in_nhwc(%gy: tensor<2x4x5x5xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<2x3x5x5xf32> {
  %gx = cnn.conv2d_grad_input %gy, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<2x4x5x5xf32>, tensor<4x3x3x3xf32>) -> tensor<2x3x5x5xf32>
  return %gx : tensor<2x3x5x5xf32>
}

// -----

// Fewer output channels (2) than the narrowest vector, over a batch that
// fills vectors (8): per output channel a depthwise conv whose lanes run
// along the batch (x as [C, Hp, Wp, N], dL/dy[:, o] as [OH, OW, N], stride
// and dilation swapped), summed over the batch into that channel's filters.
// CHECK-LABEL: func @conv_grad_weight_few_channels
// CHECK: %[[X:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<8x3x7x7xf32>) outs(%{{.*}} : tensor<3x7x7x8xf32>)
// CHECK: %[[GY:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<8x2x5x5xf32>) outs(%{{.*}} : tensor<2x5x5x8xf32>)
// CHECK: %[[F0:.*]] = tensor.extract_slice %[[GY]][0, 0, 0, 0] [1, 5, 5, 8] [1, 1, 1, 1] : tensor<2x5x5x8xf32> to tensor<5x5x8xf32>
// CHECK: %[[D0:.*]] = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[X]], %[[F0]] : tensor<3x7x7x8xf32>, tensor<5x5x8xf32>) outs(%{{.*}} : tensor<3x3x3x8xf32>)
// CHECK: %[[S0:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[D0]] : tensor<3x3x3x8xf32>) outs(%{{.*}} : tensor<3x3x3xf32>)
// CHECK: tensor.insert_slice %[[S0]] into %{{.*}}[0, 0, 0, 0] [1, 3, 3, 3] [1, 1, 1, 1]
// CHECK: tensor.extract_slice %[[GY]][1, 0, 0, 0] [1, 5, 5, 8] [1, 1, 1, 1]
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[1, 0, 0, 0] [1, 3, 3, 3] [1, 1, 1, 1]
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
func.func @conv_grad_weight_few_channels(%gy: tensor<8x2x5x5xf32>, %x: tensor<8x3x7x7xf32>) -> tensor<2x3x3x3xf32> {
  %gw = cnn.conv2d_grad_weight %gy, %x {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<8x2x5x5xf32>, tensor<8x3x7x7xf32>) -> tensor<2x3x3x3xf32>
  return %gw : tensor<2x3x3x3xf32>
}

// -----

// Grouped: gather-form generics (no scatter, no atomics).
// CHECK-LABEL: func @grouped_conv_grads
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
func.func @grouped_conv_grads(%gy: tensor<2x4x5x5xf32>, %w: tensor<4x2x3x3xf32>, %x: tensor<2x4x7x7xf32>) -> (tensor<2x4x7x7xf32>, tensor<4x2x3x3xf32>) {
  %gx = cnn.conv2d_grad_input %gy, %w {dilation = array<i64: 1, 1>, groups = 2 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<2x4x5x5xf32>, tensor<4x2x3x3xf32>) -> tensor<2x4x7x7xf32>
  %gw = cnn.conv2d_grad_weight %gy, %x {dilation = array<i64: 1, 1>, groups = 2 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<2x4x5x5xf32>, tensor<2x4x7x7xf32>) -> tensor<4x2x3x3xf32>
  return %gx, %gw : tensor<2x4x7x7xf32>, tensor<4x2x3x3xf32>
}

// -----

// Max pooling: first the argmax of each window, then each input gathers the
// windows it won (overlapping, padded windows).
// CHECK-LABEL: func @maxpool_grad
// CHECK: arith.cmpf ogt
// CHECK: tensor.extract
// CHECK: arith.select
func.func @maxpool_grad(%gy: tensor<1x2x2x2xf32>, %x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %gx = cnn.maxpool2d_grad %gy, %x {ceil_mode = false, kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %gx : tensor<1x2x4x4xf32>
}

// -----

// Windows that tile the input: one elementwise generic, no gather, in NHWC
// (the channels the inner loop of both; loops n, oh, ow, c, kh, kw for the
// argmax), transposed back to NCHW.
// CHECK-LABEL: func @maxpool_grad_tiling
// CHECK: %[[X:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<1x2x4x4xf32>) outs(%{{.*}} : tensor<1x4x4x2xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%[[X]], %{{.*}} : tensor<1x4x4x2xf32>, tensor<2x2xf32>) outs(%{{.*}}, %{{.*}} : tensor<1x2x2x2xf32>, tensor<1x2x2x2xindex>)
// CHECK: arith.cmpf ogt
// CHECK-NOT: tensor.extract
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<1x2x2x2xf32>, tensor<1x2x2x2xindex>) outs(%{{.*}} : tensor<1x4x4x2xf32>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x4x4xf32>)
func.func @maxpool_grad_tiling(%gy: tensor<1x2x2x2xf32>, %x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %gx = cnn.maxpool2d_grad %gy, %x {ceil_mode = false, kernel = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %gx : tensor<1x2x4x4xf32>
}

// -----

// CHECK-LABEL: func @loss_and_sgd
// CHECK: math.log
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<5xf32>, tensor<5xf32>)
func.func @loss_and_sgd(%x: tensor<2x5xf32>, %l: tensor<2xi64>, %p: tensor<5xf32>, %b: tensor<5xf32>, %lr: tensor<1xf32>) -> (tensor<1xf32>, tensor<5xf32>) {
  %loss, %g = cnn.softmax_cross_entropy %x, %l : (tensor<2x5xf32>, tensor<2xi64>) -> (tensor<1xf32>, tensor<2x5xf32>)
  %gr = cnn.reduce_to %g : tensor<2x5xf32> -> tensor<5xf32>
  %p2, %b2 = cnn.sgd_update %p, %gr, %b, %lr {momentum = 9.0e-01 : f64, nesterov = true, weight_decay = 1.0e-02 : f64} : (tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<1xf32>) -> (tensor<5xf32>, tensor<5xf32>)
  return %loss, %p2 : tensor<1xf32>, tensor<5xf32>
}

// -----

// Adam: one element computing {lr / (1 - beta1^t), sqrt(1 - beta2^t), lr} in
// f64 from the step count, then the elementwise update of p, m and v.
// CHECK-LABEL: func @adam
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1xf32>, tensor<1xi64>) outs(%{{.*}} : tensor<3xf32>)
// CHECK: arith.addi
// CHECK: arith.sitofp {{.*}} : i64 to f64
// CHECK: math.powf
// CHECK: math.powf
// CHECK: math.sqrt {{.*}} : f64
// CHECK: arith.truncf
// CHECK: linalg.generic {{.*}} outs(%{{.*}}, %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>)
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: math.sqrt {{.*}} : f32
// CHECK: arith.divf
func.func @adam(%p: tensor<2x3xf32>, %g: tensor<2x3xf32>, %m: tensor<2x3xf32>, %v: tensor<2x3xf32>, %lr: tensor<1xf32>, %t: tensor<1xi64>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %p2, %m2, %v2 = cnn.adam_update %p, %g, %m, %v, %lr, %t {beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, weight_decay = 0.01 : f64, decoupled = true} : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<1xf32>, tensor<1xi64>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>)
  return %p2, %m2, %v2 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// clip_grad_norm: the squares of both gradients summed into one element, the
// scale min(max_norm / (sqrt(sum) + 1e-6), 1), each gradient times it.
// CHECK-LABEL: func @clip
// CHECK: %[[ZERO:.*]] = linalg.fill {{.*}} -> tensor<1xf32>
// CHECK: %[[S1:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]} ins(%{{.*}} : tensor<2x3xf32>) outs(%[[ZERO]] : tensor<1xf32>)
// CHECK: %[[S2:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%{{.*}} : tensor<3xf32>) outs(%[[S1]] : tensor<1xf32>)
// CHECK: %[[SCALE:.*]] = linalg.generic {{.*}} ins(%[[S2]] : tensor<1xf32>)
// CHECK: math.sqrt
// CHECK: arith.minimumf
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[SCALE]] : tensor<2x3xf32>, tensor<1xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[SCALE]] : tensor<3xf32>, tensor<1xf32>)
func.func @clip(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> (tensor<2x3xf32>, tensor<3xf32>) {
  %a2, %b2 = cnn.clip_grad_norm %a, %b {max_norm = 1.0 : f64} : (tensor<2x3xf32>, tensor<3xf32>) -> (tensor<2x3xf32>, tensor<3xf32>)
  return %a2, %b2 : tensor<2x3xf32>, tensor<3xf32>
}

// -----

// slice: dL/dy zero-padded back to the input's extent along the axis.
// softmax: one reduction of dL/dy * y, then y * (dL/dy - sum).
// CHECK-LABEL: func @slice_and_softmax_grads
// CHECK: tensor.pad %{{.*}} low[0, 0, 1, 0] high[0, 0, 2, 0]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "parallel"]
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK: arith.subf
// CHECK: arith.mulf
func.func @slice_and_softmax_grads(%g: tensor<1x2x3x4xf32>, %y: tensor<1x2x6x4xf32>) -> tensor<1x2x6x4xf32> {
  %a = cnn.slice_grad %g {axis = 2 : i64, start = 1 : i64} : tensor<1x2x3x4xf32> -> tensor<1x2x6x4xf32>
  %b = cnn.softmax_grad %a, %y {axis = 2 : i64} : tensor<1x2x6x4xf32>
  return %b : tensor<1x2x6x4xf32>
}

// -----

// dropout_train: the mask is a hash of the two rng words (read through
// constant maps, inside the generic), the salt and the row-major linear
// index built from linalg.index; p = 0.25 keeps h >= 2^30 (unsigned).
// CHECK-DAG: #[[WORD0:.*]] = affine_map<(d0, d1) -> (0)>
// CHECK-DAG: #[[WORD1:.*]] = affine_map<(d0, d1) -> (1)>
// CHECK-LABEL: func @dropout_train
// CHECK: linalg.generic {{.*}}#[[WORD0]], #[[WORD1]]
// CHECK-SAME: ins(%{{.*}}, %[[RNG:.*]], %[[RNG]] : tensor<3x5xf32>, tensor<2xi64>, tensor<2xi64>)
// CHECK-DAG: arith.constant 1073741824 : i32
// CHECK-DAG: arith.constant 1234 : i32
// CHECK-DAG: arith.constant -2048144789 : i32
// CHECK-DAG: linalg.index 0
// CHECK-DAG: linalg.index 1
// CHECK: arith.cmpi uge
// CHECK: arith.constant 1.33333337 : f32
// CHECK: arith.select
func.func @dropout_train(%x: tensor<3x5xf32>, %rng: tensor<2xi64>) -> tensor<3x5xf32> {
  %y = cnn.dropout_train %x, %rng {p = 2.5e-01 : f64, salt = 1234 : i64} : (tensor<3x5xf32>, tensor<2xi64>) -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

// -----

// Dense's gradients: linalg.matmul on row-major operands (a transposed
// operand is copied into [M, K] / [K, N] first), for cnnc-tile-matmuls.
// CHECK-LABEL: func @dense_grads
// CHECK: %[[GT:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<8x10xf32>) outs(%{{.*}} : tensor<10x8xf32>)
// CHECK: linalg.matmul ins(%[[GT]], %arg1 : tensor<10x8xf32>, tensor<8x84xf32>) outs(%{{.*}} : tensor<10x84xf32>)
// CHECK: linalg.matmul ins(%arg0, %arg2 : tensor<8x10xf32>, tensor<10x84xf32>) outs(%{{.*}} : tensor<8x84xf32>)
func.func @dense_grads(%gy: tensor<8x10xf32>, %x: tensor<8x84xf32>, %w: tensor<10x84xf32>) -> (tensor<10x84xf32>, tensor<8x84xf32>) {
  %gw = cnn.matmul %gy, %x {transpose_a = true, transpose_b = false} : (tensor<8x10xf32>, tensor<8x84xf32>) -> tensor<10x84xf32>
  %gx = cnn.matmul %gy, %w {transpose_a = false, transpose_b = false} : (tensor<8x10xf32>, tensor<10x84xf32>) -> tensor<8x84xf32>
  return %gw, %gx : tensor<10x84xf32>, tensor<8x84xf32>
}
