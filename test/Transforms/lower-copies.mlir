// RUN: cnnc-opt %s --cnnc-lower-copies | FileCheck %s

// A copy into a strided subview (as concat bufferizes) becomes linalg.copy;
// a self-copy disappears.
// CHECK-LABEL: func.func @concat_copy
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%arg0 : memref<1x2x3xf32>) outs(%{{.*}} : memref<1x2x3xf32, strided<[18, 3, 1], offset: 6>>)
// CHECK-NOT: memref.copy
func.func @concat_copy(%a: memref<1x2x3xf32>, %out: memref<1x6x3xf32>) {
  %s = memref.subview %out[0, 2, 0] [1, 2, 3] [1, 1, 1] : memref<1x6x3xf32> to memref<1x2x3xf32, strided<[18, 3, 1], offset: 6>>
  memref.copy %a, %s : memref<1x2x3xf32> to memref<1x2x3xf32, strided<[18, 3, 1], offset: 6>>
  memref.copy %out, %out : memref<1x6x3xf32> to memref<1x6x3xf32>
  return
}
