// RUN: cnnc-opt %s --cnnc-contract-multiply-adds | FileCheck %s

// A product used only by an add becomes one fma (either operand order); a
// product with another use stays.
// CHECK-LABEL: func.func @contract
// CHECK: %[[F1:.*]] = math.fma %arg0, %arg1, %arg2 : f32
// CHECK: %[[F2:.*]] = math.fma %arg0, %arg2, %[[F1]] : f32
// CHECK: %[[M:.*]] = arith.mulf %arg1, %arg2 : f32
// CHECK: %[[A:.*]] = arith.addf %[[M]], %[[F2]] : f32
// CHECK: arith.addf %[[A]], %[[M]] : f32
func.func @contract(%a: f32, %b: f32, %c: f32) -> f32 {
  %p = arith.mulf %a, %b : f32
  %s = arith.addf %p, %c : f32
  %q = arith.mulf %a, %c : f32
  %t = arith.addf %s, %q : f32
  %r = arith.mulf %b, %c : f32
  %u = arith.addf %r, %t : f32
  %v = arith.addf %u, %r : f32
  return %v : f32
}
