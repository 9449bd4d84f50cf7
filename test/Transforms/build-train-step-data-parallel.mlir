// RUN: cnnc-opt %s --cnnc-build-train-step=data-parallel=true | FileCheck %s

// conv -> batchnorm -> dense with --data-parallel: @train_step as without
// it, then @train_step_replicated, one replica's step: the forward replayed
// with batchnorm's statistics and the loss's mean over every replica
// (cross_replica), each gradient summed over the replicas right after the op
// that completes it (in backward order: the dense layer's first; batchnorm's
// weight and bias in one sum), and only then clipped and applied (Adam).
// CHECK-LABEL: func.func @train_step(
// CHECK: cnn.batchnorm_train
// CHECK-NOT: cross_replica
// CHECK: cnn.adam_update
// CHECK-LABEL: func.func @train_step_replicated
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<2x3x4x4xf32> {cnn.input = "x"}
// CHECK-SAME: {cnn.labels}
// CHECK-SAME: {cnn.rng}
// CHECK-SAME: {cnn.param = "c.weight"}
// CHECK-SAME: {cnn.momentum_buffer = "c.weight"}
// CHECK-SAME: {cnn.lr}
// CHECK-SAME: {cnn.optimizer_step}
// CHECK-SAME: -> (tensor<1xf32> {cnn.loss}, tensor<2x3x1x1xf32> {cnn.new_param = "c.weight"}
// CHECK-SAME: {cnn.new_buffer = "c.weight"}
// CHECK-SAME: tensor<2x3x1x1xf32> {cnn.grad = "c.weight"}
// CHECK-SAME: tensor<2xf32> {cnn.new_param = "bn.running_mean"}
// CHECK: cnn.batchnorm_train {{.*}}cross_replica
// CHECK: cnn.softmax_cross_entropy {{.*}}cross_replica
// CHECK: %[[FCW:.*]] = cnn.matmul {{.*}}transpose_a = true
// CHECK-NEXT: %[[FCWSUM:.*]] = cnn.cross_replica_sum %[[FCW]] : tensor<5x32xf32>
// CHECK: %[[BNGX:.*]], %[[BNGW:.*]], %[[BNGB:.*]] = cnn.batchnorm_grad {{.*}}cross_replica
// CHECK-NEXT: %[[BNSUM:.*]]:2 = cnn.cross_replica_sum %[[BNGW]], %[[BNGB]] : tensor<2xf32>, tensor<2xf32>
// CHECK: %[[CW:.*]] = cnn.conv2d_grad_weight
// CHECK-NEXT: %[[CWSUM:.*]] = cnn.cross_replica_sum %[[CW]] : tensor<2x3x1x1xf32>
// CHECK-NEXT: cnn.clip_grad_norm %[[CWSUM]], %[[BNSUM]]#0, %[[BNSUM]]#1, %[[FCWSUM]],
// CHECK-COUNT-5: cnn.adam_update
// CHECK-NOT: cnn.cross_replica_sum
// CHECK: return
module attributes {cnn.training = {learning_rate = 1.0e-02 : f64, loss = "softmax_cross_entropy", optimizer = "adam", beta1 = 9.0e-01 : f64, beta2 = 9.99e-01 : f64, eps = 1.0e-08 : f64, momentum = 0.0 : f64, nesterov = false, weight_decay = 0.0 : f64, clip_grad_norm = 1.0 : f64}} {
  func.func @forward(%x: tensor<2x3x4x4xf32> {cnn.input = "x"},
                     %w: tensor<2x3x1x1xf32> {cnn.param = "c.weight"},
                     %g: tensor<2xf32> {cnn.param = "bn.weight"}, %b: tensor<2xf32> {cnn.param = "bn.bias"},
                     %rm: tensor<2xf32> {cnn.param = "bn.running_mean"}, %rv: tensor<2xf32> {cnn.param = "bn.running_var"},
                     %fw: tensor<5x32xf32> {cnn.param = "fc.weight"}, %fb: tensor<5xf32> {cnn.param = "fc.bias"})
      -> (tensor<2x5xf32> {cnn.output = "fc"}) {
    %c = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<2x3x4x4xf32>, tensor<2x3x1x1xf32>) -> tensor<2x2x4x4xf32>
    %n = cnn.batchnorm %c, %g, %b, %rm, %rv {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64} : (tensor<2x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<2x2x4x4xf32>
    %f = cnn.flatten %n : tensor<2x2x4x4xf32> -> tensor<2x32xf32>
    %o = cnn.dense %f, %fw, %fb : (tensor<2x32xf32>, tensor<5x32xf32>, tensor<5xf32>) -> tensor<2x5xf32>
    return %o : tensor<2x5xf32>
  }
}
