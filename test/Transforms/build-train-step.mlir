// RUN: cnnc-opt %s --split-input-file --cnnc-build-train-step | FileCheck %s

// dense -> relu -> dense: the step replays the forward, takes the loss of the
// output, walks back (matmuls, relu gradient, bias reductions) and updates
// every parameter with its own momentum buffer.
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<2x3xf32> {cnn.input = "x"}
// CHECK-SAME: %[[LABELS:[a-z0-9]+]]: tensor<2xi64> {cnn.labels}
// CHECK-SAME: %{{[a-z0-9]+}}: tensor<2xi64> {cnn.rng}
// CHECK-SAME: {cnn.momentum_buffer = "h.weight"}
// CHECK-SAME: %[[LR:[a-z0-9]+]]: tensor<1xf32> {cnn.lr}
// CHECK-SAME: -> (tensor<1xf32> {cnn.loss}, tensor<4x3xf32> {cnn.new_param = "h.weight"}
// CHECK: %[[H:.*]] = cnn.dense %[[X]]
// CHECK: %[[R:.*]] = cnn.relu %[[H]]
// CHECK: %[[LOSS:.*]], %[[G:.*]] = cnn.softmax_cross_entropy %{{.*}}, %[[LABELS]]
// CHECK: cnn.matmul %[[G]], %[[R]] {transpose_a = true, transpose_b = false}
// CHECK: cnn.reduce_to %[[G]] : tensor<2x5xf32> -> tensor<5xf32>
// CHECK: cnn.activation_grad %{{.*}}, %[[H]] {kind = "relu"}
// CHECK-COUNT-4: cnn.sgd_update
// CHECK: return %[[LOSS]]
module attributes {cnn.training = {learning_rate = 1.0e-01 : f64, loss = "softmax_cross_entropy", momentum = 9.0e-01 : f64, nesterov = false, weight_decay = 0.0 : f64}} {
  func.func @forward(%x: tensor<2x3xf32> {cnn.input = "x"}, %w1: tensor<4x3xf32> {cnn.param = "h.weight"},
                     %b1: tensor<4xf32> {cnn.param = "h.bias"}, %w2: tensor<5x4xf32> {cnn.param = "o.weight"},
                     %b2: tensor<5xf32> {cnn.param = "o.bias"}) -> (tensor<2x5xf32> {cnn.output = "o"}) {
    %h = cnn.dense %x, %w1, %b1 : (tensor<2x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    %r = cnn.relu %h : tensor<2x4xf32>
    %o = cnn.dense %r, %w2, %b2 : (tensor<2x4xf32>, tensor<5x4xf32>, tensor<5xf32>) -> tensor<2x5xf32>
    return %o : tensor<2x5xf32>
  }
}

// -----

// dropout (p > 0) becomes dropout_train on the step's rng {seed, step},
// salted with FNV-1a("drop") = 2846199180; its gradient is the same op on
// dL/dy (same rng, p and salt: the same mask, rebuilt). p = 0 stays the
// identity. slice and softmax get slice_grad and softmax_grad.
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: {cnn.labels}, %[[RNG:[a-z0-9]+]]: tensor<2xi64> {cnn.rng}
// CHECK: %[[D:.*]] = cnn.dropout_train %{{.*}}, %[[RNG]] {p = 2.500000e-01 : f64, salt = 2846199180 : i64}
// CHECK: %[[Z:.*]] = cnn.dropout %[[D]] {p = 0.000000e+00 : f64}
// CHECK: %[[S:.*]] = cnn.slice %[[Z]] {axis = 1 : i64, end = 5 : i64, start = 1 : i64}
// CHECK: %[[Y:.*]] = cnn.softmax %[[S]]
// CHECK: cnn.softmax_cross_entropy
// CHECK: %[[GS:.*]] = cnn.softmax_grad %{{.*}}, %[[Y]] {axis = 1 : i64} : tensor<2x4xf32>
// CHECK: %[[GZ:.*]] = cnn.slice_grad %[[GS]] {axis = 1 : i64, start = 1 : i64} : tensor<2x4xf32> -> tensor<2x6xf32>
// CHECK: cnn.dropout_train %[[GZ]], %[[RNG]] {p = 2.500000e-01 : f64, salt = 2846199180 : i64}
// CHECK-COUNT-2: cnn.sgd_update
module attributes {cnn.training = {learning_rate = 1.0e-01 : f64, loss = "softmax_cross_entropy", momentum = 0.0 : f64, nesterov = false, weight_decay = 0.0 : f64}} {
  func.func @forward(%x: tensor<2x3xf32> {cnn.input = "x"}, %w: tensor<6x3xf32> {cnn.param = "h.weight"},
                     %b: tensor<6xf32> {cnn.param = "h.bias"}) -> (tensor<2x4xf32> {cnn.output = "y"}) {
    %h = cnn.dense %x, %w, %b : (tensor<2x3xf32>, tensor<6x3xf32>, tensor<6xf32>) -> tensor<2x6xf32>
    %d = cnn.dropout %h {p = 2.5e-01 : f64} : tensor<2x6xf32> loc("drop")
    %z = cnn.dropout %d {p = 0.0 : f64} : tensor<2x6xf32>
    %s = cnn.slice %z {axis = 1 : i64, start = 1 : i64, end = 5 : i64} : tensor<2x6xf32> -> tensor<2x4xf32>
    %y = cnn.softmax %s {axis = 1 : i64} : tensor<2x4xf32>
    return %y : tensor<2x4xf32>
  }
}

// -----

// Adam: two state slots per learnable parameter (all first moments, then all
// second moments), the step count after the learning rate, one adam_update
// per parameter, the new moments returned slot-major.
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: %[[M_W:[a-z0-9]+]]: tensor<4x3xf32> {cnn.momentum_buffer = "h.weight"}, %[[M_B:[a-z0-9]+]]: tensor<4xf32> {cnn.momentum_buffer = "h.bias"}
// CHECK-SAME: %[[V_W:[a-z0-9]+]]: tensor<4x3xf32> {cnn.momentum_buffer = "h.weight"}, %[[V_B:[a-z0-9]+]]: tensor<4xf32> {cnn.momentum_buffer = "h.bias"}
// CHECK-SAME: %[[LR:[a-z0-9]+]]: tensor<1xf32> {cnn.lr}, %[[T:[a-z0-9]+]]: tensor<1xi64> {cnn.optimizer_step}
// CHECK: %[[PW:.*]], %[[MW:.*]], %[[VW:.*]] = cnn.adam_update %{{.*}}, %{{.*}}, %[[M_W]], %[[V_W]], %[[LR]], %[[T]] {beta1 = 8.000000e-01 : f64, beta2 = 0.98999999999999999 : f64, decoupled = true, epsilon = 9.9999999999999995E-7 : f64, weight_decay = 1.000000e-01 : f64}
// CHECK: %[[PB:.*]], %[[MB:.*]], %[[VB:.*]] = cnn.adam_update %{{.*}}, %{{.*}}, %[[M_B]], %[[V_B]], %[[LR]], %[[T]]
// CHECK: return %{{.*}}, %[[PW]], %[[PB]], %[[MW]], %[[MB]], %[[VW]], %[[VB]]
module attributes {cnn.training = {learning_rate = 1.0e-01 : f64, loss = "softmax_cross_entropy", momentum = 0.0 : f64, nesterov = false, weight_decay = 0.1 : f64, optimizer = "adamw", beta1 = 0.8 : f64, beta2 = 0.99 : f64, eps = 1.0e-06 : f64}} {
  func.func @forward(%x: tensor<2x3xf32> {cnn.input = "x"}, %w: tensor<4x3xf32> {cnn.param = "h.weight"},
                     %b: tensor<4xf32> {cnn.param = "h.bias"}) -> (tensor<2x4xf32> {cnn.output = "h"}) {
    %h = cnn.dense %x, %w, %b : (tensor<2x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    return %h : tensor<2x4xf32>
  }
}

// -----

// clip_grad_norm: one clip over the gradients of both parameters, before the
// updates, which read the clipped gradients (also returned as the step's
// gradients, as p.grad after torch's clip_grad_norm_).
// CHECK-LABEL: func.func @train_step
// CHECK: %[[C:.*]]:2 = cnn.clip_grad_norm %{{.*}}, %{{.*}} {max_norm = 2.500000e-01 : f64}
// CHECK: cnn.sgd_update %{{.*}}, %[[C]]#0
// CHECK: cnn.sgd_update %{{.*}}, %[[C]]#1
// CHECK: return {{.*}}, %[[C]]#0, %[[C]]#1
module attributes {cnn.training = {learning_rate = 1.0e-01 : f64, loss = "softmax_cross_entropy", momentum = 0.0 : f64, nesterov = false, weight_decay = 0.0 : f64, clip_grad_norm = 0.25 : f64}} {
  func.func @forward(%x: tensor<2x3xf32> {cnn.input = "x"}, %w: tensor<4x3xf32> {cnn.param = "h.weight"},
                     %b: tensor<4xf32> {cnn.param = "h.bias"}) -> (tensor<2x4xf32> {cnn.output = "h"}) {
    %h = cnn.dense %x, %w, %b : (tensor<2x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    return %h : tensor<2x4xf32>
  }
}
