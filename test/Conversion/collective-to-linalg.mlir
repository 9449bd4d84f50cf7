// RUN: cnnc-opt %s --split-input-file --cnnc-convert-cnn-to-linalg | FileCheck %s

// cross_replica_sum: the value in a buffer of its own, whose address and
// length go to cnnc_cross_replica_sum_f32 (the runtime's communicator sums
// it in place); the buffer is the result.
// CHECK-LABEL: func.func private @cnnc_cross_replica_sum_f32(i64, i64)
// CHECK-LABEL: func @sum
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<6xf32>
// CHECK: %[[BUF:.*]] = memref.alloc() {alignment = 64 : i64} : memref<6xf32>
// CHECK: bufferization.materialize_in_destination %[[X]] in restrict writable %[[BUF]]
// CHECK: %[[ADDR:.*]] = memref.extract_aligned_pointer_as_index %[[BUF]]
// CHECK: %[[ADDR64:.*]] = arith.index_cast %[[ADDR]] : index to i64
// CHECK: %[[N:.*]] = arith.constant 6 : i64
// CHECK: call @cnnc_cross_replica_sum_f32(%[[ADDR64]], %[[N]])
// CHECK: %[[R:.*]] = bufferization.to_tensor %[[BUF]] restrict writable
// CHECK: return %[[R]]
func.func @sum(%x: tensor<6xf32>) -> tensor<6xf32> {
  %r = cnn.cross_replica_sum %x : tensor<6xf32>
  return %r : tensor<6xf32>
}

// -----

// Synchronized batchnorm: the count and both statistics' sums (forward), and
// the count, dbias and dweight for dx (backward), are summed over the
// replicas, in as few calls as the data dependences allow: the count with
// the channel sums (1 + 3 floats), the squared deviations (3) after the mean,
// and in the backward the count, dbias and dweight together (1 + 3 + 3). The
// gradients returned for weight and bias stay this replica's share.
// CHECK-LABEL: func @bn_cross_replica
// CHECK: %[[FIRST:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
// CHECK: %[[N1:.*]] = arith.constant 4 : i64
// CHECK: call @cnnc_cross_replica_sum_f32({{.*}}, %[[N1]])
// CHECK: %[[N2:.*]] = arith.constant 3 : i64
// CHECK: call @cnnc_cross_replica_sum_f32({{.*}}, %[[N2]])
// CHECK: math.rsqrt
// CHECK: %[[N3:.*]] = arith.constant 7 : i64
// CHECK: call @cnnc_cross_replica_sum_f32({{.*}}, %[[N3]])
// CHECK-NOT: call @cnnc_cross_replica_sum_f32
// CHECK: return
func.func @bn_cross_replica(%x: tensor<2x3x4x4xf32>, %c: tensor<3xf32>, %gy: tensor<2x3x4x4xf32>) -> (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>) {
  %y, %mean, %inv, %rm, %rv = cnn.batchnorm_train %x, %c, %c, %c, %c {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64, cross_replica} : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)
  %gx, %gw, %gb = cnn.batchnorm_grad %gy, %x, %mean, %inv, %c {cross_replica} : (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>)
  return %y, %gx, %gw, %gb : tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

// The loss's mean over every replica's real rows: one sum of the count.
// CHECK-LABEL: func @loss_cross_replica
// CHECK-COUNT-1: call @cnnc_cross_replica_sum_f32
// CHECK-NOT: call @cnnc_cross_replica_sum_f32
// CHECK: return
func.func @loss_cross_replica(%logits: tensor<4x5xf32>, %labels: tensor<4xi64>) -> (tensor<1xf32>, tensor<4x5xf32>) {
  %loss, %g = cnn.softmax_cross_entropy %logits, %labels {cross_replica} : (tensor<4x5xf32>, tensor<4xi64>) -> (tensor<1xf32>, tensor<4x5xf32>)
  return %loss, %g : tensor<1xf32>, tensor<4x5xf32>
}
