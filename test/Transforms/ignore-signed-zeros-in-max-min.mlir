// RUN: cnnc-opt %s --cnnc-ignore-signed-zeros-in-max-min | FileCheck %s
// RUN: cnnc-opt %s --cnnc-ignore-signed-zeros-in-max-min --convert-arith-to-llvm | FileCheck %s --check-prefix=LLVM

// ReLU, ReLU6 and a max pool's taps: every maximumf and minimumf gets nsz
// (flags already there are kept); other float ops are left alone.
// CHECK-LABEL: func.func @relu6_and_pool
// CHECK: arith.maximumf %{{.*}}, %{{.*}} fastmath<nsz> : vector<16xf32>
// CHECK: arith.minimumf %{{.*}}, %{{.*}} fastmath<nsz> : vector<16xf32>
// CHECK: arith.maximumf %{{.*}}, %{{.*}} fastmath<nnan,nsz> : f32
// CHECK: arith.addf %{{.*}}, %{{.*}} : f32
// The flag reaches LLVM's maximum/minimum intrinsics.
// LLVM-LABEL: func.func @relu6_and_pool
// LLVM: llvm.intr.maximum(%{{.*}}, %{{.*}}) {fastmathFlags = #llvm.fastmath<nsz>}
// LLVM: llvm.intr.minimum(%{{.*}}, %{{.*}}) {fastmathFlags = #llvm.fastmath<nsz>}
func.func @relu6_and_pool(%x: vector<16xf32>, %a: f32, %b: f32) -> (vector<16xf32>, f32) {
  %zero = arith.constant dense<0.0> : vector<16xf32>
  %six = arith.constant dense<6.0> : vector<16xf32>
  %r = arith.maximumf %x, %zero : vector<16xf32>
  %r6 = arith.minimumf %r, %six : vector<16xf32>
  %m = arith.maximumf %a, %b fastmath<nnan> : f32
  %s = arith.addf %m, %a : f32
  return %r6, %s : vector<16xf32>, f32
}
