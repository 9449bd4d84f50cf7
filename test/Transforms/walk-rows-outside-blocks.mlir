// RUN: cnnc-opt %s --split-input-file --cnnc-walk-rows-outside-blocks | FileCheck %s

// A grouped conv's chain once bufferized: a forall over the 3 groups
// selecting each group's filter and output view, then the group's rows (2
// images x 4 rows). The rows become the forall, the groups a loop inside
// each row, the selection moved in with them.

// CHECK-LABEL: func.func @groups_inside_rows
// CHECK-SAME: (%[[W0:.*]]: memref<4xf32>, %[[W1:.*]]: memref<4xf32>, %[[W2:.*]]: memref<4xf32>, %[[OUT:.*]]: memref<2x4x12xf32>)
// CHECK: scf.forall (%[[N:.*]], %[[H:.*]]) in (2, 4) {
// CHECK: scf.for %[[G:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: %[[W:.*]] = scf.index_switch %[[G]] -> memref<4xf32>
// CHECK: %[[F:.*]] = affine.apply #{{.*}}(%[[G]])
// CHECK: %[[V:.*]] = memref.subview %[[OUT]][0, 0, %[[F]]] [2, 4, 4] [1, 1, 1]
// CHECK: %[[R:.*]] = vector.transfer_read %[[W]][%{{.*}}]
// CHECK: vector.transfer_write %[[R]], %[[V]][%[[N]], %[[H]], %{{.*}}]
// CHECK-NOT: cnn.rows_outside_blocks
#group = affine_map<(d0) -> (d0 * 4)>
func.func @groups_inside_rows(%w0: memref<4xf32>, %w1: memref<4xf32>, %w2: memref<4xf32>, %out: memref<2x4x12xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %pad = arith.constant 0.0 : f32
  scf.forall (%g) in (3) {
    %w = scf.index_switch %g -> memref<4xf32>
    case 1 {
      scf.yield %w1 : memref<4xf32>
    }
    case 2 {
      scf.yield %w2 : memref<4xf32>
    }
    default {
      scf.yield %w0 : memref<4xf32>
    }
    %f = affine.apply #group(%g)
    %view = memref.subview %out[0, 0, %f] [2, 4, 4] [1, 1, 1] : memref<2x4x12xf32> to memref<2x4x4xf32, strided<[48, 12, 1], offset: ?>>
    scf.for %n = %c0 to %c2 step %c1 {
      scf.for %h = %c0 to %c4 step %c1 {
        %r = vector.transfer_read %w[%c0], %pad {in_bounds = [true]} : memref<4xf32>, vector<4xf32>
        vector.transfer_write %r, %view[%n, %h, %c0] {in_bounds = [true]} : vector<4xf32>, memref<2x4x4xf32, strided<[48, 12, 1], offset: ?>>
      }
    }
  } {cnn.rows_outside_blocks}
  return
}

// -----

// A group whose initializer writes its whole view before the rows (not
// fused into the register blocks): the groups stay the parallel loop, the
// mark goes.

// CHECK-LABEL: func.func @initializer_outside_rows
// CHECK: scf.forall (%[[G:.*]]) in (3) {
// CHECK: linalg.fill
// CHECK: scf.for
// CHECK-NOT: cnn.rows_outside_blocks
#group = affine_map<(d0) -> (d0 * 4)>
func.func @initializer_outside_rows(%out: memref<2x4x12xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : vector<4xf32>
  scf.forall (%g) in (3) {
    %f = affine.apply #group(%g)
    %view = memref.subview %out[0, 0, %f] [2, 4, 4] [1, 1, 1] : memref<2x4x12xf32> to memref<2x4x4xf32, strided<[48, 12, 1], offset: ?>>
    linalg.fill ins(%zero : f32) outs(%view : memref<2x4x4xf32, strided<[48, 12, 1], offset: ?>>)
    scf.for %n = %c0 to %c2 step %c1 {
      vector.transfer_write %one, %view[%n, %c0, %c0] {in_bounds = [true]} : vector<4xf32>, memref<2x4x4xf32, strided<[48, 12, 1], offset: ?>>
    }
  } {cnn.rows_outside_blocks}
  return
}

// -----

// An unmarked forall is left as it is.

// CHECK-LABEL: func.func @unmarked
// CHECK: scf.forall (%{{.*}}) in (3) {
// CHECK: scf.for
#group = affine_map<(d0) -> (d0 * 4)>
func.func @unmarked(%out: memref<2x4x12xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %one = arith.constant dense<1.0> : vector<4xf32>
  scf.forall (%g) in (3) {
    %f = affine.apply #group(%g)
    %view = memref.subview %out[0, 0, %f] [2, 4, 4] [1, 1, 1] : memref<2x4x12xf32> to memref<2x4x4xf32, strided<[48, 12, 1], offset: ?>>
    scf.for %n = %c0 to %c2 step %c1 {
      vector.transfer_write %one, %view[%n, %c0, %c0] {in_bounds = [true]} : vector<4xf32>, memref<2x4x4xf32, strided<[48, 12, 1], offset: ?>>
    }
  }
  return
}
