// RUN: cnnc-opt %s --split-input-file --cnnc-outline-parallel-regions | FileCheck %s

// Two parallel regions of one function: each becomes the body of an
// internal function called in its place, with the values it uses from
// around it (a function argument, a load) as arguments; the constant it
// uses is cloned in, and a value used only before it stays.
// CHECK-LABEL: llvm.func @forward
// CHECK-SAME: (%[[P:.*]]: !llvm.ptr, %[[N:.*]]: i64)
// CHECK: %[[X:.*]] = llvm.load %[[P]]
// CHECK: llvm.call @forward..parallel(%[[X]], %[[P]]) : (f32, !llvm.ptr) -> ()
// CHECK-NEXT: llvm.call @forward..parallel_0(%[[P]], %[[N]]) : (!llvm.ptr, i64) -> ()
// CHECK-NOT: omp.parallel
// CHECK: llvm.return
// CHECK: llvm.func internal @forward..parallel(%[[X1:.*]]: f32, %[[P1:.*]]: !llvm.ptr)
// CHECK-NEXT: %[[ONE:.*]] = llvm.mlir.constant(1.000000e+00 : f32) : f32
// CHECK-NEXT: omp.parallel {
// CHECK: llvm.fadd %[[X1]], %[[ONE]]
// CHECK: llvm.store %{{.*}}, %[[P1]]
// CHECK: omp.terminator
// CHECK: llvm.return
// CHECK: llvm.func internal @forward..parallel_0(%[[P2:.*]]: !llvm.ptr, %[[N2:.*]]: i64)
// CHECK-NEXT: omp.parallel {
// CHECK: llvm.getelementptr %[[P2]][%[[N2]]]
// CHECK: llvm.return
llvm.func @forward(%p: !llvm.ptr, %n: i64) {
  %one = llvm.mlir.constant(1.0 : f32) : f32
  %x = llvm.load %p : !llvm.ptr -> f32
  omp.parallel {
    %y = llvm.fadd %x, %one : f32
    llvm.store %y, %p : f32, !llvm.ptr
    omp.terminator
  }
  omp.parallel {
    %q = llvm.getelementptr %p[%n] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    %z = llvm.load %q : !llvm.ptr -> f32
    llvm.store %z, %p : f32, !llvm.ptr
    omp.terminator
  }
  llvm.return
}

// -----

// A function with a single region keeps it: it is as small as an
// outlined one would be.
// CHECK-LABEL: llvm.func @one_region
// CHECK-NEXT: omp.parallel
// CHECK-NOT: llvm.call
// CHECK-NOT: llvm.func
llvm.func @one_region(%p: !llvm.ptr) {
  omp.parallel {
    %z = llvm.load %p : !llvm.ptr -> f32
    llvm.store %z, %p : f32, !llvm.ptr
    omp.terminator
  }
  llvm.return
}
