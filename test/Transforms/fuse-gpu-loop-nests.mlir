// RUN: cnnc-opt %s --split-input-file --cnnc-fuse-gpu-loop-nests | FileCheck %s

// A bias broadcast, a sum into the same elements and a ReLU in place: one
// nest. The sum reads another view of the arena, disjoint from the one
// written. The ReLU's profiling mark moves after the fused nest.
// CHECK-LABEL: func.func @bias_sum_relu
// CHECK: call @cnnc_profile_mark(%c0_i64)
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) =
// CHECK-NEXT: memref.load %{{.*}}[%[[J]]]
// CHECK-NEXT: memref.store %{{.*}}, %[[OUT:.*]][%[[I]], %[[J]]]
// CHECK: scf.for
// CHECK: arith.addf
// CHECK: memref.store %{{.*}}, %[[OUT]][%[[I]], %[[J]]]
// CHECK: arith.maximumf
// CHECK: scf.reduce
// CHECK-NEXT: }
// CHECK-NEXT: call @cnnc_profile_mark(%c1_i64)
// CHECK-NOT: scf.parallel
// CHECK: return
func.func private @cnnc_profile_mark(i64)
func.func @bias_sum_relu(%arena: memref<1024xi8>, %bias: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c512 = arith.constant 512 : index
  %zero = arith.constant 0.0 : f32
  %m0 = arith.constant 0 : i64
  %m1 = arith.constant 1 : i64
  call @cnnc_profile_mark(%m0) : (i64) -> ()
  %in = memref.view %arena[%c0][] : memref<1024xi8> to memref<4x8x4xf32>
  %out = memref.view %arena[%c512][] : memref<1024xi8> to memref<4x8xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    %b = memref.load %bias[%j] : memref<8xf32>
    memref.store %b, %out[%i, %j] : memref<4x8xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    scf.for %k = %c0 to %c4 step %c1 {
      %x = memref.load %in[%i, %j, %k] : memref<4x8x4xf32>
      %acc = memref.load %out[%i, %j] : memref<4x8xf32>
      %s = arith.addf %acc, %x : f32
      memref.store %s, %out[%i, %j] : memref<4x8xf32>
    }
    scf.reduce
  }
  call @cnnc_profile_mark(%m1) : (i64) -> ()
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    %v = memref.load %out[%i, %j] : memref<4x8xf32>
    %r = arith.maximumf %v, %zero : f32
    memref.store %r, %out[%i, %j] : memref<4x8xf32>
    scf.reduce
  }
  return
}

// -----

// Not fused: the second nest reads its neighbours' elements (a window); a
// nest adding atomically; two views of the same bytes; a call between.
// CHECK-LABEL: func.func @not_fused
// CHECK-COUNT-8: scf.parallel
// CHECK-NOT: scf.parallel
func.func private @opaque()
func.func @not_fused(%arena: memref<1024xi8>, %a: memref<4x8xf32>, %b: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %one = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c3, %c8) step (%c1, %c1) {
    memref.store %one, %a[%i, %j] : memref<4x8xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c3, %c8) step (%c1, %c1) {
    %i1 = arith.addi %i, %c1 : index
    %v = memref.load %a[%i1, %j] : memref<4x8xf32>
    memref.store %v, %b[%i, %j] : memref<4x8xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c3, %c8) step (%c1, %c1) {
    %r = memref.atomic_rmw addf %one, %b[%i, %j] : (f32, memref<4x8xf32>) -> f32
    scf.reduce
  }
  %v0 = memref.view %arena[%c0][] : memref<1024xi8> to memref<4x8xf32>
  %v1 = memref.view %arena[%c0][] : memref<1024xi8> to memref<32xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c3, %c8) step (%c1, %c1) {
    memref.store %one, %v0[%i, %j] : memref<4x8xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c3, %c8) step (%c1, %c1) {
    %v = memref.load %v1[%j] : memref<32xf32>
    memref.store %v, %b[%i, %j] : memref<4x8xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    memref.store %one, %a[%i, %j] : memref<4x8xf32>
    scf.reduce
  }
  call @opaque() : () -> ()
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    %v = memref.load %a[%i, %j] : memref<4x8xf32>
    memref.store %v, %b[%i, %j] : memref<4x8xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c3, %c8) step (%c1, %c1) {
    memref.store %one, %a[%i, %j] : memref<4x8xf32>
    scf.reduce
  }
  return
}
