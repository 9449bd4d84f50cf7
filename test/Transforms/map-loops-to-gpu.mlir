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

// Loads and stores outside any loop (a rank-0 linalg op lowered to loops has
// none) would run on the host, on device memory: each run of them, with the
// arithmetic between, goes into a one-iteration loop mapped to one thread.
// Constants and views stay on the host.
// CHECK-LABEL: func.func @loop_free
// CHECK: %[[V:.*]] = memref.view
// CHECK: scf.parallel
// CHECK: memref.store
// CHECK: memref.load
// CHECK: arith.addf
// CHECK: memref.store
// CHECK: {mapping = [#gpu.loop_dim_map<processor = thread_x
// CHECK: {mapping = [#gpu.loop_dim_map<processor = block_x
// CHECK-NOT: memref.load
// CHECK: return
func.func @loop_free(%arena: memref<8xi8>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 1.0 : f32
  %v = memref.view %arena[%c0][] : memref<8xi8> to memref<f32>
  memref.store %cst, %v[] : memref<f32>
  %x = memref.load %v[] : memref<f32>
  %y = arith.addf %x, %cst : f32
  memref.store %y, %out[] : memref<f32>
  return
}
