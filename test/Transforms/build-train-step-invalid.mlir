// RUN: cnnc-opt %s --cnnc-build-train-step -verify-diagnostics

module attributes {cnn.training = {learning_rate = 1.0e-01 : f64, loss = "softmax_cross_entropy", momentum = 0.0 : f64, nesterov = false, weight_decay = 0.0 : f64}} {
  func.func @forward(%x: tensor<2x5xf32> {cnn.input = "x"}) -> tensor<2x3xf32> {
    // expected-error @+1 {{--train: no gradient rule for 'slice' yet}}
    %s = cnn.slice %x {axis = 1 : i64, start = 0 : i64, end = 3 : i64} : tensor<2x5xf32> -> tensor<2x3xf32>
    // expected-error @+1 {{--train: no gradient rule for 'softmax' yet}}
    %y = cnn.softmax %s {axis = 1 : i64} : tensor<2x3xf32>
    return %y : tensor<2x3xf32>
  }
}
