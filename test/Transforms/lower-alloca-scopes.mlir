// RUN: cnnc-opt %s --cnnc-lower-alloca-scopes | FileCheck %s

// A scope (as convert-scf-to-openmp wraps each parallel iteration) becomes
// its body between a stack save and restore; a nested one too, and a
// scope's results are its body's.
// CHECK-LABEL: func.func @scopes
// CHECK: %[[OUTER:.*]] = llvm.intr.stacksave : !llvm.ptr
// CHECK: memref.alloca() : memref<4xf32>
// CHECK: %[[INNER:.*]] = llvm.intr.stacksave : !llvm.ptr
// CHECK: %[[BUF:.*]] = memref.alloca() : memref<8xf32>
// CHECK: %[[V:.*]] = memref.load %[[BUF]]
// CHECK: llvm.intr.stackrestore %[[INNER]]
// CHECK: llvm.intr.stackrestore %[[OUTER]]
// CHECK: return %[[V]]
// CHECK-NOT: alloca_scope
func.func @scopes(%i: index) -> f32 {
  %r = memref.alloca_scope -> (f32) {
    %a = memref.alloca() : memref<4xf32>
    %v = memref.alloca_scope -> (f32) {
      %b = memref.alloca() : memref<8xf32>
      %x = memref.load %b[%i] : memref<8xf32>
      memref.alloca_scope.return %x : f32
    }
    memref.alloca_scope.return %v : f32
  }
  return %r : f32
}
