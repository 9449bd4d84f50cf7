// RUN: cnnc-opt %s -cnnc-approximate-math | FileCheck %s

// math.erf (scalar and vector) becomes a polynomial in fma: no libm call on the CPU.
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
