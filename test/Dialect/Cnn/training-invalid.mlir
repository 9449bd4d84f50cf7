// RUN: cnnc-opt %s -split-input-file -verify-diagnostics

func.func @bad_kind(%g: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{kind must be relu, relu6, sigmoid or tanh, got 'gelu'}}
  %r = cnn.activation_grad %g, %g {kind = "gelu"} : tensor<4xf32>
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
