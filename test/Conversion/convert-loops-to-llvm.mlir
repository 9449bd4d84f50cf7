// RUN: cnnc-opt %s --cnnc-convert-loops-to-llvm --reconcile-unrealized-casts | FileCheck %s

// One conversion lowers what eight upstream passes did: memref arguments
// as bare pointers, loads through the descriptor, arith, math, index,
// ub, branches and an OpenMP parallel region, leaving only LLVM and omp.
// CHECK-LABEL: llvm.func @scale
// CHECK-SAME: (%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: f32)
// CHECK: omp.parallel
// CHECK: llvm.getelementptr
// CHECK: llvm.load {{.*}} : !llvm.ptr -> f32
// CHECK: llvm.intr.sqrt
// CHECK: llvm.fmul
// CHECK: llvm.store
// CHECK: omp.terminator
// CHECK: llvm.cond_br
// CHECK: llvm.mlir.poison : i32
// CHECK-NOT: memref.
// CHECK-NOT: arith.
// CHECK-NOT: cf.
// CHECK-NOT: index.
// CHECK-NOT: func.
// CHECK-NOT: ub.
func.func @scale(%x: memref<16xf32>, %y: memref<16xf32>, %s: f32) -> i32 {
  omp.parallel {
    %c3 = arith.constant 3 : index
    %i = index.add %c3, %c3
    %v = memref.load %x[%i] : memref<16xf32>
    %r = math.sqrt %v : f32
    %w = arith.mulf %r, %s : f32
    memref.store %w, %y[%i] : memref<16xf32>
    omp.terminator
  }
  %pos = arith.cmpf ogt, %s, %s : f32
  cf.cond_br %pos, ^bb1, ^bb2
^bb1:
  %p = ub.poison : i32
  return %p : i32
^bb2:
  %z = arith.constant 0 : i32
  return %z : i32
}
