// RUN: cnnc-opt %s | cnnc-opt | FileCheck %s

// CHECK-LABEL: func @training_ops
// CHECK: cnn.conv2d_grad_input
// CHECK: cnn.conv2d_grad_weight
// CHECK: cnn.maxpool2d_grad
// CHECK: cnn.avgpool2d_grad
// CHECK: cnn.activation_grad %{{.*}}, %{{.*}} {kind = "relu"} : tensor<1x2x4x4xf32>
// CHECK: cnn.batchnorm_train
// CHECK: cnn.batchnorm_grad
// CHECK: cnn.batchnorm_train {{.*}} {cross_replica, epsilon
// CHECK: cnn.cross_replica_sum %{{.*}} : tensor<2xf32>
// CHECK: %{{.*}}:2 = cnn.cross_replica_sum %{{.*}}, %{{.*}} : tensor<2x2x3x3xf32>, tensor<2xf32>
// CHECK: cnn.broadcast_to
// CHECK: cnn.reshape
func.func @training_ops(%gy: tensor<1x2x2x2xf32>, %x: tensor<1x2x4x4xf32>, %w: tensor<2x2x3x3xf32>, %c: tensor<2xf32>) -> tensor<1x8xf32> {
  %a = cnn.conv2d_grad_input %gy, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32>
  %b = cnn.conv2d_grad_weight %gy, %x {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32>) -> tensor<2x2x3x3xf32>
  %m = cnn.maxpool2d_grad %gy, %x {ceil_mode = false, kernel = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %v = cnn.avgpool2d_grad %gy {ceil_mode = false, count_include_pad = true, kernel = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : tensor<1x2x2x2xf32> -> tensor<1x2x4x4xf32>
  %r = cnn.activation_grad %m, %x {kind = "relu"} : tensor<1x2x4x4xf32>
  %y, %mean, %inv, %rm, %rv = cnn.batchnorm_train %r, %c, %c, %c, %c {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>)
  %gx, %gw, %gb = cnn.batchnorm_grad %y, %r, %mean, %inv, %c : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>)
  %y2, %mean2, %inv2, %rm2, %rv2 = cnn.batchnorm_train %r, %c, %c, %c, %c {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64, cross_replica} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>)
  %sum = cnn.cross_replica_sum %mean2 : tensor<2xf32>
  %sums:2 = cnn.cross_replica_sum %b, %gb : tensor<2x2x3x3xf32>, tensor<2xf32>
  %bc = cnn.broadcast_to %gy {scale = 2.5e-01 : f64} : tensor<1x2x2x2xf32> -> tensor<3x1x2x2x2xf32>
  %s = cnn.reshape %gy : tensor<1x2x2x2xf32> -> tensor<1x8xf32>
  return %s : tensor<1x8xf32>
}

// Gradients of slice and softmax, dropout in a training step.
// CHECK-LABEL: func @slice_softmax_dropout
// CHECK: cnn.slice_grad %{{.*}} {axis = 2 : i64, start = 1 : i64} : tensor<1x2x2x4xf32> -> tensor<1x2x4x4xf32>
// CHECK: cnn.softmax_grad %{{.*}}, %{{.*}} {axis = 3 : i64} : tensor<1x2x4x4xf32>
// CHECK: cnn.dropout_train %{{.*}}, %{{.*}} {p = 5.000000e-01 : f64, salt = 4294967295 : i64} : (tensor<1x2x4x4xf32>, tensor<2xi64>) -> tensor<1x2x4x4xf32>
func.func @slice_softmax_dropout(%g: tensor<1x2x2x4xf32>, %y: tensor<1x2x4x4xf32>, %rng: tensor<2xi64>) -> tensor<1x2x4x4xf32> {
  %a = cnn.slice_grad %g {axis = 2 : i64, start = 1 : i64} : tensor<1x2x2x4xf32> -> tensor<1x2x4x4xf32>
  %b = cnn.softmax_grad %a, %y {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %c = cnn.dropout_train %b, %rng {p = 5.0e-01 : f64, salt = 4294967295 : i64} : (tensor<1x2x4x4xf32>, tensor<2xi64>) -> tensor<1x2x4x4xf32>
  return %c : tensor<1x2x4x4xf32>
}

// Adam's update: moments and the step count as operands.
// CHECK-LABEL: func @adam_update
// CHECK: cnn.adam_update %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {beta1 = 9.000000e-01 : f64, beta2 = 0.99899999999999999 : f64, decoupled = true, epsilon = 1.000000e-08 : f64, weight_decay = 1.000000e-02 : f64}
func.func @adam_update(%p: tensor<3x4xf32>, %g: tensor<3x4xf32>, %m: tensor<3x4xf32>, %v: tensor<3x4xf32>, %lr: tensor<1xf32>, %t: tensor<1xi64>) -> tensor<3x4xf32> {
  %p2, %m2, %v2 = cnn.adam_update %p, %g, %m, %v, %lr, %t {beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, weight_decay = 0.01 : f64, decoupled = true} : (tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<1xf32>, tensor<1xi64>) -> (tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>)
  return %p2 : tensor<3x4xf32>
}

// Clipping by the global norm: every gradient in, every gradient out.
// CHECK-LABEL: func @clip_grad_norm
// CHECK: cnn.clip_grad_norm %{{.*}}, %{{.*}} {max_norm = 5.000000e-01 : f64} : (tensor<3x4xf32>, tensor<4xf32>) -> (tensor<3x4xf32>, tensor<4xf32>)
func.func @clip_grad_norm(%a: tensor<3x4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %a2, %b2 = cnn.clip_grad_norm %a, %b {max_norm = 0.5 : f64} : (tensor<3x4xf32>, tensor<4xf32>) -> (tensor<3x4xf32>, tensor<4xf32>)
  return %b2 : tensor<4xf32>
}
