// RUN: cnnc-opt %s --cnnc-plan-memory | FileCheck %s

// %a dies when %c is allocated, so %c reuses its bytes; %b is live across
// both and gets its own slot. 1024-byte buffers, 64-byte aligned offsets.
// CHECK-LABEL: func.func @forward
// CHECK-SAME: %[[ARENA:[a-z0-9_]+]]: memref<2048xi8> {cnn.arena}
// CHECK-SAME: cnn.arena_bytes = 2048 : i64
// The plan for reports: [offset, bytes, first, last] per buffer, and names
// (unnamed allocations here).
// CHECK-SAME: cnn.arena_plan = array<i64: 0, 1024, 0, 3, 1024, 1024, 2, 6, 0, 1024, 4, 7>
// CHECK-SAME: cnn.arena_plan_names = ["buffer 0", "buffer 1", "buffer 2"]
// CHECK-NOT: memref.alloc
// CHECK: %[[O0:[a-z0-9_]+]] = arith.constant 0 : index
// CHECK: %[[A:[a-z0-9_]+]] = memref.view %[[ARENA]][%[[O0]]][] : memref<2048xi8> to memref<256xf32>
// CHECK: %[[O1:[a-z0-9_]+]] = arith.constant 1024 : index
// CHECK: %[[B:[a-z0-9_]+]] = memref.view %[[ARENA]][%[[O1]]][] : memref<2048xi8> to memref<256xf32>
// CHECK: memref.copy %[[A]], %[[B]]
// CHECK: %[[O2:[a-z0-9_]+]] = arith.constant 0 : index
// CHECK: %[[C:[a-z0-9_]+]] = memref.view %[[ARENA]][%[[O2]]][] : memref<2048xi8> to memref<256xf32>
// CHECK: memref.copy %[[B]], %[[C]]
func.func @forward(%in: memref<256xf32>, %out: memref<256xf32>) {
  %a = memref.alloc() : memref<256xf32>
  memref.copy %in, %a : memref<256xf32> to memref<256xf32>
  %b = memref.alloc() : memref<256xf32>
  memref.copy %a, %b : memref<256xf32> to memref<256xf32>
  %c = memref.alloc() : memref<256xf32>
  memref.copy %b, %c : memref<256xf32> to memref<256xf32>
  memref.copy %b, %out : memref<256xf32> to memref<256xf32>
  memref.copy %c, %out : memref<256xf32> to memref<256xf32>
  return
}
