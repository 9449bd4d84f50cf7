// RUN: cnnc-opt %s --cnnc-map-loops-to-gpu | FileCheck %s

// A 2-D parallel nest becomes one collapsed loop over 6 elements, tiled by 256
// into blocks x threads with a guard for the tail.
// CHECK-LABEL: func.func @forward
// CHECK: scf.parallel (%[[B:.*]]) = {{.*}} {
// CHECK: scf.parallel (%[[T:.*]]) = {{.*}} {
// CHECK: scf.if
// CHECK: memref.store
// CHECK: {mapping = [#gpu.loop_dim_map<processor = thread_x
// CHECK: {mapping = [#gpu.loop_dim_map<processor = block_x
// A sequential nest runs in a one-iteration parallel loop.
// CHECK: scf.parallel
// CHECK: scf.for
func.func @forward(%a: memref<2x3xf32>, %s: memref<1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %cst = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c2, %c3) step (%c1, %c1) {
    memref.store %cst, %a[%i, %j] : memref<2x3xf32>
  }
  scf.for %k = %c0 to %c3 step %c1 {
    memref.store %cst, %s[%c0] : memref<1xf32>
  }
  return
}
