// RUN: cnnc-opt %s --split-input-file --cnnc-build-train-step -verify-diagnostics

// Every op of the model format has a gradient rule; ops that only a training
// step creates do not, and each one in @forward is reported.
module attributes {cnn.training = {learning_rate = 1.0e-01 : f64, loss = "softmax_cross_entropy", momentum = 0.0 : f64, nesterov = false, weight_decay = 0.0 : f64}} {
  func.func @forward(%x: tensor<2x5xf32> {cnn.input = "x"}) -> tensor<2x3xf32> {
    // expected-error @+1 {{--train: no gradient rule for 'reshape' yet}}
    %r = cnn.reshape %x : tensor<2x5xf32> -> tensor<5x2xf32>
    // expected-error @+1 {{--train: no gradient rule for 'matmul' yet}}
    %m = cnn.matmul %x, %r {transpose_a = false, transpose_b = false} : (tensor<2x5xf32>, tensor<5x2xf32>) -> tensor<2x2xf32>
    %s = cnn.slice %x {axis = 1 : i64, start = 0 : i64, end = 3 : i64} : tensor<2x5xf32> -> tensor<2x3xf32>
    %y = cnn.softmax %s {axis = 1 : i64} : tensor<2x3xf32>
    return %y : tensor<2x3xf32>
  }
}

// -----

module attributes {cnn.training = {learning_rate = 1.0e-01 : f64, loss = "softmax_cross_entropy", momentum = 0.0 : f64, nesterov = false, weight_decay = 0.0 : f64}} {
  // expected-error @+1 {{--train needs a model with exactly one output (the logits)}}
  func.func @forward(%x: tensor<2x5xf32> {cnn.input = "x"}) -> (tensor<2x5xf32>, tensor<2x5xf32>) {
    %y = cnn.relu %x : tensor<2x5xf32>
    return %x, %y : tensor<2x5xf32>, tensor<2x5xf32>
  }
}

// -----

// A segmentation map is no classifier's logits: the loss needs [batch, classes].
module attributes {cnn.training = {learning_rate = 1.0e-01 : f64, loss = "softmax_cross_entropy", momentum = 0.0 : f64, nesterov = false, weight_decay = 0.0 : f64}} {
  func.func @forward(%x: tensor<1x3x4x4xf32> {cnn.input = "x"}) -> tensor<1x3x4x4xf32> {
    // expected-error @+1 {{--train: the loss softmax_cross_entropy takes [batch, classes] logits; the model's output is 'tensor<1x3x4x4xf32>'}}
    %y = cnn.relu %x : tensor<1x3x4x4xf32>
    return %y : tensor<1x3x4x4xf32>
  }
}
