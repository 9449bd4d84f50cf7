// RUN: cnnc-opt %s --split-input-file --cnnc-tile-gpu-loop-nests | FileCheck %s
// RUN: cnnc-opt %s --split-input-file --cnnc-tile-gpu-loop-nests=min-threads=64 | FileCheck %s --check-prefix=BUSY

// A conv-shaped nest (input read across channels, filter across columns):
// each thread takes 4 channels x 4 columns, the 16 elements jammed into one
// reduction nest; the bias before and the ReLU after, 16 times each.
// Columns of a thread are adjacent (4 * x + k), its channels 2 apart
// (f + 2 * k: 8 channels / 4).
// CHECK-LABEL: func.func @conv
// CHECK: scf.parallel (%[[N:.*]], %[[X:.*]], %[[F:.*]]) = (%c0{{.*}}) to (%c2{{.*}}, %c4{{.*}}, %c2{{.*}}) step
// CHECK: %[[X0:.*]] = arith.muli %[[X]], %c4
// CHECK: arith.addi %[[X0]], %c1
// CHECK: arith.addi %[[X0]], %c2
// CHECK: arith.addi %[[X0]], %c3
// CHECK: %[[F1:.*]] = arith.addi %[[F]], %c2
// CHECK: arith.addi %[[F]], %c4
// CHECK: arith.addi %[[F]], %c6
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[N]], %[[X0]], %[[F]]] : memref<2x16x8xf32>
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[N]], %[[X0]], %[[F1]]] : memref<2x16x8xf32>
// CHECK-COUNT-14: memref.store %{{.*}}, %{{.*}}[%[[N]], %{{.*}}, %{{.*}}] : memref<2x16x8xf32>
// CHECK: scf.for
// CHECK-NEXT: scf.for
// CHECK-COUNT-16: arith.addf
// CHECK-NOT: scf.for
// CHECK-COUNT-16: arith.maximumf
// CHECK: scf.reduce
// At most 64 threads: 256 outputs, 4 each (channels only).
// BUSY-LABEL: func.func @conv
// BUSY: to (%c2{{.*}}, %c16{{.*}}, %c2{{.*}})
// BUSY-COUNT-4: arith.addf
// BUSY-NOT: arith.addf
func.func @conv(%in: memref<2x18x4xf32>, %w: memref<3x4x8xf32>, %b: memref<8xf32>, %out: memref<2x16x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%n, %x, %f) = (%c0, %c0, %c0) to (%c2, %c16, %c8) step (%c1, %c1, %c1) {
    %bias = memref.load %b[%f] : memref<8xf32>
    memref.store %bias, %out[%n, %x, %f] : memref<2x16x8xf32>
    scf.for %k = %c0 to %c3 step %c1 {
      scf.for %c = %c0 to %c4 step %c1 {
        %xi = arith.addi %x, %k : index
        %v = memref.load %in[%n, %xi, %c] : memref<2x18x4xf32>
        %wv = memref.load %w[%k, %c, %f] : memref<3x4x8xf32>
        %acc = memref.load %out[%n, %x, %f] : memref<2x16x8xf32>
        %p = arith.mulf %v, %wv : f32
        %s = arith.addf %acc, %p : f32
        memref.store %s, %out[%n, %x, %f] : memref<2x16x8xf32>
      }
    }
    %r = memref.load %out[%n, %x, %f] : memref<2x16x8xf32>
    %m = arith.maximumf %r, %zero : f32
    memref.store %m, %out[%n, %x, %f] : memref<2x16x8xf32>
    scf.reduce
  }
  return
}

// -----

// Not tiled: an elementwise nest (no reduction loop); a pool whose loads
// depend on every dimension (nothing to share); a loop with a bound that
// depends on the element.
// CHECK-LABEL: func.func @untouched
// CHECK-COUNT-3: step (%c1, %c1)
func.func @untouched(%a: memref<4x8xf32>, %b: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    %v = memref.load %a[%i, %j] : memref<4x8xf32>
    memref.store %v, %b[%i, %j] : memref<4x8xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c2, %c8) step (%c1, %c1) {
    scf.for %k = %c0 to %c2 step %c1 {
      %i2 = arith.muli %i, %c2 : index
      %ik = arith.addi %i2, %k : index
      %v = memref.load %a[%ik, %j] : memref<4x8xf32>
      %acc = memref.load %b[%i, %j] : memref<4x8xf32>
      %m = arith.maximumf %acc, %v : f32
      memref.store %m, %b[%i, %j] : memref<4x8xf32>
    }
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    scf.for %k = %c0 to %i step %c1 {
      %v = memref.load %a[%k, %c0] : memref<4x8xf32>
      memref.store %v, %b[%i, %j] : memref<4x8xf32>
    }
    scf.reduce
  }
  return
}
