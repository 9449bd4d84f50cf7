// RUN: cnnc-opt %s -split-input-file -verify-diagnostics

func.func @bad_kind(%g: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{kind must be relu, relu6, sigmoid, tanh, silu, hardswish, hardsigmoid, leaky_relu, gelu or gelu_tanh, got 'elu'}}
  %r = cnn.activation_grad %g, %g {kind = "elu"} : tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @leaky_relu_grad_without_slope(%g: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{alpha (the slope) is given for leaky_relu, and only for it}}
  %r = cnn.activation_grad %g, %g {kind = "leaky_relu"} : tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @slope_on_relu_grad(%g: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{alpha (the slope) is given for leaky_relu, and only for it}}
  %r = cnn.activation_grad %g, %g {kind = "relu", alpha = 1.0e-01 : f64} : tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @bad_reduce(%g: tensor<2x5xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{does not broadcast to the operand's shape}}
  %r = cnn.reduce_to %g : tensor<2x5xf32> -> tensor<3xf32>
  return %r : tensor<3xf32>
}

// -----

func.func @bad_matmul(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{do not give}}
  %r = cnn.matmul %a, %b {transpose_a = false, transpose_b = false} : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return %r : tensor<2x5xf32>
}

// -----

func.func @bad_labels(%x: tensor<2x5xf32>, %l: tensor<3xi64>) -> tensor<1xf32> {
  // expected-error @+1 {{needs labels [N]}}
  %loss, %g = cnn.softmax_cross_entropy %x, %l : (tensor<2x5xf32>, tensor<3xi64>) -> (tensor<1xf32>, tensor<2x5xf32>)
  return %loss : tensor<1xf32>
}

// -----

func.func @slice_grad_too_long(%g: tensor<1x3x4xf32>) -> tensor<1x4x4xf32> {
  // expected-error @+1 {{does not fit into 'tensor<1x4x4xf32>' at axis 1, start 2}}
  %r = cnn.slice_grad %g {axis = 1 : i64, start = 2 : i64} : tensor<1x3x4xf32> -> tensor<1x4x4xf32>
  return %r : tensor<1x4x4xf32>
}

// -----

func.func @slice_grad_other_dims(%g: tensor<1x2x4xf32>) -> tensor<1x4x5xf32> {
  // expected-error @+1 {{does not fit into}}
  %r = cnn.slice_grad %g {axis = 1 : i64, start = 0 : i64} : tensor<1x2x4xf32> -> tensor<1x4x5xf32>
  return %r : tensor<1x4x5xf32>
}

// -----

func.func @softmax_grad_axis(%g: tensor<2x5xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{axis}}
  %r = cnn.softmax_grad %g, %g {axis = 2 : i64} : tensor<2x5xf32>
  return %r : tensor<2x5xf32>
}

// -----

func.func @dropout_train_p(%x: tensor<2x5xf32>, %rng: tensor<2xi64>) -> tensor<2x5xf32> {
  // expected-error @+1 {{p must be in (0, 1), got 0}}
  %r = cnn.dropout_train %x, %rng {p = 0.0 : f64, salt = 1 : i64} : (tensor<2x5xf32>, tensor<2xi64>) -> tensor<2x5xf32>
  return %r : tensor<2x5xf32>
}

// -----

func.func @dropout_train_rng(%x: tensor<2x5xf32>, %rng: tensor<3xi64>) -> tensor<2x5xf32> {
  // expected-error @+1 {{rng must be tensor<2xi64> {seed, step}}}
  %r = cnn.dropout_train %x, %rng {p = 0.5 : f64, salt = 1 : i64} : (tensor<2x5xf32>, tensor<3xi64>) -> tensor<2x5xf32>
  return %r : tensor<2x5xf32>
}

// -----

func.func @dropout_train_salt(%x: tensor<2x5xf32>, %rng: tensor<2xi64>) -> tensor<2x5xf32> {
  // expected-error @+1 {{salt must fit in 32 bits}}
  %r = cnn.dropout_train %x, %rng {p = 0.5 : f64, salt = 4294967296 : i64} : (tensor<2x5xf32>, tensor<2xi64>) -> tensor<2x5xf32>
  return %r : tensor<2x5xf32>
}

// -----

func.func @dropout_train_type(%x: tensor<2x5xf32>, %rng: tensor<2xi64>) -> tensor<2x4xf32> {
  // expected-error @+1 {{result type must equal the input's}}
  %r = cnn.dropout_train %x, %rng {p = 0.5 : f64, salt = 1 : i64} : (tensor<2x5xf32>, tensor<2xi64>) -> tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}

// -----

func.func @adam_moment_type(%p: tensor<4xf32>, %m: tensor<5xf32>, %lr: tensor<1xf32>, %t: tensor<1xi64>) -> tensor<4xf32> {
  // expected-error @+1 {{needs the gradient, both moments and the results of the parameter's type 'tensor<4xf32>'}}
  %p2, %m2, %v2 = cnn.adam_update %p, %p, %m, %p, %lr, %t {beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-08 : f64, weight_decay = 0.0 : f64, decoupled = false} : (tensor<4xf32>, tensor<4xf32>, tensor<5xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xi64>) -> (tensor<4xf32>, tensor<5xf32>, tensor<4xf32>)
  return %p2 : tensor<4xf32>
}

// -----

func.func @adam_beta(%p: tensor<4xf32>, %lr: tensor<1xf32>, %t: tensor<1xi64>) -> tensor<4xf32> {
  // expected-error @+1 {{needs betas in [0, 1), got 1}}
  %p2, %m2, %v2 = cnn.adam_update %p, %p, %p, %p, %lr, %t {beta1 = 0.9 : f64, beta2 = 1.0 : f64, epsilon = 1.0e-08 : f64, weight_decay = 0.0 : f64, decoupled = false} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xi64>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return %p2 : tensor<4xf32>
}

// -----

func.func @clip_types(%a: tensor<4xf32>) -> tensor<5xf32> {
  // expected-error @+1 {{needs at least one gradient and one result of its type per gradient}}
  %r = cnn.clip_grad_norm %a {max_norm = 1.0 : f64} : (tensor<4xf32>) -> tensor<5xf32>
  return %r : tensor<5xf32>
}

// -----

func.func @clip_norm(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{needs a positive max_norm}}
  %r = cnn.clip_grad_norm %a {max_norm = 0.0 : f64} : (tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @empty_cross_replica_sum() {
  // expected-error @+1 {{needs at least one tensor to sum}}
  "cnn.cross_replica_sum"() : () -> ()
  return
}
