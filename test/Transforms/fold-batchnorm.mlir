// RUN: cnnc-opt %s --split-input-file --cnnc-fold-batchnorm | FileCheck %s
// RUN: cnnc-opt %s --split-input-file --cnnc-fold-batchnorm --cnnc-convert-cnn-to-linalg --cnnc-hoist-parameter-transforms | FileCheck %s --check-prefix=HOIST

// conv + batchnorm: W' = W * gamma * rsqrt(var + eps) per output channel,
// b' = (b - mean) * s + beta; the batchnorm disappears.
// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<1x3x8x8xf32> {cnn.input = "x"}, %[[W:[a-z0-9_]+]]: tensor<4x3x3x3xf32> {{.*}}, %[[B:[a-z0-9_]+]]: tensor<4xf32> {{.*}}, %[[G:[a-z0-9_]+]]: tensor<4xf32> {{.*}}, %[[BETA:[a-z0-9_]+]]: tensor<4xf32> {{.*}}, %[[M:[a-z0-9_]+]]: tensor<4xf32> {{.*}}, %[[V:[a-z0-9_]+]]: tensor<4xf32>
// CHECK: %[[W2:.*]] = linalg.generic {{.*}} ins(%[[W]], %[[G]], %[[V]] : tensor<4x3x3x3xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: arith.constant 1.000000e-03 : f32
// CHECK: math.rsqrt
// CHECK: %[[B2:.*]] = linalg.generic {{.*}} ins(%[[G]], %[[V]], %[[M]], %[[BETA]], %[[B]] : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: math.rsqrt
// CHECK: arith.subf
// CHECK: %[[Y:.*]] = cnn.conv2d %[[X]], %[[W2]], %[[B2]]
// CHECK-NOT: cnn.batchnorm
// CHECK: cnn.relu %[[Y]]

// After lowering, the folded weight and bias are computed in @prepare only.
// HOIST-LABEL: func.func @prepare
// HOIST: math.rsqrt
// HOIST-LABEL: func.func @forward
// HOIST-NOT: math.rsqrt
// HOIST: linalg.conv_2d_nhwc_hwcf
func.func @forward(%x: tensor<1x3x8x8xf32> {cnn.input = "x"},
                   %w: tensor<4x3x3x3xf32> {cnn.param = "conv.weight"},
                   %b: tensor<4xf32> {cnn.param = "conv.bias"},
                   %g: tensor<4xf32> {cnn.param = "bn.weight"},
                   %beta: tensor<4xf32> {cnn.param = "bn.bias"},
                   %m: tensor<4xf32> {cnn.param = "bn.running_mean"},
                   %v: tensor<4xf32> {cnn.param = "bn.running_var"}) -> tensor<1x4x8x8xf32> {
  %c = cnn.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %n = cnn.batchnorm %c, %g, %beta, %m, %v {epsilon = 1.0e-03 : f64, momentum = 1.0e-01 : f64} : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %r = cnn.relu %n : tensor<1x4x8x8xf32>
  return %r : tensor<1x4x8x8xf32>
}

// -----

// Without a conv bias the new bias is beta - mean * s.
// CHECK-LABEL: func.func @no_bias
// CHECK: linalg.generic
// CHECK: %[[B2:.*]] = linalg.generic {{.*}} ins(%arg2, %arg5, %arg4, %arg3 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: arith.negf
// CHECK: cnn.conv2d %arg0, %{{.*}}, %[[B2]]
// CHECK-NOT: cnn.batchnorm
func.func @no_bias(%x: tensor<1x3x8x8xf32> {cnn.input = "x"},
                   %w: tensor<4x3x3x3xf32> {cnn.param = "conv.weight"},
                   %g: tensor<4xf32> {cnn.param = "bn.weight"},
                   %beta: tensor<4xf32> {cnn.param = "bn.bias"},
                   %m: tensor<4xf32> {cnn.param = "bn.running_mean"},
                   %v: tensor<4xf32> {cnn.param = "bn.running_var"}) -> tensor<1x4x6x6xf32> {
  %c = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  %n = cnn.batchnorm %c, %g, %beta, %m, %v {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64} : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  return %n : tensor<1x4x6x6xf32>
}

// -----

// The conv's output has another user (it is also returned): no folding.
// CHECK-LABEL: func.func @shared
// CHECK: cnn.conv2d %arg0, %arg1 {
// CHECK: cnn.batchnorm
func.func @shared(%x: tensor<1x3x8x8xf32> {cnn.input = "x"},
                  %w: tensor<4x3x3x3xf32> {cnn.param = "conv.weight"},
                  %g: tensor<4xf32> {cnn.param = "bn.weight"},
                  %beta: tensor<4xf32> {cnn.param = "bn.bias"},
                  %m: tensor<4xf32> {cnn.param = "bn.running_mean"},
                  %v: tensor<4xf32> {cnn.param = "bn.running_var"}) -> (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) {
  %c = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  %n = cnn.batchnorm %c, %g, %beta, %m, %v {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64} : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  return %c, %n : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>
}

// -----

// Statistics that are not parameters (computed per call) are not folded.
// CHECK-LABEL: func.func @computed_stats
// CHECK: cnn.batchnorm
func.func @computed_stats(%x: tensor<1x3x8x8xf32> {cnn.input = "x"},
                          %w: tensor<4x3x3x3xf32> {cnn.param = "conv.weight"},
                          %g: tensor<4xf32> {cnn.param = "bn.weight"},
                          %beta: tensor<4xf32> {cnn.param = "bn.bias"},
                          %m: tensor<4xf32> {cnn.input = "mean"},
                          %v: tensor<4xf32> {cnn.param = "bn.running_var"}) -> tensor<1x4x6x6xf32> {
  %c = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  %n = cnn.batchnorm %c, %g, %beta, %m, %v {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64} : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  return %n : tensor<1x4x6x6xf32>
}

// -----

// A training compile keeps the batchnorm.
// CHECK-LABEL: func.func @training
// CHECK: cnn.batchnorm
module attributes {cnn.training = {}} {
func.func @training(%x: tensor<1x3x8x8xf32> {cnn.input = "x"},
                    %w: tensor<4x3x3x3xf32> {cnn.param = "conv.weight"},
                    %g: tensor<4xf32> {cnn.param = "bn.weight"},
                    %beta: tensor<4xf32> {cnn.param = "bn.bias"},
                    %m: tensor<4xf32> {cnn.param = "bn.running_mean"},
                    %v: tensor<4xf32> {cnn.param = "bn.running_var"}) -> tensor<1x4x6x6xf32> {
  %c = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  %n = cnn.batchnorm %c, %g, %beta, %m, %v {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64} : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  return %n : tensor<1x4x6x6xf32>
}
}
