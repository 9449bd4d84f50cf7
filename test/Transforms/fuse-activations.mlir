// RUN: cnnc-opt %s -cnnc-fuse-activations | FileCheck %s

// CHECK-LABEL: func @silu(
// CHECK-NEXT: %[[Y:.*]] = cnn.silu %arg0 : tensor<1x8x4x4xf32>
// CHECK-NEXT: return %[[Y]]
func.func @silu(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %s = cnn.sigmoid %x : tensor<1x8x4x4xf32>
  %y = cnn.mul %x, %s : (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// The gate first.
// CHECK-LABEL: func @hardswish(
// CHECK-NEXT: %[[Y:.*]] = cnn.hardswish %arg0 : tensor<1x8x4x4xf32>
// CHECK-NEXT: return %[[Y]]
func.func @hardswish(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %s = cnn.hardsigmoid %x : tensor<1x8x4x4xf32>
  %y = cnn.mul %s, %x : (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// A gate with another user stays (its value is needed anyway).
// CHECK-LABEL: func @gate_used_twice(
// CHECK: cnn.sigmoid
// CHECK: cnn.mul
// CHECK-NOT: cnn.silu
func.func @gate_used_twice(%x: tensor<1x8x4x4xf32>) -> (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) {
  %s = cnn.sigmoid %x : tensor<1x8x4x4xf32>
  %y = cnn.mul %x, %s : (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %y, %s : tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>
}

// Squeeze-excite gates another tensor than their input: not an activation.
// CHECK-LABEL: func @squeeze_excite(
// CHECK: cnn.sigmoid
// CHECK: cnn.mul
// CHECK-NOT: cnn.silu
func.func @squeeze_excite(%x: tensor<1x8x4x4xf32>, %z: tensor<1x8x1x1xf32>) -> tensor<1x8x4x4xf32> {
  %s = cnn.sigmoid %z : tensor<1x8x1x1xf32>
  %y = cnn.mul %x, %s : (tensor<1x8x4x4xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}
