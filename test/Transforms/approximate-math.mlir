// RUN: cnnc-opt %s -cnnc-approximate-math | FileCheck %s

// math.erf, math.exp and math.tanh (scalar and vector) become polynomials: no
// libm call on the CPU.
// CHECK-LABEL: func @erf_scalar(
// CHECK-NOT: math.erf
// CHECK: math.fma
func.func @erf_scalar(%x: f32) -> f32 {
  %y = math.erf %x : f32
  return %y : f32
}

// CHECK-LABEL: func @erf_vector(
// CHECK-NOT: math.erf
// CHECK: math.fma {{.*}} : vector<16xf32>
func.func @erf_vector(%x: vector<16xf32>) -> vector<16xf32> {
  %y = math.erf %x : vector<16xf32>
  return %y : vector<16xf32>
}

// exp (sigmoid, SiLU, softmax) and tanh too: LLVM would call libm per lane.
// CHECK-LABEL: func @exp_tanh_vector(
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK: return
func.func @exp_tanh_vector(%x: vector<16xf32>) -> vector<16xf32> {
  %e = math.exp %x : vector<16xf32>
  %t = math.tanh %e : vector<16xf32>
  return %t : vector<16xf32>
}
